import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, NodeSelectorConfig } from '../config/types.js';
import type { NodeState } from '../records.js';

/** Folder (in the working directory) where a running `lk-cluster start` leaves its address. */
export const STATE_DIR = '.lk-cluster';
export const STATE_FILE = 'state.json';

/** One supervised node as the state file lists it. */
export interface StateNode {
  /** 1-based slot of the node in the cluster. */
  index: number;
  /** Unknown until the node has started. */
  id?: string;
  url?: string;
  pid?: number;
  region: string;
  port: number;
  state: NodeState | 'exited';
}

/**
 * What `lk-cluster start` tells the other commands run in the same folder: where its cluster is. It holds the
 * API key pair the nodes accept, so it is written with mode 0600 and removed when the supervisor exits.
 */
export interface ClusterState {
  version: 1;
  supervisor_pid: number;
  /** Epoch milliseconds. */
  started_at: number;
  config_file?: string;
  /** Absent in single-node mode (the node routes in memory). */
  redis?: { address: string; key_prefix: string; private: boolean; pid?: number };
  api_key: string;
  api_secret: string;
  /** The selector the nodes of an embedded-default cluster use (region-aware over built-in coordinates). */
  node_selector?: Partial<NodeSelectorConfig>;
  nodes: StateNode[];
}

/** The state file's path under `cwd`. */
export function statePath(cwd: string): string {
  return join(cwd, STATE_DIR, STATE_FILE);
}

/** Writes the state atomically (temp file + rename), readable by the owner only. */
export function writeState(cwd: string, state: ClusterState): void {
  const dir = join(cwd, STATE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, statePath(cwd));
}

/** Removes the state file (and its folder when nothing else is in it). */
export function removeState(cwd: string): void {
  rmSync(statePath(cwd), { force: true });
  try {
    rmdirSync(join(cwd, STATE_DIR));
  } catch {
    // not empty, or already gone
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The state of the cluster started in `cwd`, or undefined when there is none or its supervisor is gone (a state
 * file left behind by a supervisor that was killed is ignored).
 */
export function readState(cwd: string): ClusterState | undefined {
  let state: ClusterState;
  try {
    state = JSON.parse(readFileSync(statePath(cwd), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
  if (state?.version !== 1 || typeof state.supervisor_pid !== 'number') return undefined;
  return processAlive(state.supervisor_pid) ? state : undefined;
}

/**
 * Points a config with no `redis` at the cluster a supervisor runs in this folder (its Redis, its nodes' selector
 * and, when the config has no keys, the key pair its nodes accept). A config with its own `redis` is returned
 * unchanged.
 */
export function withClusterState(config: Config, state: ClusterState | undefined): Config {
  if (!state || config.redis) return config;
  const next: Config = { ...config };
  if (state.redis) next.redis = { address: state.redis.address, key_prefix: state.redis.key_prefix };
  // Placement from the CLI must choose the way the nodes do.
  if (state.node_selector) next.node_selector = { ...config.node_selector, ...state.node_selector };
  if (Object.keys(config.keys).length === 0 && state.api_key)
    next.keys = { [state.api_key]: state.api_secret };
  return next;
}
