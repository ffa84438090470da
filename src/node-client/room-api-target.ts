import { envApiKeyPair } from '../config/env.js';
import type { Config } from '../config/types.js';
import { LkcError } from '../errors.js';
import type { ClusterState } from '../supervisor/state-file.js';
import type { RoomApiTarget } from './room-api-client.js';

/** Where a command found what it calls the Room API with. */
export interface TargetSources {
  /** --url */
  url?: string;
  /** The cluster a supervisor runs in the working folder. */
  cluster?: ClusterState;
  env: NodeJS.ProcessEnv;
}

function normaliseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.replace(/^ws(s?):\/\//i, 'http$1://'));
  } catch {
    throw new LkcError(
      'BAD_INPUT',
      `--url ${text} is not a URL; give a node's address, e.g. http://127.0.0.1:7880`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LkcError(
      'BAD_INPUT',
      `--url ${text} must be http(s):// (or ws(s)://, as LiveKit's tools accept)`,
    );
  }
  return url.origin;
}

/**
 * The nodes to call, in turn while one does not answer: --url alone, else the nodes of the cluster started in this
 * folder (serving ones first, exited ones never), else this config's port.
 */
function targetUrls(config: Config, sources: TargetSources): string[] {
  if (sources.url) return [normaliseUrl(sources.url)];
  const nodes = (sources.cluster?.nodes ?? []).filter((node) => node.url && node.state !== 'exited');
  const ordered = [
    ...nodes.filter((node) => node.state === 'serving'),
    ...nodes.filter((node) => node.state !== 'serving'),
  ];
  const urls = [...new Set(ordered.map((node) => normaliseUrl(node.url!)))];
  return urls.length > 0 ? urls : [`http://127.0.0.1:${config.port}`];
}

/**
 * The key pair to sign with: LKC_API_KEY and LKC_API_SECRET, else the config's first key (or the key of the
 * cluster started in this folder). The secret is never part of an error.
 */
function targetKey(config: Config, env: NodeJS.ProcessEnv): { apiKey: string; apiSecret: string } {
  const { apiKey, apiSecret } = envApiKeyPair(env);
  if (apiKey && apiSecret) return { apiKey, apiSecret };
  if (apiSecret) throw new LkcError('BAD_INPUT', 'LKC_API_SECRET is set without LKC_API_KEY: set both');
  if (apiKey) {
    const configured = Object.hasOwn(config.keys, apiKey) ? config.keys[apiKey] : undefined;
    if (!configured) {
      throw new LkcError(
        'BAD_INPUT',
        `LKC_API_KEY ${apiKey} is not in the config's keys: set LKC_API_SECRET too`,
      );
    }
    return { apiKey, apiSecret: configured };
  }
  const [first] = Object.entries(config.keys);
  if (!first) {
    throw new LkcError(
      'UNAUTHENTICATED',
      'no API key to sign the request with: set LKC_API_KEY and LKC_API_SECRET, or add `keys: {KEY: SECRET}` to the config',
    );
  }
  return { apiKey: first[0], apiSecret: first[1] };
}

/** Resolves the node URL and key pair a `room` command calls the Room API with. */
export function resolveRoomApiTarget(config: Config, sources: TargetSources): RoomApiTarget {
  const [url, ...fallbackUrls] = targetUrls(config, sources);
  return { url: url!, fallbackUrls, ...targetKey(config, sources.env) };
}
