/**
 * What `lk-cluster load-test` and its bot processes say to each other over the IPC channel. The bots live in
 * loadtest/ (they load native WebRTC); the command's library here starts them by path and never imports them.
 */

export type TrackKind = 'audio' | 'video';

/** One bot: a participant that publishes, or one that subscribes to everything published. */
export interface BotSpec {
  identity: string;
  /** A join token for the room, minted by the command: the bots never see the API secret. */
  token: string;
  role: 'publisher' | 'subscriber';
}

/** What every publisher sends. */
export interface PublishSpec {
  /** A clip name per simulcast layer, lowest first (one without simulcast), e.g. `720p`; none: no video. */
  videoLayers: string[];
  audio: boolean;
}

export interface StartMessage {
  type: 'start';
  url: string;
  bots: BotSpec[];
  publish: PublishSpec;
}

/** Asks for a snapshot of the counters; `id` comes back in the answer. */
export interface SnapshotRequest {
  type: 'snapshot';
  id: number;
}

export interface StopMessage {
  type: 'stop';
}

export type ToBots = StartMessage | SnapshotRequest | StopMessage;

/** What the subscribers of one process received of one kind, counted since they started. */
export interface ReceivedCounters {
  /** Streams (consumers) that delivered at least one packet. */
  tracks: number;
  packets: number;
  /** RTP bytes (header and payload, after SRTP was removed). */
  bytes: number;
  /** Packets the sequence numbers say should have arrived (highest - first + 1, per stream). */
  expected: number;
  /** Sum over the streams of RFC 3550's interarrival jitter, in ms (divide by `tracks` for the mean). */
  jitterMs: number;
  /** Latency from the publisher's send to arrival (a histogram, see histogram.ts). */
  latency: number[];
  /** From each consumer's answer (the stream expected) to its first packet: what a subscriber waits (a histogram). */
  firstPacket: number[];
}

/** What the publishers of one process sent of one kind. */
export interface SentCounters {
  tracks: number;
  packets: number;
  bytes: number;
}

export interface BotSnapshot {
  /** Bots that have joined and set up their media (published, or created their receive transport). */
  ready: number;
  /** Bots that failed, with the first reasons. */
  failed: number;
  errors: string[];
  /** CPU time of the bot process (user + system, µs). */
  cpuMicros: number;
  received: Record<TrackKind, ReceivedCounters>;
  sent: Record<TrackKind, SentCounters>;
  /** Received SRTP packets whose authentication tag was checked (a sample), and of those, how many were wrong. */
  srtpChecked: number;
  srtpForged: number;
}

export interface SnapshotMessage {
  type: 'snapshot';
  id: number;
  snapshot: BotSnapshot;
}

/** A bot failed; the process goes on with the others. */
export interface BotErrorMessage {
  type: 'error';
  identity: string;
  message: string;
}

export type FromBots = SnapshotMessage | BotErrorMessage;
