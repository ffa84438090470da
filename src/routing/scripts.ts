import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './redis-connect.js';

/**
 * A Lua library in lua/lib/ (its name without `.lua`). Redis scripts cannot call one another, so a script that
 * uses a library gets its text prepended: the script stays one EVAL/EVALSHA text that works on any Redis.
 */
type LuaLibrary = 'span' | 'remove-node';

interface ScriptSpec {
  file: string;
  /** How many KEYS it takes. */
  keys: number;
  /** The libraries prepended to it, in this order. */
  uses?: readonly LuaLibrary[];
}

/** The Lua scripts of the Redis router. */
const SCRIPTS = {
  heartbeat: { file: 'heartbeat.lua', keys: 5 },
  unregister: { file: 'unregister.lua', keys: 10, uses: ['span', 'remove-node'] },
  claim: { file: 'claim.lua', keys: 5 },
  release: { file: 'release.lua', keys: 1, uses: ['span'] },
  assert: { file: 'assert.lua', keys: 1 },
  deleteRoom: { file: 'delete-room.lua', keys: 2 },
  changes: { file: 'changes.lua', keys: 8 },
  sweep: { file: 'sweep.lua', keys: 12, uses: ['span', 'remove-node'] },
  unlock: { file: 'unlock.lua', keys: 1 },
  publish: { file: 'publish.lua', keys: 1 },
  forget: { file: 'forget.lua', keys: 10, uses: ['span', 'remove-node'] },
  claimLeg: { file: 'claim-leg.lua', keys: 3, uses: ['span'] },
  releaseLeg: { file: 'release-leg.lua', keys: 1, uses: ['span'] },
  assertLeg: { file: 'assert-leg.lua', keys: 2, uses: ['span'] },
  handOver: { file: 'hand-over.lua', keys: 2, uses: ['span'] },
  joinMember: { file: 'join-member.lua', keys: 1 },
  leaveMember: { file: 'leave-member.lua', keys: 1 },
} as const satisfies Record<string, ScriptSpec>;

export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<ScriptName, string>();

// The .lua files sit beside this module in the source tree; the compiled module in dist/ looks there too.
function readLua(file: string): string {
  const candidates = [
    new URL(`./lua/${file}`, import.meta.url),
    new URL(`../../../src/routing/lua/${file}`, import.meta.url),
  ];
  const found = candidates.map((url) => fileURLToPath(url)).find((path) => existsSync(path));
  if (!found) throw new Error(`Lua script ${file} not found beside ${fileURLToPath(import.meta.url)}`);
  return readFileSync(found, 'utf8');
}

/** The text Redis runs for a script: the libraries it uses, then the script itself. */
function luaSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source !== undefined) return source;
  const spec: ScriptSpec = SCRIPTS[name];
  const parts = (spec.uses ?? []).map((library) => readLua(`lib/${library}.lua`));
  source = [...parts, readLua(spec.file)].join('\n');
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
