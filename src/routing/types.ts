import type { NodeRecord, NodeState, NodeView, RoomRecord } from '../records.js';
import type { PlacementExplanation } from '../selector/explanation.js';

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

/** A message on the bus addressed to one node. */
export type BusHandler = (message: string) => void;

/**
 * What one sweep did: `swept` (possibly nothing), `busy` (another node holds the lock), `recent` (the cluster
 * was swept less than half an interval ago), `lost_lock` (the lock ran out before the sweep ran).
 */
export type SweepOutcome =
  | { status: 'swept'; nodes: Array<{ node: string; rooms: number }> }
  | { status: 'busy' }
  | { status: 'recent' }
  | { status: 'lost_lock' };

/** A node removed from the cluster because its lease expired, as every node hears it. */
export interface NodeSweptEvent {
  type: 'node.swept';
  /** The dead node. */
  node: string;
  /** The rooms whose mappings were cleared: they can be placed again at once. */
  rooms: string[];
  /** The node that swept it. */
  by: string;
}

export type ClusterEvent = NodeSweptEvent;

/** A node's part in removing dead nodes: its sweeps, and the cluster's news of every node swept. */
export interface DeadNodeWatch {
  /** One sweep under the cluster-wide lock. */
  sweepOnce(): Promise<SweepOutcome>;
  /** Stops listening for cluster events. */
  stop(): Promise<void>;
}

export interface DeadNodeWatchOptions {
  /** The watching node: never swept by itself, named as the sweeper in events. */
  nodeId: string;
  /** The cluster's update interval in ms: the cluster sweeps at least once per interval and at most twice. */
  intervalMs: number;
  onEvent: (event: ClusterEvent) => void;
}

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

  /**
   * Tells `listener` when the connection to the shared store drops (false) and comes back (true). A router
   * in memory never drops, so it never calls. Returns a function that stops listening.
   */
  onConnectionChange(listener: (up: boolean) => void): () => void;
  /**
   * Joins the removal of dead nodes; undefined where there is nothing to sweep (a single node in memory: its
   * only node is itself).
   */
  watchDeadNodes(options: DeadNodeWatchOptions): Promise<DeadNodeWatch | undefined>;

  close(): Promise<void>;
}

/**
 * What the CLI's reports and `room place` read of a cluster: a router over Redis, or a node answering for the
 * registry it keeps in memory (single-node mode, where a separate process has no Redis to read).
 */
/** A node's state and whether its lease is alive: what a room listing shows of the node a room is on. */
export interface NodeLiveness {
  state: NodeState;
  alive: boolean;
}

export type ClusterReader = Pick<
  Router,
  | 'listNodes'
  | 'getNode'
  | 'listNodeRooms'
  | 'listRoomNodes'
  | 'listRooms'
  | 'getRoomNode'
  | 'getRoom'
  | 'placeRoom'
> & {
  /** Every node's state and liveness without its record; a reader without it is asked for listNodes. */
  listNodeStates?(): Promise<Map<string, NodeLiveness>>;
};
