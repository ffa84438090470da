import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './redis-connect.js';

/** The Lua scripts of the Redis router, each with its number of KEYS. */
const SCRIPTS = {
  heartbeat: { file: 'heartbeat.lua', keys: 5 },
  unregister: { file: 'unregister.lua', keys: 10 },
  claim: { file: 'claim.lua', keys: 5 },
  release: { file: 'release.lua', keys: 1 },
  assert: { file: 'assert.lua', keys: 1 },
  deleteRoom: { file: 'delete-room.lua', keys: 2 },
  changes: { file: 'changes.lua', keys: 8 },
  sweep: { file: 'sweep.lua', keys: 12 },
  unlock: { file: 'unlock.lua', keys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<ScriptName, string>();

// The .lua files sit beside this module in the source tree; the compiled module in dist/ looks there too.
function luaSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source !== undefined) return source;
  const file = SCRIPTS[name].file;
  const candidates = [
    new URL(`./lua/${file}`, import.meta.url),
    new URL(`../../../src/routing/lua/${file}`, import.meta.url),
  ];
  const found = candidates.map((url) => fileURLToPath(url)).find((path) => existsSync(path));
  if (!found) throw new Error(`Lua script ${file} not found beside ${fileURLToPath(import.meta.url)}`);
  source = readFileSync(found, 'utf8');
  sources.set(name, source);
  return source;
}

type ScriptFn = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/** The router's Lua scripts, defined once on a client (EVALSHA, falling back to EVAL after a Redis restart). */
export class RoutingScripts {
  constructor(private readonly client: RedisClient) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      client.defineCommand(`lkc_${name}`, { numberOfKeys: SCRIPTS[name].keys, lua: luaSource(name) });
    }
  }

  /** Runs one script; `keys` must all carry the prefix's hash tag. */
  run<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`lkc_${name}`]!;
    return fn.call(this.client, ...keys, ...args) as Promise<T>;
  }
}
