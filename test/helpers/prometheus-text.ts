/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any letter case (prom-client writes "Nan").
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[nN][aA][nN]|[+-]?[iI][nN][fF])';
const SAMPLE_LINE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`,
);
const HELP_LINE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses Prometheus text format strictly: every line must be a HELP, a TYPE or a sample line, each sample must
 * belong to a family declared by TYPE, and a family is declared once. Throws on the first bad line.
 */
export function parsePrometheusText(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      if (!HELP_LINE.test(line)) throw new Error(`bad HELP at ${where}`);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const match = TYPE_LINE.exec(line);
      if (!match) throw new Error(`bad TYPE at ${where}`);
      if (types.has(match[1]!)) throw new Error(`family ${match[1]} declared twice at ${where}`);
      types.set(match[1]!, match[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line at ${where}`);
    const name = match[1]!;
    const family = [...types.keys()].find(
      (f) => name === f || ['_bucket', '_sum', '_count', '_total', '_created'].some((s) => name === f + s),
    );
    if (!family) throw new Error(`sample of an undeclared family at ${where}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_PAIR)) labels[key!] = value!;
    const text = match[3]!.toLowerCase();
    const value =
      text === 'nan'
        ? Number.NaN
        : text.endsWith('inf')
          ? text.startsWith('-')
            ? -Infinity
            : Infinity
          : Number(text);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

/** The sample of family member `name` whose labels include every pair of `labels`, if any. */
export function findSample(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): Sample | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}
