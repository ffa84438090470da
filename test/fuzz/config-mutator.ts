import { parse, stringify } from 'yaml';
import { NASTY_NUMBER_TEXTS, NASTY_NUMBERS, NASTY_STRINGS, type Random } from './random.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/** Names the config knows, so that insertions land on keys the validator reads, not only on unknown ones. */
const KEY_NAMES = [
  'port',
  'bind_addresses',
  'region',
  'keys',
  'redis',
  'address',
  'password',
  'username',
  'db',
  'use_tls',
  'tls',
  'sentinel_addresses',
  'cluster_addresses',
  'key_prefix',
  'node_selector',
  'kind',
  'sort_by',
  'algorithm',
  'sysload_limit',
  'cpu_load_limit',
  'regions',
  'name',
  'lat',
  'lon',
  'limit',
  'max_rooms',
  'num_tracks',
  'room',
  'empty_timeout',
  'max_participants',
  'auto_create',
  'rtc',
  'udp_port_range_start',
  'udp_port_range_end',
  'node_ip',
  'num_workers',
  'node_stats',
  'update_interval',
  'lease_ttl',
  'logging',
  'level',
  'json',
];

/** Pieces of YAML syntax dropped into the text at random. */
const YAML_TOKENS = [
  ': ',
  ':',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '*missing',
  '!!str ',
  '!!int ',
  '!!binary ',
  '!<tag:x> ',
  '? ',
  '---\n',
  '...\n',
  '\t',
  '"',
  "'",
  '|\n',
  '>-\n',
  '%YAML 1.2\n',
  '@',
  '`',
  '#',
  '\n',
  '\r\n',
  '\u2028',
  '<<: *a\n',
];

const BILLION_LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  '',
].join('\n');

function isContainer(value: Json): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every container of the tree (the root first). */
function containers(root: Json): Container[] {
  const found: Container[] = [];
  const walk = (value: Json, depth: number) => {
    if (!isContainer(value) || depth > 50) return;
    found.push(value);
    for (const child of Object.values(value)) walk(child, depth + 1);
  };
  walk(root, 0);
  return found;
}

/** Every (container, key) whose value satisfies `test`. */
function slots(root: Json, test: (value: Json) => boolean): Array<[Container, string | number]> {
  const found: Array<[Container, string | number]> = [];
  for (const container of containers(root)) {
    if (Array.isArray(container)) {
      for (const [i, v] of container.entries()) if (test(v)) found.push([container, i]);
    } else for (const [k, v] of Object.entries(container)) if (test(v)) found.push([container, k]);
  }
  return found;
}

function set(container: Container, key: string | number, value: Json): void {
  (container as Record<string | number, Json>)[key] = value;
}

function randomKey(rnd: Random): string {
  return rnd.chance(0.6) ? rnd.pick(KEY_NAMES) : rnd.pick(NASTY_STRINGS).slice(0, 200) || 'k';
}

function randomValue(rnd: Random, depth = 0): Json {
  const kind = rnd.int(0, depth > 3 ? 3 : 5);
  switch (kind) {
    case 0:
      return rnd.pick(NASTY_STRINGS);
    case 1:
      return rnd.pick(NASTY_NUMBERS);
    case 2:
      return rnd.chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: rnd.int(0, 4) }, () => randomValue(rnd, depth + 1));
    default: {
      const object: { [key: string]: Json } = {};
      for (let i = rnd.int(0, 4); i > 0; i--) object[randomKey(rnd)] = randomValue(rnd, depth + 1);
      return object;
    }
  }
}

function nested(rnd: Random, depth: number): Json {
  let value: Json = rnd.pick([1, 'x', null, true]);
  for (let i = 0; i < depth; i++) value = rnd.chance(0.5) ? [value] : { [randomKey(rnd)]: value };
  return value;
}

