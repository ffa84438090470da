/** A seeded PRNG (mulberry32): the same seed gives the same cases, so a failure can be replayed. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of this run: LKC_FUZZ_SEED to replay one, else a fresh one. */
export function fuzzSeed(): number {
  const given = process.env.LKC_FUZZ_SEED;
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** Strings that break naive handling: unicode of every width, controls, lone surrogates, markup of YAML and JSON. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '😀🎉👩‍👩‍👧‍👦',
  'ＲＥＧＩＯＮ',
  'e\u0301\u0301\u0301',
  '\u202eevil\u202c',
  'zero\u200bwidth',
  '\ufeffbom',
  'nul\u0000byte',
  '\u0007\u001b[31mred',
  '\ud800',
  '\udfff\ud800',
  'line\nbreak',
  'tab\there',
  '"quoted"',
  "'single'",
  '#comment',
  'key: value',
  '- item',
  '&anchor',
  '*alias',
  '!!binary',
  '{a: [1, 2]}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder is the nasty value
  '${HOME}',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'x'.repeat(70_000),
  '日本語のリージョン',
  'مرحبا',
];

/** Numbers at every edge a config value can meet. */
export const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  0.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER * 10,
  65535,
  65536,
  4294967296,
  1e21,
  1.2345678901234568e29,
];

/** The same edges as YAML spells them, including what JSON cannot hold. */
export const NASTY_NUMBER_TEXTS = [
  '.inf',
  '-.inf',
  '.nan',
  '1e999',
  '-1e999',
  '0x7fffffffffffffff',
  '0o777',
  '0b101',
  '1_000',
  '+12',
  '012',
  '1.',
  '.5',
  '1e',
  '99999999999999999999999999999999999999999999',
];
