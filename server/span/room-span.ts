import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import type { RoomSpanStore } from '../../src/routing/span-store.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import type { LeaveCause, Room, RoomData, RoomEvents } from '../media/room.js';
import { withTimeout } from '../node/timeouts.js';
import { PipeLink } from './pipe-link.js';
import { PipeSetupTimer } from './pipe-setup.js';
import { type ParticipantWire, type PipeEnd, participantWire, type SpanMessage } from './span-messages.js';

/** A participant counted into the room that never joined (its session ended first) is counted out after this. */
const ADMIT_GRACE_MS = 15_000;
/** A new leg waits at most this long for the others' participants before its first join goes on without them. */
const SYNC_WAIT_MS = 2_000;

/** What a room's span needs of the node around it. */
export interface RoomSpanDeps {
  self: { id: string; region: string };
  store: RoomSpanStore;
  /** Sends one message to another node (the bus). */
  send(nodeId: string, message: SpanMessage): Promise<void>;
  /** True when a pipe to `nodeId` crosses hosts (SRTP on): its announced address is not this node's. */
  otherHost(nodeId: string): Promise<boolean>;
  /** Closes the room here through the registry, which releases it in the cluster. */
  closeRoom(room: Room, reason: string, options: { moved?: boolean; ended?: boolean }): Promise<void>;
  /** Writes the room's record (this node became its home). */
  writeRecord(room: Room): Promise<void>;
  /** The node is draining: a home with no participant of its own hands the room over to a leg. */
  draining(): boolean;
  /** A piped video track reached this node `seconds` after its first consumer here asked for it (metrics). */
  pipeSetup(seconds: number): void;
  log: Logger;
}

type Direct<T> = T extends { type: infer K } ? { type: K } & Omit<T, 'type'> : never;

/**
 * This node's part of a room that may span nodes (room.span on): the home or a leg. It counts the room's
 * participants cluster-wide (the gate), keeps one pipe to each other node holding a part of the room, tells them
 * of its own participants, tracks and data, and mirrors theirs here: their participants as participants whose
 * `origin` is their node, their tracks as producers at the end of the pipe. Video is piped while consumers here
 * want it; audio always, so that every node hears the speakers.
 */
export class RoomSpan {
  private readonly links = new Map<string, PipeLink>();
  /** Messages from each node are handled one at a time, in the order that node sent them. */
  private readonly inbound = new Map<string, Promise<void>>();
  /** Messages to each node are sent in the order this node's events happened. */
  private readonly outbound = new Map<string, Promise<void>>();
  /** Peers whose state a new leg still waits for (see `connect`). */
  private readonly syncWaiters = new Map<string, () => void>();
  private readonly admitted = new Map<string, NodeJS.Timeout>();
  private readonly detach: (() => void)[] = [];
  /** The room's close hands it over to a leg (decided as it closes: see Room.handOff). */
  private handingOff = false;
  private closed = false;

  constructor(
    readonly room: Room,
    private readonly deps: RoomSpanDeps,
  ) {
    room.gate = (identity) => this.gate(identity);
    room.handOff = () => {
      this.handingOff =
        this.room.role === 'home' && [...this.links.values()].some((l) => l.peerRole === 'leg');
      return this.handingOff;
    };
    this.listen();
  }

  get peers(): number {
    return this.links.size;
  }

  /** Tracks piped out to and in from the other nodes. */
  tracks(): { out: number; in: number } {
    let out = 0;
    let incoming = 0;
    for (const link of this.links.values()) {
      out += link.tracksOut;
      incoming += link.incoming.size;
    }
    return { out, in: incoming };
  }

  pipeLinks(): PipeLink[] {
    return [...this.links.values()];
  }

