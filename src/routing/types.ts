import type { LimitConfig } from '../config/types.js';

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

/** One node's line in a placement explanation. */
export interface NodeVerdict {
  id: string;
  region: string;
  /** Great-circle km from the origin region; null when either region is not in the table. */
  distance_km: number | null;
  state: NodeState;
  alive: boolean;
  lease_age_ms: number | null;
  sysload: number;
  cpu_load: number;
  rooms: number;
  /** Rooms claimed on the node in the last few seconds, counted against its load. */
  recent_placements: number;
  eligible: boolean;
  /** Why the node was or was not eligible, in an operator's words. */
  reason: string;
  chosen: boolean;
}

export interface PlacementExplanation {
  origin_region: string | null;
  selector: string;
  sort_by: string;
  algorithm: string;
  /** Which rule chose the winner, e.g. "sticky: already on node-a", "random among 2 in us-east". */
  rule: string;
  nodes: NodeVerdict[];
}

export interface PlaceOptions {
  /** Region the request came in through; defaults to the router's own region. */
  originRegion?: string;
  /** Choose without claiming. */
  dryRun?: boolean;
  /** Pin the room to this node when it is live and serving (CreateRoom's node_id). */
  nodeId?: string;
  /** Fill `explanation.nodes` with every node's verdict (costs a pass over every node; off by default). */
  explain?: boolean;
}

export interface Placement {
  room: string;
  node: NodeView;
  /** True when this call mapped the room; false when it was already mapped (sticky). */
  claimed: boolean;
  /** True when the room was already on a live node and stays there. */
  sticky: boolean;
  /** Always carries the rule; `nodes` is filled only when `explain` was asked for. */
  explanation: PlacementExplanation;
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

/** A message on the bus addressed to one node. */
export type BusHandler = (message: string) => void;

/**
 * Where the cluster's shared state lives. The local router keeps it in memory for a single node; the Redis
 * router shares it between nodes. Nothing outside `src/routing/` knows which one runs.
 */
export interface Router {
  readonly kind: 'local' | 'redis';

  /** Writes the node record and takes its lease. */
  registerNode(node: NodeRecord): Promise<void>;
  /** Rewrites the node record (stats, state) and renews its lease. Returns false if the lease had expired. */
  heartbeat(node: NodeRecord): Promise<boolean>;
  /** Removes the node record, its lease and every room mapping it holds. */
  unregisterNode(nodeId: string): Promise<void>;
  listNodes(): Promise<NodeView[]>;
  getNode(nodeId: string): Promise<NodeView | undefined>;

  /** Finds the room's node or chooses and atomically claims one. */
  placeRoom(room: string, options?: PlaceOptions): Promise<Placement>;
  /** The node holding the room, if any (whether or not it is alive). */
  getRoomNode(room: string): Promise<string | undefined>;
  /** Compare-and-delete: clears the room's mapping only if `nodeId` holds it. */
  releaseRoom(room: string, nodeId: string): Promise<boolean>;
  /** Re-asserts a mapping only where no other live node holds the room. Returns the holder afterwards. */
  assertRoom(room: string, nodeId: string): Promise<string>;
  /** room name -> node id */
  listRoomNodes(): Promise<Map<string, string>>;
  /** The rooms mapped to one node. */
  listNodeRooms(nodeId: string): Promise<string[]>;

  putRoom(room: RoomRecord): Promise<void>;
  getRoom(name: string): Promise<RoomRecord | undefined>;
  listRooms(): Promise<RoomRecord[]>;
  /** Deletes the room record only if `nodeId` holds the room. */
  deleteRoom(name: string, nodeId: string): Promise<void>;

  /**
   * Sends a message to one node's channel; resolves with how many subscribers heard it (0: nobody listens), or
   * undefined when the store cannot tell (a Redis Cluster counts only one shard's subscribers).
   */
  publish(nodeId: string, message: string): Promise<number | undefined>;
  /** Receives the messages sent to `nodeId`. Returns a function that unsubscribes. */
  subscribe(nodeId: string, handler: BusHandler): Promise<() => Promise<void>>;

  close(): Promise<void>;
}
