import type { types } from 'mediasoup';
import { randomId } from '../../src/ids.js';

/** What a participant may do, from its token's grant (LiveKit's ParticipantPermission, minus what we lack). */
export interface ParticipantPermission {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  canUpdateMetadata: boolean;
  hidden: boolean;
}

export const FULL_PERMISSION: ParticipantPermission = {
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  canUpdateMetadata: false,
  hidden: false,
};

/** Where the Room API sends a participant that it moves to another room. */
export interface RoomMove {
  /** The destination room, as the cluster knows it (its record), or only its name when it is not open yet. */
  room: { name: string; sid?: string; metadata?: string; empty_timeout?: number; max_participants?: number };
  /** An access token for the destination room, with the participant's identity and permissions. */
  token: string;
}

/**
 * What the Room API asks of a participant's own session, beyond what the room does to its media: the session
 * registers it when it joins (LiveKit's sessions do; ours have none). The room never knows which protocol it is.
 */
export interface ParticipantControl {
  /** The Room API muted or unmuted one of its tracks (the producer is paused or resumed already). */
  trackMuted(trackSid: string, muted: boolean): void;
  /** The room unpublished its track (its permission to publish was revoked). */
  trackUnpublished(trackSid: string): void;
  /** Subscribe to, or unsubscribe from, these tracks of others. */
  updateSubscriptions(trackSids: string[], subscribe: boolean): Promise<void>;
  /** Leave this room for another: the client is told to join `move.room` with `move.token`. */
  moveTo(move: RoomMove): void;
}

/** Which signalling protocol the participant's session speaks (both kinds share a room). */
export type SignalProtocol = 'lkc' | 'livekit';

/** Where a participant of a spanning room is connected, when that is another node (a leg or the home). */
export interface RemoteOrigin {
  node: string;
  region: string;
}

/** What a participant is beyond its identity: who it says it is, what it may do, and where it is connected. */
export interface ParticipantInit {
  name?: string;
  metadata?: string;
  permission?: ParticipantPermission;
  protocol?: SignalProtocol;
  /** A participant connected to another node of a spanning room keeps the sid and join time it has there. */
  sid?: string;
  joinedAt?: number;
  origin?: RemoteOrigin;
  forwarded?: ForwardedFrom;
}

/** Where a forwarded participant (the Room API's ForwardParticipant) is from: its room and the node it is on. */
export interface ForwardedFrom {
  room: string;
  node: string;
}

/**
 * One participant of a room and the media objects it owns. Each object leaves its map when mediasoup closes
 * it, for whatever reason (its transport closed, the producer it consumed closed, the worker died). A participant
 * connected to another node of a spanning room (`origin`) has no transports here: its producers are the ends of
 * pipes from that node.
 */
export class Participant {
  readonly sid: string;
  readonly joinedAt: number;
  readonly origin?: RemoteOrigin;
  /** Set when this is a copy of a participant of another room, forwarded here; its producers are pipe ends. */
  readonly forwarded?: ForwardedFrom;
  name: string;
  metadata: string;
  permission: ParticipantPermission;
  readonly protocol: SignalProtocol;
  readonly transports = new Map<string, types.WebRtcTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  attributes: Record<string, string> = {};
  /** Its session's handle for the Room API, when its protocol has one. */
  control?: ParticipantControl;
  /**
   * Rises with every change the others are told of: LiveKit's clients drop a participant update whose version is
   * not above the last one they saw.
   */
  version = 1;
  closed = false;

  constructor(
    readonly identity: string,
    init: ParticipantInit = {},
  ) {
    this.sid = init.sid ?? randomId('PA_');
    this.joinedAt = init.joinedAt ?? Date.now();
    this.origin = init.origin;
    this.forwarded = init.forwarded;
    this.name = init.name ?? '';
    this.metadata = init.metadata ?? '';
    this.permission = init.permission ?? { ...FULL_PERMISSION };
    this.protocol = init.protocol ?? 'lkc';
  }

  /** True when it is connected to this node (not a participant of another node of a spanning room). */
  get local(): boolean {
    return this.origin === undefined;
  }

  addTransport(transport: types.WebRtcTransport): void {
    this.transports.set(transport.id, transport);
    transport.observer.once('close', () => this.transports.delete(transport.id));
  }

  addProducer(producer: types.Producer): void {
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
  }

  addConsumer(consumer: types.Consumer): void {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
  }

  /** True when the participant publishes at least one track. */
  get isPublisher(): boolean {
    return this.producers.size > 0;
  }

  /** Closes every transport, which closes its producers and consumers with it (a remote one's pipe ends too). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const transport of [...this.transports.values()]) transport.close();
    for (const producer of [...this.producers.values()]) producer.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }
}