/** Structural mutations of a parsed config; each names itself. */
const STRUCTURE_OPS: Array<[string, (root: Json, rnd: Random) => void]> = [
  [
    'delete-key',
    (root, rnd) => {
      const candidates = containers(root).filter((c) => Object.keys(c).length > 0);
      if (candidates.length === 0) return;
      const container = rnd.pick(candidates);
      if (Array.isArray(container)) container.splice(rnd.int(0, container.length - 1), 1);
      else delete container[rnd.pick(Object.keys(container))];
    },
  ],
  [
    'insert-key',
    (root, rnd) => {
      const container = rnd.pick(containers(root));
      if (Array.isArray(container)) container.splice(rnd.int(0, container.length), 0, randomValue(rnd));
      else container[randomKey(rnd)] = randomValue(rnd);
    },
  ],
  [
    'swap-type',
    (root, rnd) => {
      const all = slots(root, () => true);
      if (all.length === 0) return;
      const [container, key] = rnd.pick(all);
      const before = typeof (container as Record<string | number, Json>)[key];
      let value = randomValue(rnd);
      for (let tries = 0; tries < 5 && typeof value === before; tries++) value = randomValue(rnd);
      set(container, key, value);
    },
  ],
  [
    'huge-number',
    (root, rnd) => {
      const numbers = slots(root, (v) => typeof v === 'number');
      const candidates = numbers.length > 0 ? numbers : slots(root, () => true);
      if (candidates.length === 0) return;
      const [container, key] = rnd.pick(candidates);
      set(container, key, rnd.pick(NASTY_NUMBERS));
    },
  ],
  [
    'unicode',
    (root, rnd) => {
      const strings = slots(root, (v) => typeof v === 'string');
      if (strings.length > 0 && rnd.chance(0.6)) {
        const [container, key] = rnd.pick(strings);
        set(container, key, rnd.pick(NASTY_STRINGS));
        return;
      }
      // Rename a key instead.
      const objects = containers(root).filter(
        (c) => !Array.isArray(c) && Object.keys(c).length > 0,
      ) as Array<{
        [key: string]: Json;
      }>;
      if (objects.length === 0) return;
      const object = rnd.pick(objects);
      const key = rnd.pick(Object.keys(object));
      const value = object[key]!;
      delete object[key];
      object[rnd.pick(NASTY_STRINGS).slice(0, 300) || 'k'] = value;
    },
  ],
  [
    'deep-nesting',
    (root, rnd) => {
      const all = slots(root, () => true);
      if (all.length === 0) return;
      const [container, key] = rnd.pick(all);
      set(container, key, nested(rnd, rnd.int(10, 300)));
    },
  ],
];

/** Text mutations of the serialised config; each names itself. */
const TEXT_OPS: Array<[string, (text: string, rnd: Random) => string]> = [
  [
    'delete-span',
    (text, rnd) => {
      const at = rnd.int(0, text.length);
      return text.slice(0, at) + text.slice(at + rnd.int(1, 20));
    },
  ],
  [
    'insert-token',
    (text, rnd) => {
      const at = rnd.int(0, text.length);
      const token = rnd.chance(0.7) ? rnd.pick(YAML_TOKENS) : rnd.pick(NASTY_STRINGS).slice(0, 50);
      return text.slice(0, at) + token + text.slice(at);
    },
  ],
  [
    'line-shuffle',
    (text, rnd) => {
      const lines = text.split('\n');
      const i = rnd.int(0, lines.length - 1);
      const j = rnd.int(0, lines.length - 1);
      const op = rnd.int(0, 2);
      if (op === 0) lines.splice(j, 0, lines[i]!);
      else if (op === 1) [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      else lines.splice(i, 1);
      return lines.join('\n');
    },
  ],
  [
    'reindent',
    (text, rnd) => {
      const lines = text.split('\n');
      const i = rnd.int(0, lines.length - 1);
      lines[i] = rnd.chance(0.5) ? ' '.repeat(rnd.int(1, 5)) + lines[i] : lines[i]!.replace(/^ {1,3}/, '');
      return lines.join('\n');
    },
  ],
  [
    'number-text',
    (text, rnd) => {
      const numbers = [...text.matchAll(/(?<=: )-?\d+(\.\d+)?/g)];
      if (numbers.length === 0) return `${text}\nport: ${rnd.pick(NASTY_NUMBER_TEXTS)}\n`;
      const match = rnd.pick(numbers);
      const at = match.index ?? 0;
      return text.slice(0, at) + rnd.pick(NASTY_NUMBER_TEXTS) + text.slice(at + match[0].length);
    },
  ],
  [
    'deep-text',
    (text, rnd) => {
      const depth = rnd.int(100, 6000);
      if (rnd.chance(0.5)) return `${text}\nzz: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      const lines = Array.from({ length: Math.min(depth, 400) }, (_, i) => `${' '.repeat(i)}k${i}:`);
      return `${text}\n${lines.join('\n')} 1\n`;
    },
  ],
  ['alias-bomb', (text) => BILLION_LAUGHS + text],
];

function serialise(value: Json, rnd: Random): string {
  switch (rnd.int(0, 3)) {
    case 0:
      return JSON.stringify(value, null, rnd.chance(0.5) ? 2 : undefined) ?? 'null';
    case 1:
      return stringify(value, { collectionStyle: 'flow' });
    default:
      return stringify(value);
  }
}

/** One mutated config: structural and text mutations of `base`, and the names of the operations applied. */
export function mutateConfig(base: string, rnd: Random): { text: string; ops: string[] } {
  const ops: string[] = [];
  let text = base;
  let parsed: Json | undefined;
  try {
    parsed = parse(base) as Json;
  } catch {
    parsed = undefined;
  }
  if (isContainer(parsed ?? null) && rnd.chance(0.75)) {
    const root = parsed as Json;
    for (let i = rnd.int(1, 4); i > 0; i--) {
      const [name, op] = rnd.pick(STRUCTURE_OPS);
      op(root, rnd);
      ops.push(name);
    }
    text = serialise(root, rnd);
  }
  const textOps = ops.length === 0 ? rnd.int(1, 4) : rnd.chance(0.5) ? rnd.int(1, 3) : 0;
  for (let i = 0; i < textOps; i++) {
    const [name, op] = rnd.pick(TEXT_OPS);
    text = op(text, rnd);
    ops.push(name);
  }
  return { text, ops };
}
