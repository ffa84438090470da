import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { RoomRecord } from '../../src/records.js';
import type { Logger } from '../logger.js';
import { MEDIA_CODECS } from './media-codecs.js';
import { Participant, type ParticipantInit, type ParticipantPermission } from './participant.js';
import { RoomRouters, type RouterGrowth } from './room-routers.js';
import { producerOfTrack, trackOf } from './track.js';
import { VideoDemand } from './video-demand.js';
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
  /** A leg of a spanning room whose home is this node id; absent: the room's home. */
  legOf?: string;
  /** Participants one router takes before the room grows one on another worker; 0 = one router. */
  participantsPerRouter?: number;
  /** Which worker a room grows its next router on (the registry's least loaded other one). */
  grow?: RouterGrowth;
}

/** Where transports listen and what address they announce in ICE candidates. */
export interface RtcListen {
  /** Local address to bind, e.g. 0.0.0.0. */
  ip: string;
  /** Address put in ICE candidates (rtc.node_ip). */
  announcedAddress: string;
}

/** A data message one participant sent to the room (LiveKit's DataPacket, the sender already stamped in). */
export interface RoomData {
  /** Undefined when the Room API sent it (LiveKit stamps no sender then). */
  from?: Participant;
  /** Identities it is for; empty: everyone but the sender. */
  destinations: string[];
  reliable: boolean;
  /** LiveKit's encoded DataPacket. */
  packet: Uint8Array;
  /** It came from another node of a spanning room, which has sent it to the room's other nodes already. */
  remote?: boolean;
}

/** True when a room's data message is for `participant`: not its own, and sent to everyone or to it by name. */
export function isFor(message: RoomData, participant: Participant): boolean {
  if (message.from === participant) return false;
  return message.destinations.length === 0 || message.destinations.includes(participant.identity);
}

/** Why a participant left: by itself, removed through the room API, or replaced by a newer session of its identity. */
export type LeaveCause = 'left' | 'removed' | 'replaced';

/**
 * A room's part on this node: its `home` (the node the cluster maps the room to), or a `leg` of a room that spans
 * nodes, which carries the participants that joined through its region and receives the others' tracks by pipe.
 */
export type RoomRole = 'home' | 'leg';

/** This node's part of a spanning room, as GET /admin/node shows it: home or leg, and its pipes to the others. */
export interface RoomPartInfo {
  role: RoomRole;
  home: string | null;
  pipes: Array<{
    node: string;
    region: string;
    tracks_out: number;
    video_flowing: number;
    tracks_in: number;
    /** The pipe is SRTP-encrypted: the two nodes are on different hosts. */
    srtp: boolean;
  }>;
}

/** Seconds a leg lives once its last participant of its own left (the home keeps the room's empty_timeout). */
export const LEG_IDLE_SECONDS = 10;

/** A participant speaking, loudest first; level in [0, 1]. */
export interface Speaker {
  participant: Participant;
  level: number;
}

