import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the slices taken by running test processes are recorded, one file per slice holding its owner's pid. */
const DIR = join(tmpdir(), 'lkc-test-udp-slices');
const FIRST_PORT = 40000;
const SLICE = 100;
const SLICES = 200;
const mine: string[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.on('exit', () => {
  for (const file of mine) {
    try {
      unlinkSync(file);
    } catch {
      // gone already
    }
  }
});

/**
 * A UDP port range of its own for one test node. Test files run in parallel processes, and slices drawn at random
 * collided now and then; a slice is taken by creating its file exclusively, and one whose owner died is taken over.
 */
export function takeUdpSlice(): { start: number; end: number } {
  mkdirSync(DIR, { recursive: true });
  const offset = process.pid % SLICES;
  for (let i = 0; i < SLICES; i++) {
    const n = (offset + i) % SLICES;
    const file = join(DIR, String(n));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        mine.push(file);
        const start = FIRST_PORT + n * SLICE;
        return { start, end: start + SLICE - 1 };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(readFileSync(file, 'utf8'));
        if (owner && alive(owner)) break;
        try {
          unlinkSync(file);
        } catch {
          // another process took it over first
        }
      }
    }
  }
  throw new Error(`no free UDP slice left under ${DIR}: every one of ${SLICES} is held by a running process`);
}
