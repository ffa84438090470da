import { LkcError } from '../src/errors.js';

/** Parses a `--lat`/`--lon` value: degrees within ±limit; BAD_INPUT naming the flag otherwise. */
export function parseDegreesFlag(flag: '--lat' | '--lon', text: string): number {
  const limit = flag === '--lat' ? 90 : 180;
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^[-+]?\d+(\.\d+)?$/.test(trimmed) || Math.abs(value) > limit) {
    const what = flag === '--lat' ? 'latitude' : 'longitude';
    throw new LkcError(
      'BAD_INPUT',
      `${flag} must be a ${what} in degrees from -${limit} to ${limit}, got '${text}'`,
    );
  }
  return value;
}
