import { LkcError } from './errors.js';

// C0 and C1 control characters and DEL: they split table rows and log lines, and no LiveKit client sends them.
const CONTROL = /\p{Cc}/u;

/**
 * `value` when it can name a node, room, region or participant: not empty, not blank, without control
 * characters. An empty name would match every node by prefix, or mean "none" where a name was meant.
 */
export function checkName(value: string, what: string): string {
  if (value.trim() === '') throw new LkcError('BAD_INPUT', `${what} must not be empty`);
  const control = CONTROL.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new LkcError(
      'BAD_INPUT',
      `${what} ${JSON.stringify(value)} holds a control character (\\x${code})`,
    );
  }
  return value;
}
