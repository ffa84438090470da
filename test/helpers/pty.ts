import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { spawnTracked } from './processes.js';

const PTY_RUN = join(projectRoot, 'test', 'helpers', 'pty-run.py');

/** A command running on a pseudo-terminal (python3's pty module, on every machine the suite runs on). */
export interface PtyRun {
  child: ChildProcess;
  /** Every byte the command wrote to its terminal so far. */
  screen(): string;
  /** The helper's report once the command exited, e.g. `pty: echo=1 icanon=1`. */
  report(): string;
  /** Types `keys` on the terminal. */
  type(keys: string): void;
}

/** Runs `command` on a `rows` x `columns` pseudo-terminal. */
export function runOnPty(
  command: string[],
  {
    rows = 30,
    columns = 120,
    cwd,
    env,
  }: { rows?: number; columns?: number; cwd?: string; env?: NodeJS.ProcessEnv },
): PtyRun {
  const child = spawnTracked('python3', [PTY_RUN, String(rows), String(columns), ...command], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let report = '';
  child.stdout?.on('data', (chunk) => {
    screen += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    report += chunk;
  });
  return {
    child,
    screen: () => screen,
    report: () => report,
    type: (keys) => child.stdin?.write(keys),
  };
}