  /**
   * Opens pipes to the room's home and its other legs (a leg that just opened), and waits until each has told its
   * participants and tracks (or SYNC_WAIT_MS passed), so that the first join here gets them in its JoinResponse
   * rather than in updates a moment later.
   */
  async connect(peers: readonly string[]): Promise<void> {
    const others = peers.filter((peer) => peer !== this.deps.self.id);
    const told = others.map((peer) => new Promise<void>((resolve) => this.syncWaiters.set(peer, resolve)));
    await Promise.all(others.map((peer) => this.offer(peer).catch((err) => this.failed(peer, err))));
    // Past the bound the join goes on: what is missing then comes in updates, as it would from a slow node.
    await withTimeout(Promise.all(told), SYNC_WAIT_MS, "the other nodes' state").catch(() => undefined);
    for (const peer of others) this.synced(peer);
  }

  /** Peer `peer` told its state, or will not (it refused, left or failed): a join waiting on it may go on. */
  private synced(peer: string): void {
    this.syncWaiters.get(peer)?.();
    this.syncWaiters.delete(peer);
  }

  /** Hands a message from another node to its queue. */
  receive(from: string, message: SpanMessage): void {
    const previous = this.inbound.get(from) ?? Promise.resolve();
    const next = previous
      .then(() => this.handle(from, message))
      .catch((err: unknown) => this.failed(from, err, message.type));
    this.inbound.set(from, next);
  }

  /** Node `nodeId` left the cluster: its pipe and participants go; the home may have moved to a leg. */
  nodeGone(nodeId: string, promotedHome: string | undefined, roomCleared: boolean): void {
    if (this.links.has(nodeId)) this.dropPeer(nodeId, `node ${nodeId} left the cluster`);
    const { room } = this;
    if (room.closed || room.role !== 'leg') return;
    if (promotedHome) {
      this.becomeHomeOf(promotedHome);
    } else if (room.home === nodeId && roomCleared) {
      // The home died with no leg recorded to take over: the participants here rejoin, which places it anew.
      void this.deps.closeRoom(room, `its home node ${nodeId} left the cluster`, { moved: true });
    }
  }