export interface RoomEvents {
  /** The room closed; it is already out of every map. */
  closed: [reason: string];
  /** A participant joined or left, or published its first / unpublished its last track. */
  changed: [];
  participantJoined: [participant: Participant];
  /** Name, metadata, attributes, permission, or a track's mute state changed; its version rose. */
  participantChanged: [participant: Participant];
  /** A participant was removed (it left, or the room API removed it); its media is already closed. */
  participantLeft: [participant: Participant, reason: string, cause: LeaveCause];
  trackPublished: [participant: Participant, producer: types.Producer];
  /** The producer closed (unpublished, its transport or participant closed). */
  trackUnpublished: [participant: Participant, producer: types.Producer];
  /** The room's metadata changed. */
  roomUpdated: [];
  data: [message: RoomData];
  /** Who is speaking now; empty when everyone went quiet. */
  speakers: [speakers: Speaker[]];
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
  /** Closed because the room ended (deleted, or empty for its empty_timeout), not because this node left it. */
  ended = false;
  role: RoomRole = 'home';
  /** The home node, while this is a leg of a spanning room. */
  home?: string;
  /**
   * Checks a new participant against the whole room before it joins (a spanning room counts its participants on
   * every node); it throws to refuse. Without one, the room counts its own participants.
   */
  gate?: (identity: string) => Promise<void>;
  /**
   * Asked as the room closes here without ending (its node leaves, its worker died): true when another node
   * takes the room over (a leg of a spanning room becomes its home), so that it closes as moved.
   */
  handOff?: () => boolean;
  private emptyTimer?: NodeJS.Timeout;
  private levels?: types.AudioLevelObserver;
  /** The room's routers: `router` on `slot` first, more on other workers once it fills one. */
  readonly routers: RoomRouters;
  /** Which piped-in video tracks the consumers here want (see VideoDemand). */
  readonly videoDemand = new VideoDemand();

  private constructor(
    readonly router: types.Router,
    readonly slot: WorkerSlot,
    readonly listen: RtcListen,
    options: RoomOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.name = options.name;
    this.sid = options.sid ?? randomId('RM_');
    this.emptyTimeout = options.emptyTimeout;
    this.maxParticipants = options.maxParticipants;
    this.metadata = options.metadata ?? '';
    this.videoDemand.watch(router);
    this.routers = new RoomRouters(
      router,
      slot,
      options.name,
      options.participantsPerRouter ?? 0,
      (inUse) => options.grow?.(inUse),
      (made) => this.videoDemand.watch(made),
      (lost, reason) => {
        for (const participant of [...this.participants.values()])
          if (participant.local && this.routers.of(participant).router === lost)
            this.removeParticipant(participant.identity, reason);
      },
    );
    if (options.legOf) {
      this.role = 'leg';
      this.home = options.legOf;
    }
    router.once('workerclose', () => this.close('its mediasoup worker died'));
    // Every session of the room listens; a busy room has more than EventEmitter's default of ten.
    this.setMaxListeners(0);
    this.checkEmpty();
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
    const room = new Room(router, slot, listen, options, logger.child({ room: options.name }));
    await room.observeSpeakers();
    return room;
  }

  // mediasoup's audio levels are dBov in [-127, 0]; -70 and below is silence, as LiveKit's default threshold.
  private async observeSpeakers(): Promise<void> {
    const levels = await this.router.createAudioLevelObserver({
      maxEntries: 8,
      threshold: -70,
      interval: 500,
    });
    levels.on('volumes', (volumes) => {
      const speakers: Speaker[] = [];
      for (const { producer, volume } of volumes) {
        const participant = this.participants.get(trackOf(producer).participant);
        if (participant) speakers.push({ participant, level: Math.min(1, Math.max(0, (volume + 70) / 70)) });
      }
      this.emit('speakers', speakers);
    });
    levels.on('silence', () => this.emit('speakers', []));
    this.levels = levels;
  }

  /** Asks the room's gate whether `identity` may join (see `gate`); a session calls it before addParticipant. */
  async admit(identity: string): Promise<void> {
    if (this.closed) throw new LkcError('ROOM_NOT_FOUND', `room ${this.name} is closed`);
    await this.gate?.(identity);
  }

  /**
   * Adds a participant; refuses a second session of the same identity, and one over `max_participants` unless the
   * gate counted it (or it is connected to another node of a spanning room, which counted it there).
   */
  addParticipant(identity: string, info: ParticipantInit = {}): Participant {
    if (this.closed) throw new LkcError('ROOM_NOT_FOUND', `room ${this.name} is closed`);
    if (this.participants.has(identity)) {
      throw new LkcError('ALREADY_EXISTS', `participant ${identity} is already in room ${this.name}`);
    }
    if (
      !this.gate &&
      !info.origin &&
      this.maxParticipants > 0 &&
      this.participants.size >= this.maxParticipants
    ) {
      throw new LkcError(
        'RESOURCE_EXHAUSTED',
        `room ${this.name} is full (max_participants ${this.maxParticipants})`,
      );
    }
    const participant = new Participant(identity, info);
    this.participants.set(identity, participant);
    this.checkEmpty();
    this.logger.info({ identity, participants: this.participants.size }, 'participant joined');
    this.emit('participantJoined', participant);
    this.emit('changed');
    return participant;
  }

