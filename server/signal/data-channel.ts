import { DataPacket, DataPacket_Kind, UserPacket } from '@livekit/protocol';
import type { types } from 'mediasoup';
import { parseDataMessage } from '../../src/signal/data-message.js';
import { MAX_DATA_MESSAGE_BYTES, type NodeDataMessage } from '../../src/signal/protocol.js';
import { SignalRequestError } from '../../src/signal/responses.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import { isFor, type Room, type RoomData } from '../media/room.js';

/** Data producers a participant may open (the join page opens one). */
export const MAX_DATA_PRODUCERS = 4;
/** Data consumers a participant may open; each gets every message for it. */
export const MAX_DATA_CONSUMERS = 4;
/** Messages held for a participant whose data consumer's SCTP association is not up yet. */
const MAX_WAITING = 64;
/** What the node's own channel to each participant is called. */
const OUT_LABEL = 'lkc';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What one of our participants receives of a room's data message: LiveKit's DataPacket as a NodeDataMessage's
 * JSON text. Only user packets are delivered; LiveKit's other kinds (RPC, streams, transcriptions, ...) are
 * skipped. Undefined when there is nothing to deliver.
 */
export function nodeDataMessage(message: RoomData): string | undefined {
  let packet: DataPacket;
  try {
    packet = DataPacket.fromBinary(message.packet);
  } catch {
    return undefined;
  }
  if (packet.value.case !== 'user') return undefined;
  const user = packet.value.value;
  const out: NodeDataMessage = {
    from: message.from?.identity ?? (packet.participantIdentity || user.participantIdentity || null),
    data: '',
    reliable: message.reliable,
  };
  if (user.topic !== undefined) out.topic = user.topic;
  try {
    out.data = utf8.decode(user.payload);
  } catch {
    out.data = Buffer.from(user.payload).toString('base64');
    out.binary = true;
  }
  return JSON.stringify(out);
}

/** A client's data message as LiveKit's DataPacket, sent by `participant` (identity and sid stamped). */
export function dataPacketOf(
  participant: Pick<Participant, 'identity' | 'sid'>,
  message: { topic?: string; data: string; to?: string[]; reliable?: boolean },
): Omit<RoomData, 'from'> {
  const reliable = message.reliable !== false;
  const destinations = message.to ?? [];
  const { identity, sid } = participant;
  const packet = new DataPacket({
    kind: reliable ? DataPacket_Kind.RELIABLE : DataPacket_Kind.LOSSY,
    participantIdentity: identity,
    participantSid: sid,
    destinationIdentities: destinations,
    value: {
      case: 'user',
      value: new UserPacket({
        participantIdentity: identity,
        participantSid: sid,
        payload: new TextEncoder().encode(message.data),
        destinationIdentities: destinations,
        ...(message.topic !== undefined ? { topic: message.topic } : {}),
      }),
    },
  });
  return { destinations, reliable, packet: packet.toBinary() };
}

const links = new WeakMap<Participant, DataChannels>();

/**
 * The data messages of one participant of our protocol. In: its data producers on its send transport, read
 * through a DirectTransport DataConsumer each, turned into LiveKit DataPackets for the room. Out: one DataProducer
 * of that DirectTransport, consumed on the participant's receive transport, carrying every room message for it
 * (as LiveKit's data link does, the sender never gets its own, and `destinations` are honoured).
 */
export class DataChannels {
  readonly producers = new Map<string, types.DataProducer>();
  /** Each data consumer, with the receive transport it is on. */
  readonly consumers = new Map<types.DataConsumer, types.WebRtcTransport>();
  private direct?: Promise<types.DirectTransport>;
  private out?: types.DataProducer;
  private readonly waiting: string[] = [];
  private closed = false;
  private readonly onData = (message: RoomData) => this.deliver(message);
  private readonly onLeft = (participant: Participant) => {
    if (participant === this.participant) this.close();
  };
  private readonly onClosed = () => this.close();

  /** The participant's data channels, made on first use. */
  static of(room: Room, participant: Participant, logger: Logger): DataChannels {
    let link = links.get(participant);
    if (!link) {
      link = new DataChannels(room, participant, logger);
      links.set(participant, link);
    }
    return link;
  }

  private constructor(
    private readonly room: Room,
    private readonly participant: Participant,
    private readonly logger: Logger,
  ) {
    // A participant that left meanwhile (a request racing its leave) gets channels that refuse everything.
    if (participant.closed || room.closed) {
      this.closed = true;
      return;
    }
    room.on('participantLeft', this.onLeft);
    room.once('closed', this.onClosed);
  }

