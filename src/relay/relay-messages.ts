/**
 * What a signal node and a room node say to each other about bridged sessions, over the cluster bus (each
 * node's channel, shared with other features: the node's bus dispatches on `type`). Every message names its
 * sender (`from`) so that the receiver can answer even a session it does not know. Frames and closes carry
 * per-session, per-direction sequence numbers starting at 1.
 */
import type { TokenClaims } from '../auth/token.js';

/** The bus message types of the relay, one handler each on the node's bus. */
export const RELAY_MESSAGE_TYPES = [
  'relay.open',
  'relay.frame',
  'relay.close',
  'relay.beat',
  'relay.batch',
] as const;

/** Signal node -> room node: a client wants a session in `room`; its token was verified on the signal node. */
export interface OpenMessage {
  type: 'relay.open';
  session: string;
  from: string;
  room: string;
  identity: string;
  claims: TokenClaims;
  /**
   * The node the signal node's placement mapped the room to just now (the receiver), so that it opens the room
   * without claiming it again. Absent when the room was already mapped there (it may have closed since: claim).
   */
  claimed_for?: string;
  /**
   * Set when the receiver is to serve the session on a leg of a spanning room whose home is this node id (the
   * signal node claimed the leg); absent: the receiver is the room's home.
   */
  leg_of?: string;
  /** Set when the client is one of LiveKit's SDKs: its connection options; absent for our own protocol. */
  livekit?: {
    autoSubscribe: boolean;
    adaptiveStream: boolean;
    sdk: string;
    reconnect: boolean;
  };
  /** The sender reads `relay.batch` (absent from nodes older than batches: they are sent one message at a time). */
  batches?: true;
}

/** One client frame (signal -> room) or one server frame (room -> signal), verbatim. */
export interface FrameMessage {
  type: 'relay.frame';
  session: string;
  from: string;
  seq: number;
  /** The frame's text, or with `binary` its bytes in base64 (LiveKit's protobuf frames). */
  payload: string;
  binary?: true;
}

/** Either side ends the session; `seq` is the last frame seq the sender sent before it. */
export interface CloseMessage {
  type: 'relay.close';
  session: string;
  from: string;
  seq: number;
  code: number;
  reason: string;
}

/** Liveness: sent to every peer node we share sessions with, listing those sessions. */
export interface BeatMessage {
  type: 'relay.beat';
  from: string;
  sessions: string[];
  /** As in `relay.open`: the sender reads `relay.batch`. */
  batches?: true;
}

/**
 * Several messages for one peer in one bus message, in the order they were sent (see PeerBatcher). Only sent to a
 * peer that said it reads them (`batches` on its open or beat).
 */
export interface BatchMessage {
  type: 'relay.batch';
  from: string;
  messages: SingleRelayMessage[];
}

export type SingleRelayMessage = OpenMessage | FrameMessage | CloseMessage | BeatMessage;
export type RelayMessage = SingleRelayMessage | BatchMessage;

/** Serialises a relay message for the bus. */
export function encodeRelayMessage(message: RelayMessage): string {
  return JSON.stringify(message);
}

/** A batch from messages already encoded, without parsing them again. */
export function encodeRelayBatch(from: string, encoded: readonly string[]): string {
  return `{"type":"relay.batch","from":${JSON.stringify(from)},"messages":[${encoded.join(',')}]}`;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks a bus message (raw text, or already parsed by the node's bus) and returns it as a relay message;
 * undefined for anything else (another feature's message, or a malformed one).
 */
export function decodeRelayMessage(raw: unknown): RelayMessage | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const m = value as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null || m.type !== 'relay.batch') return decodeSingle(value);
  if (!isString(m.from) || !Array.isArray(m.messages)) return undefined;
  // A malformed message inside is dropped alone, as it would be on its own; the session's sequence numbers then
  // close the session it belonged to, and the rest of the batch is delivered.
  const messages: SingleRelayMessage[] = [];
  for (const inner of m.messages) {
    const decoded = decodeSingle(inner);
    if (decoded) messages.push(decoded);
  }
  return { type: 'relay.batch', from: m.from, messages };
}

function decodeSingle(value: unknown): SingleRelayMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (!isString(m.from)) return undefined;
  switch (m.type) {
    case 'relay.open':
      return isString(m.session) &&
        isString(m.room) &&
        typeof m.identity === 'string' &&
        typeof m.claims === 'object' &&
        m.claims !== null &&
        (m.claimed_for === undefined || isString(m.claimed_for)) &&
        (m.leg_of === undefined || isString(m.leg_of)) &&
        (m.livekit === undefined || (typeof m.livekit === 'object' && m.livekit !== null))
        ? (m as unknown as OpenMessage)
        : undefined;
    case 'relay.frame':
      return isString(m.session) &&
        isSeq(m.seq) &&
        typeof m.payload === 'string' &&
        (m.binary === undefined || m.binary === true)
        ? (m as unknown as FrameMessage)
        : undefined;
    case 'relay.close':
      return isString(m.session) && isSeq(m.seq) && typeof m.code === 'number' && typeof m.reason === 'string'
        ? (m as unknown as CloseMessage)
        : undefined;
    case 'relay.beat':
      return Array.isArray(m.sessions) && m.sessions.every(isString)
        ? (m as unknown as BeatMessage)
        : undefined;
    default:
      return undefined;
  }
}
