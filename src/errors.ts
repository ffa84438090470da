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
  | 'REGION_NOT_FOUND'
  | 'REGION_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'MISSING_SYSTEM_PACKAGE'
  | 'INTERNAL';

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
