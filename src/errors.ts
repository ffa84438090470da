import type { SignalErrorCode } from './signal/protocol.js';

/** Machine-readable codes for the errors an operator can meet. */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_EXISTS'
  | 'BAD_INPUT'
  | 'NO_REDIS'
  | 'REDIS_UNAVAILABLE'
  | 'NO_AVAILABLE_NODES'
  | 'NODE_NOT_FOUND'
  | 'ROOM_NOT_FOUND'
  | 'PARTICIPANT_NOT_FOUND'
  | 'TRACK_NOT_FOUND'
  | 'REGION_NOT_FOUND'
  | 'REGION_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'MISSING_SYSTEM_PACKAGE'
  | 'INTERNAL';

/** The error codes of the Twirp wire protocol (v7) that this server answers with. */
export type TwirpCode =
  | 'invalid_argument'
  | 'malformed'
  | 'not_found'
  | 'bad_route'
  | 'already_exists'
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'deadline_exceeded';

/** How one ErrorCode reads on each wire the node answers on. */
export interface ErrorWire {
  /** The Twirp code a LiveKit client expects for the same failure (RoomService, server/twirp). */
  twirp: TwirpCode;
  /** The HTTP status and code `/rtc` refuses the WebSocket upgrade with (server/signal/admission.ts). */
  rtc: readonly [status: number, code: string];
  /** The code of a failed signalling request (server/signal/signal-session.ts). */
  signal: SignalErrorCode;
  /** The HTTP status of the node's JSON API (server/http/http-surface.ts); 500 and up are logged. */
  http: number;
}

/**
 * Every ErrorCode on every wire. Typed by ErrorCode, so a new code does not compile until it has a row; a code
 * that has no better answer reads as INTERNAL does.
 */
export const ERROR_WIRE: Record<ErrorCode, ErrorWire> = {
  CONFIG_NOT_FOUND: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  CONFIG_INVALID: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  CONFIG_EXISTS: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  BAD_INPUT: { twirp: 'invalid_argument', rtc: [400, 'bad_request'], signal: 'invalid_data', http: 400 },
  NO_REDIS: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  REDIS_UNAVAILABLE: { twirp: 'unavailable', rtc: [503, 'unavailable'], signal: 'internal', http: 503 },
  NO_AVAILABLE_NODES: { twirp: 'unavailable', rtc: [503, 'unavailable'], signal: 'internal', http: 503 },
  NODE_NOT_FOUND: { twirp: 'not_found', rtc: [500, 'internal'], signal: 'internal', http: 404 },
  ROOM_NOT_FOUND: { twirp: 'not_found', rtc: [404, 'not_found'], signal: 'unavailable', http: 404 },
  PARTICIPANT_NOT_FOUND: { twirp: 'not_found', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  TRACK_NOT_FOUND: { twirp: 'not_found', rtc: [500, 'internal'], signal: 'internal', http: 404 },
  REGION_NOT_FOUND: { twirp: 'invalid_argument', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  REGION_EXISTS: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  UNAUTHENTICATED: { twirp: 'unauthenticated', rtc: [401, 'unauthenticated'], signal: 'internal', http: 401 },
  PERMISSION_DENIED: {
    twirp: 'permission_denied',
    rtc: [401, 'unauthenticated'],
    signal: 'forbidden',
    http: 403,
  },
  ALREADY_EXISTS: { twirp: 'already_exists', rtc: [500, 'internal'], signal: 'internal', http: 409 },
  RESOURCE_EXHAUSTED: {
    twirp: 'resource_exhausted',
    rtc: [500, 'internal'],
    signal: 'room_full',
    http: 429,
  },
  FAILED_PRECONDITION: {
    twirp: 'failed_precondition',
    rtc: [500, 'internal'],
    signal: 'internal',
    http: 412,
  },
  UNIMPLEMENTED: { twirp: 'unimplemented', rtc: [500, 'internal'], signal: 'internal', http: 501 },
  UNAVAILABLE: { twirp: 'unavailable', rtc: [503, 'unavailable'], signal: 'unavailable', http: 503 },
  MISSING_SYSTEM_PACKAGE: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
  INTERNAL: { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 },
};

/**
 * The row of `code`. isLkcError() accepts an error by its shape, so its code may be one this copy of the module
 * does not know: such a code reads as INTERNAL.
 */
export function errorWire(code: string): ErrorWire {
  return Object.hasOwn(ERROR_WIRE, code) ? ERROR_WIRE[code as ErrorCode] : ERROR_WIRE.INTERNAL;
}

/**
 * An error a user can meet: it carries a code and reads as advice. The CLI prints its message as one line
 * (no stack) and exits with `exitCode`.
 */
export class LkcError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'LkcError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** True when `err` is an LkcError (also across module copies, by shape). */
export function isLkcError(err: unknown): err is LkcError {
  return err instanceof LkcError || (err instanceof Error && err.name === 'LkcError' && 'code' in err);
}
