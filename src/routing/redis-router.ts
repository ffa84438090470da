import type { Config } from '../config/types.js';
import { isLkcError, LkcError } from '../errors.js';
import type { NodeRecord, NodeState, NodeView, RoomRecord } from '../records.js';
import { ClusterView, type ViewChanges } from './cluster-view.js';
import { DeadNodeSweeper, listenClusterEvents } from './dead-node-sweeper.js';
import { nodeRemovalKeys, type RoutingKeys, routingKeys } from './keys.js';
import {
  type ClaimOutcome,
  type ClaimResult,
  checkRoomName,
  placeRoomWith,
  RECENT_WINDOW_MS,
} from './placement.js';
import {
  connectRedis,
  describeRedis,
  type RedisClient,
  type RedisConnectOptions,
  redisConnectionError,
  waitUntilReady,
} from './redis-connect.js';
import { RedisSpanStore } from './redis-span-store.js';
import { RoutingScripts } from './scripts.js';
import type {
  BusHandler,
  DeadNodeWatch,
  DeadNodeWatchOptions,
  ForgetOptions,
  ForgetOutcome,
  LeaseRenewal,
  NodeLiveness,
  Placement,
  PlaceOptions,
  Router,
} from './types.js';

export interface RedisRouterOptions extends RedisConnectOptions {
  /** How often a placing router's view of the nodes catches up with Redis, in the background. */
  viewRefreshMs?: number;
  /** A placement refreshes the view first when it is older than this (the background refresh fell behind). */
  maxViewAgeMs?: number;
  /** How long a claimed room counts against its node's load (until its stats report it). */
  recentWindowMs?: number;
  /** Removed-node tombstones kept so routers can catch up incrementally. */
  keepTombstones?: number;
  /**
   * close() drops the connections at once instead of sending QUIT and waiting for Redis to answer it: for a CLI
   * command, whose every call has been answered by then and whose process exits next.
   */
  dropOnClose?: boolean;
  /**
   * Told the duration of every call to Redis this router makes, by operation (one of a fixed set of names: the
   * router's methods, `changes` for a view refresh, `sweep` for a whole sweep), and whether it failed.
   */
  onCommand?: (operation: string, seconds: number, failed: boolean) => void;
}

const DEFAULT_VIEW_REFRESH_MS = 500;
const CLOSE_TIMEOUT_MS = 1_000;
/** localeCompare's order from one collator: localeCompare sets one up per call (~30 ms over 10,000 names). */
const collator = new Intl.Collator();

/**
 * The cluster router: node records, leases, room mappings and the message bus in Redis (standalone, Sentinel
 * or Cluster). Placement selects over a cached view of the nodes and claims with one Lua script.
 */
export class RedisRouter implements Router {
  readonly kind = 'redis' as const;
  readonly keys: RoutingKeys;
  readonly span: RedisSpanStore;
  private readonly scripts: RoutingScripts;
  private readonly view: ClusterView;
  private readonly where: string;
  private readonly leaseTtlMs: number;
  private readonly recentWindowMs: number;
  private readonly viewRefreshMs: number;
  private readonly maxViewAgeMs: number;
  private refreshTimer?: NodeJS.Timeout;
  private subscriber?: RedisClient;
  private leaseClient?: RedisClient;
  private leaseReady?: Promise<RoutingScripts>;
  private subscriberReady?: Promise<RedisClient>;
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private closed = false;
  /** The state this router last wrote for each node it reports for. */
  private readonly writtenStates = new Map<string, NodeState>();
  /** When a call to the store last failed for want of a connection (or a connection dropped); 0: never. */
  private storeFailedAt = 0;
  /** How long after such a failure placement trusts registered holders over their leases (see claim). */
  private readonly outageGraceMs: number;

  /** Connects to the Redis of `config.redis` (bounded wait) and returns a router over it. */
  static async connect(config: Config, options: RedisRouterOptions = {}): Promise<RedisRouter> {
    if (!config.redis) throw new LkcError('NO_REDIS', 'no redis configured');
    const client = await connectRedis(config.redis, options);
    return new RedisRouter(client, config, options);
  }

