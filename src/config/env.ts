import { isIP } from 'node:net';
import { LkcError } from '../errors.js';
import { isHostPort, MIN_SECRET_LENGTH } from './semantic.js';

/** The environment variables that override config keys, and the key each one sets. */
export const ENV_OVERRIDES = {
  LKC_PORT: 'port',
  LKC_REGION: 'region',
  LKC_KEYS: 'keys',
  LKC_REDIS_ADDRESS: 'redis.address',
  LKC_NODE_IP: 'rtc.node_ip',
} as const;

export type EnvVariable = keyof typeof ENV_OVERRIDES;

/** The overrides found in an environment, already parsed; empty variables count as unset. */
export interface EnvOverrides {
  port?: number;
  region?: string;
  keys?: Record<string, string>;
  redisAddress?: string;
  nodeIp?: string;
}

const bad = (variable: EnvVariable, advice: string) => new LkcError('BAD_INPUT', `${variable}: ${advice}`);

/**
 * LKC_API_KEY and LKC_API_SECRET, the key pair a CLI command signs with, as given (trimmed; empty counts as
 * unset). A secret is held to the length a config file's must have: a short one was accepted here alone.
 */
export function envApiKeyPair(env: NodeJS.ProcessEnv): { apiKey?: string; apiSecret?: string } {
  const apiKey = env.LKC_API_KEY?.trim() || undefined;
  const apiSecret = env.LKC_API_SECRET?.trim() || undefined;
  if (apiSecret !== undefined && apiSecret.length < MIN_SECRET_LENGTH) {
    throw new LkcError(
      'BAD_INPUT',
      `LKC_API_SECRET is shorter than ${MIN_SECRET_LENGTH} characters, which no node accepts in its keys; use the full secret`,
    );
  }
  return { apiKey, apiSecret };
}

/** Parses LiveKit-style `LKC_KEYS` ("key1: secret1, key2: secret2"); the secret never appears in an error. */
export function parseKeysVariable(text: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const entry of text.split(/[,\n]/)) {
    if (entry.trim() === '') continue;
    const colon = entry.indexOf(':');
    const apiKey = colon > 0 ? entry.slice(0, colon).trim() : '';
    const secret = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!apiKey || !secret) {
      throw bad('LKC_KEYS', "must look like 'APIKEY: secret' (several separated by commas)");
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw bad(
        'LKC_KEYS',
        `the secret of API key '${apiKey}' is shorter than ${MIN_SECRET_LENGTH} characters; use a longer one`,
      );
    }
    keys[apiKey] = secret;
  }
  if (Object.keys(keys).length === 0)
    throw bad('LKC_KEYS', "holds no keys; it must look like 'APIKEY: secret'");
  return keys;
}

/** Reads the LKC_* overrides from `env`; a malformed value throws an LkcError (BAD_INPUT) naming the variable. */
export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  const value = (name: EnvVariable): string | undefined => {
    const text = env[name]?.trim();
    return text ? text : undefined;
  };
  const overrides: EnvOverrides = {};
  const port = value('LKC_PORT');
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535)
      throw bad('LKC_PORT', `'${port}' is not a TCP port; use a number from 1 to 65535`);
    overrides.port = n;
  }
  const region = value('LKC_REGION');
  if (region !== undefined) overrides.region = region;
  const keys = value('LKC_KEYS');
  if (keys !== undefined) overrides.keys = parseKeysVariable(keys);
  const redis = value('LKC_REDIS_ADDRESS');
  if (redis !== undefined) {
    if (!isHostPort(redis))
      throw bad('LKC_REDIS_ADDRESS', `'${redis}' is not HOST:PORT (e.g. 127.0.0.1:6379)`);
    overrides.redisAddress = redis;
  }
  const nodeIp = value('LKC_NODE_IP');
  if (nodeIp !== undefined) {
    if (isIP(nodeIp) === 0)
      throw bad(
        'LKC_NODE_IP',
        `'${nodeIp}' is not an IP address; it is announced to clients in ICE candidates`,
      );
    overrides.nodeIp = nodeIp;
  }
  return overrides;
}

type Obj = Record<string, unknown>;
const asObj = (value: unknown): Obj | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;

/**
 * Lays the overrides over raw config data (before validation, so a shared file without `region` is fine
 * when every node sets LKC_REGION). Returns the new data and which variable set which key path.
 */
export function applyEnvOverrides(
  data: Obj,
  overrides: EnvOverrides,
): { data: Obj; sources: Map<string, EnvVariable> } {
  const out: Obj = { ...data };
  const sources = new Map<string, EnvVariable>();
  if (overrides.port !== undefined) {
    out.port = overrides.port;
    sources.set('port', 'LKC_PORT');
  }
  if (overrides.region !== undefined) {
    out.region = overrides.region;
    sources.set('region', 'LKC_REGION');
  }
  if (overrides.keys !== undefined) {
    out.keys = overrides.keys;
    sources.set('keys', 'LKC_KEYS');
  }
  if (
    overrides.redisAddress !== undefined &&
    (out.redis === undefined || out.redis === null || asObj(out.redis))
  ) {
    out.redis = { ...(asObj(out.redis) ?? {}), address: overrides.redisAddress };
    sources.set('redis.address', 'LKC_REDIS_ADDRESS');
  }
  if (overrides.nodeIp !== undefined && (out.rtc === undefined || asObj(out.rtc))) {
    out.rtc = { ...(asObj(out.rtc) ?? {}), node_ip: overrides.nodeIp };
    sources.set('rtc.node_ip', 'LKC_NODE_IP');
  }
  return { data: out, sources };
}
