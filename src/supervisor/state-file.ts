import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  /**
   * When the supervisor process began, as /proc/PID/stat says (clock ticks since boot): with the pid, it tells
   * our supervisor from another process that got the same pid after a reboot or in a new container.
   */
  supervisor_start?: string;
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

/** When process `pid` began (field 22 of /proc/PID/stat); undefined where there is no /proc or no such process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself: count after the last.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

// kill(pid, 0) alone takes any process with that pid for the supervisor: after a reboot, or in a container where
// every new supervisor is pid 1 again, a stale file would block `start` forever.
function supervisorRuns(state: ClusterState): boolean {
  if (state.supervisor_pid === process.pid || !processAlive(state.supervisor_pid)) return false;
  if (state.supervisor_start === undefined) return true;
  const began = processStartTime(state.supervisor_pid);
  return began === undefined || began === state.supervisor_start;
}

/**
 * The state of the cluster started in `cwd`, or undefined when there is none or its supervisor is gone (a state
 * file left behind by a supervisor that was killed, or whose pid another process has now, is ignored).
 */
export function readState(cwd: string): ClusterState | undefined {
  let state: ClusterState;
  try {
    state = JSON.parse(readFileSync(statePath(cwd), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
  if (state?.version !== 1 || typeof state.supervisor_pid !== 'number') return undefined;
  return supervisorRuns(state) ? state : undefined;
}

/** A local cluster and the folder whose state file it was found in. */
export interface FoundCluster {
  dir: string;
  state: ClusterState;
}

/**
 * The local cluster a command run in `cwd` with `configFile` means: `start` leaves its state file where it runs,
 * which is usually beside its config, so `-c ../demo/lk-cluster.yaml` finds the cluster in ../demo. The folder
 * whose cluster runs that very config comes first, then the working directory, then the config's folder.
 */
export function findLocalCluster(cwd: string, configFile?: string): FoundCluster | undefined {
  const config = configFile ? resolve(cwd, configFile) : undefined;
  const dirs = [...new Set([resolve(cwd), ...(config ? [dirname(config)] : [])])];
  const found = dirs.flatMap((dir) => {
    const state = readState(dir);
    return state ? [{ dir, state }] : [];
  });
  return found.find((f) => config && f.state.config_file === config) ?? found[0];
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
