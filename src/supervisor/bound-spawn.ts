import { type ChildProcess, type SpawnOptions, type StdioOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { which } from '../system/which.js';

const GUARD = fileURLToPath(new URL('./guard.js', import.meta.url));

/**
 * Spawns a command that dies with this process, even when this process is killed with SIGKILL. On Linux,
 * `setpriv --pdeathsig KILL` asks the kernel to kill the child when its parent goes; elsewhere a small Node
 * guard process watches its IPC pipe to us and kills the command when the pipe closes.
 */
export function spawnBound(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const setpriv = process.platform === 'linux' ? which('setpriv') : undefined;
  if (setpriv) return spawn(setpriv, ['--pdeathsig', 'KILL', '--', command, ...args], options);
  const stdio = (
    Array.isArray(options.stdio) ? options.stdio.slice(0, 3) : ['ignore', 'pipe', 'pipe']
  ) as StdioOptions[];
  return spawn(process.execPath, [GUARD, command, ...args], {
    ...options,
    stdio: [...stdio, 'ipc'] as StdioOptions,
  });
}
