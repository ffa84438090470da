/**
 * What a signal node and a room node say to each other about bridged sessions, over the cluster bus (each
 * node's channel). Every message names its sender (`from`) so that the receiver can answer even a session it
 * does not know. Frames and closes carry per-session, per-direction sequence numbers starting at 1.
 */
import type { TokenClaims } from '../auth/token.js';

/** Tags every relay message on a node's channel, which other features (the room API) share. */
export const RELAY_KIND = 'relay';

/** Signal node -> room node: a client wants a session in `room`; its token was verified on the signal node. */
export interface OpenMessage {
  kind: typeof RELAY_KIND;
  type: 'open';
  session: string;
  from: string;
  room: string;
  identity: string;
  claims: TokenClaims;
}

/** One client frame (signal -> room) or one server frame (room -> signal), verbatim. */
export interface FrameMessage {
  kind: typeof RELAY_KIND;
  type: 'frame';
  session: string;
  from: string;
  seq: number;
  payload: string;
}

/** Either side ends the session; `seq` is the last frame seq the sender sent before it. */
export interface CloseMessage {
  kind: typeof RELAY_KIND;
  type: 'close';
  session: string;
  from: string;
  seq: number;
  code: number;
  reason: string;
}

/** Liveness: sent to every peer node we share sessions with, listing those sessions. */
export interface BeatMessage {
  kind: typeof RELAY_KIND;
  type: 'beat';
  from: string;
  sessions: string[];
}

export type RelayMessage = OpenMessage | FrameMessage | CloseMessage | BeatMessage;

/** Serialises a relay message for the bus; `kind` comes first so that receivers can skip others cheaply. */
export function encodeRelayMessage(message: RelayMessage): string {
  return JSON.stringify(message);
}

const PREFIX = `{"kind":"${RELAY_KIND}"`;

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses a bus message into a relay message; undefined for anything else (another feature's, or malformed). */
export function decodeRelayMessage(raw: string): RelayMessage | undefined {
  if (!raw.startsWith(PREFIX)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (!isString(m.from)) return undefined;
  switch (m.type) {
    case 'open':
      return isString(m.session) &&
        isString(m.room) &&
        typeof m.identity === 'string' &&
        typeof m.claims === 'object' &&
        m.claims !== null
        ? (m as unknown as OpenMessage)
        : undefined;
    case 'frame':
      return isString(m.session) && isSeq(m.seq) && typeof m.payload === 'string'
        ? (m as unknown as FrameMessage)
        : undefined;
    case 'close':
      return isString(m.session) && isSeq(m.seq) && typeof m.code === 'number' && typeof m.reason === 'string'
        ? (m as unknown as CloseMessage)
        : undefined;
    case 'beat':
      return Array.isArray(m.sessions) && m.sessions.every(isString)
        ? (m as unknown as BeatMessage)
        : undefined;
    default:
      return undefined;
  }
}
