import type { BotSnapshot, ReceivedCounters, SentCounters, TrackKind } from './bot-contract.js';
import { addHistogram, emptyHistogram, histogramPercentile } from './histogram.js';

export const KINDS: TrackKind[] = ['audio', 'video'];

/** Every process's counters added up. */
export interface FleetCounters {
  ready: number;
  failed: number;
  cpuMicros: number;
  received: Record<TrackKind, ReceivedCounters>;
  sent: Record<TrackKind, SentCounters>;
  srtpChecked: number;
  srtpForged: number;
}

/** Counters of a kind nothing was received of yet. */
export function emptyReceived(): ReceivedCounters {
  return {
    tracks: 0,
    packets: 0,
    bytes: 0,
    expected: 0,
    jitterMs: 0,
    latency: emptyHistogram(),
    firstPacket: emptyHistogram(),
  };
}

/** Adds up the snapshots of every bot process. */
export function sumSnapshots(snapshots: BotSnapshot[]): FleetCounters {
  const sum: FleetCounters = {
    ready: 0,
    failed: 0,
    cpuMicros: 0,
    received: { audio: emptyReceived(), video: emptyReceived() },
    sent: { audio: { tracks: 0, packets: 0, bytes: 0 }, video: { tracks: 0, packets: 0, bytes: 0 } },
    srtpChecked: 0,
    srtpForged: 0,
  };
  for (const s of snapshots) {
    sum.ready += s.ready;
    sum.srtpChecked += s.srtpChecked;
    sum.srtpForged += s.srtpForged;
    sum.failed += s.failed;
    sum.cpuMicros += s.cpuMicros;
    for (const kind of KINDS) {
      const r = sum.received[kind];
      const got = s.received[kind];
      r.tracks += got.tracks;
      r.packets += got.packets;
      r.bytes += got.bytes;
      r.expected += got.expected;
      r.jitterMs += got.jitterMs;
      addHistogram(r.latency, got.latency);
      addHistogram(r.firstPacket, got.firstPacket);
      sum.sent[kind].tracks += s.sent[kind].tracks;
      sum.sent[kind].packets += s.sent[kind].packets;
      sum.sent[kind].bytes += s.sent[kind].bytes;
    }
  }
  return sum;
}

/** What the subscribers received of one kind over a window of the run. */
export interface KindFigures {
  kind: TrackKind;
  /** Tracks the publishers sent (a simulcast track counts once). */
  sentTracks: number;
  /** Streams the subscribers received (one per subscriber and track). */
  tracks: number;
  /** Received, all tracks together (bits/s). */
  bitrate: number;
  /** Received per track (bits/s). */
  trackBitrate: number;
  packetsPerSecond: number;
  /** Lost / expected, from the sequence numbers (0..1). */
  loss: number;
  /** Mean of the tracks' RFC 3550 jitter at the end of the window (ms). */
  jitterMs: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/** The figures of the window between two sums of counters. */
export function windowFigures(start: FleetCounters, end: FleetCounters, seconds: number): KindFigures[] {
  return KINDS.map((kind) => {
    const a = start.received[kind];
    const b = end.received[kind];
    const packets = b.packets - a.packets;
    const expected = b.expected - a.expected;
    const latency = [...b.latency];
    addHistogram(latency, a.latency, -1);
    return {
      kind,
      sentTracks: end.sent[kind].tracks,
      tracks: b.tracks,
      bitrate: ((b.bytes - a.bytes) * 8) / seconds,
      trackBitrate: b.tracks > 0 ? ((b.bytes - a.bytes) * 8) / seconds / b.tracks : 0,
      packetsPerSecond: packets / seconds,
      loss: expected > 0 ? Math.max(0, expected - packets) / expected : 0,
      jitterMs: b.tracks > 0 ? b.jitterMs / b.tracks : 0,
      latencyP50Ms: histogramPercentile(latency, 0.5) ?? null,
      latencyP99Ms: histogramPercentile(latency, 0.99) ?? null,
    };
  });
}

/** Packets received and sent by the bots between two sums. */
export function packetsHandled(start: FleetCounters, end: FleetCounters): { received: number; sent: number } {
  let received = 0;
  let sent = 0;
  for (const kind of KINDS) {
    received += end.received[kind].packets - start.received[kind].packets;
    sent += end.sent[kind].packets - start.sent[kind].packets;
  }
  return { received, sent };
}
