/** What the cluster stores about its nodes and rooms: the vocabulary routing, selectors, the node and the CLI share. */
import type { LimitConfig } from './config/types.js';

/** A node's lifecycle: only `serving` nodes take new rooms; `draining` nodes keep theirs. */
export type NodeState = 'starting' | 'serving' | 'draining' | 'shutting_down';

/** Load figures a node reports with every heartbeat. */
export interface NodeStats {
  /** Epoch milliseconds of the report. */
  updated_at: number;
  /** 1-minute load average divided by the number of cpus. */
  sysload: number;
  /** Fraction of cpu time used since the previous report, 0..1. */
  cpu_load: number;
  num_cpus: number;
  rooms: number;
  clients: number;
  tracks_in: number;
  tracks_out: number;
  bytes_in_per_sec: number;
  bytes_out_per_sec: number;
  /** Rooms claimed on this node in the last few seconds (kept by the router, not the node). */
  recent_placements?: number;
  /**
   * Running totals since the node started, from which a reader works out rates between two reports: placements
   * requested through the node, participants that joined its rooms, relay frames it received over the bus.
   */
  counters?: NodeCounters;
  /** The node's webhook deliveries, once it has queued any (webhook.urls set): absent before. */
  webhooks?: WebhookTotals;
}

/** A node's webhook queue now and what became of its deliveries since it started (one per event and URL). */
export interface WebhookTotals {
  queued: number;
  sent: number;
  failed: number;
  dropped: number;
}

/** Running totals a node reports; absent in the records of nodes that predate them. */
export interface NodeCounters {
  placements: number;
  joins: number;
  relay_frames: number;
}

/** What the cluster knows of one node. */
export interface NodeRecord {
  id: string;
  region: string;
  /** Advertised address (rtc.node_ip). */
  ip: string;
  /** Port of the node's HTTP API and /rtc WebSocket. */
  http_port: number;
  /** Base URL a client or the CLI reaches the node at, e.g. http://127.0.0.1:7880 */
  url: string;
  rtc_port_range: { start: number; end: number };
  state: NodeState;
  /** Epoch milliseconds. */
  started_at: number;
  stats: NodeStats;
  limits: LimitConfig;
  version: string;
}

/** A node record as read back, with its liveness. */
export interface NodeView extends NodeRecord {
  /** The lease key exists: the node is alive whatever its record says. */
  alive: boolean;
  /** Milliseconds left on the lease (0 when dead). */
  lease_ms_left: number;
  /** Milliseconds since the lease was last renewed; null when dead. */
  lease_age_ms: number | null;
}

/** The persisted record of a room (LiveKit's Room message, in snake_case). */
export interface RoomRecord {
  sid: string;
  name: string;
  node_id: string;
  empty_timeout: number;
  max_participants: number;
  /** Epoch seconds. */
  creation_time: number;
  metadata: string;
  num_participants: number;
  num_publishers: number;
}

/** Why a node holds a leg of a room beside its home: its participants' region, or the home node being full. */
export type LegReason = 'region' | 'load';

/** A leg of a spanning room: a node other than the room's home that carries some of its participants. */
export interface LegRecord {
  node_id: string;
  region: string;
  /** Epoch milliseconds. */
  opened_at: number;
  reason: LegReason;
  /** What the placement said when it opened the leg, e.g. "us-east is not the home's region (us-west-2)". */
  why: string;
}
