import type { TokenClaims } from '../../src/auth/token.js';
import type { SignalNotification } from '../../src/signal/protocol.js';
import type { SignalTransport } from '../../src/signal/transport.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';

/** What one signalling session runs in: the node, the room, and who the verified token says the client is. */
export interface SessionContext {
  host: RoomHost;
  room: Room;
  /** From the verified token (`sub`). */
  identity: string;
  claims: TokenClaims;
  logger: Logger;
}

/** A session as its room's hub sees it: whom it carries, and where its frames go. */
export interface HubSession {
  readonly identity: string;
  readonly participant?: Participant;
  readonly transport: SignalTransport;
  /** Sends one already serialised frame. */
  sendFrame(frame: string): void;
}

/** The joined sessions of one room, by identity, and the notifications sent to them. */
export interface SessionHub {
  readonly sessions: ReadonlyMap<string, HubSession>;
  /** A session joined: it now gets notifications. */
  add(session: HubSession): void;
  /** Sends a notification to every joined session but `except`'s. */
  broadcast(message: SignalNotification, except?: string): void;
}

/** A session as the method handlers see it: its context, its participant once joined, its room's hub. */
export interface HandlerSession extends HubSession {
  participant?: Participant;
  readonly ctx: SessionContext;
  readonly room: Room;
  readonly hub: SessionHub;
  send(message: unknown): void;
}
