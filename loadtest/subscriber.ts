import type { BotSpec } from '../src/loadtest/bot-contract.js';
import type { ProducerInfo, RtpCapabilities } from '../src/signal/protocol.js';
import type { ReceiveStats } from './receive-stats.js';
import { RtcLink, type TransportParameters } from './rtc-link.js';
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

/**
 * A bot that joins and receives every track published in the room on one receive transport; every packet goes to
 * the process's ReceiveStats, read by its clear RTP header.
 */
export class Subscriber {
  private chain = Promise.resolve();
  private closed = false;
  /** Producers consumed or being consumed: a track in the join's answer may also come as a notification. */
  private readonly consumed = new Set<string>();

  private constructor(
    readonly identity: string,
    private readonly signal: SignalClient,
    private readonly link: RtcLink,
    private readonly transport: TransportParameters,
    private readonly stats: ReceiveStats,
    private readonly onError: (err: Error) => void,
  ) {
    link.onRtp = (packet) => stats.onPacket(packet, link.receiveKeys);
    signal.onNotification((method, data) => {
      if (method === 'newProducer') this.consume([(data as { producer: ProducerInfo }).producer]);
    });
  }

  static async join(
    url: string,
    bot: BotSpec,
    stats: ReceiveStats,
    onError: (err: Error) => void,
  ): Promise<Subscriber> {
    const signal = await SignalClient.open(url, bot.token);
    let link: RtcLink | undefined;
    try {
      const joined = await signal.request('join', {});
      const transport = (await signal.request('createWebRtcTransport', {
        direction: 'recv',
      })) as unknown as TransportParameters;
      link = await RtcLink.connect(transport, signal);
      const subscriber = new Subscriber(bot.identity, signal, link, transport, stats, onError);
      subscriber.consume(joined.producers);
      await subscriber.chain;
      return subscriber;
    } catch (err) {
      link?.close();
      signal.close();
      throw err;
    }
  }

  /** Consumes producers one after another (each consumer starts paused, and is resumed once counted). */
  private consume(producers: ProducerInfo[]): void {
    for (const producer of producers) {
      if (this.consumed.has(producer.id)) continue;
      this.consumed.add(producer.id);
      this.chain = this.chain
        .then(async () => {
          if (this.closed) return;
          const consumer = await this.signal.request('consume', {
            transportId: this.transport.id,
            producerId: producer.id,
            rtpCapabilities: RECV_CAPABILITIES,
          });
          const rtp = consumer.rtpParameters as unknown as {
            codecs: { clockRate: number }[];
            encodings: { ssrc: number }[];
          };
          this.stats.expect(rtp.encodings[0]!.ssrc, consumer.kind, rtp.codecs[0]!.clockRate);
          await this.signal.request('resumeConsumer', { consumerId: consumer.id });
        })
        .catch((err) => this.onError(err));
    }
  }

  close(): void {
    this.closed = true;
    this.signal.close();
    this.link.close();
  }
}
