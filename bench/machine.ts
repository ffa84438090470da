import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** The installed redis-server's version, or `?`. */
export function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** The `machine:` line a benchmark prints beside its figures; with the load average it started under, if given. */
export function machineLine(loadAtStart?: string): string {
  const cpu = cpus();
  const load = loadAtStart === undefined ? '' : `, load average ${loadAtStart} at the start`;
  return `machine: ${cpu[0]?.model ?? '?'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB${load}, node ${process.version}, redis ${redisVersion()}, loopback`;
}
