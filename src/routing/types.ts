import type { NodeRecord, NodeState, NodeView, RoomRecord } from '../records.js';
import type { PlacementExplanation } from '../selector/explanation.js';
import type { RoomSpanStore } from './span-store.js';

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
 * was swept less than half an interval ago), `lost_lock` (the lock ran out before the sweep ran), `declined` (the
 * sweeper's own check, made once the store answered the lock, said no: e.g. the lock was queued through an outage).
 */
export type SweepOutcome =
  | { status: 'swept'; nodes: Array<{ node: string; rooms: number }> }
  | { status: 'busy' }
  | { status: 'recent' }
  | { status: 'lost_lock' }
  | { status: 'declined' };

/** A node removed from the cluster because its lease expired, as every node hears it. */
export interface NodeSweptEvent {
  type: 'node.swept';
  /** The dead node. */
  node: string;
  /** The rooms whose mappings were cleared: they can be placed again at once. */
  rooms: string[];
  /** Spanning rooms it was the home of that one of their legs took over: room -> new home node. */
  promoted: Record<string, string>;
  /** The node that swept it, or who forgot it (`supervisor`, `cli`). */
  by: string;
  /** Why it was removed, when not because its lease expired (e.g. `its process exited`). */
  why?: string;
}

export type ClusterEvent = NodeSweptEvent;

/** A node's part in removing dead nodes: its sweeps, and the cluster's news of every node swept. */
export interface DeadNodeWatch {
  /**
   * One sweep under the cluster-wide lock. `mayStill` is asked once the lock is taken, just before the sweep is
   * sent: a decision made before an outage must not run, queued, after it.
   */
  sweepOnce(mayStill?: () => boolean): Promise<SweepOutcome>;
  /** Stops listening for cluster events. */
  stop(): Promise<void>;
}

export interface DeadNodeWatchOptions {
  /** The watching node: never swept by itself, named as the sweeper in events. */
  nodeId: string;
  /** How often the node tries to sweep, in ms: the cluster sweeps at least once per interval and at most twice. */
  intervalMs: number;
  /** How long the sweep lock outlives a holder that dies while sweeping (several store round trips). */
  lockTtlMs?: number;
  onEvent: (event: ClusterEvent) => void;
}

/** What a heartbeat found of the node's lease just before renewing it. */
export interface LeaseRenewal {
  /** The lease was alive; false when it had expired (the node was considered dead). */
  held: boolean;
  /** Milliseconds that were left on the lease just before this renewal (0 when it had expired): the margin. */
  msLeft: number;
}

/** What forgetting a node did: removed it, refused (its lease is alive and no force), or found nothing. */
export type ForgetOutcome =
  | { status: 'forgotten'; rooms: string[] }
  | { status: 'alive'; msLeft: number }
  | { status: 'unknown' };

export interface ForgetOptions {
  /** Forget it even while its lease is alive (the caller knows its process is gone). */
  force?: boolean;
  /** Who forgets it, named in the cluster's `node.swept` event. */
  by: string;
  /** Why, named in the event. */
  why: string;
}

/**
 * Where the cluster's shared state lives. The local router keeps it in memory for a single node; the Redis
 * router shares it between nodes. Nothing outside `src/routing/` knows which one runs.
 */
export interface Router {
  readonly kind: 'local' | 'redis';
  /** The legs of rooms that span nodes; absent where rooms cannot span (a single node in memory). */
  readonly span?: RoomSpanStore;

  /** Writes the node record and takes its lease. */
  registerNode(node: NodeRecord): Promise<void>;
  /** Rewrites the node record (stats, state) and renews its lease; says whether the lease was still alive. */
  heartbeat(node: NodeRecord): Promise<LeaseRenewal>;
  /** Removes the node record, its lease and every room mapping it holds. */
  unregisterNode(nodeId: string): Promise<void>;
  /**
   * Removes another node whose process is gone, as the sweeper would once its lease expires, and tells the
   * cluster: its rooms are placeable at once. Refused while its lease is alive unless `force`.
   */
  forgetNode(nodeId: string, options: ForgetOptions): Promise<ForgetOutcome>;
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
  | 'span'
> & {
  /** Every node's state and liveness without its record; a reader without it is asked for listNodes. */
  listNodeStates?(): Promise<Map<string, NodeLiveness>>;
};
