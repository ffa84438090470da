/**
 * Preloaded into a node process (`NODE_OPTIONS=--import <this file's URL>`) by tests of load-aware placement: the
 * node's sysload (1-minute load average per CPU) is then the number in the file TEST_SYSLOAD_FILE names, read at
 * every sample, instead of the load of the machine running the tests, which a busy CI box puts over any limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';

/** The environment that makes a node report the sysload written to `file` (see writeSysload). */
export function fakeSysloadEnv(file: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--import=${import.meta.url}`, TEST_SYSLOAD_FILE: file };
}

/** Sets the sysload a node started with fakeSysloadEnv(file) reports from its next sample on. */
export function writeSysload(file: string, sysload: number): void {
  writeFileSync(file, String(sysload));
}

const file = process.env.TEST_SYSLOAD_FILE;
if (file) {
  os.loadavg = () => {
    const perCpu = Number(readFileSync(file, 'utf8'));
    const load = perCpu * os.availableParallelism();
    return [load, load, load];
  };
  // The node imports `loadavg` by name: the named export follows the default export's new function.
  syncBuiltinESMExports();
}
