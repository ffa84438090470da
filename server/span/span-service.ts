import type { RoomSpan as SpanMode } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';
import type { LegRecord, NodeView, RoomRecord } from '../../src/records.js';
import { chooseLeg, type LegDecision } from '../../src/routing/legs.js';
import type { RoomSpanStore } from '../../src/routing/span-store.js';
import type { ClusterEvent } from '../../src/routing/types.js';
import type { BusMessage, NodeBus } from '../bus/node-bus.js';
import type { Logger } from '../logger.js';
import type { Room, RoomPartInfo } from '../media/room.js';
import type { RoomRegistry } from '../media/room-registry.js';
import { onOtherHost } from './other-host.js';
import { RoomSpan } from './room-span.js';
import { SPAN_MESSAGE_TYPES, type SpanMessage } from './span-messages.js';

export interface SpanServiceDeps {
  mode: Exclude<SpanMode, 'off'>;
  self: { id: string; region: string; ip: string };
  rooms: RoomRegistry;
  store: RoomSpanStore;
  bus: NodeBus;
  /** What the cluster knows of a room and a node. */
  cluster: {
    getRoom(name: string): Promise<RoomRecord | undefined>;
    getRoomNode(name: string): Promise<string | undefined>;
    getNode(id: string): Promise<NodeView | undefined>;
  };
  /** Opens a room here as its home (it is mapped here): a leg's hello reached it before any participant did. */
  hostRoom(name: string): Promise<Room>;
  /** Asks the home to open the room (a leg opens before its home did) and answers its record. */
  openAtHome(home: string, name: string): Promise<RoomRecord>;
  /** True while the node drains. */
  draining(): boolean;
  /** Why this node takes no more participants (room.span: load opens a leg elsewhere); undefined: it does. */
  full(): string | undefined;
  /** A piped video track reached this node `seconds` after its first consumer here asked for it (metrics). */
  pipeSetup(seconds: number): void;
  log: Logger;
}

/**
 * Rooms that span nodes, on this node (room.span: region or load): a RoomSpan for every room it opens, home or
 * leg; the messages the room's other nodes send over the bus; where a participant joins (`choose`); opening legs;
 * the cluster's news of nodes gone (their pipes close, a leg may become the home); and re-asserting legs after
 * the store lost them.
 */
export class SpanService {
  private readonly spans = new WeakMap<Room, RoomSpan>();
  /** Each leg's record as the claim wrote it, to write it again after the store lost it. */
  private readonly legRecords = new WeakMap<Room, LegRecord>();
  /** Each live pipe's byte counters when last read (transport id -> [received, sent]). */
  private readonly pipeCounters = new Map<string, [number, number]>();
  /** Bytes through the pipes since the node started, up to the last read (a closed pipe's last read stays). */
  private readonly pipeTotals = { in: 0, out: 0 };
  private readonly log: Logger;

  constructor(private readonly deps: SpanServiceDeps) {
    this.log = deps.log.child({ service: 'span' });
    deps.rooms.on('opened', (room) => this.attach(room));
    deps.rooms.releaseWith({
      release: (room, standard) => this.spans.get(room)?.release(standard) ?? standard(),
    });
    for (const type of SPAN_MESSAGE_TYPES) deps.bus.on(type, (message) => this.dispatch(message));
  }

  /** Where a participant who came in through this node joins the room whose home is `home`. */
  choose(room: string, home: NodeView): Promise<LegDecision> {
    const homeFull =
      home.id === this.deps.self.id && this.deps.mode === 'load' ? this.deps.full() || null : undefined;
    return chooseLeg(this.deps.store, {
      span: this.deps.mode,
      room,
      home,
      region: this.deps.self.region,
      homeFull,
    });
  }

  /** True when this node takes no more participants (only `load` opens a leg for that). */
  full(): boolean {
    return this.deps.mode === 'load' && this.deps.full() !== undefined;
  }

  /** Opens a leg of `name` (home: node `home`) here, with the room's sid and settings, and pipes it to the others. */
  async openLeg(name: string, home: string): Promise<Room> {
    const { rooms, cluster } = this.deps;
    let record = await cluster.getRoom(name);
    if (!record || record.node_id !== home) record = await this.deps.openAtHome(home, name);
    const room = await rooms.openLeg(name, home, {
      sid: record.sid,
      emptyTimeout: record.empty_timeout,
      maxParticipants: record.max_participants,
      metadata: record.metadata,
    });
    const span = this.spans.get(room);
    if (room.role === 'leg' && span && span.peers === 0) {
      const legs = await this.deps.store.listLegs(name);
      const own = legs.find((leg) => leg.node_id === this.deps.self.id);
      if (own) this.legRecords.set(room, own);
      await span.connect([home, ...legs.map((leg) => leg.node_id)]);
    }
    return room;
  }

  /** A node left the cluster: every room's pipe to it closes; a leg of a room it was the home of may take over. */
  nodeGone(event: ClusterEvent): void {
    for (const room of this.deps.rooms.list()) {
      this.spans.get(room)?.nodeGone(event.node, event.promoted[room.name], event.rooms.includes(room.name));
    }
  }

  /** The node started draining: homes with no participant of their own hand their rooms over to their legs. */
  drain(): void {
    for (const room of this.deps.rooms.list()) {
      const span = this.spans.get(room);
      if (room.role === 'home' && span && span.peers > 0 && room.localParticipants === 0)
        void this.deps.rooms.closeRoom(
          room,
          'its home node is draining and has no participant of its own',
          {},
        );
    }
  }

