import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { type Finished, finished, spawnTracked } from './processes.js';

/** What a CLI run printed and how it ended. */
export type CliRun = Finished;

/** The environment without any LKC_* variable of the machine running the tests, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LKC_')) env[key] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs `node bin/run.js ...args` (the compiled CLI) and waits for it to exit. */
export async function runCli(
  args: string[],
  { cwd = projectRoot, env = {} }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const child = spawnTracked(process.execPath, [join(projectRoot, 'bin', 'run.js'), ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child, { what: `\`lk-cluster ${args.join(' ')}\`` });
}

/** Lines of text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
