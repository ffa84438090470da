import type { types } from 'mediasoup';
import { CloseCode } from '../../src/signal/close-codes.js';
import type { ParticipantInfo, ProducerInfo, SignalNotification } from '../../src/signal/protocol.js';
import { notification } from '../../src/signal/responses.js';
import type { Participant } from '../media/participant.js';
import type { LeaveCause, Room } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';
import { trackOf } from '../media/track.js';
import type { HubSession, SessionHub } from './session-context.js';

/** A participant as the protocol shows it. */
export function participantInfo(participant: Participant): ParticipantInfo {
  return {
    identity: participant.identity,
    sid: participant.sid,
    name: participant.name,
    metadata: participant.metadata,
    joinedAt: participant.joinedAt,
  };
}

/** A producer as the protocol shows it. */
export function producerInfo(producer: types.Producer, participant: string): ProducerInfo {
  return {
    id: producer.id,
    participant,
    kind: producer.kind,
    source: trackOf(producer).source,
    paused: producer.paused,
  };
}

const hubs = new WeakMap<Room, RoomSignals>();

/**
 * The signalling sessions of one room, by identity: it tells everyone else when someone joins, publishes or
 * leaves, ends the session of a participant the room API removed, and ends every session when the room closes.
 */
export class RoomSignals implements SessionHub {
  /** Joined sessions, by identity. */
  readonly sessions = new Map<string, HubSession>();
  /** Every session on the room, joined or not yet. */
  private readonly attached = new Set<HubSession>();

  /** The hub of `room`, created on first use. */
  static of(room: Room, node: Pick<RoomHost, 'id' | 'state'>): RoomSignals {
    let hub = hubs.get(room);
    if (!hub) {
      hub = new RoomSignals(room, node);
      hubs.set(room, hub);
    }
    return hub;
  }

  private constructor(
    readonly room: Room,
    private readonly node: Pick<RoomHost, 'id' | 'state'>,
  ) {
    room.on('participantLeft', (participant, reason, cause) => this.left(participant, reason, cause));
    room.on('participantJoined', (participant) =>
      this.broadcast(
        notification('participantJoined', { participant: participantInfo(participant) }),
        participant.identity,
      ),
    );
    room.on('trackPublished', (participant, producer) =>
      this.broadcast(
        notification('newProducer', { producer: producerInfo(producer, participant.identity) }),
        participant.identity,
      ),
    );
    room.on('trackUnpublished', (participant, producer) =>
      this.broadcast(
        notification('producerClosed', { producerId: producer.id, participant: participant.identity }),
        participant.identity,
      ),
    );
    room.once('closed', (reason) => this.roomClosed(reason));
  }

  /** A session opened on the room (not joined yet). */
  attach(session: HubSession): void {
    this.attached.add(session);
  }

  /** A session joined: it now gets notifications. */
  add(session: HubSession): void {
    this.sessions.set(session.identity, session);
  }

  /** A session ended. */
  remove(session: HubSession): void {
    this.attached.delete(session);
    if (this.sessions.get(session.identity) === session) this.sessions.delete(session.identity);
  }

  /** Sends a notification to every joined session but `except`'s. */
  broadcast(message: SignalNotification, except?: string): void {
    const frame = JSON.stringify(message);
    for (const [identity, session] of this.sessions) if (identity !== except) session.sendFrame(frame);
  }

  private left(participant: Participant, reason: string, cause: LeaveCause): void {
    const session = this.sessions.get(participant.identity);
    // Still open: the participant did not leave by itself, the room API or a newer session removed it.
    if (session && session.participant === participant && !session.transport.closed) {
      this.remove(session);
      session.transport.close(cause === 'replaced' ? CloseCode.DUPLICATE_IDENTITY : CloseCode.KICKED, reason);
    }
    this.broadcast(
      notification('participantLeft', { identity: participant.identity, sid: participant.sid, reason }),
      participant.identity,
    );
  }

  private roomClosed(reason: string): void {
    // A room that closes because its node drains or stops lives on elsewhere after a rejoin.
    const moving = this.node.state !== 'serving' || this.room.moved;
    const code = moving ? CloseCode.ROOM_MOVED : CloseCode.ROOM_CLOSED;
    const text = this.room.moved
      ? `room moved: ${reason}`
      : moving
        ? `room moved: node ${this.node.id} is ${this.node.state} (${reason})`
        : `room closed: ${reason}`;
    this.broadcast(notification('roomClosing', { code, reason: text }));
    for (const session of [...this.attached]) session.transport.close(code, text);
    this.sessions.clear();
    this.attached.clear();
  }
}
