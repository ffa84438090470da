import type { types } from 'mediasoup';
import type { Room, RoomRole } from '../media/room.js';
import { trackOf } from '../media/track.js';
import type { PipeEnd, TrackWire } from './span-messages.js';

/**
 * One pipe between this node's part of a spanning room and one other node's: a mediasoup PipeTransport pair (RTX
 * on, SRTP when the nodes are on different hosts), with this node's tracks going out as pipe consumers and the
 * other node's coming in as producers that keep their ids. Audio flows as soon as it is piped; video only while
 * the other node's consumers want it (see `want`). Keyframe requests and simulcast layers cross the pipe as
 * mediasoup forwards them.
 */
export class PipeLink {
  /** This node's tracks piped to the peer, by producer id. */
  private readonly outgoing = new Map<string, types.Consumer>();
  /** Tracks the peer wants, by producer id (a want may come before the track is piped again). */
  private readonly wanted = new Set<string>();
  /** The peer's tracks, piped in, by producer id. */
  readonly incoming = new Map<string, types.Producer>();
  connected = false;
  closed = false;

  private constructor(
    readonly peer: string,
    readonly transport: types.PipeTransport,
    /** The peer's part of the room and its region, once it said. */
    public peerRole: RoomRole | undefined,
    public peerRegion: string,
  ) {}

  /** Opens this node's end of a pipe to `peer` on the room's router. */
  static async open(room: Room, peer: string, options: { srtp: boolean }): Promise<PipeLink> {
    const { listen, slot } = room;
    const transport = await room.router.createPipeTransport({
      listenInfo: {
        protocol: 'udp',
        ip: listen.ip,
        announcedAddress: listen.announcedAddress || undefined,
        portRange: { min: slot.ports.start, max: slot.ports.end },
      },
      enableRtx: true,
      enableSrtp: options.srtp,
      appData: { pipeTo: peer },
    });
    return new PipeLink(peer, transport, undefined, '');
  }

  /** Where the peer sends to this end. */
  end(): PipeEnd {
    const { tuple, srtpParameters } = this.transport;
    return {
      ip: tuple.localAddress ?? tuple.localIp,
      port: tuple.localPort,
      ...(srtpParameters ? { srtp: srtpParameters } : {}),
    };
  }

  /** Connects to the peer's end. */
  async connect(remote: PipeEnd): Promise<void> {
    if (this.connected || this.closed) return;
    await this.transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtp });
    this.connected = true;
  }

  /** Pipes one of this node's tracks to the peer; undefined when the producer closed meanwhile. */
  async send(producer: types.Producer, participantSid: string): Promise<TrackWire | undefined> {
    if (this.closed || producer.closed || this.outgoing.has(producer.id)) return undefined;
    const consumer = await this.transport.consume({ producerId: producer.id });
    if (this.closed || producer.closed) {
      consumer.close();
      return undefined;
    }
    // Video crosses only while the peer's consumers want it: the pipe waits paused until they ask.
    if (producer.kind === 'video' && !this.wanted.has(producer.id)) await consumer.pause();
    this.outgoing.set(producer.id, consumer);
    consumer.observer.once('close', () => {
      if (this.outgoing.get(producer.id) === consumer) this.outgoing.delete(producer.id);
    });
    return {
      producer_id: producer.id,
      participant_sid: participantSid,
      kind: producer.kind,
      rtp_parameters: consumer.rtpParameters,
      paused: producer.paused,
      meta: trackOf(producer),
    };
  }

  /** The peer's consumers want one of this node's tracks (resumed, with a keyframe asked for) or no longer do. */
  async want(producerId: string, want: boolean): Promise<void> {
    if (want) this.wanted.add(producerId);
    else this.wanted.delete(producerId);
    const consumer = this.outgoing.get(producerId);
    if (!consumer || consumer.closed || consumer.kind !== 'video') return;
    if (want && consumer.paused) {
      await consumer.resume();
      // The receiver's consumers asked for a keyframe while the pipe was paused; the pipe asks again.
      await consumer.requestKeyFrame().catch(() => undefined);
    } else if (!want && !consumer.paused) {
      await consumer.pause();
    }
  }

  /** True while the peer's consumers want this track (audio always flows). */
  flowing(producerId: string): boolean {
    const consumer = this.outgoing.get(producerId);
    return consumer !== undefined && !consumer.paused;
  }

  /**
   * The peer's track arrives: a producer on this end with the peer's track data, keeping the peer's producer id
   * unless `keepId` is false (a forwarded track, whose room may share a worker with the source room).
   */
  async receive(track: TrackWire, keepId = true): Promise<types.Producer> {
    const producer = await this.transport.produce({
      ...(keepId ? { id: track.producer_id } : {}),
      kind: track.kind,
      rtpParameters: track.rtp_parameters,
      paused: track.paused,
      appData: { track: track.meta, pipedFrom: this.peer },
    });
    this.incoming.set(producer.id, producer);
    producer.observer.once('close', () => {
      if (this.incoming.get(producer.id) === producer) this.incoming.delete(producer.id);
    });
    return producer;
  }

  /** Bytes and tracks on this pipe, for the node's metrics. */
  async stats(): Promise<{ bytesSent: number; bytesReceived: number }> {
    if (this.closed) return { bytesSent: 0, bytesReceived: 0 };
    const [stats] = await this.transport.getStats();
    return { bytesSent: stats?.bytesSent ?? 0, bytesReceived: stats?.bytesReceived ?? 0 };
  }

  /** Whether media on this pipe is SRTP-encrypted (the nodes are on different hosts). */
  get encrypted(): boolean {
    return this.transport.srtpParameters !== undefined;
  }

  get tracksOut(): number {
    return this.outgoing.size;
  }

  /** Video tracks of this node crossing to the peer now (its consumers want them). */
  get videoFlowing(): number {
    let count = 0;
    for (const consumer of this.outgoing.values()) if (consumer.kind === 'video' && !consumer.paused) count++;
    return count;
  }

  /** Closes the pipe: its consumers here and the peer's producers here close with it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
