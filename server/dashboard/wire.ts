/**
 * What the dashboard's event stream carries (GET /dashboard/api/events). The page (client/dashboard/wire.ts) keeps
 * a copy of these shapes: the browser bundle may not import server code.
 */
import type { NodeState } from '../../src/records.js';

/** Per-second rates worked out from the running totals in two successive node reports. */
export interface Rates {
  placements: number;
  joins: number;
  relay_frames: number;
}

/** One point of a node's charts, taken once a second by the serving node. */
export interface Sample {
  /** Epoch milliseconds. */
  t: number;
  /** sysload (1-minute load average / cpus), what the selector's sysload_limit weighs. */
  load: number;
  cpu: number;
  /** Milliseconds left on the node's lease when sampled (0: dead). */
  lease: number;
}

export interface DashboardNode {
  id: string;
  region: string;
  url: string;
  state: NodeState;
  alive: boolean;
  /** The node this page is served by. */
  self: boolean;
  lease_ms_left: number;
  /** The lease's full length, for the chart's scale; 0 when unknown. */
  lease_ttl_ms: number;
  stats_age_ms: number;
  sysload: number;
  cpu_load: number;
  rooms: number;
  clients: number;
  tracks_in: number;
  tracks_out: number;
  bytes_in_per_sec: number;
  bytes_out_per_sec: number;
  rates: Rates;
}

export interface DashboardRegion {
  name: string;
  /** Absent when neither the config's table nor the built-in one knows where the region is. */
  lat?: number;
  lon?: number;
}

export interface DashboardRoom {
  name: string;
  sid: string;
  node_id: string;
  num_participants: number;
  num_publishers: number;
  /** Epoch seconds. */
  creation_time: number;
}

/** `event: snapshot`, about once a second. */
export interface Snapshot {
  at: number;
  /** The serving node's id. */
  node: string;
  nodes: DashboardNode[];
  /** The newest sample of each node, by id; the page appends it to what `history` gave. */
  samples: Record<string, Sample>;
  regions: DashboardRegion[];
  rooms: DashboardRoom[];
  /** Rooms in the cluster; `rooms` holds at most the first MAX_ROOMS of them. */
  rooms_total: number;
  totals: Rates;
  /** Set when the last look at the shared store failed; the rest is as of the look before. */
  error?: string;
}

/** `event: history`, once when the stream opens: the samples kept of every node. */
export interface History {
  window_ms: number;
  samples: Record<string, Sample[]>;
}