  /**
   * Adds a participant's new producer: the room tells everyone, follows its pause and resume (a mute), and tells
   * everyone again when it closes.
   */
  addProducer(participant: Participant, producer: types.Producer): void {
    participant.addProducer(producer);
    participant.version++;
    // Another node's track arrives by pipe on the primary router; a participant's own is on its router.
    this.routers.located(producer, participant.local ? this.routerOf(participant) : this.router);
    if (producer.kind === 'audio') {
      // The room's speakers are heard on the primary router: audio from another router is piped there.
      void this.bringTo(producer.id, this.router)
        .then(() => this.levels?.addProducer({ producerId: producer.id }))
        .catch(() => undefined);
    }
    const muted = () => {
      if (this.closed || participant.closed) return;
      participant.version++;
      this.emit('participantChanged', participant);
    };
    producer.observer.on('pause', muted);
    producer.observer.on('resume', muted);
    producer.observer.once('close', () => {
      if (this.closed || participant.closed) return;
      participant.version++;
      this.emit('trackUnpublished', participant, producer);
      if (!participant.isPublisher) this.emit('changed');
    });
    this.emit('trackPublished', participant, producer);
    if (participant.producers.size === 1) this.emit('changed');
  }

  /**
   * Changes what others see of a participant (the Room API's UpdateParticipant, a client's own update). A
   * permission that no longer lets it publish unpublishes its tracks; one that no longer lets it subscribe drops
   * its subscriptions, as LiveKit does.
   */
  updateParticipant(
    participant: Participant,
    changes: {
      name?: string;
      metadata?: string;
      attributes?: Record<string, string>;
      permission?: ParticipantPermission;
    },
  ): void {
    if (changes.name !== undefined) participant.name = changes.name;
    if (changes.metadata !== undefined) participant.metadata = changes.metadata;
    if (changes.permission !== undefined) participant.permission = changes.permission;
    if (changes.attributes !== undefined) {
      // LiveKit's rule: an empty value deletes the attribute.
      for (const [key, value] of Object.entries(changes.attributes)) {
        if (value === '') delete participant.attributes[key];
        else participant.attributes[key] = value;
      }
    }
    participant.version++;
    this.emit('participantChanged', participant);
    if (changes.permission && !changes.permission.canPublish) {
      for (const producer of [...participant.producers.values()]) {
        const sid = trackOf(producer).sid;
        producer.close();
        participant.control?.trackUnpublished(sid);
      }
    }
    if (changes.permission && !changes.permission.canSubscribe) {
      for (const consumer of [...participant.consumers.values()]) consumer.close();
    }
  }

  /**
   * Mutes or unmutes a participant's track for the Room API: its producer pauses or resumes (everyone is told
   * through `participantChanged`), and its own session is told so that its client mutes the track too.
   */
  async setTrackMuted(participant: Participant, trackSid: string, muted: boolean): Promise<types.Producer> {
    const producer = producerOfTrack(participant.producers.values(), trackSid);
    if (!producer) {
      throw new LkcError(
        'TRACK_NOT_FOUND',
        `participant ${participant.identity} publishes no track ${trackSid} in room ${this.name}`,
      );
    }
    if (muted && !producer.paused) await producer.pause();
    else if (!muted && producer.paused) await producer.resume();
    participant.control?.trackMuted(trackSid, muted);
    return producer;
  }