  constructor(
    readonly client: RedisClient,
    private readonly config: Config,
    private readonly options: RedisRouterOptions = {},
  ) {
    this.keys = routingKeys(config.redis?.key_prefix);
    this.where = config.redis ? describeRedis(config.redis) : 'redis';
    this.scripts = new RoutingScripts(client);
    this.span = new RedisSpanStore(
      client,
      this.keys,
      this.scripts,
      (operation, promise) => this.guard(operation, promise),
      async () => {
        this.startRefreshing();
        await this.guard(undefined, this.view.ensureFresh(this.maxViewAgeMs));
        return this.view.preparedNodes();
      },
    );
    this.leaseTtlMs = Math.max(1, Math.round(config.node_stats.lease_ttl * 1000));
    // The sweeper's grace after an outage (server/node/lease.ts, maySweep): one lease and one report.
    this.outageGraceMs = this.leaseTtlMs + Math.round(config.node_stats.update_interval * 1000);
    // A connection lost (a master killed, a failover) ends every node's renewals alike, whether or not one of
    // this router's own calls failed meanwhile.
    const dropped = () => {
      this.storeFailedAt = Date.now();
    };
    client.on('close', dropped);
    client.on('node error', dropped);
    this.recentWindowMs = options.recentWindowMs ?? RECENT_WINDOW_MS;
    this.viewRefreshMs = options.viewRefreshMs ?? DEFAULT_VIEW_REFRESH_MS;
    this.maxViewAgeMs = options.maxViewAgeMs ?? this.viewRefreshMs * 4;
    this.view = new ClusterView((n, p) => this.fetchChanges(n, p), config.node_selector);
  }

  // ---- node registry

  async registerNode(node: NodeRecord): Promise<void> {
    await this.writeNode(node);
    this.view.invalidate();
  }

  async heartbeat(node: NodeRecord): Promise<LeaseRenewal> {
    const leftMs = await this.writeNode(node);
    const alive = leftMs >= 0;
    // A routine stats report can wait for the background refresh; a changed state or a revived lease changes
    // who may take rooms, so this router's next placement looks first.
    if (!alive || this.writtenStates.get(node.id) !== node.state) this.view.invalidate();
    this.writtenStates.set(node.id, node.state);
    return { held: alive, msLeft: Math.max(0, leftMs) };
  }

  /** Writes the record and renews the lease; the ms that were left on the lease, -1 when it had expired. */
  private async writeNode(node: NodeRecord): Promise<number> {
    const k = this.keys;
    const { recent_placements: _, ...stats } = node.stats;
    const record = JSON.stringify({ ...node, stats });
    const lease = await this.leaseConnection();
    const leftMs = await this.guard(
      'heartbeat',
      lease.run<number>(
        'heartbeat',
        [k.nodes, k.nodeState, k.nodeVersion, k.nodeUpdates, k.nodeRemoved],
        [k.prefix, node.id, record, node.state, this.leaseTtlMs],
      ),
    );
    this.writtenStates.set(node.id, node.state);
    return Number(leftMs);
  }

  async unregisterNode(nodeId: string): Promise<void> {
    const k = this.keys;
    await this.guard(
      'unregister',
      this.scripts.run<number>('unregister', nodeRemovalKeys(k), [
        k.prefix,
        nodeId,
        this.options.keepTombstones ?? 1024,
      ]),
    );
    this.writtenStates.delete(nodeId);
    this.view.invalidate();
  }

  async forgetNode(nodeId: string, options: ForgetOptions): Promise<ForgetOutcome> {
    const k = this.keys;
    const [status, leftMs, rooms] = await this.guard(
      'forget',
      this.scripts.run<[string, number, string[]]>('forget', nodeRemovalKeys(k), [
        k.prefix,
        nodeId,
        options.force ? '1' : '0',
        options.by,
        options.why,
        this.options.keepTombstones ?? 1024,
        k.events,
      ]),
    );
    if (status === 'alive') return { status, msLeft: Math.max(0, Number(leftMs)) };
    if (status === 'unknown') return { status };
    this.writtenStates.delete(nodeId);
    this.view.invalidate();
    return { status: 'forgotten', rooms: Array.isArray(rooms) ? rooms.map(String) : [] };
  }

  async listNodes(): Promise<NodeView[]> {
    await this.guard(undefined, this.view.refresh());
    return this.view.views();
  }

