import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A LiveKit-style id: `prefix` and 12 random base62 characters (e.g. `ND_h2kS8fQx0bLm`). */
export function randomId(prefix: string, length = 12): string {
  const bytes = randomBytes(length * 2);
  let id = '';
  // Rejection sampling keeps every character equally likely (248 = 4 * 62).
  for (const byte of bytes) {
    if (byte >= 248) continue;
    id += ALPHABET[byte % 62];
    if (id.length === length) break;
  }
  return id.length === length ? `${prefix}${id}` : randomId(prefix, length);
}
