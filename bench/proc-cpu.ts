// CPU time of processes, read from /proc (Linux): what a benchmark charges to each process over its window.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux this project runs on). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds process `pid` has used so far; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of the stat line, 12 and 13 after the name.
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : 0;
}

/** The pids whose parent is `pid` (a node's mediasoup workers). */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    if (Number(statFields(child)?.[1]) === pid) found.push(child);
  }
  return found;
}

/**
 * Seconds the main thread of `pid` has spent runnable but waiting for a CPU (the second field of
 * /proc/<pid>/schedstat, in ns): how much the machine's other work held it back. 0 once it is gone.
 */
export function processWaitSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return 0;
  }
}