  /** A data producer on the participant's send transport, whose messages go to the room. */
  async produce(
    transport: types.WebRtcTransport,
    options: { sctpStreamParameters: types.SctpStreamParameters; label?: string; protocol?: string },
  ): Promise<types.DataProducer> {
    if (this.producers.size >= MAX_DATA_PRODUCERS)
      throw new SignalRequestError(
        'forbidden',
        `a participant has at most ${MAX_DATA_PRODUCERS} data producers`,
      );
    const direct = await this.directTransport();
    const producer = await transport.produceData({
      sctpStreamParameters: options.sctpStreamParameters,
      label: options.label ?? '',
      protocol: options.protocol ?? '',
      appData: { participant: this.participant.identity },
    });
    let reader: types.DataConsumer;
    try {
      reader = await direct.consumeData({ dataProducerId: producer.id });
    } catch (err) {
      producer.close();
      throw err;
    }
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      reader.close();
    });
    reader.on('message', (message) => this.received(message));
    return producer;
  }

  /** A data consumer on the participant's receive transport, carrying the room's messages for it. */
  async consume(transport: types.WebRtcTransport): Promise<types.DataConsumer> {
    if (this.consumers.size >= MAX_DATA_CONSUMERS)
      throw new SignalRequestError(
        'forbidden',
        `a participant has at most ${MAX_DATA_CONSUMERS} data consumers`,
      );
    const out = await this.outbound();
    const consumer = await transport.consumeData({ dataProducerId: out.id });
    this.consumers.set(consumer, transport);
    consumer.observer.once('close', () => this.consumers.delete(consumer));
    if (transport.sctpState !== 'connected') {
      const connected = (state: types.SctpState) => {
        if (state !== 'connected') return;
        transport.off('sctpstatechange', connected);
        this.flush();
      };
      transport.on('sctpstatechange', connected);
    }
    this.room.off('data', this.onData);
    this.room.on('data', this.onData);
    return consumer;
  }

  /** Stops listening to the room and closes the node's side of every channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    links.delete(this.participant);
    this.room.off('data', this.onData);
    this.room.off('participantLeft', this.onLeft);
    this.room.off('closed', this.onClosed);
    this.waiting.length = 0;
    void this.direct?.then((direct) => direct.close()).catch(() => undefined);
  }

  private directTransport(): Promise<types.DirectTransport> {
    if (this.closed || this.participant.closed)
      throw new SignalRequestError('unavailable', `participant ${this.participant.identity} has left`);
    if (!this.direct) {
      const made = this.room.routerOf(this.participant).createDirectTransport();
      // A failed creation is not remembered: the next request tries again.
      made.catch(() => {
        if (this.direct === made) this.direct = undefined;
      });
      this.direct = made.then((direct) => {
        if (this.closed) direct.close();
        return direct;
      });
    }
    return this.direct;
  }

  private async outbound(): Promise<types.DataProducer> {
    const direct = await this.directTransport();
    if (!this.out || this.out.closed) this.out = await direct.produceData({ label: OUT_LABEL });
    return this.out;
  }

  /** A message sent in the room: to this participant's consumers when it is for it. */
  private deliver(message: RoomData): void {
    if (this.closed || !isFor(message, this.participant)) return;
    const text = nodeDataMessage(message);
    if (text === undefined) return;
    if (!this.connected()) {
      if (this.waiting.length < MAX_WAITING) this.waiting.push(text);
      return;
    }
    this.send(text);
  }

  /** True when a data consumer's association is up (before that, mediasoup would drop what is sent). */
  private connected(): boolean {
    for (const transport of this.consumers.values()) if (transport.sctpState === 'connected') return true;
    return false;
  }

  private flush(): void {
    for (const text of this.waiting.splice(0)) this.send(text);
  }

  private send(text: string): void {
    const out = this.out;
    if (!out || out.closed) return;
    try {
      out.send(text);
    } catch (err) {
      this.logger.debug({ err: String(err), identity: this.participant.identity }, 'data message not sent');
    }
  }

  private received(message: Buffer): void {
    if (this.closed || !this.participant.permission.canPublishData) return;
    const parsed = this.read(message);
    if (!parsed.ok) {
      this.logger.debug(
        { identity: this.participant.identity, why: parsed.problem },
        'dropped a data message',
      );
      return;
    }
    this.room.sendData({ from: this.participant, ...dataPacketOf(this.participant, parsed.message) });
  }

  private read(message: Buffer): ReturnType<typeof parseDataMessage> {
    if (message.length > MAX_DATA_MESSAGE_BYTES)
      return { ok: false, problem: `over ${MAX_DATA_MESSAGE_BYTES} bytes` };
    try {
      return parseDataMessage(utf8.decode(message));
    } catch {
      return { ok: false, problem: 'not UTF-8' };
    }
  }
}
