/**
 * The page's own WebRTC figures: per received track (packets, bytes, frames decoded, bitrate) and per published
 * track, read from each consumer's and producer's own RTCRtpReceiver/Sender stats.
 */
import type { types } from 'mediasoup-client';
import type { Call } from './call.js';

export interface InboundStats {
  consumerId: string;
  producerId: string;
  participant: string;
  kind: 'audio' | 'video';
  ssrc: number | null;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  /** Bits per second since the previous reading. */
  bitrate: number;
}

export interface OutboundStats {
  producerId: string;
  kind: 'audio' | 'video';
  packetsSent: number;
  bytesSent: number;
  framesEncoded: number;
  bitrate: number;
}

export interface TransportStats {
  direction: 'send' | 'recv';
  connectionState: string;
  /** The room node's end of the selected ICE pair: media goes straight there, never through the signal node. */
  remoteAddress: string | null;
  remotePort: number | null;
  protocol: string | null;
}

export interface CallStats {
  at: number;
  inbound: InboundStats[];
  outbound: OutboundStats[];
  transports: TransportStats[];
}

// The browser caches stats for a moment: readings closer than this keep the last computed bitrate.
const MIN_INTERVAL_MS = 500;
const previous = new Map<string, { bytes: number; at: number; bitrate: number }>();

function bitrate(id: string, bytes: number, at: number): number {
  const last = previous.get(id);
  if (last && at - last.at < MIN_INTERVAL_MS) return last.bitrate;
  const rate = last ? Math.round(((bytes - last.bytes) * 8 * 1000) / (at - last.at)) : 0;
  previous.set(id, { bytes, at, bitrate: rate });
  return rate;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/**
 * The inbound-rtp entry of the consumer's own SSRC. A receiving peer connection also holds mediasoup-client's
 * probation receiver (ssrc 1234) whose counters stay at zero; matching the SSRC keeps it out.
 */
function inboundRtp(report: RTCStatsReport, ssrc: number | null): Record<string, unknown> | undefined {
  let fallback: Record<string, unknown> | undefined;
  for (const entry of report.values() as IterableIterator<Record<string, unknown>>) {
    if (entry.type !== 'inbound-rtp') continue;
    if (ssrc !== null && entry.ssrc === ssrc) return entry;
    if (entry.ssrc !== 1234) fallback ??= entry;
  }
  return ssrc === null ? fallback : undefined;
}

function outboundRtp(report: RTCStatsReport): Record<string, unknown> | undefined {
  for (const entry of report.values() as IterableIterator<Record<string, unknown>>) {
    if (entry.type === 'outbound-rtp') return entry;
  }
  return undefined;
}

async function consumerStats(consumer: types.Consumer, participant: string): Promise<InboundStats> {
  const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc ?? null;
  const entry = consumer.closed ? undefined : inboundRtp(await consumer.getStats(), ssrc);
  const at = Date.now();
  const bytesReceived = num(entry?.bytesReceived);
  return {
    consumerId: consumer.id,
    producerId: consumer.producerId,
    participant,
    kind: consumer.kind as 'audio' | 'video',
    ssrc,
    packetsReceived: num(entry?.packetsReceived),
    packetsLost: num(entry?.packetsLost),
    bytesReceived,
    framesDecoded: num(entry?.framesDecoded),
    frameWidth: num(entry?.frameWidth),
    frameHeight: num(entry?.frameHeight),
    bitrate: bitrate(consumer.id, bytesReceived, at),
  };
}

async function producerStats(producer: types.Producer): Promise<OutboundStats> {
  const entry = producer.closed ? undefined : outboundRtp(await producer.getStats());
  const bytesSent = num(entry?.bytesSent);
  return {
    producerId: producer.id,
    kind: producer.kind as 'audio' | 'video',
    packetsSent: num(entry?.packetsSent),
    bytesSent,
    framesEncoded: num(entry?.framesEncoded),
    bitrate: bitrate(producer.id, bytesSent, Date.now()),
  };
}

async function transportStats(transport: types.Transport): Promise<TransportStats> {
  const stats: TransportStats = {
    direction: transport.direction,
    connectionState: transport.connectionState,
    remoteAddress: null,
    remotePort: null,
    protocol: null,
  };
  if (transport.closed) return stats;
  const report = await transport.getStats();
  let pairId: string | undefined;
  for (const entry of report.values() as IterableIterator<Record<string, unknown>>) {
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string')
      pairId = entry.selectedCandidatePairId;
  }
  const pair = pairId ? (report.get(pairId) as Record<string, unknown> | undefined) : undefined;
  const remote = pair
    ? (report.get(String(pair.remoteCandidateId)) as Record<string, unknown> | undefined)
    : undefined;
  if (remote) {
    stats.remoteAddress = String(remote.address ?? remote.ip ?? '');
    stats.remotePort = num(remote.port);
    stats.protocol = String(remote.protocol ?? '');
  }
  return stats;
}

/** Reads every track's and transport's figures now. */
export async function readStats(call: Call): Promise<CallStats> {
  const transports = [call.sendTransport, call.recvTransport].filter(
    (t): t is types.Transport => t !== undefined,
  );
  const [inbound, outbound, transportFigures] = await Promise.all([
    Promise.all([...call.tracks.values()].map((track) => consumerStats(track.consumer, track.participant))),
    Promise.all([...call.producers.values()].map(producerStats)),
    Promise.all(transports.map(transportStats)),
  ]);
  return { at: Date.now(), inbound, outbound, transports: transportFigures };
}
