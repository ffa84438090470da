// `node guard.js COMMAND ARGS...`: runs COMMAND and kills it when the IPC pipe to our parent closes (the
// parent exited, however it died). Used where the kernel's parent-death signal is not available.
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) process.exit(2);
const child = spawn(command, args, { stdio: 'inherit' });
const stop = (signal: NodeJS.Signals) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('disconnect', () => stop('SIGKILL'));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
child.on('error', () => process.exit(127));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
