/**
 * WebSocket close codes a client of `/rtc` can see, and why. 1000-1015 are the standard ones; 4000-4999 are ours
 * (the range RFC 6455 leaves to applications). Browser-safe.
 */
export const CloseCode = {
  /** The client left (or the server ended a session normally). */
  NORMAL: 1000,
  /** The node is shutting down at once (not draining); a browser sends it when the page goes away. */
  GOING_AWAY: 1001,
  /** A WebSocket message above MAX_SOCKET_MESSAGE_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Something broke on the server that the client cannot fix. */
  INTERNAL_ERROR: 1011,
  /** The node hosting the room stopped answering (died, or lost the bus); rejoin to get a new room node. */
  ROOM_NODE_GONE: 4001,
  /** The room left this node (drained away, or now mapped elsewhere); rejoin and it is found again. */
  ROOM_MOVED: 4002,
  /** An admin removed the participant. */
  KICKED: 4003,
  /** The room was closed (deleted, or closed by its node). */
  ROOM_CLOSED: 4004,
  /** The bridge between the signal node and the room node lost or reordered a frame. */
  RELAY_BROKEN: 4005,
  /** The same identity joined the room again on another session; this older session ends. */
  DUPLICATE_IDENTITY: 4006,
  /** The signal node could not reach or place the room. */
  UNAVAILABLE: 4503,
  /** The session's token is not (or no longer) good for this room. */
  UNAUTHORIZED: 4401,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

const DESCRIPTIONS: Record<number, string> = {
  1000: 'closed normally',
  1001: 'going away',
  1005: 'closed without a code',
  1006: 'connection lost',
  1009: 'message too big',
  1011: 'internal error',
  4001: 'room node gone',
  4002: 'room moved',
  4003: 'removed from the room',
  4004: 'room closed',
  4005: 'relay broken',
  4006: 'joined again elsewhere',
  4401: 'unauthorized',
  4503: 'room unavailable',
};

/** A short phrase for a close code, for logs and the browser page. */
export function describeCloseCode(code: number): string {
  return DESCRIPTIONS[code] ?? `closed with code ${code}`;
}

/** WebSocket close reasons are limited to 123 UTF-8 bytes; longer ones make `close()` throw. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Cuts a close reason to what a WebSocket close frame can carry, on a character boundary. */
export function closeReason(reason: string): string {
  if (utf8Length(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let out = '';
  let bytes = 0;
  for (const char of reason) {
    const size = utf8Length(char);
    if (bytes + size > MAX_CLOSE_REASON_BYTES - 3) break;
    out += char;
    bytes += size;
  }
  return `${out}...`;
}

/** UTF-8 byte length of a string, without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
