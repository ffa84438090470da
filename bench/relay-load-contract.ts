// What the loaded relay benchmark (bench/relay-load.ts) and its client processes (bench/relay-load-worker.ts)
// say to each other over the IPC channel.

/** `direct`: the client's socket is on the room's node. `bridged`: on another node, which relays it. */
export type RelayPath = 'direct' | 'bridged';
export const RELAY_PATHS: readonly RelayPath[] = ['direct', 'bridged'];

export type LoadProtocol = 'json' | 'livekit';

export interface LoadSessionSpec {
  /** The node's http:// base URL. */
  url: string;
  room: string;
  identity: string;
  token: string;
  path: RelayPath;
}

export type ToLoadWorker =
  | { type: 'join'; sessions: LoadSessionSpec[]; protocol: LoadProtocol; concurrency: number }
  /** Every session sends `perSecond` requests a second from now on; 0 stops sending. */
  | { type: 'rate'; perSecond: number }
  | { type: 'snapshot'; id: number }
  | { type: 'close' };

/** Counts since the worker started (the benchmark takes differences between two snapshots). */
export interface PathCounts {
  sent: number;
  answered: number;
  /** Round-trip times of the answered requests (src/loadtest/histogram.ts buckets). */
  histogram: number[];
  /** Requests sent and not answered yet. */
  inflight: number;
  /** Sessions the node closed. */
  closed: number;
}

export interface LoadSnapshot {
  paths: Record<RelayPath, PathCounts>;
  /** How late each send fired after its slot (histogram): the client process's own lag. */
  lateness: number[];
  /** Sessions the node closed, by "code reason" (the reason's session and frame numbers blanked out). */
  closes: Record<string, number>;
}

export type FromLoadWorker =
  | { type: 'joined'; sessions: number }
  | { type: 'snapshot'; id: number; snapshot: LoadSnapshot }
  | { type: 'failed'; message: string };
