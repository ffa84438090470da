import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { after } from 'node:test';
import { within } from './wait.js';

const children = new Set<ChildProcess>();

// A test that fails half-way must still end every process it started.
function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
// Also once the file's tests are done: a child still running keeps the event loop alive, so 'exit' would never come.
// Only in a test file: a hook outside the test runner starts node:test's reporter, whose TAP would open a
// benchmark's output (bench/ uses these helpers, and its processes end with it on 'exit').
const inTestFile =
  process.env.NODE_TEST_CONTEXT !== undefined || /\.test\.[cm]?js$/.test(process.argv[1] ?? '');
if (inTestFile) after(killAll);
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns a child that is killed when the test process ends, whatever happens. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** How a child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Not exported: every wait for an exit goes through exitedWithin, so none can stall the suite.
function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Resolves with how the child ended once it exits; after `timeoutMs` rejects naming `what` it waited for (a
 * phrase such as "the drained node to exit") and kills the child, so a hung exit fails its test and leaves
 * nothing running.
 */
export async function exitedWithin(child: ChildProcess, timeoutMs: number, what: string): Promise<Exit> {
  try {
    return await within(exited(child), timeoutMs, `${what} (pid ${child.pid})`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** How long a SIGKILLed process may take to be reaped before the wait counts as a hang. */
const KILL_MS = 5000;

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exitedWithin(child, graceMs + KILL_MS, `\`${commandLine(child)}\` to stop`);
  } finally {
    clearTimeout(timer);
  }
}

/** The child's command line, to name it in a failure. */
export function commandLine(child: ChildProcess): string {
  return child.spawnargs.join(' ');
}

/** Collects a child's stdout and stderr into one string, for assertions and for failure messages. */
export function collectOutput(child: ChildProcess): { text: () => string } {
  let buffer = '';
  child.stdout?.on('data', (chunk) => {
    buffer += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    buffer += chunk;
  });
  return { text: () => buffer };
}

/** What a child printed and how it ended. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Waits for a child to exit and its pipes to drain, and returns its whole stdout and stderr; rejects (and kills
 * the child) when it runs longer than `timeoutMs`, naming `what` (by default its command line).
 */
export async function finished(
  child: ChildProcess,
  { timeoutMs = 60_000, what = `\`${commandLine(child)}\`` }: { timeoutMs?: number; what?: string } = {},
): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const drained = Promise.all(
    [child.stdout, child.stderr].map(
      (stream) =>
        new Promise<void>((resolve) =>
          stream && !stream.readableEnded ? stream.once('end', resolve) : resolve(),
        ),
    ),
  );
  const { code } = await exitedWithin(child, timeoutMs, `${what} to exit`);
  // 'exit' can come before the pipes are drained; a process it left behind may hold them open for good.
  await within(drained, KILL_MS, `the output of ${what} to end after its exit`);
  return { code, stdout, stderr };
}
