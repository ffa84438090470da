/**
 * What the dashboard's node side and its page say to each other: the event stream's snapshots
 * (GET /dashboard/api/events), the room view and the login answers. Types only and browser-safe: the page's
 * bundle and the node both import this one file. NodeState is spelt out (it is src/records.ts' union), because
 * the browser bundle may import nothing beyond client/, src/signal/ and src/dashboard/.
 */
export type NodeState = 'starting' | 'serving' | 'draining' | 'shutting_down';

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
  /** The node's webhook queue and outcomes since it started; absent until it queued any (webhook.urls set). */
  webhooks?: { queued: number; sent: number; failed: number; dropped: number };
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
  /** Nodes beside the home that hold a leg of the room (room.span), and why each was opened; empty otherwise. */
  legs: DashboardLeg[];
}

export interface DashboardLeg {
  node_id: string;
  region: string;
  /** 'region' (a participant in another region) or 'load' (the home was full). */
  reason: string;
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

export interface TrackView {
  sid: string;
  kind: 'audio' | 'video';
  mime_type: string;
  muted: boolean;
  source: string;
  name: string;
}

export interface ParticipantView {
  sid: string;
  identity: string;
  name: string;
  joined_at_ms: number;
  is_publisher: boolean;
  region: string;
  tracks: TrackView[];
}

/** GET /dashboard/api/rooms/:name */
export interface RoomDetails {
  room: { name: string; sid: string; num_participants: number; creation_time: number } | null;
  node_id: string;
  participants: ParticipantView[];
}

/** POST /dashboard/api/login and /refresh */
export interface Login {
  token: string;
  expires_at: number;
  api_key: string;
}