  /**
   * The registry's release of the room once it closed here: a leg gives up its leg; a home hands the room over to
   * a leg when it leaves while legs live on (see `handOff`), or ends it on every node.
   */
  async release(standard: () => Promise<void>): Promise<void> {
    const { room, deps } = this;
    this.stop();
    try {
      if (room.role === 'leg') {
        await deps.store.releaseLeg(room.name, deps.self.id);
        if (!room.ended) this.broadcast({ type: 'span.bye', room: room.name, reason: 'its leg closed' });
      } else if (this.handingOff) {
        const home = await deps.store.handOver(room.name, deps.self.id);
        if (home) {
          deps.log.info({ room: room.name, home }, 'handed the room over to a leg');
          this.broadcast({ type: 'span.home', room: room.name, home });
        } else {
          await standard();
          this.broadcast({
            type: 'span.ended',
            room: room.name,
            reason: 'its home closed and no leg is left',
          });
        }
      } else if (!room.moved) {
        await standard();
        this.broadcast({ type: 'span.ended', room: room.name, reason: `room ended on its home` });
      }
    } catch (err) {
      deps.log.warn({ room: room.name, err: (err as Error).message }, 'could not release a spanning room');
    }
    await Promise.allSettled([...this.outbound.values()]);
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  // ---- the gate: one count of participants over every node

  private async gate(identity: string): Promise<void> {
    const { room, deps } = this;
    const join = await deps.store.joinMember(room.name, identity, deps.self.id, room.maxParticipants);
    if (!join.ok) {
      throw new LkcError(
        'RESOURCE_EXHAUSTED',
        `room ${room.name} is full (max_participants ${room.maxParticipants} over every node)`,
      );
    }
    if (join.before && join.before !== deps.self.id)
      this.sendTo(join.before, { type: 'span.replace', room: room.name, identity });
    // Counted out again if its session ends before it joins.
    clearTimeout(this.admitted.get(identity));
    this.admitted.set(
      identity,
      setTimeout(() => {
        this.admitted.delete(identity);
        if (!this.room.participants.get(identity)?.local)
          void deps.store.leaveMember(room.name, identity, deps.self.id).catch(() => undefined);
      }, ADMIT_GRACE_MS),
    );
  }

  // ---- this node's events, told to the others

  private listen(): void {
    const { room } = this;
    const on = <E extends keyof RoomEvents>(event: E, handler: (...args: RoomEvents[E]) => void) => {
      room.on(event, handler as never);
      this.detach.push(() => room.off(event, handler as never));
    };
    on('participantJoined', (p) => {
      if (!p.local) return;
      clearTimeout(this.admitted.get(p.identity));
      this.admitted.delete(p.identity);
      this.broadcast({ type: 'span.participant', room: room.name, participant: participantWire(p) });
    });
    on('participantChanged', (p) => {
      if (p.local)
        this.broadcast({ type: 'span.participant', room: room.name, participant: participantWire(p) });
    });
    on('participantLeft', (p, reason, cause) => this.localLeft(p, reason, cause));
    on('trackPublished', (p, producer) => {
      if (!p.local) return;
      for (const peer of this.links.keys()) this.pipeTrack(peer, p, producer);
      const paused = () =>
        this.broadcast({
          type: 'span.track_paused',
          room: room.name,
          producer_id: producer.id,
          paused: producer.paused,
        });
      producer.observer.on('pause', paused);
      producer.observer.on('resume', paused);
    });
    on('trackUnpublished', (p, producer) => {
      if (p.local) this.broadcast({ type: 'span.track_closed', room: room.name, producer_id: producer.id });
    });
    on('data', (message) => this.localData(message));
    on('roomUpdated', () => {
      if (room.role === 'home')
        this.broadcast({ type: 'span.room', room: room.name, metadata: room.metadata });
    });
  }

  private localLeft(participant: Participant, reason: string, cause: LeaveCause): void {
    const { room, deps } = this;
    if (!participant.local) return;
    this.broadcast({
      type: 'span.left',
      room: room.name,
      identity: participant.identity,
      sid: participant.sid,
      reason,
    });
    // Replaced by a new session: the new one's count stands (through this node or another).
    if (cause !== 'replaced')
      void deps.store.leaveMember(room.name, participant.identity, deps.self.id).catch(() => undefined);
    if (room.role === 'home' && deps.draining() && room.localParticipants === 0 && this.links.size > 0)
      void deps.closeRoom(room, 'its home node is draining and has no participant of its own left', {});
  }

  private localData(message: RoomData): void {
    if (message.remote || (message.from && !message.from.local)) return;
    this.broadcast({
      type: 'span.data',
      room: this.room.name,
      ...(message.from ? { from_identity: message.from.identity } : {}),
      destinations: message.destinations,
      reliable: message.reliable,
      packet: Buffer.from(message.packet).toString('base64'),
    });
  }

  // ---- pipes

  private async offer(peer: string): Promise<void> {
    if (this.links.has(peer) || this.closed) return;
    const link = await PipeLink.open(this.room, peer, { srtp: await this.deps.otherHost(peer) });
    if (this.closed || this.links.has(peer)) {
      link.close();
      return;
    }
    this.links.set(peer, link);
    this.sendTo(peer, this.greeting('span.hello', link));
  }

  private greeting(type: 'span.hello' | 'span.welcome', link: PipeLink): SpanMessage {
    return {
      type,
      room: this.room.name,
      role: this.room.role,
      region: this.deps.self.region,
      end: link.end(),
    };
  }

  private async accept(
    peer: string,
    message: { role: Room['role']; region: string; end: PipeEnd },
  ): Promise<void> {
    const existing = this.links.get(peer);
    if (existing && !existing.connected) {
      // Both offered at once: the lower node id's offer stands.
      if (this.deps.self.id < peer) return;
      existing.close();
      this.links.delete(peer);
    } else if (existing) {
      // The peer opened its part again (it restarted it): the old pipe is gone at its end.
      this.dropPeer(peer, `node ${peer} opened its part of the room again`);
    }
    const link = await PipeLink.open(this.room, peer, { srtp: await this.deps.otherHost(peer) });
    if (this.closed) {
      link.close();
      return;
    }
    link.peerRole = message.role;
    link.peerRegion = message.region;
    await link.connect(message.end);
    this.links.set(peer, link);
    this.sendTo(peer, this.greeting('span.welcome', link));
    this.sendState(peer);
  }

  /** Tells a newly connected node of every participant and track of this node. */
  private sendState(peer: string): void {
    for (const participant of this.room.participants.values()) {
      if (!participant.local) continue;
      this.sendTo(peer, {
        type: 'span.participant',
        room: this.room.name,
        participant: participantWire(participant),
      });
      for (const producer of participant.producers.values()) this.pipeTrack(peer, participant, producer);
    }
    // Behind the tracks on the same queue: the peer has all of them when it reads this.
    this.enqueue(peer, async () => this.sendTo(peer, { type: 'span.synced', room: this.room.name }));
  }

  private pipeTrack(peer: string, participant: Participant, producer: types.Producer): void {
    this.enqueue(peer, async () => {
      const link = this.links.get(peer);
      if (!link || link.closed) return;
      // Pipes leave from the primary router; a participant on another router of the room has its track there.
      await this.room.bringTo(producer.id, this.room.router);
      const track = await link.send(producer, participant.sid);
      if (track) await this.deps.send(peer, { type: 'span.track', room: this.room.name, track });
    });
  }

  private dropPeer(peer: string, reason: string): void {
    this.synced(peer);
    const link = this.links.get(peer);
    this.links.delete(peer);
    link?.close();
    for (const participant of [...this.room.participants.values()])
      if (participant.origin?.node === peer) this.room.removeParticipant(participant.identity, reason);
  }

  // ---- the others' events, mirrored here

  private async handle(from: string, message: SpanMessage): Promise<void> {
    const { room } = this;
    if (this.closed || room.closed) return;
    const link = this.links.get(from);
    switch (message.type) {
      case 'span.hello':
        return this.accept(from, message);
      case 'span.welcome':
        if (!link || link.connected) return;
        link.peerRole = message.role;
        link.peerRegion = message.region;
        await link.connect(message.end);
        this.sendState(from);
        return;
      case 'span.refuse':
        if (link && !link.connected) this.dropPeer(from, message.reason);
        return;
      case 'span.synced':
        this.synced(from);
        return;
      case 'span.participant':
        if (link) this.mirror(from, link, message.participant);
        return;
      case 'span.left': {
        const participant = room.participants.get(message.identity);
        if (participant?.sid === message.sid && participant.origin?.node === from)
          room.removeParticipant(message.identity, message.reason);
        return;
      }
      case 'span.track': {
        if (!link) return;
        const owner = [...room.participants.values()].find(
          (p) => p.sid === message.track.participant_sid && p.origin?.node === from,
        );
        if (!owner || owner.closed || link.incoming.has(message.track.producer_id)) return;
        const producer = await link.receive(message.track);
        if (owner.closed || room.closed) {
          producer.close();
          return;
        }
        if (producer.kind === 'video') {
          // Video crosses the pipe while consumers here want it: its node is told as they come and go.
          const setup = new PipeSetupTimer(producer, this.deps.pipeSetup);
          const stop = room.videoDemand.follow(producer.id, (want) => {
            setup.want(want);
            this.sendTo(from, { type: 'span.want', room: room.name, producer_id: producer.id, want });
          });
          producer.observer.once('close', stop);
        }
        room.addProducer(owner, producer);
        return;
      }
      case 'span.track_paused': {
        const producer = link?.incoming.get(message.producer_id);
        if (!producer || producer.closed) return;
        if (message.paused) await producer.pause();
        else await producer.resume();
        return;
      }
      case 'span.track_closed':
        link?.incoming.get(message.producer_id)?.close();
        return;
      case 'span.want':
        await link?.want(message.producer_id, message.want);
        return;
      case 'span.data': {
        const sender = message.from_identity ? room.participants.get(message.from_identity) : undefined;
        room.sendData({
          from: sender,
          destinations: message.destinations,
          reliable: message.reliable,
          packet: Buffer.from(message.packet, 'base64'),
          remote: true,
        });
        return;
      }
      case 'span.room':
        if (room.role === 'leg') room.setMetadata(message.metadata);
        return;
      case 'span.bye':
        this.dropPeer(from, `node ${from} closed its part of the room (${message.reason})`);
        return;
      case 'span.ended':
        await this.deps.closeRoom(room, message.reason, { ended: true });
        return;
      case 'span.home':
        this.becomeHomeOf(message.home);
        return;
      case 'span.replace': {
        const participant = room.participants.get(message.identity);
        if (participant?.local)
          room.removeParticipant(message.identity, 'joined again through another node', 'replaced');
        return;
      }
    }
  }

  /** Another node's participant, as it described itself: added, updated, or replacing an older session here. */
  private mirror(from: string, link: PipeLink, wire: ParticipantWire): void {
    const { room } = this;
    const existing = room.participants.get(wire.identity);
    if (existing && existing.sid === wire.sid) {
      existing.name = wire.name;
      existing.metadata = wire.metadata;
      existing.attributes = { ...wire.attributes };
      existing.permission = { ...wire.permission };
      existing.version = Math.max(existing.version + 1, wire.version);
      room.emit('participantChanged', existing);
      return;
    }
    if (existing) {
      // The newest session of an identity wins, wherever it joined.
      if (existing.joinedAt > wire.joined_at) return;
      room.removeParticipant(wire.identity, 'replaced by a session on another node', 'replaced');
    }
    const participant = room.addParticipant(wire.identity, {
      sid: wire.sid,
      joinedAt: wire.joined_at,
      name: wire.name,
      metadata: wire.metadata,
      permission: wire.permission,
      protocol: wire.protocol,
      origin: { node: from, region: link.peerRegion },
    });
    participant.attributes = { ...wire.attributes };
    participant.version = wire.version;
  }

  private becomeHomeOf(home: string): void {
    const { room, deps } = this;
    if (room.role !== 'leg' || room.closed) return;
    if (home !== deps.self.id) {
      room.home = home;
      return;
    }
    room.becomeHome();
    deps.log.info({ room: room.name }, 'this leg became the home of the room');
    void deps.writeRecord(room).catch(() => undefined);
  }

  // ---- sending

  private broadcast(message: Direct<SpanMessage>): void {
    for (const peer of this.links.keys()) this.sendTo(peer, message as SpanMessage);
  }

  private sendTo(peer: string, message: SpanMessage): void {
    this.enqueue(peer, () => this.deps.send(peer, message));
  }

  private enqueue(peer: string, step: () => Promise<void>): void {
    const next = (this.outbound.get(peer) ?? Promise.resolve())
      .then(step)
      .catch((err: unknown) => this.failed(peer, err));
    this.outbound.set(peer, next);
  }

  private failed(peer: string, err: unknown, what?: string): void {
    if (this.closed) return;
    this.deps.log.warn(
      {
        room: this.room.name,
        peer,
        ...(what ? { message: what } : {}),
        err: (err as Error)?.message ?? String(err),
      },
      'spanning room: a step with another node failed',
    );
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.detach.splice(0)) off();
    for (const timer of this.admitted.values()) clearTimeout(timer);
    this.admitted.clear();
    for (const peer of [...this.syncWaiters.keys()]) this.synced(peer);
  }
}
