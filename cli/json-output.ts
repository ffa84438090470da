/** Items written per chunk: a long list goes out in pieces instead of as one string of megabytes. */
const CHUNK = 256;

/**
 * Writes `value` to stdout as `JSON.stringify(value, null, 2)` would print it, a line break after. oclif's own
 * --json printer tokenizes the text with regexes to colour it (and colours nothing without a theme): ~170 ms over
 * 10,000 rooms. An array goes out a chunk of items at a time.
 */
export function writeJson(
  value: unknown,
  write: (text: string) => void = (t) => process.stdout.write(t),
): void {
  if (!Array.isArray(value) || value.length === 0) {
    write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (let i = 0; i < value.length; i += CHUNK) {
    // A chunk printed as an array is its items indented one level, between `[\n` and `\n]`: keep what is between.
    const text = JSON.stringify(value.slice(i, i + CHUNK), null, 2);
    write(`${i === 0 ? '[\n' : ',\n'}${text.slice(2, -2)}`);
  }
  write('\n]\n');
}