  async getNode(nodeId: string): Promise<NodeView | undefined> {
    const k = this.keys;
    // A pipeline's exec resolves with each command's error: they go through guard like a rejection would.
    const [record, leftMs, ttl, recent, clock] = (await this.guard(
      'get_node',
      this.client
        .pipeline()
        .hget(k.nodes, nodeId)
        .pttl(k.alive(nodeId))
        .get(k.alive(nodeId))
        .hget(k.recent, nodeId)
        .time()
        .exec()
        .then((results) =>
          (results ?? []).map(([err, value]) => {
            if (err) throw err;
            return value;
          }),
        ),
    )) as [string | null, number, string | null, string | null, [string, string]];
    if (!record) return undefined;
    const parsed = JSON.parse(record) as NodeRecord;
    const alive = leftMs !== -2;
    // The lease holds `ttl:deadline` (heartbeat.lua); a bare ttl is a lease an older node wrote.
    const ttlMs = Number.parseInt(ttl ?? '0', 10);
    const left = leftMs === -1 ? ttlMs : Math.max(0, leftMs);
    return {
      ...parsed,
      stats: { ...parsed.stats, recent_placements: recentCount(recent, clock) },
      alive,
      lease_ms_left: alive ? left : 0,
      lease_age_ms: alive && ttlMs > 0 ? Math.max(0, ttlMs - left) : null,
    };
  }

  private async fetchChanges(sinceNode: number, sincePlacement: number): Promise<ViewChanges> {
    const k = this.keys;
    const raw = await this.guard(
      'changes',
      this.scripts.run<[number, number, number, Array<string | number>, string[], Array<string | number>]>(
        'changes',
        [
          k.nodes,
          k.nodeVersion,
          k.nodeUpdates,
          k.nodeRemoved,
          k.nodeRemovedFloor,
          k.placementVersion,
          k.recentTouched,
          k.recent,
        ],
        [k.prefix, sinceNode, sincePlacement],
      ),
    );
    const [nodeVersion, removedFloor, placementVersion, flatUpdated, removed, flatRecent] = raw;
    const updated: ViewChanges['updated'] = [];
    for (let i = 0; i < flatUpdated.length; i += 4) {
      updated.push({
        id: String(flatUpdated[i]),
        json: String(flatUpdated[i + 1]),
        leaseMsLeft: Number(flatUpdated[i + 2]),
        leaseTtlMs: Number(flatUpdated[i + 3]),
      });
    }
    const recent: ViewChanges['recent'] = [];
    for (let i = 0; i < flatRecent.length; i += 3) {
      recent.push({
        id: String(flatRecent[i]),
        count: Number(flatRecent[i + 1]),
        msLeft: Number(flatRecent[i + 2]),
      });
    }
    return {
      nodeVersion: Number(nodeVersion),
      removedFloor: Number(removedFloor),
      placementVersion: Number(placementVersion),
      updated,
      removed,
      recent,
    };
  }

  // ---- placement

  async placeRoom(room: string, options: PlaceOptions = {}): Promise<Placement> {
    this.startRefreshing();
    await this.guard(undefined, this.view.ensureFresh(this.maxViewAgeMs));
    return placeRoomWith(
      {
        prepared: () => this.view.preparedNodes(),
        claim: (name, chosen, allowance) => this.claim(name, chosen, allowance),
        node: async (id) => this.view.view(id) ?? (await this.getNode(id)),
        learn: (result) => this.view.learn(result),
        refresh: () => this.guard(undefined, this.view.refresh()),
      },
      room,
      this.config.region,
      options,
    );
  }

  private async claim(room: string, chosen: string, allowance: number): Promise<ClaimResult> {
    const k = this.keys;
    const [outcome, nodeId, recent, recentTtlMs] = await this.guard(
      'claim',
      this.scripts.run<[ClaimOutcome, string, number, number]>(
        'claim',
        [k.roomNode, k.nodeState, k.placementVersion, k.recentTouched, k.recent],
        [k.prefix, room, chosen, this.recentWindowMs, allowance, this.inOutageGrace() ? '1' : '0'],
      ),
    );
    return { outcome, nodeId, recent: Number(recent), recentTtlMs: Number(recentTtlMs) };
  }

