import type { ServerResponse } from 'node:http';
import { errorWire, isLkcError, type TwirpCode } from '../../src/errors.js';

export type { TwirpCode };

/** The HTTP status Twirp pairs with each code. */
export const TWIRP_STATUS: Record<TwirpCode, number> = {
  invalid_argument: 400,
  malformed: 400,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  deadline_exceeded: 408,
};

/** A Twirp error: `{code, msg, meta}` on the wire, with the status of its code. */
export class TwirpError extends Error {
  constructor(
    readonly code: TwirpCode,
    message: string,
    readonly meta: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'TwirpError';
  }

  get status(): number {
    return TWIRP_STATUS[this.code];
  }
}

/** Turns anything thrown by a handler into a Twirp error; unknown failures become `internal` without details. */
export function toTwirpError(err: unknown): TwirpError {
  if (err instanceof TwirpError) return err;
  if (isLkcError(err)) return new TwirpError(errorWire(err.code).twirp, err.message);
  return new TwirpError('internal', 'internal error');
}

/** Writes a Twirp error. Its content type is exactly `application/json`: the LiveKit SDKs compare it verbatim. */
export function sendTwirpError(
  res: ServerResponse,
  error: TwirpError,
  headers: Record<string, string> = {},
): void {
  const body: { code: TwirpCode; msg: string; meta?: Record<string, string> } = {
    code: error.code,
    msg: error.message,
  };
  if (Object.keys(error.meta).length > 0) body.meta = error.meta;
  const text = JSON.stringify(body);
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
