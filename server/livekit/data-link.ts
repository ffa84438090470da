import { DataPacket, DataPacket_Kind } from '@livekit/protocol';
import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import { isFor, type Room, type RoomData } from '../media/room.js';

// SCTP payload protocol ids (RFC 8831): DCEP, binary.
const PPID_DCEP = 50;
const PPID_BINARY = 53;

/**
 * The client opens its channels itself and mediasoup does not answer DCEP, so the node takes data on the
 * streams clients use: the DTLS client's ids are even, in creation order, and the SDKs differ (JS: _lossy 0,
 * _reliable 2, _data_track 4; Rust: _reliable 0, _lossy 2). Which channel a packet came on does not matter: the
 * packet says whether it is reliable.
 */
const CLIENT_STREAMS = [0, 2, 4];

/** Frames held for a client whose subscriber channels are not open yet. */
const MAX_WAITING = 64;

/** A DCEP DATA_CHANNEL_OPEN (RFC 8832): reliable ordered, or unordered with no retransmissions. */
function dcepOpen(label: string, reliable: boolean): Buffer {
  const name = Buffer.from(label, 'utf8');
  const head = Buffer.alloc(12);
  head.writeUInt8(0x03, 0);
  head.writeUInt8(reliable ? 0x00 : 0x81, 1);
  head.writeUInt16BE(0, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(name.length, 8);
  head.writeUInt16BE(0, 10);
  return Buffer.concat([head, name]);
}

/**
 * A LiveKit session's data channels. In: DataPackets on the publisher transport's SCTP streams, read through a
 * DirectTransport, stamped with the sender and handed to the room. Out: `_reliable` and `_lossy` channels the
 * node opens on the subscriber transport (as LiveKit's server does; the Rust client reads only those), fed from
 * this session's own DirectTransport producers so that each packet reaches only the participants it is for.
 */
export class DataLink {
  private direct?: types.DirectTransport;
  private reliableOut?: types.DataProducer;
  private lossyOut?: types.DataProducer;
  private open = false;
  private readonly waiting: { packet: Uint8Array; reliable: boolean }[] = [];

  constructor(
    private readonly room: Room,
    private readonly participant: Participant,
    private readonly logger: Logger,
  ) {}

  async start(publisher: types.WebRtcTransport, subscriber: types.WebRtcTransport): Promise<void> {
    const direct = await this.room.routerOf(this.participant).createDirectTransport();
    this.direct = direct;
    for (const streamId of CLIENT_STREAMS) {
      const inbound = await publisher.produceData({ sctpStreamParameters: { streamId, ordered: true } });
      const reader = await direct.consumeData({ dataProducerId: inbound.id });
      reader.on('message', (message, ppid) => this.received(message, ppid));
    }
    this.reliableOut = await direct.produceData({ label: '_reliable' });
    this.lossyOut = await direct.produceData({ label: '_lossy' });
    await this.openOut(subscriber);
  }

  /** Delivers a room's data message to this client when it is for it. */
  deliver(message: RoomData): void {
    if (!isFor(message, this.participant)) return;
    if (!this.open) {
      if (this.waiting.length < MAX_WAITING) this.waiting.push(message);
      return;
    }
    this.send(message.packet, message.reliable);
  }

  close(): void {
    this.direct?.close();
  }

  private send(packet: Uint8Array, reliable: boolean): void {
    const out = reliable ? this.reliableOut : this.lossyOut;
    if (out && !out.closed) out.send(Buffer.from(packet), PPID_BINARY);
  }

  /**
   * The node is the DTLS server on the subscriber transport, so its channels take odd stream ids. mediasoup
   * hands out SCTP stream ids in order from 0; taking (and dropping) an even one before each keeps them odd.
   */
  private async openOut(subscriber: types.WebRtcTransport): Promise<void> {
    const channels: [types.DataProducer, boolean][] = [
      [this.reliableOut!, true],
      [this.lossyOut!, false],
    ];
    const consumers: types.DataConsumer[] = [];
    for (const [producer, reliable] of channels) {
      const spacer = await subscriber.consumeData({ dataProducerId: producer.id });
      const consumer = await subscriber.consumeData(
        reliable
          ? { dataProducerId: producer.id, ordered: true }
          : { dataProducerId: producer.id, ordered: false, maxRetransmits: 0 },
      );
      spacer.close();
      consumers.push(consumer);
    }
    const announce = () => {
      if (this.open) return;
      this.open = true;
      this.reliableOut?.send(dcepOpen('_reliable', true), PPID_DCEP);
      this.lossyOut?.send(dcepOpen('_lossy', false), PPID_DCEP);
      for (const { packet, reliable } of this.waiting.splice(0)) this.send(packet, reliable);
    };
    if (subscriber.sctpState === 'connected') announce();
    else
      subscriber.on('sctpstatechange', (state) => {
        if (state === 'connected') announce();
      });
    this.logger.debug(
      { streams: consumers.map((c) => c.sctpStreamParameters?.streamId) },
      'data channels to the client',
    );
  }

  private received(message: Buffer, ppid: number): void {
    if (ppid === PPID_DCEP) return;
    if (!this.participant.permission.canPublishData) return;
    let packet: DataPacket;
    try {
      packet = DataPacket.fromBinary(message);
    } catch (err) {
      this.logger.debug({ err: String(err) }, 'dropped a data message that is not a DataPacket');
      return;
    }
    const { identity, sid } = this.participant;
    packet.participantIdentity = identity;
    packet.participantSid = sid;
    const destinations = [...packet.destinationIdentities];
    if (packet.value.case === 'user') {
      const user = packet.value.value;
      user.participantIdentity = identity;
      user.participantSid = sid;
      destinations.push(...user.destinationIdentities);
    }
    this.room.sendData({
      from: this.participant,
      destinations: [...new Set(destinations)],
      reliable: packet.kind !== DataPacket_Kind.LOSSY,
      packet: packet.toBinary(),
    });
  }
}
