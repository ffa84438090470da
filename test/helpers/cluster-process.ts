import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken } from '../../src/auth/token.js';
import type { ClusterState } from '../../src/supervisor/state-file.js';
import { cleanEnv, pidAlive } from './node-process.js';
import { projectRoot } from './paths.js';
import { collectOutput, exitedWithin, spawnTracked } from './processes.js';
import { waitFor } from './wait.js';

/** A running `lk-cluster start` and what it printed. */
export interface StartRun {
  child: ChildProcess;
  output(): string;
  /** Milliseconds from spawn until the table was printed. */
  startedInMs: number;
}

/** Spawns `lk-cluster start ...args` in `cwd` and waits until it prints its table (or fails). */
export async function runStart(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<StartRun> {
  const began = Date.now();
  const child = spawnTracked(process.execPath, [join(projectRoot, 'bin', 'run.js'), 'start', ...args], {
    cwd,
    env: { ...cleanEnv(), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}: ${output.text()}`);
      return output.text().includes('Logs follow');
    },
    { timeoutMs: 30_000, what: 'the cluster table' },
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${output.text()}`);
  });
  return { child, output: output.text, startedInMs: Date.now() - began };
}

/** The state file `start` keeps in `cwd`. */
export function readStateFile(cwd: string): ClusterState {
  return JSON.parse(readFileSync(join(cwd, '.lk-cluster', 'state.json'), 'utf8')) as ClusterState;
}

/** A roomAdmin token from the key pair in the state file. */
export function stateToken(state: ClusterState): Promise<string> {
  return createToken({
    apiKey: state.api_key,
    apiSecret: state.api_secret,
    grant: { roomAdmin: true },
    ttlSeconds: 600,
  });
}

/** The pids of a cluster's processes: its nodes, their mediasoup workers, and its private redis-server. */
export async function clusterPids(state: ClusterState): Promise<number[]> {
  const token = await stateToken(state);
  const pids: number[] = [];
  for (const node of state.nodes) {
    if (!node.pid || !node.url || node.state === 'exited') continue;
    pids.push(node.pid);
    const response = await fetch(`${node.url}/admin/node`, { headers: { authorization: `Bearer ${token}` } });
    const info = (await response.json()) as { workers: Array<{ pid: number | null }> };
    for (const worker of info.workers) if (worker.pid) pids.push(worker.pid);
  }
  if (state.redis?.pid) pids.push(state.redis.pid);
  return pids;
}

/** Waits until none of `pids` runs. */
export async function waitAllGone(pids: number[], timeoutMs = 10_000): Promise<void> {
  await waitFor(() => pids.every((pid) => !pidAlive(pid)), {
    timeoutMs,
    what: `processes ${pids.filter(pidAlive).join(', ')} to end`,
  });
}

/** Ends a `start` run whatever state it is in: SIGINT twice, then SIGKILL; and any pid of its cluster left. */
export async function endStart(run: StartRun | undefined, pids: number[] = []): Promise<void> {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGINT');
    const again = setTimeout(() => run.child.kill('SIGINT'), 3000);
    const kill = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
    try {
      await exitedWithin(run.child, 20_000, 'the supervisor to exit after SIGINT, SIGINT and SIGKILL');
    } finally {
      clearTimeout(again);
      clearTimeout(kill);
    }
  }
  for (const pid of pids) {
    try {
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
