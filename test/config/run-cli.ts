import { join } from 'node:path';
import { exited, spawnTracked } from '../helpers/processes.js';
import { projectRoot } from './paths.js';

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

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
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const { code } = await exited(child);
  // 'exit' can come before the pipes are drained.
  await Promise.all(
    [child.stdout, child.stderr].map(
      (stream) =>
        new Promise<void>((resolve) =>
          stream && !stream.readableEnded ? stream.once('end', resolve) : resolve(),
        ),
    ),
  );
  return { code, stdout, stderr };
}

/** Lines of text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