  // The background refresh keeps placements free of extra round trips; only routers that place run it.
  private startRefreshing(): void {
    if (this.refreshTimer || this.closed) return;
    this.refreshTimer = setInterval(() => {
      this.view
        .refresh()
        .catch((err: Error) => this.options.onError?.(`refreshing the node view: ${err.message}`));
    }, this.viewRefreshMs);
    this.refreshTimer.unref();
  }

  async getRoomNode(room: string): Promise<string | undefined> {
    return (await this.guard('get_room_node', this.client.hget(this.keys.roomNode, room))) ?? undefined;
  }

  async releaseRoom(room: string, nodeId: string): Promise<boolean> {
    const k = this.keys;
    return (
      (await this.guard(
        'release',
        this.scripts.run<number>('release', [k.roomNode], [k.prefix, room, nodeId]),
      )) === 1
    );
  }

  async assertRoom(room: string, nodeId: string): Promise<string> {
    checkRoomName(room);
    const k = this.keys;
    return this.guard('assert', this.scripts.run<string>('assert', [k.roomNode], [k.prefix, room, nodeId]));
  }

  async listRoomNodes(): Promise<Map<string, string>> {
    const all = await this.guard('list_room_nodes', this.client.hgetall(this.keys.roomNode));
    return new Map(Object.entries(all).sort(([a], [b]) => collator.compare(a, b)));
  }

  /**
   * Each node's state and whether its lease is alive, without reading the records: what `room list` needs of
   * the nodes (two small replies instead of every record, ~5 MB at 10,000 nodes).
   */
  async listNodeStates(): Promise<Map<string, NodeLiveness>> {
    const k = this.keys;
    const states = await this.guard('list_node_states', this.client.hgetall(k.nodeState));
    const ids = Object.keys(states);
    // MGET a batch at a time: a value is a live lease (its key and expiry are the node's life), null a dead node.
    const leases: Array<string | null> = [];
    if (ids.length > 0) {
      const batches = this.client.pipeline();
      for (let i = 0; i < ids.length; i += 1000)
        batches.mget(...ids.slice(i, i + 1000).map((id) => k.alive(id)));
      for (const [err, values] of (await this.guard(undefined, batches.exec())) ?? []) {
        if (err) throw err;
        leases.push(...(values as Array<string | null>));
      }
    }
    return new Map(ids.map((id, i) => [id, { state: states[id] as NodeState, alive: leases[i] != null }]));
  }

  async listNodeRooms(nodeId: string): Promise<string[]> {
    return (await this.guard('list_node_rooms', this.client.smembers(this.keys.nodeRooms(nodeId)))).sort();
  }

  // ---- room records

  async putRoom(room: RoomRecord): Promise<void> {
    await this.guard('put_room', this.client.hset(this.keys.rooms, room.name, JSON.stringify(room)));
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    const json = await this.guard('get_room', this.client.hget(this.keys.rooms, name));
    return json ? (JSON.parse(json) as RoomRecord) : undefined;
  }

  async listRooms(): Promise<RoomRecord[]> {
    const values = await this.guard('list_rooms', this.client.hvals(this.keys.rooms));
    return values
      .map((json) => JSON.parse(json) as RoomRecord)
      .sort((a, b) => collator.compare(a.name, b.name));
  }

  async deleteRoom(name: string, nodeId: string): Promise<void> {
    const k = this.keys;
    await this.guard(
      'delete_room',
      this.scripts.run<number>('deleteRoom', [k.roomNode, k.rooms], [name, nodeId]),
    );
  }

  // ---- bus

  async publish(nodeId: string, message: string): Promise<number | undefined> {
    const channel = this.keys.channel(nodeId);
    if (this.client.isCluster) {
      // Through one master, so that the relay's frames keep their order (see publish.lua). It counts only the
      // subscribers of that shard: 0 proves nothing there.
      await this.guard('publish', this.scripts.run<number>('publish', [this.keys.nodes], [channel, message]));
      return undefined;
    }
    return this.guard('publish', this.client.publish(channel, message));
  }

