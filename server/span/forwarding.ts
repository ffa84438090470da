import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { BusMessage, NodeBus } from '../bus/node-bus.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import type { Room, RoomEvents } from '../media/room.js';
import type { RoomRegistry } from '../media/room-registry.js';
import { PipeLink } from './pipe-link.js';
import { type ParticipantWire, type PipeEnd, participantWire, type TrackWire } from './span-messages.js';

/** How long the destination's node has to take a forward before ForwardParticipant fails. */
const OPEN_TIMEOUT_MS = 5_000;

/** What the nodes of a forward tell each other (each on the receiver's channel, `from` set by the bus). */
type ForwardMessage =
  | {
      type: 'fwd.open';
      id: string;
      source_room: string;
      room: string;
      participant: ParticipantWire;
      end: PipeEnd;
    }
  | { type: 'fwd.accept'; id: string; end: PipeEnd }
  | { type: 'fwd.refuse'; id: string; code: LkcError['code']; reason: string }
  | { type: 'fwd.participant'; id: string; participant: ParticipantWire }
  | { type: 'fwd.track'; id: string; track: TrackWire }
  | { type: 'fwd.track_paused'; id: string; producer_id: string; paused: boolean }
  | { type: 'fwd.track_closed'; id: string; producer_id: string }
  | { type: 'fwd.want'; id: string; producer_id: string; want: boolean }
  | { type: 'fwd.stop'; id: string; reason: string };

const FORWARD_MESSAGE_TYPES: readonly ForwardMessage['type'][] = [
  'fwd.open',
  'fwd.accept',
  'fwd.refuse',
  'fwd.participant',
  'fwd.track',
  'fwd.track_paused',
  'fwd.track_closed',
  'fwd.want',
  'fwd.stop',
];

/** The source end: a participant of a room here, its tracks piped to the node of the destination room. */
interface Outgoing {
  id: string;
  participant: Participant;
  source: Room;
  destination: string;
  node: string;
  link: PipeLink;
  detach: (() => void)[];
  accepted?: (end: PipeEnd) => void;
  refused?: (err: LkcError) => void;
}

/** The destination end: the copy of the participant in a room here, its tracks at the end of the pipe. */
interface Incoming {
  id: string;
  node: string;
  room: Room;
  copy: Participant;
  link: PipeLink;
  /** The source's producer id -> the producer here (forwarded tracks get ids of their own). */
  producers: Map<string, types.Producer>;
  detach: () => void;
}

export interface ForwardingDeps {
  self: { id: string };
  rooms: RoomRegistry;
  bus: NodeBus;
  /** The node that hosts (or is now placed to host) `room`. */
  place(room: string): Promise<string>;
  /** Opens `room` here: this node is its home. */
  hostRoom(room: string): Promise<Room>;
  otherHost(nodeId: string): Promise<boolean>;
  log: Logger;
}

/**
 * LiveKit's ForwardParticipant: a participant of one room appears in another room (wherever that room lives),
 * with the same identity and information and its tracks, as a participant whose kind is forwarded. Its tracks
 * cross by a PipeTransport pair (video while consumers in the destination want it), its changes follow it, and
 * the forward stops when it leaves its room, when the destination removes the copy, or when either room closes or
 * either node dies.
 */
export class Forwarding {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();
  private readonly log: Logger;

  constructor(private readonly deps: ForwardingDeps) {
    this.log = deps.log.child({ service: 'forward' });
    for (const type of FORWARD_MESSAGE_TYPES)
      deps.bus.on(type, (message) => this.receive(message as unknown as ForwardMessage & BusMessage));
  }

