import { EventEmitter } from 'node:events';
import type { RoomConfig } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';
import type { Router as ClusterRouter } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';
import type { NodeMetrics } from '../metrics.js';
import { Room, type RoomOptions, type RtcListen } from './room.js';
import type { WorkerPool, WorkerSlot } from './worker-pool.js';

export interface OpenRoomOptions {
  /** Seconds; 0 or absent = room.empty_timeout. */
  emptyTimeout?: number;
  /** 0 = room.max_participants; absent = room.max_participants. */
  maxParticipants?: number;
  metadata?: string;
}

/** A leg of a spanning room, as its home's record describes the room. */
export interface OpenLegOptions extends OpenRoomOptions {
  /** The room's sid, the same on every node of the room. */
  sid?: string;
}

/**
 * How a room that closes is released in the cluster beyond the standard release (its record and mapping, both
 * compare-and-delete): a spanning room's legs (a leg gives up its leg; a home hands the room over to a leg, or
 * ends it everywhere). `standard` runs that standard release.
 */
export interface RoomRelease {
  release(room: Room, standard: () => Promise<void>): Promise<void>;
}

interface RegistryEvents {
  opened: [room: Room];
  closed: [room: Room, reason: string];
  /** The last room closed. */
  empty: [];
}

/**
 * The rooms this node hosts. A room is opened here only after the cluster mapped it to this node; when it closes,
 * its record is deleted and its mapping released (both compare-and-delete, so a room another node has since
 * taken is never touched).
 */
export class RoomRegistry extends EventEmitter<RegistryEvents> {
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private releaseHook?: RoomRelease;

  constructor(
    private readonly nodeId: string,
    private readonly pool: WorkerPool,
    private readonly cluster: ClusterRouter,
    private readonly defaults: RoomConfig,
    private readonly listen: RtcListen,
    private readonly metrics: NodeMetrics,
    private readonly logger: Logger,
    private readonly options: { participantsPerRouter?: number } = {},
  ) {
    super();
  }