  async subscribe(nodeId: string, handler: BusHandler): Promise<() => Promise<void>> {
    const channel = this.keys.channel(nodeId);
    const subscriber = await this.subscriberConnection();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.guard('subscribe', subscriber.subscribe(channel));
    }
    set.add(handler);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      if (!this.closed) await this.guard('unsubscribe', subscriber.unsubscribe(channel));
    };
  }

  /**
   * The lease is renewed over a connection of its own: on the shared one a renewal waits behind whatever the node
   * sent before it, and a node relaying tens of thousands of frames had its lease run out with Redis a millisecond
   * away (bench/relay --sessions: every bridged session lost). A failed connect is tried again at the next renewal.
   */
  private leaseConnection(): Promise<RoutingScripts> {
    if (!this.leaseReady) {
      const client = this.client.duplicate();
      this.leaseClient = client;
      this.leaseReady = this.guard(undefined, waitUntilReady(client, this.where, this.options)).then(
        () => new RoutingScripts(client),
        (err: unknown) => {
          this.leaseReady = undefined;
          this.leaseClient = undefined;
          throw err;
        },
      );
    }
    return this.leaseReady;
  }

  // A subscribed connection cannot run other commands, so the bus gets its own.
  private subscriberConnection(): Promise<RedisClient> {
    if (!this.subscriberReady) {
      const subscriber = this.client.duplicate();
      this.subscriber = subscriber;
      subscriber.on('message', (channel: string, message: string) => {
        for (const handler of this.handlers.get(channel) ?? []) handler(message);
      });
      this.subscriberReady = waitUntilReady(subscriber, this.where, this.options).then(() => subscriber);
    }
    return this.subscriberReady;
  }

  // ---- the node's watch on the store and on dead nodes

  onConnectionChange(listener: (up: boolean) => void): () => void {
    const down = () => listener(false);
    const up = () => listener(true);
    this.client.on('close', down);
    this.client.on('ready', up);
    return () => {
      this.client.off('close', down);
      this.client.off('ready', up);
    };
  }

  async watchDeadNodes(options: DeadNodeWatchOptions): Promise<DeadNodeWatch> {
    const sweeper = new DeadNodeSweeper(this.client, this.keys, {
      nodeId: options.nodeId,
      intervalMs: options.intervalMs,
      lockTtlMs: options.lockTtlMs,
    });
    const stop = await listenClusterEvents(this.client, this.keys, this.where, options.onEvent);
    return { sweepOnce: (mayStill) => this.guard('sweep', sweeper.sweepOnce(mayStill)), stop };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    const clients = [this.client, this.subscriber, this.leaseClient].filter((c) => c !== undefined);
    if (this.options.dropOnClose) for (const client of clients) client.disconnect();
    else await Promise.all(clients.map((c) => quit(c)));
  }

  // An ioredis connection failure becomes one line naming the Redis, like every other error an operator meets.
  // Timed under `operation` (for onCommand) unless it is undefined: a call made of calls that time themselves.
  /**
   * True within a lease and a report of the store failing from here. Through an outage (a failover of the
   * master) no node could renew its lease, so on the store's return the leases that ran out meanwhile say nothing
   * of the nodes: a holder still registered (the sweeper waits out the same grace) keeps its rooms, instead of a
   * join through another node moving a live room away from its participants.
   */
  private inOutageGrace(): boolean {
    return this.storeFailedAt > 0 && Date.now() - this.storeFailedAt < this.outageGraceMs;
  }

  private async guard<T>(operation: string | undefined, promise: Promise<T>): Promise<T> {
    const started = operation && this.options.onCommand ? performance.now() : 0;
    let failed = true;
    try {
      const value = await promise;
      failed = false;
      return value;
    } catch (err) {
      if (isLkcError(err)) throw err;
      const lost = redisConnectionError(err, this.where);
      if (lost) this.storeFailedAt = Date.now();
      throw lost ?? err;
    } finally {
      if (started) this.options.onCommand?.(operation!, (performance.now() - started) / 1000, failed);
    }
  }
}

/** The count of a "count:window end" entry of the recent hash, 0 once its window (Redis clock) is over. */
function recentCount(entry: string | null, clock: [string, string]): number {
  if (!entry) return 0;
  const [count, end] = entry.split(':').map(Number);
  const now = Number(clock[0]) * 1000 + Math.floor(Number(clock[1]) / 1000);
  return now < (end ?? 0) ? (count ?? 0) : 0;
}

async function quit(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