  /** Forwards `participant` (connected here, in `source`) into `destination`; resolves once that node took it. */
  async start(source: Room, participant: Participant, destination: string): Promise<void> {
    if (destination === source.name)
      throw new LkcError(
        'BAD_INPUT',
        `participant ${participant.identity} is in room ${destination} already`,
      );
    for (const forward of this.outgoing.values())
      if (forward.participant === participant && forward.destination === destination) return;
    const node = await this.deps.place(destination);
    const id = randomId('FW_');
    const link = await PipeLink.open(source, node, { srtp: await this.deps.otherHost(node) });
    const forward: Outgoing = { id, participant, source, destination, node, link, detach: [] };
    this.outgoing.set(id, forward);
    const accepted = new Promise<PipeEnd>((resolve, reject) => {
      forward.accepted = resolve;
      forward.refused = reject;
    });
    const timer = setTimeout(
      () => forward.refused?.(new LkcError('UNAVAILABLE', `node ${node} did not take the forward in time`)),
      OPEN_TIMEOUT_MS,
    );
    try {
      await this.send(node, {
        type: 'fwd.open',
        id,
        source_room: source.name,
        room: destination,
        participant: participantWire(participant),
        end: link.end(),
      });
      await link.connect(await accepted);
    } catch (err) {
      this.stopOutgoing(forward, 'could not start', false);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.follow(forward);
    this.log.info(
      { room: source.name, identity: participant.identity, destination, node },
      'forwarding a participant',
    );
  }

  /** A node left the cluster: every forward with it ends. */
  nodeGone(nodeId: string): void {
    for (const forward of [...this.outgoing.values()])
      if (forward.node === nodeId) this.stopOutgoing(forward, `node ${nodeId} left the cluster`, false);
    for (const forward of [...this.incoming.values()])
      if (forward.node === nodeId) this.stopIncoming(forward, `node ${nodeId} left the cluster`, false);
  }

  // ---- the source end

  private follow(forward: Outgoing): void {
    const { source, participant, id, node } = forward;
    const on = <E extends keyof RoomEvents>(event: E, handler: (...args: RoomEvents[E]) => void) => {
      source.on(event, handler as never);
      forward.detach.push(() => source.off(event, handler as never));
    };
    const pipe = (producer: types.Producer) => void this.pipe(forward, producer);
    for (const producer of participant.producers.values()) pipe(producer);
    on('trackPublished', (p, producer) => {
      if (p === participant) pipe(producer);
    });
    on('trackUnpublished', (p, producer) => {
      if (p === participant) void this.send(node, { type: 'fwd.track_closed', id, producer_id: producer.id });
    });
    on('participantChanged', (p) => {
      if (p === participant)
        void this.send(node, { type: 'fwd.participant', id, participant: participantWire(participant) });
    });
    on('participantLeft', (p) => {
      if (p === participant) this.stopOutgoing(forward, 'the participant left its room', true);
    });
    on('closed', () => this.stopOutgoing(forward, 'its room closed', true));
  }

  private async pipe(forward: Outgoing, producer: types.Producer): Promise<void> {
    try {
      await forward.source.bringTo(producer.id, forward.source.router);
      const track = await forward.link.send(producer, forward.participant.sid);
      if (!track) return;
      await this.send(forward.node, { type: 'fwd.track', id: forward.id, track });
      const paused = () =>
        void this.send(forward.node, {
          type: 'fwd.track_paused',
          id: forward.id,
          producer_id: producer.id,
          paused: producer.paused,
        });
      producer.observer.on('pause', paused);
      producer.observer.on('resume', paused);
      forward.detach.push(() => {
        producer.observer.off('pause', paused);
        producer.observer.off('resume', paused);
      });
    } catch (err) {
      if (!producer.closed && !forward.link.closed)
        this.log.warn({ err: (err as Error).message, producer: producer.id }, 'could not forward a track');
    }
  }

  private stopOutgoing(forward: Outgoing, reason: string, tell: boolean): void {
    if (this.outgoing.get(forward.id) !== forward) return;
    this.outgoing.delete(forward.id);
    for (const off of forward.detach.splice(0)) off();
    forward.link.close();
    if (tell) void this.send(forward.node, { type: 'fwd.stop', id: forward.id, reason });
    this.log.info(
      { identity: forward.participant.identity, destination: forward.destination, reason },
      'forward stopped',
    );
  }

  // ---- the destination end

  private async open(from: string, message: Extract<ForwardMessage, { type: 'fwd.open' }>): Promise<void> {
    const { id, participant: wire } = message;
    let room: Room;
    try {
      room = this.deps.rooms.get(message.room) ?? (await this.deps.hostRoom(message.room));
      if (room.participants.has(wire.identity))
        throw new LkcError(
          'ALREADY_EXISTS',
          `participant ${wire.identity} is in room ${message.room} already`,
        );
    } catch (err) {
      const known = err instanceof LkcError;
      await this.send(from, {
        type: 'fwd.refuse',
        id,
        code: known ? err.code : 'INTERNAL',
        reason: known ? err.message : String(err),
      });
      return;
    }
    const link = await PipeLink.open(room, from, { srtp: await this.deps.otherHost(from) });
    await link.connect(message.end);
    const copy = room.addParticipant(wire.identity, {
      sid: wire.sid,
      name: wire.name,
      metadata: wire.metadata,
      permission: wire.permission,
      protocol: wire.protocol,
      forwarded: { room: message.source_room, node: from },
    });
    copy.attributes = { ...wire.attributes };
    const producers = new Map<string, types.Producer>();
    const left = (p: Participant) => {
      if (p === copy) this.stopIncoming(forward, 'removed from the destination room', true);
    };
    const closed = () => this.stopIncoming(forward, 'the destination room closed', true);
    room.on('participantLeft', left);
    room.once('closed', closed);
    const forward: Incoming = {
      id,
      node: from,
      room,
      copy,
      link,
      producers,
      detach: () => {
        room.off('participantLeft', left);
        room.off('closed', closed);
      },
    };
    this.incoming.set(id, forward);
    await this.send(from, { type: 'fwd.accept', id, end: link.end() });
  }

  private stopIncoming(forward: Incoming, reason: string, tell: boolean): void {
    if (this.incoming.get(forward.id) !== forward) return;
    this.incoming.delete(forward.id);
    forward.detach();
    forward.link.close();
    if (forward.room.participants.get(forward.copy.identity) === forward.copy)
      forward.room.removeParticipant(forward.copy.identity, `forward stopped: ${reason}`);
    if (tell) void this.send(forward.node, { type: 'fwd.stop', id: forward.id, reason });
  }

  // ---- messages

  private receive(message: ForwardMessage & BusMessage): void {
    const from = message.from;
    if (!from || typeof message.id !== 'string') return;
    void this.handle(from, message).catch((err: unknown) =>
      this.log.warn({ err: (err as Error).message, message: message.type }, 'a forward step failed'),
    );
  }

  private async handle(from: string, message: ForwardMessage): Promise<void> {
    const out = this.outgoing.get(message.id);
    const into = this.incoming.get(message.id);
    switch (message.type) {
      case 'fwd.open':
        return this.open(from, message);
      case 'fwd.accept':
        out?.accepted?.(message.end);
        return;
      case 'fwd.refuse':
        out?.refused?.(new LkcError(message.code, message.reason));
        return;
      case 'fwd.want':
        await out?.link.want(message.producer_id, message.want);
        return;
      case 'fwd.stop':
        if (out) this.stopOutgoing(out, message.reason, false);
        if (into) this.stopIncoming(into, message.reason, false);
        return;
      case 'fwd.participant':
        if (into && !into.copy.closed) {
          Object.assign(into.copy, {
            name: message.participant.name,
            metadata: message.participant.metadata,
            attributes: { ...message.participant.attributes },
            permission: { ...message.participant.permission },
          });
          into.copy.version++;
          into.room.emit('participantChanged', into.copy);
        }
        return;
      case 'fwd.track': {
        if (!into || into.copy.closed || into.producers.has(message.track.producer_id)) return;
        const producer = await into.link.receive(message.track, false);
        if (into.copy.closed) producer.close();
        else {
          const source = message.track.producer_id;
          into.producers.set(source, producer);
          const stop =
            producer.kind === 'video'
              ? into.room.videoDemand.follow(
                  producer.id,
                  (want) =>
                    void this.send(from, { type: 'fwd.want', id: into.id, producer_id: source, want }),
                )
              : () => {};
          producer.observer.once('close', () => {
            stop();
            into.producers.delete(source);
          });
          into.room.addProducer(into.copy, producer);
        }
        return;
      }
      case 'fwd.track_paused': {
        const producer = into?.producers.get(message.producer_id);
        if (!producer || producer.closed) return;
        if (message.paused) await producer.pause();
        else await producer.resume();
        return;
      }
      case 'fwd.track_closed':
        into?.producers.get(message.producer_id)?.close();
        return;
    }
  }

  private send(node: string, message: ForwardMessage): Promise<void> {
    return this.deps.bus.send(node, message as unknown as BusMessage);
  }
}
