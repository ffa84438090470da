import type { ReceivedCounters, TrackKind } from '../src/loadtest/bot-contract.js';
import { emptyReceived } from '../src/loadtest/figures.js';
import { bucketOf, emptyHistogram } from '../src/loadtest/histogram.js';
import { isRtcp } from './rtp.js';
import { AUTH_TAG_BYTES, rtpAuthentic, type SrtpKeys } from './srtp.js';

/** One packet in this many has its SRTP tag checked: proof that the media is the node's, at a small cost. */
const CHECK_EVERY = 64;

/** One RTP stream a subscriber receives (one consumer). */
interface Stream {
  kind: TrackKind;
  /** RTP ticks per millisecond. */
  ticksPerMs: number;
  firstSeq: number;
  /** The highest sequence number seen, extended past 16 bits. */
  highestSeq: number;
  packets: number;
  bytes: number;
  /** RFC 3550 6.4.1, in RTP ticks. */
  jitter: number;
  lastTransit: number;
  /** When it was expected (its consumer answered), epoch ms. */
  expectedAt: number;
}

/** The epoch in ms, with sub-millisecond precision, the same in every process of this machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Counts what the subscribers of one process receive: loss from sequence numbers, RFC 3550 jitter and latency
 * from the RTP timestamp (the publisher's send time, rtp.ts), per stream, summed per kind. Reads headers only.
 */
export class ReceiveStats {
  private readonly streams = new Map<number, Stream>();
  private readonly latency: Record<TrackKind, number[]> = {
    audio: emptyHistogram(),
    video: emptyHistogram(),
  };
  private readonly firstPacket: Record<TrackKind, number[]> = {
    audio: emptyHistogram(),
    video: emptyHistogram(),
  };

  /** Expects media of `kind` on `ssrc` (a consumer's); other SSRCs (mediasoup's probation padding) are not counted. */
  expect(ssrc: number, kind: TrackKind, clockRate: number): void {
    if (this.streams.has(ssrc)) return;
    this.streams.set(ssrc, {
      kind,
      ticksPerMs: clockRate / 1000,
      firstSeq: -1,
      highestSeq: -1,
      packets: 0,
      bytes: 0,
      jitter: 0,
      lastTransit: 0,
      expectedAt: nowMs(),
    });
  }

  /** Tags checked and found wrong. */
  checked = 0;
  forged = 0;

  /**
   * One packet as it came off the socket: SRTP (the RTP header is clear; `keys` check a sample of tags), or plain
   * RTP when there are no keys (bench/media's floor without SRTP).
   */
  onPacket(packet: Buffer, keys?: SrtpKeys): void {
    const tag = keys ? AUTH_TAG_BYTES : 0;
    if (packet.length < 12 + tag || isRtcp(packet)) return;
    const stream = this.streams.get(packet.readUInt32BE(8));
    if (!stream) return;
    const arrival = nowMs();
    const seq = packet.readUInt16BE(2);
    if (stream.firstSeq < 0) {
      this.firstPacket[stream.kind][bucketOf(arrival - stream.expectedAt)]!++;
      stream.firstSeq = seq;
      stream.highestSeq = seq;
    } else {
      // The extended number nearest to the highest one: a packet late across a wrap counts below it.
      const delta = ((seq - (stream.highestSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
      if (delta > 0) stream.highestSeq += delta;
    }
    stream.packets++;
    stream.bytes += packet.length - tag;
    if (keys && stream.packets % CHECK_EVERY === 1) {
      // The rollover counter of this packet: its extended sequence number's high bits (mediasoup starts at 0).
      const extended =
        stream.highestSeq + (((seq - (stream.highestSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000);
      this.checked++;
      if (!rtpAuthentic(keys, packet, Math.floor(extended / 0x10000))) this.forged++;
    }
    const arrivalTicks = (arrival * stream.ticksPerMs) % 0x1_0000_0000;
    const timestamp = packet.readUInt32BE(4);
    // Both in RTP ticks modulo 2^32: the difference, brought into [-2^31, 2^31), is the transit time.
    let transit = arrivalTicks - timestamp;
    if (transit < -0x8000_0000) transit += 0x1_0000_0000;
    else if (transit >= 0x8000_0000) transit -= 0x1_0000_0000;
    if (stream.packets > 1) stream.jitter += (Math.abs(transit - stream.lastTransit) - stream.jitter) / 16;
    stream.lastTransit = transit;
    this.latency[stream.kind][bucketOf(transit / stream.ticksPerMs)]!++;
  }

  /** The counters so far, summed per kind. */
  counters(): Record<TrackKind, ReceivedCounters> {
    const counters = {
      audio: this.empty('audio'),
      video: this.empty('video'),
    };
    for (const stream of this.streams.values()) {
      if (stream.packets === 0) continue;
      const sum = counters[stream.kind];
      sum.tracks++;
      sum.packets += stream.packets;
      sum.bytes += stream.bytes;
      sum.expected += stream.highestSeq - stream.firstSeq + 1;
      sum.jitterMs += stream.jitter / stream.ticksPerMs;
    }
    return counters;
  }

  private empty(kind: TrackKind): ReceivedCounters {
    return {
      ...emptyReceived(),
      latency: [...this.latency[kind]],
      firstPacket: [...this.firstPacket[kind]],
    };
  }
}
