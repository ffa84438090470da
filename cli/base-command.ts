import { relative } from 'node:path';
import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { type LoadedConfig, loadConfig } from '../src/config/load.js';
import { formatProblem } from '../src/config/problem.js';
import type { Config } from '../src/config/types.js';
import { isLkcError } from '../src/errors.js';
import { describeRedis } from '../src/routing/redis-address.js';
import {
  type ClusterState,
  type FoundCluster,
  findLocalCluster,
  withClusterState,
} from '../src/supervisor/state-file.js';
import { writeJson } from './json-output.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Every lk-cluster command: owns `--config` and `--json`, and turns any error into one line on stderr and a
 * non-zero exit, never a stack trace (set LKC_DEBUG=1 to see one).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      description: 'config file (default: $LKC_CONFIG, else ./lk-cluster.yaml)',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  /**
   * Loads the config (--config, else $LKC_CONFIG, else ./lk-cluster.yaml, else defaults) with LKC_* overrides;
   * prints its warnings to stderr, one line each (not in --json mode). Throws LkcError when it is invalid.
   * When `lk-cluster start` runs a cluster in this folder or beside the config file, `cluster` is its state and
   * `clusterDir` that folder, if that cluster is the one the config names (the same Redis) or the config names
   * none; a config with no `redis` then points at that cluster. When the two disagree, one line on stderr says
   * so and which one the command uses: the config's.
   */
  protected async loadConfig(): Promise<LoadedConfig & { cluster?: ClusterState; clusterDir?: string }> {
    const loaded = await loadConfig({ file: (this.flags as { config?: string }).config });
    const quiet = this.jsonEnabled();
    if (!quiet) {
      for (const warning of loaded.warnings) process.stderr.write(`${formatProblem(warning)}\n`);
    }
    const found = findLocalCluster(process.cwd(), loaded.file);
    if (!found) return loaded;
    const cluster = sameCluster(loaded.config, found.state);
    if (!cluster) {
      if (!quiet) process.stderr.write(`${twoClusters(loaded, found)}\n`);
      return loaded;
    }
    return {
      ...loaded,
      config: withClusterState(loaded.config, cluster),
      cluster,
      clusterDir: found.dir,
    };
  }

  // A theme is the one reason to let oclif colour the JSON; without one its printer only costs time.
  protected override logJson(json: unknown): void {
    if (this.config.theme?.json) super.logJson(json);
    else writeJson(json);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const debug = Boolean(process.env.LKC_DEBUG);
    let code = 1;
    let message: string;
    if (isLkcError(err)) {
      code = err.exitCode;
      // A flag's own parser threw it, and oclif wrapped its text in "Parsing --flag" and advice to read --help.
      message = err.message.startsWith('Parsing --') ? firstMeaningfulLine(err.message) : err.message;
    } else if (err.oclif?.exit !== undefined) {
      // Flag and argument parse errors: oclif's text is several lines; the first one says what is wrong.
      code = 2;
      message = firstMeaningfulLine(err.message ?? String(err));
    } else {
      message = err.message ?? String(err);
    }
    if (this.jsonEnabled()) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: isLkcError(err) ? err.code : 'ERROR', message } }, null, 2)}\n`,
      );
    } else {
      // An LkcError's text is written for the operator (config problems already read FILE:LINE:COL: ...).
      process.stderr.write(isLkcError(err) ? `${message}\n` : `error: ${message.split('\n')[0]}\n`);
    }
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return this.exit(code);
  }
}

// A folder's local cluster and a config that names another Redis are two clusters: the state file's nodes are not
// the config's.
function sameCluster(config: Config, state: ClusterState | undefined): ClusterState | undefined {
  if (!state || !config.redis) return state;
  const { address, key_prefix } = config.redis;
  return state.redis && state.redis.address === address && state.redis.key_prefix === key_prefix
    ? state
    : undefined;
}

// One folder, two Redis (issue 17, item 6): `nodes list` read the config's and said "no nodes registered" beside a
// running local cluster. The line names both and says which one this command uses.
function twoClusters(loaded: LoadedConfig, found: FoundCluster): string {
  const source = loaded.file ? relative(process.cwd(), loaded.file) || loaded.file : 'LKC_REDIS_ADDRESS';
  const ours = describeRedis(loaded.config.redis!);
  const { redis } = found.state;
  const folder = relative(process.cwd(), found.dir) || 'this folder';
  const theirs = redis
    ? `redis at ${redis.address}${redis.address === loaded.config.redis!.address ? ` (key prefix "${redis.key_prefix}")` : ''}${redis.private ? ', private' : ''}`
    : 'no redis (a single node)';
  return `warning: ${source} names ${ours}, but the local cluster in ${folder} (supervisor pid ${found.state.supervisor_pid}) runs on ${theirs}: this command uses ${source}'s`;
}

// oclif's parse errors run to several lines, some only a heading ("The following errors occurred:") or advice to
// read --help; the first line that names a flag or an argument is the one that tells the user what is wrong.
function firstMeaningfulLine(text: string): string {
  const missing = missingArgs(text);
  if (missing) return missing;
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^\s*[-*]\s+/, '').trim())
    .filter(
      (line) =>
        line &&
        !/^The following errors occurred:?$/i.test(line) &&
        !/^See more help with/i.test(line) &&
        !/^Parsing --\S+$/.test(line),
    );
  return lines[0] ?? text.trim();
}

// "Missing 1 required arg:" names the argument on the lines after it, as "name  description".
function missingArgs(text: string): string | undefined {
  const [heading, ...rest] = text.split('\n');
  if (!/^Missing \d+ required args?:$/.test(heading?.trim() ?? '')) return undefined;
  const args = rest
    .map((line) => line.trim())
    .filter((line) => line && !/^See more help with/i.test(line))
    .map((line) => {
      const [name, description] = line.split(/\s{2,}/);
      return description ? `${name} (${description.replace(/[()]/g, '')})` : name;
    });
  if (args.length === 0) return undefined;
  return `missing required argument${args.length > 1 ? 's' : ''} ${args.join(', ')}`;
}
