import type { BotSpec } from '../src/loadtest/bot-contract.js';
import type { ProducerInfo, RtpCapabilities } from '../src/signal/protocol.js';
import { negotiate, newPeerConnection, type PeerConnection } from './peer.js';
import type { ReceiveStats } from './receive-stats.js';
import type { MediaRtpParameters, RemoteMedia, TransportParameters } from './remote-sdp.js';
import { SignalClient } from './signal-client.js';

/**
 * What a bot can receive: a browser's codecs (Opus, VP8 with NACK, PLI and FIR) and no header extension, so that
 * nothing asks the node for more per packet than forwarding (no transport-wide congestion control: bots send no
 * feedback).
 */
const RECV_CAPABILITIES = {
  codecs: [
    {
      kind: 'audio',
      mimeType: 'audio/opus',
      preferredPayloadType: 100,
      clockRate: 48000,
      channels: 2,
      parameters: {},
      rtcpFeedback: [],
    },
    {
      kind: 'video',
      mimeType: 'video/VP8',
      preferredPayloadType: 101,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    },
  ],
  headerExtensions: [],
} as unknown as RtpCapabilities;

/** A new producer is consumed after this pause, with the others announced meanwhile: one renegotiation for all. */
const BATCH_MS = 50;

/**
 * A bot that joins and receives every track published in the room, on one receive transport: each consumer is an
 * m-line of the node's offer; every packet goes to the process's ReceiveStats.
 */
export class Subscriber {
  private readonly media: RemoteMedia[] = [];
  private readonly pending: ProducerInfo[] = [];
  /** Held so that the garbage collector keeps them (and their callbacks) for as long as the bot lives. */
  private readonly tracks: ReturnType<PeerConnection['addTrack']>[] = [];
  private readonly negotiation = { version: 0, connected: false };
  private chain = Promise.resolve();
  private batch?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly identity: string,
    private readonly signal: SignalClient,
    private readonly pc: PeerConnection,
    private readonly transport: TransportParameters,
    private readonly stats: ReceiveStats,
    private readonly onError: (err: Error) => void,
  ) {
    pc.onTrack((track) => {
      this.tracks.push(track);
      track.onMessage((packet) => stats.onPacket(packet));
    });
    signal.onNotification((method, data) => {
      if (method === 'newProducer') this.add([(data as { producer: ProducerInfo }).producer]);
    });
  }

  static async join(
    url: string,
    bot: BotSpec,
    stats: ReceiveStats,
    onError: (err: Error) => void,
  ): Promise<Subscriber> {
    const signal = await SignalClient.open(url, bot.token);
    const pc = newPeerConnection(bot.identity);
    try {
      const joined = await signal.request('join', {});
      const transport = (await signal.request('createWebRtcTransport', {
        direction: 'recv',
      })) as unknown as TransportParameters;
      const subscriber = new Subscriber(bot.identity, signal, pc, transport, stats, onError);
      subscriber.add(joined.producers);
      await subscriber.chain;
      return subscriber;
    } catch (err) {
      pc.close();
      signal.close();
      throw err;
    }
  }

  private add(producers: ProducerInfo[]): void {
    if (producers.length === 0) return;
    this.pending.push(...producers);
    this.batch ??= setTimeout(() => {
      this.batch = undefined;
      this.chain = this.chain.then(() => this.consumePending()).catch((err) => this.onError(err));
    }, BATCH_MS);
  }

  private async consumePending(): Promise<void> {
    const producers = this.pending.splice(0);
    if (this.closed || producers.length === 0) return;
    const consumers = await Promise.all(
      producers.map((producer) =>
        this.signal.request('consume', {
          transportId: this.transport.id,
          producerId: producer.id,
          rtpCapabilities: RECV_CAPABILITIES,
        }),
      ),
    );
    for (const consumer of consumers) {
      const rtp = consumer.rtpParameters as unknown as MediaRtpParameters;
      this.media.push({ mid: rtp.mid!, kind: consumer.kind, direction: 'sendonly', rtp });
      const ssrc = rtp.encodings?.[0]?.ssrc;
      if (ssrc !== undefined) this.stats.expect(ssrc, consumer.kind, rtp.codecs[0]!.clockRate);
    }
    await negotiate(this.pc, this.signal, this.transport, this.media, this.negotiation);
    await Promise.all(
      consumers.map((consumer) => this.signal.request('resumeConsumer', { consumerId: consumer.id })),
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.batch);
    this.signal.close();
    this.pc.close();
  }
}
