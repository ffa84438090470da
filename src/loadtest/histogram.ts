/**
 * A latency histogram that processes can add up: buckets 5% wide from 0.05 ms to about 15 s, so a percentile read
 * from it is within 5% of the true one, whatever the number of samples.
 */
const FIRST_MS = 0.05;
const GROWTH = 1.05;
export const HISTOGRAM_BUCKETS = 260;
const LOG_GROWTH = Math.log(GROWTH);

/** A new, empty histogram. */
export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

/** The bucket of `ms` (below the first: the first; above the last: the last). */
export function bucketOf(ms: number): number {
  if (ms <= FIRST_MS) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(Math.log(ms / FIRST_MS) / LOG_GROWTH));
}

/** Adds `b` into `a` (or subtracts, with sign -1), bucket by bucket. */
export function addHistogram(a: number[], b: number[], sign = 1): void {
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) a[i]! += sign * (b[i] ?? 0);
}

/** The value at fraction `q` (0.5 = p50): the middle of the bucket it falls in; undefined when empty. */
export function histogramPercentile(histogram: number[], q: number): number | undefined {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank && histogram[i]! > 0) return FIRST_MS * GROWTH ** (i + 0.5);
  }
  return FIRST_MS * GROWTH ** HISTOGRAM_BUCKETS;
}
