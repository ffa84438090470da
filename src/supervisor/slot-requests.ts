import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DIR } from './state-file.js';

// Requests from other commands to the supervisor of this folder, one file each. The supervisor polls for them:
// a file needs no server, no port and no token, and only the folder's owner can write there (mode 0700).
const REQUESTS_DIR = 'requests';

/** How often the supervisor looks for requests. */
export const REQUEST_POLL_MS = 200;

function requestsDir(cwd: string): string {
  return join(cwd, STATE_DIR, REQUESTS_DIR);
}

/** Asks the supervisor running in `cwd` to start the drained slot `index` again. */
export function requestSlotRestart(cwd: string, index: number): void {
  const dir = requestsDir(cwd);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, `restart-${index}`), '', { mode: 0o600 });
}

/** The slots asked to restart since the last call; each request is consumed. */
export function takeSlotRestarts(cwd: string): number[] {
  let names: string[];
  try {
    names = readdirSync(requestsDir(cwd));
  } catch {
    return [];
  }
  const slots: number[] = [];
  for (const name of names) {
    rmSync(join(requestsDir(cwd), name), { force: true });
    const match = /^restart-(\d+)$/.exec(name);
    if (match) slots.push(Number(match[1]));
  }
  return slots;
}

/** Removes the requests folder (the supervisor is exiting). */
export function removeSlotRequests(cwd: string): void {
  rmSync(requestsDir(cwd), { recursive: true, force: true });
}