  /** Hands a participant's data message to every session of the room; each delivers what is for it (`isFor`). */
  sendData(message: RoomData): void {
    if (!this.closed) this.emit('data', message);
  }

  /** Removes a participant and closes its media; the empty timer starts when the last one leaves. */
  removeParticipant(identity: string, reason = 'left', cause: LeaveCause = 'left'): boolean {
    const participant = this.participants.get(identity);
    if (!participant) return false;
    this.participants.delete(identity);
    participant.close();
    this.routers.release(participant);
    this.logger.info({ identity, reason, participants: this.participants.size }, 'participant left');
    this.checkEmpty();
    this.emit('participantLeft', participant, reason, cause);
    this.emit('changed');
    return true;
  }

  /** Replaces the room's metadata (the Room API's UpdateRoomMetadata); its record follows. */
  setMetadata(metadata: string): void {
    if (this.metadata === metadata) return;
    this.metadata = metadata;
    this.emit('roomUpdated');
    this.emit('changed');
  }

  /** The router `participant`'s media is on (its transports, producers and consumers). */
  routerOf(participant: Participant): types.Router {
    return this.routers.of(participant).router;
  }

  /** Makes a producer of the room consumable on `router` (piped from its own router when that is another). */
  bringTo(producerId: string, router: types.Router): Promise<void> {
    return this.routers.bring(producerId, router);
  }

  /**
   * A WebRTC transport for `participant` on its router (chosen on its first transport: see RoomRouters), within
   * that worker's UDP port slice.
   */
  async createWebRtcTransport(
    participant: Participant,
    options: Partial<types.WebRtcTransportOptions> = {},
  ): Promise<types.WebRtcTransport> {
    const { router, slot } = await this.routers.assign(participant);
    const portRange = { min: slot.ports.start, max: slot.ports.end };
    const transport = await router.createWebRtcTransport({
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

  /** Participants connected to this node. */
  get localParticipants(): number {
    let count = 0;
    for (const participant of this.participants.values()) if (participant.local) count++;
    return count;
  }

  /** This leg of a spanning room becomes its home (the home left): it now keeps the room's empty_timeout. */
  becomeHome(): void {
    this.role = 'home';
    this.home = undefined;
    this.checkEmpty();
  }

  /**
   * Closes every participant and the router; emits `closed` once. `moved`: the room lives on elsewhere; `ended`:
   * the room itself ended (deleted, or empty for its empty_timeout).
   */
  close(reason: string, options: { moved?: boolean; ended?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = options.ended ?? false;
    this.moved = options.moved ?? (!this.ended && (this.handOff?.() ?? false));
    this.disarmEmptyTimer();
    for (const participant of this.participants.values()) participant.close();
    this.participants.clear();
    this.videoDemand.stop();
    this.routers.close();
    this.logger.info({ reason }, 'room closed');
    this.emit('closed', reason);
  }

  /**
   * Arms the empty timer when the room has nobody (its home) or nobody of its own (a leg: the others are the
   * home's and other legs' participants, who do not need this node), and disarms it otherwise.
   */
  private checkEmpty(): void {
    if (this.closed) return;
    if (this.role === 'leg') {
      if (this.localParticipants === 0) this.armEmptyTimer(LEG_IDLE_SECONDS, false);
      else this.disarmEmptyTimer();
      return;
    }
    if (this.participants.size === 0) this.armEmptyTimer(this.emptyTimeout, true);
    else this.disarmEmptyTimer();
  }

  private armEmptyTimer(seconds = this.emptyTimeout, ended = true): void {
    this.disarmEmptyTimer();
    const reason =
      this.role === 'leg' ? `no participant of its own for ${seconds} s` : `empty for ${seconds} s`;
    this.emptyTimer = setTimeout(() => this.close(reason, { ended }), seconds * 1000);
  }

  private disarmEmptyTimer(): void {
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.emptyTimer = undefined;
  }
}
