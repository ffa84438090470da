/**
 * Turns any incoming frame into a typed request or the error response to send back: never throws, whatever
 * arrives. Browser-safe.
 */
import { utf8Length } from './close-codes.js';
import { checkObject, isObject } from './fields.js';
import {
  type ErrorResponse,
  isMethod,
  isNotificationMethod,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID_LENGTH,
  type RequestId,
  type ServerMessage,
  type SignalRequest,
} from './protocol.js';
import { DATA_OPTIONAL, REQUEST_SPECS } from './request-specs.js';
import { errorResponse } from './responses.js';

export type ParseResult = { ok: true; request: SignalRequest } | { ok: false; response: ErrorResponse };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Size of a frame in bytes, cheaply: exact only when the string could be near the limit. */
function frameTooLarge(frame: string | Uint8Array): boolean {
  if (typeof frame !== 'string') return frame.byteLength > MAX_FRAME_BYTES;
  if (frame.length > MAX_FRAME_BYTES) return true;
  if (frame.length * 3 <= MAX_FRAME_BYTES) return false;
  return utf8Length(frame) > MAX_FRAME_BYTES;
}

function validId(value: unknown): value is RequestId {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH;
}

/** Parses one client frame (text or UTF-8 bytes) into a validated request, or the error response it deserves. */
export function parseRequest(frame: string | Uint8Array): ParseResult {
  const fail = (
    id: RequestId | null,
    code: Parameters<typeof errorResponse>[1],
    message: string,
  ): ParseResult => ({
    ok: false,
    response: errorResponse(id, code, message),
  });
  if (frameTooLarge(frame))
    return fail(null, 'frame_too_large', `frames are limited to ${MAX_FRAME_BYTES} bytes`);

  let text: string;
  try {
    text = typeof frame === 'string' ? frame : decoder.decode(frame);
  } catch {
    return fail(null, 'bad_json', 'frame is not valid UTF-8');
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (err) {
    return fail(null, 'bad_json', `frame is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(message)) return fail(null, 'bad_request', 'a request must be a JSON object');

  const id = message['id'];
  if (!validId(id)) {
    return fail(
      null,
      'bad_request',
      `id must be a non-negative integer or a string of 1-${MAX_REQUEST_ID_LENGTH} characters`,
    );
  }
  const method = message['method'];
  if (typeof method !== 'string') return fail(id, 'bad_request', 'method must be a string');
  if (!isMethod(method)) return fail(id, 'unknown_method', `unknown method "${method.slice(0, 64)}"`);

  const rawData = message['data'] === undefined && DATA_OPTIONAL.has(method) ? {} : message['data'];
  if (rawData === undefined) return fail(id, 'invalid_data', 'data is required');
  const checked = checkObject(rawData, REQUEST_SPECS[method]);
  if (!checked.ok) return fail(id, 'invalid_data', checked.problem);
  return { ok: true, request: { id, method, data: checked.value } as SignalRequest };
}

/**
 * Parses one message from the room node (a response or a notification), for clients and tests. Returns
 * undefined for anything that is neither.
 */
export function parseServerMessage(frame: string): ServerMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (!isObject(message)) return undefined;
  if (message['notification'] === true) {
    const method = message['method'];
    if (typeof method !== 'string' || !isNotificationMethod(method) || !isObject(message['data']))
      return undefined;
    return message as ServerMessage;
  }
  if (typeof message['ok'] !== 'boolean') return undefined;
  if (message['ok'] && !isObject(message['data'])) return undefined;
  if (!message['ok'] && !isObject(message['error'])) return undefined;
  return message as ServerMessage;
}