  get size(): number {
    return this.rooms.size;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** Opens the room on the least-loaded worker, or returns it when it is already open (concurrent calls share one). */
  async open(name: string, options: OpenRoomOptions = {}): Promise<Room> {
    return this.openAs(name, options);
  }

  /** Opens a leg of the spanning room `name` whose home is node `home` (or returns the room open here). */
  async openLeg(name: string, home: string, options: OpenLegOptions = {}): Promise<Room> {
    return this.openAs(name, options, home);
  }

  /** Releases closing rooms through `hook` from now on (rooms may span nodes). */
  releaseWith(hook: RoomRelease): void {
    this.releaseHook = hook;
  }

  private openAs(name: string, options: OpenLegOptions, legOf?: string): Promise<Room> {
    const existing = this.rooms.get(name);
    if (existing) return Promise.resolve(existing);
    const pending = this.opening.get(name);
    if (pending) return pending;
    const promise = this.create(name, options, legOf).finally(() => this.opening.delete(name));
    this.opening.set(name, promise);
    return promise;
  }

  /** Closes every room (drain deadline, shutdown); resolves once their records and mappings are released. */
  async closeAll(reason: string): Promise<void> {
    const releases = this.list().map((room) => this.closeRoom(room, reason));
    await Promise.allSettled(releases);
  }

  /**
   * Closes one room and releases it in the cluster (`moved`: it lives on another node now; `ended`: the room
   * itself ends, on every node it spans).
   */
  async closeRoom(
    room: Room,
    reason: string,
    options: { moved?: boolean; ended?: boolean } = {},
  ): Promise<void> {
    room.close(reason, options);
    await this.release(room);
  }

  /** Participants, publishers and tracks over every room. */
  totals(): { participants: number; tracksIn: number; tracksOut: number } {
    let participants = 0;
    let tracksIn = 0;
    let tracksOut = 0;
    for (const room of this.rooms.values()) {
      // Its own sessions: a spanning room's participants on other nodes are counted there (the cluster's sums
      // and the selector's client limits would count them twice).
      participants += room.localParticipants;
      tracksIn += room.tracksIn;
      tracksOut += room.tracksOut;
    }
    return { participants, tracksIn, tracksOut };
  }

  /** Load of a worker for room placement: its rooms' routers plus their participants. */
  private workerLoad(slot: WorkerSlot): number {
    let load = 0;
    for (const room of this.rooms.values())
      for (const { worker, participants } of room.routers.load())
        if (worker === slot.index) load += 1 + participants;
    return load;
  }

  private async create(name: string, options: OpenLegOptions, legOf?: string): Promise<Room> {
    const slot = this.pool.leastLoaded((s) => this.workerLoad(s));
    if (!slot)
      throw new LkcError('UNAVAILABLE', 'no mediasoup worker is running on this node; try again shortly');
    const roomOptions: RoomOptions = {
      name,
      emptyTimeout:
        options.emptyTimeout && options.emptyTimeout > 0 ? options.emptyTimeout : this.defaults.empty_timeout,
      maxParticipants: options.maxParticipants ?? this.defaults.max_participants,
      metadata: options.metadata,
      sid: options.sid,
      legOf,
      participantsPerRouter: this.options.participantsPerRouter ?? 0,
      // A room grows onto the least loaded worker it has no router on yet.
      grow: (inUse) =>
        this.pool.leastLoaded((s) => (inUse.has(s.index) ? Number.POSITIVE_INFINITY : this.workerLoad(s))),
    };
    const room = await Room.create(slot, this.listen, roomOptions, this.logger);
    this.rooms.set(name, room);
    room.once('closed', (reason) => {
      if (this.rooms.get(name) === room) this.rooms.delete(name);
      this.emit('closed', room, reason);
      void this.release(room);
      if (this.rooms.size === 0) this.emit('empty');
    });
    room.on('changed', () => void this.saveRecord(room));
    room.on('participantJoined', () => this.metrics.countJoin());
    this.logger.info(
      { room: name, sid: room.sid, worker: slot.index, ...(legOf ? { legOf } : {}) },
      legOf ? 'leg of a spanning room opened' : 'room opened',
    );
    // Told before the record is written: what watches rooms (webhooks, spanning) must see it before any session.
    this.emit('opened', room);
    await this.saveRecord(room);
    return room;
  }

  /**
   * Writes the room's record (not once it closed); rejects when the store refuses it. The lease calls it after
   * re-asserting the room, since the store may have come back empty or the sweeper deleted the record.
   */
  async writeRecord(room: Room): Promise<void> {
    // Only the home writes the room's record: a leg's counts are the home's too.
    if (room.closed || room.role !== 'home') return;
    await this.cluster.putRoom(room.record(this.nodeId));
  }

  /** Writes the record on open and on every change; a failure is logged (the lease writes it again on recovery). */
  private async saveRecord(room: Room): Promise<void> {
    try {
      await this.writeRecord(room);
    } catch (err) {
      this.metrics.redisErrors.inc({ operation: 'put_room' });
      this.logger.warn({ room: room.name, err: (err as Error).message }, 'could not save the room record');
    }
  }

  // One release per room; later callers wait on the same one.
  private readonly releases = new WeakMap<Room, Promise<void>>();

  private release(room: Room): Promise<void> {
    let release = this.releases.get(room);
    if (!release) {
      const standard = () => this.releaseInCluster(room);
      release = this.releaseHook ? this.releaseHook.release(room, standard) : standard();
      this.releases.set(room, release);
    }
    return release;
  }

  private async releaseInCluster(room: Room): Promise<void> {
    try {
      // The record first: deleteRoom only deletes while this node still holds the mapping.
      await this.cluster.deleteRoom(room.name, this.nodeId);
      await this.cluster.releaseRoom(room.name, this.nodeId);
    } catch (err) {
      this.metrics.redisErrors.inc({ operation: 'release_room' });
      this.logger.warn(
        { room: room.name, err: (err as Error).message },
        'could not release the room mapping',
      );
    }
  }
}