  /**
   * After the store lost this node's entries (it came back empty, or this node was swept): a leg is recorded again
   * while its home lives, and the participants of this node are counted in again. A leg whose node was declared
   * dead closes, so that its participants rejoin: the others dropped their pipes to it. False: given up.
   */
  async reassert(room: Room, leaseLost: boolean): Promise<boolean> {
    const { store, self } = this.deps;
    if (room.role === 'leg') {
      const record = this.legRecords.get(room) ?? {
        node_id: self.id,
        region: self.region,
        opened_at: Date.now(),
        reason: 'region',
        why: 're-asserted after the store lost it',
      };
      const home = leaseLost ? undefined : await store.assertLeg(room.name, record);
      if (!home) {
        const why = leaseLost ? 'this node was cut off from the cluster' : 'the room has no live home';
        await this.deps.rooms.closeRoom(room, `its leg here was given up: ${why}`, { moved: true });
        return false;
      }
      room.home = home;
    }
    for (const participant of room.participants.values())
      if (participant.local) await store.joinMember(room.name, participant.identity, self.id, 0);
    return true;
  }

  /** Pipes, piped tracks and legs of this node, for /metrics. */
  totals(): { legs: number; pipes: number; tracksOut: number; tracksIn: number } {
    const totals = { legs: 0, pipes: 0, tracksOut: 0, tracksIn: 0 };
    for (const room of this.deps.rooms.list()) {
      const span = this.spans.get(room);
      if (!span) continue;
      if (room.role === 'leg') totals.legs++;
      totals.pipes += span.peers;
      const tracks = span.tracks();
      totals.tracksOut += tracks.out;
      totals.tracksIn += tracks.in;
    }
    return totals;
  }

  /**
   * Bytes through this node's room pipes since it started, in and out, for /metrics: each pipe's transport counters
   * are asked of its worker when this is called (at scrape time, off the media path) and what they grew by since
   * the last read is added. A pipe that closed counts up to its last read.
   */
  async pipeBytes(): Promise<{ in: number; out: number }> {
    const live = new Set<string>();
    const reads: Promise<void>[] = [];
    for (const room of this.deps.rooms.list()) {
      for (const link of this.spans.get(room)?.pipeLinks() ?? []) {
        if (link.closed) continue;
        const id = link.transport.id;
        live.add(id);
        reads.push(
          link
            .stats()
            .then(({ bytesReceived, bytesSent }) => {
              const [received, sent] = this.pipeCounters.get(id) ?? [0, 0];
              // Two scrapes at once may answer out of order: a counter never goes back.
              this.pipeTotals.in += Math.max(bytesReceived - received, 0);
              this.pipeTotals.out += Math.max(bytesSent - sent, 0);
              this.pipeCounters.set(id, [Math.max(received, bytesReceived), Math.max(sent, bytesSent)]);
            })
            // A pipe that closed while we asked has nothing more to count.
            .catch(() => undefined),
        );
      }
    }
    await Promise.all(reads);
    for (const id of this.pipeCounters.keys()) if (!live.has(id)) this.pipeCounters.delete(id);
    return { ...this.pipeTotals };
  }

  /** This node's part of `room` and its pipes, for GET /admin/node. */
  describe(room: Room): RoomPartInfo | undefined {
    const span = this.spans.get(room);
    if (!span) return undefined;
    return {
      role: room.role,
      home: room.home ?? null,
      pipes: span.pipeLinks().map((link) => ({
        node: link.peer,
        region: link.peerRegion,
        tracks_out: link.tracksOut,
        video_flowing: link.videoFlowing,
        tracks_in: link.incoming.size,
        srtp: link.encrypted,
      })),
    };
  }

  private attach(room: Room): void {
    if (this.spans.has(room)) return;
    const { deps } = this;
    const span = new RoomSpan(room, {
      self: deps.self,
      store: deps.store,
      send: (nodeId, message) => deps.bus.send(nodeId, message as unknown as BusMessage),
      otherHost: onOtherHost(deps.cluster, deps.self.ip),
      closeRoom: (r, reason, options) => deps.rooms.closeRoom(r, reason, options),
      writeRecord: (r) => deps.rooms.writeRecord(r),
      draining: deps.draining,
      pipeSetup: deps.pipeSetup,
      log: this.log,
    });
    this.spans.set(room, span);
  }

  private async dispatch(raw: BusMessage): Promise<void> {
    const from = raw.from;
    const message = raw as unknown as SpanMessage;
    if (!from || typeof message.room !== 'string' || from === this.deps.self.id) return;
    let room = this.deps.rooms.get(message.room);
    if ((!room || room.closed) && message.type === 'span.hello')
      room = await this.openForHello(message.room, from);
    if (!room || room.closed) return;
    this.spans.get(room)?.receive(from, message);
  }

  /** A leg says hello to a home that has not opened the room yet (it was only placed here): the home opens it. */
  private async openForHello(name: string, from: string): Promise<Room | undefined> {
    const refuse = (reason: string) =>
      void this.deps.bus
        .send(from, { type: 'span.refuse', room: name, reason } as unknown as BusMessage)
        .catch(() => undefined);
    try {
      if ((await this.deps.cluster.getRoomNode(name)) !== this.deps.self.id) {
        refuse(`node ${this.deps.self.id} holds no part of room ${name}`);
        return undefined;
      }
      return await this.deps.hostRoom(name);
    } catch (err) {
      refuse(err instanceof LkcError ? err.message : String(err));
      return undefined;
    }
  }
}
