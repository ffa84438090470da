import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { RoomRecord } from '../../src/records.js';
import type { Logger } from '../logger.js';
import { MEDIA_CODECS } from './media-codecs.js';
import { Participant } from './participant.js';
import type { WorkerSlot } from './worker-pool.js';

export interface RoomOptions {
  name: string;
  /** Seconds the room lives with no participant. */
  emptyTimeout: number;
  /** 0 = no limit. */
  maxParticipants: number;
  metadata?: string;
  /** Keep the sid of an existing record (a room re-created on the same node). */
  sid?: string;
}

/** Where transports listen and what address they announce in ICE candidates. */
export interface RtcListen {
  /** Local address to bind, e.g. 0.0.0.0. */
  ip: string;
  /** Address put in ICE candidates (rtc.node_ip). */
  announcedAddress: string;
}

interface RoomEvents {
  /** The room closed; it is already out of every map. */
  closed: [reason: string];
  /** A participant joined or left, or published its first / unpublished its last track. */
  changed: [];
  /** A participant was removed (it left, or the room API removed it); its media is already closed. */
  participantLeft: [participant: Participant, reason: string];
}

/**
 * A room on this node: one mediasoup Router on one worker, and every participant with its transports, producers
 * and consumers. Closing the room closes all of them together; so does the death of its worker.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly name: string;
  readonly sid: string;
  /** Epoch seconds. */
  readonly creationTime = Math.floor(Date.now() / 1000);
  readonly emptyTimeout: number;
  readonly maxParticipants: number;
  metadata: string;
  readonly participants = new Map<string, Participant>();
  closed = false;
  /** Closed here because the room lives on another node now: its sessions are told to rejoin, not that it ended. */
  moved = false;
  private emptyTimer?: NodeJS.Timeout;

  private constructor(
    readonly router: types.Router,
    readonly slot: WorkerSlot,
    private readonly listen: RtcListen,
    options: RoomOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.name = options.name;
    this.sid = options.sid ?? randomId('RM_');
    this.emptyTimeout = options.emptyTimeout;
    this.maxParticipants = options.maxParticipants;
    this.metadata = options.metadata ?? '';
    router.once('workerclose', () => this.close('its mediasoup worker died'));
    this.armEmptyTimer();
  }

  /** Creates the room's router on `slot`'s worker. */
  static async create(
    slot: WorkerSlot,
    listen: RtcListen,
    options: RoomOptions,
    logger: Logger,
  ): Promise<Room> {
    if (!slot.worker) throw new LkcError('UNAVAILABLE', 'no mediasoup worker is running on this node');
    const router = await slot.worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { room: options.name },
    });
    return new Room(router, slot, listen, options, logger.child({ room: options.name }));
  }

  /** Adds a participant; refuses one over `max_participants` and a second session of the same identity. */
  addParticipant(identity: string, info: { name?: string; metadata?: string } = {}): Participant {
    if (this.closed) throw new LkcError('ROOM_NOT_FOUND', `room ${this.name} is closed`);
    if (this.participants.has(identity)) {
      throw new LkcError('ALREADY_EXISTS', `participant ${identity} is already in room ${this.name}`);
    }
    if (this.maxParticipants > 0 && this.participants.size >= this.maxParticipants) {
      throw new LkcError(
        'RESOURCE_EXHAUSTED',
        `room ${this.name} is full (max_participants ${this.maxParticipants})`,
      );
    }
    const participant = new Participant(identity, info.name, info.metadata);
    this.participants.set(identity, participant);
    this.disarmEmptyTimer();
    this.logger.info({ identity, participants: this.participants.size }, 'participant joined');
    this.emit('changed');
    return participant;
  }

  /** Removes a participant and closes its media; the empty timer starts when the last one leaves. */
  removeParticipant(identity: string, reason = 'left'): boolean {
    const participant = this.participants.get(identity);
    if (!participant) return false;
    this.participants.delete(identity);
    participant.close();
    this.logger.info({ identity, reason, participants: this.participants.size }, 'participant left');
    if (this.participants.size === 0) this.armEmptyTimer();
    this.emit('participantLeft', participant, reason);
    this.emit('changed');
    return true;
  }

  /** Replaces the room's metadata (the Room API's UpdateRoomMetadata); its record follows. */
  setMetadata(metadata: string): void {
    if (this.metadata === metadata) return;
    this.metadata = metadata;
    this.emit('changed');
  }

  /** A WebRTC transport for `participant` on this room's worker, within the worker's UDP port slice. */
  async createWebRtcTransport(
    participant: Participant,
    options: Partial<types.WebRtcTransportOptions> = {},
  ): Promise<types.WebRtcTransport> {
    const portRange = { min: this.slot.ports.start, max: this.slot.ports.end };
    const transport = await this.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: this.listen.ip, announcedAddress: this.listen.announcedAddress, portRange },
        { protocol: 'tcp', ip: this.listen.ip, announcedAddress: this.listen.announcedAddress, portRange },
      ],
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      ...options,
      appData: { participant: participant.identity, ...(options.appData ?? {}) },
    } as types.WebRtcTransportOptions);
    if (participant.closed) {
      transport.close();
      throw new LkcError('ROOM_NOT_FOUND', `participant ${participant.identity} has left room ${this.name}`);
    }
    participant.addTransport(transport);
    return transport;
  }

  get numPublishers(): number {
    let count = 0;
    for (const participant of this.participants.values()) if (participant.isPublisher) count++;
    return count;
  }

  get tracksIn(): number {
    let count = 0;
    for (const participant of this.participants.values()) count += participant.producers.size;
    return count;
  }

  get tracksOut(): number {
    let count = 0;
    for (const participant of this.participants.values()) count += participant.consumers.size;
    return count;
  }

  /** Every transport of every participant (for byte counters). */
  *transports(): Iterable<types.WebRtcTransport> {
    for (const participant of this.participants.values()) yield* participant.transports.values();
  }

  /** The room's record as the cluster stores it. */
  record(nodeId: string): RoomRecord {
    return {
      sid: this.sid,
      name: this.name,
      node_id: nodeId,
      empty_timeout: this.emptyTimeout,
      max_participants: this.maxParticipants,
      creation_time: this.creationTime,
      metadata: this.metadata,
      num_participants: this.participants.size,
      num_publishers: this.numPublishers,
    };
  }

  /** Closes every participant and the router; emits `closed` once. `moved`: the room lives on elsewhere. */
  close(reason: string, options: { moved?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.moved = options.moved ?? false;
    this.disarmEmptyTimer();
    for (const participant of this.participants.values()) participant.close();
    this.participants.clear();
    if (!this.router.closed) this.router.close();
    this.logger.info({ reason }, 'room closed');
    this.emit('closed', reason);
  }

  private armEmptyTimer(): void {
    this.disarmEmptyTimer();
    this.emptyTimer = setTimeout(
      () => this.close(`empty for ${this.emptyTimeout} s`),
      this.emptyTimeout * 1000,
    );
  }

  private disarmEmptyTimer(): void {
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.emptyTimer = undefined;
  }
}
