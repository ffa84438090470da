import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Config } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { NodeRecord, NodeState, NodeStats } from '../../src/records.js';
import { createRouter } from '../../src/routing/create.js';
import { RedisRouter } from '../../src/routing/redis-router.js';
import type { Router as ClusterRouter } from '../../src/routing/types.js';
import { NodeBus } from '../bus/node-bus.js';
import { addAdminRoutes } from '../http/admin-routes.js';
import { addHealthRoutes } from '../http/health-routes.js';
import { HttpSurface } from '../http/http-surface.js';
import { addRegionDiscoveryRoute } from '../http/region-settings.js';
import type { Logger } from '../logger.js';
import type { Room } from '../media/room.js';
import { type OpenRoomOptions, RoomRegistry } from '../media/room-registry.js';
import { WorkerPool } from '../media/worker-pool.js';
import { NodeMetrics } from '../metrics.js';
import { addSignalling, type Signalling } from '../signal/rtc-service.js';
import type { RoomCallClient } from '../twirp/bus-calls.js';
import { addRoomServiceRoutes } from '../twirp/room-service-routes.js';
import { NodeSweeper } from './dead-node-watch.js';
import { StatsReporter, StatsSampler } from './stats-sampler.js';
import { VERSION } from './version.js';

/** A drain with no deadline given ends at the latest after this long. */
export const DEFAULT_DRAIN_SECONDS = 600;
// Shutdown steps that talk to the store never hold the exit longer than this.
const STORE_STEP_TIMEOUT_MS = 2000;
const STORE_STEP_GIVE_UP_MS = 250;

export interface Readiness {
  ready: boolean;
  /** Why the node is not ready, in an operator's words. */
  reason?: string;
}

interface NodeEvents {
  state: [state: NodeState];
  /** Everything is closed and the node is unregistered: the process may exit. */
  stopped: [];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function emptyStats(): NodeStats {
  return {
    updated_at: Date.now(),
    sysload: 0,
    cpu_load: 0,
    num_cpus: availableParallelism(),
    rooms: 0,
    clients: 0,
    tracks_in: 0,
    tracks_out: 0,
    bytes_in_per_sec: 0,
    bytes_out_per_sec: 0,
  };
}

/**
 * One cluster node: its mediasoup workers, rooms, HTTP surface and place in the cluster. Lifecycle:
 * starting -> serving -> draining -> shutting_down; a draining node keeps its rooms and takes no new ones.
 */
export class ClusterNode extends EventEmitter<NodeEvents> {
  readonly id: string;
  readonly http: HttpSurface;
  readonly pool: WorkerPool;
  readonly metrics: NodeMetrics;
  readonly startedAt = Date.now();
  state: NodeState = 'starting';
  /** Set by start(). */
  cluster!: ClusterRouter;
  rooms!: RoomRegistry;
  bus!: NodeBus;
  private roomApi?: RoomCallClient;
  /** `/rtc`, the signal bridge and the join page. */
  signalling?: Signalling;
  private reporter?: StatsReporter;
  private sweeper?: NodeSweeper;
  private stats: NodeStats = emptyStats();
  private registered = false;
  /** Why the last heartbeat failed, while it keeps failing. */
  private storeError?: string;
  /** When a heartbeat last found this node's lease alive (or renewed it after recovering). */
  private leaseConfirmedAt = 0;
  /** A report failed (the store may have lost its data meanwhile) or a room could not be re-asserted. */
  private reassertPending = false;
  /** When this node last registered again after losing its lease or the store. */
  private recoveredAt = 0;
  private drainTimer?: NodeJS.Timeout;
  private drainDeadline?: number;
  private stopping?: Promise<void>;
  private readonly log: Logger;

  constructor(
    readonly config: Config,
    logger: Logger,
    options: { id?: string } = {},
  ) {
    super();
    this.id = options.id ?? randomId('ND_');
    this.log = logger.child({ nodeId: this.id });
    this.http = new HttpSurface(this.log);
    const workers = config.rtc.num_workers > 0 ? config.rtc.num_workers : availableParallelism();
    this.pool = new WorkerPool(
      workers,
      { start: config.rtc.udp_port_range_start, end: config.rtc.udp_port_range_end },
      this.log,
    );
    this.metrics = new NodeMetrics(
      {
        state: () => this.state,
        rooms: () => this.rooms?.size ?? 0,
        participants: () => this.rooms?.totals().participants ?? 0,
        tracksIn: () => this.rooms?.totals().tracksIn ?? 0,
        tracksOut: () => this.rooms?.totals().tracksOut ?? 0,
      },
      { node_id: this.id, region: config.region },
    );
    this.pool.on('died', () => this.metrics.workerRestarts.inc());
  }

  /** The address clients and other nodes reach this node at: rtc.node_ip, else a specific bind address, else loopback. */
  get advertisedIp(): string {
    const specific = this.config.bind_addresses.find((a) => a !== '0.0.0.0' && a !== '::');
    return this.config.rtc.node_ip || specific || '127.0.0.1';
  }

  get url(): string {
    const host = this.advertisedIp.includes(':') ? `[${this.advertisedIp}]` : this.advertisedIp;
    return `http://${host}:${this.http.port}`;
  }

  /** Starts workers, the store, the HTTP surface; then registers as serving and starts reporting. */
  async start(): Promise<void> {
    this.log.info(
      { region: this.config.region || '(none)', workers: this.pool.slots.length },
      'node starting',
    );
    await this.pool.start();
    let lastErrorLog = 0;
    this.cluster = await createRouter(this.config, {
      // A store that stops answering fails calls quickly: the node keeps serving its rooms meanwhile.
      commandTimeoutMs: STORE_STEP_TIMEOUT_MS,
      // Back within an update interval of Redis returning, so that rooms are re-asserted within two.
      maxReconnectDelayMs: Math.min(2000, Math.max(100, this.config.node_stats.update_interval * 1000)),
      onError: (message) => {
        this.metrics.redisErrors.inc({ operation: 'connection' });
        if (Date.now() - lastErrorLog > 5000) {
          lastErrorLog = Date.now();
          this.log.warn({ err: message }, 'redis connection error');
        }
      },
    });
    const specific = this.config.bind_addresses.find((a) => a !== '0.0.0.0' && a !== '::');
    this.rooms = new RoomRegistry(
      this.id,
      this.pool,
      this.cluster,
      this.config.room,
      { ip: specific ?? '0.0.0.0', announcedAddress: this.advertisedIp },
      this.metrics,
      this.log,
    );
    this.rooms.on('empty', () => {
      if (this.state === 'draining') void this.stop('drained: its last room closed');
    });
    this.bus = new NodeBus(this.cluster, this.id, this.log);
    addHealthRoutes(this.http, this);
    addAdminRoutes(this.http, this);
    this.roomApi = addRoomServiceRoutes(this.http, this, this.log);
    addRegionDiscoveryRoute(this.http, this);
    this.signalling = addSignalling(this, this.log);
    await this.http.listen(this.config.port, this.config.bind_addresses);
    await this.bus.start();
    const sampler = new StatsSampler(this.rooms, this.pool, this.metrics);
    // The first record must carry the machine's real load: a node that registered looking idle would draw every
    // placement until its first report.
    this.stats = await sampler.sample();
    this.reporter = new StatsReporter(
      sampler,
      this.config.node_stats.update_interval,
      (stats) => this.report(stats),
      this.log,
    );
    this.state = 'serving';
    await this.cluster.registerNode(this.record());
    this.registered = true;
    this.leaseConfirmedAt = Date.now();
    this.reporter.start();
    this.sweeper = await NodeSweeper.start(this, this.log);
    if (this.cluster instanceof RedisRouter) {
      // Bridged sessions outlive a Redis outage when idle: the relay stops judging peers while the bus is down.
      this.cluster.client.on('close', () => this.signalling?.relay.setBusUp(false));
      // Reconnected: report at once rather than at the next tick, so a Redis that came back empty learns of
      // this node and its rooms without waiting.
      this.cluster.client.on('ready', () => {
        this.signalling?.relay.setBusUp(true);
        void this.reporter?.reportNow().catch(() => {});
      });
    }
    this.emit('state', this.state);
    this.log.info({ url: this.url, router: this.cluster.kind }, 'node serving');
  }

  /** The node's record as the cluster sees it. */
  record(): NodeRecord {
    return {
      id: this.id,
      region: this.config.region,
      ip: this.advertisedIp,
      http_port: this.http.port,
      url: this.url,
      rtc_port_range: {
        start: this.config.rtc.udp_port_range_start,
        end: this.config.rtc.udp_port_range_end,
      },
      state: this.state,
      started_at: this.startedAt,
      stats: this.stats,
      limits: this.config.limit,
      version: VERSION,
    };
  }

  /** Node, rooms and workers, for GET /admin/node. */
  info() {
    return {
      node: this.record(),
      router: this.cluster?.kind,
      drain_deadline: this.drainDeadline ?? null,
      rooms:
        this.rooms
          ?.list()
          .map((room) => ({ name: room.name, sid: room.sid, participants: room.participants.size })) ?? [],
      workers: this.pool.slots.map((slot) => ({
        index: slot.index,
        pid: slot.worker?.pid ?? null,
        ports: slot.ports,
        restarts: slot.restarts,
      })),
    };
  }

  /** Ready = serving, every worker running, registered with a live lease, and the store answering. */
  async readiness(): Promise<Readiness> {
    if (this.state === 'starting') return { ready: false, reason: 'node is starting' };
    if (this.state === 'shutting_down') return { ready: false, reason: 'node is shutting down' };
    if (this.state === 'draining') return { ready: false, reason: 'node is draining: it takes no new rooms' };
    const missing = this.pool.missing;
    if (missing.length > 0)
      return { ready: false, reason: `mediasoup worker ${missing.join(', ')} is not running` };
    const store = this.cluster.kind === 'redis' ? 'redis' : 'router';
    if (this.storeError) return { ready: false, reason: `${store} is unreachable: ${this.storeError}` };
    try {
      const view = await withTimeout(this.cluster.getNode(this.id), 1000, `${store} lookup`);
      if (!view) return { ready: false, reason: 'node is not registered' };
      if (!view.alive) return { ready: false, reason: 'node lease has expired' };
    } catch (err) {
      return { ready: false, reason: `${store} is unreachable: ${(err as Error).message}` };
    }
    return { ready: true };
  }

  /** Claims `name` for this node (or finds it here) and opens it. Refused while draining. */
  async hostRoom(name: string, options: OpenRoomOptions = {}): Promise<Room> {
    const open = this.rooms.get(name);
    if (open) return open;
    if (this.state !== 'serving')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is ${this.state}: it takes no new rooms`);
    const placement = await this.metrics.timePlacement(() =>
      this.cluster.placeRoom(name, { nodeId: this.id }),
    );
    if (placement.node.id !== this.id) {
      throw new LkcError('ALREADY_EXISTS', `room ${name} is hosted on node ${placement.node.id}`);
    }
    return this.rooms.open(name, options);
  }

  /**
   * Moves the node to draining: existing rooms continue, new ones go elsewhere. It stops when its last room
   * closes, or at the deadline (rooms are then closed). Draining again moves the deadline.
   */
  async drain(deadlineSeconds = DEFAULT_DRAIN_SECONDS): Promise<NodeRecord> {
    if (this.state === 'shutting_down')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is already shutting down`);
    if (this.state === 'starting') throw new LkcError('UNAVAILABLE', `node ${this.id} is still starting`);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainDeadline = Date.now() + deadlineSeconds * 1000;
    this.drainTimer = setTimeout(() => void this.drainDeadlineReached(), deadlineSeconds * 1000);
    if (this.state !== 'draining') {
      this.setState('draining');
      this.log.info({ rooms: this.rooms.size, deadlineSeconds }, 'draining');
      await this.reporter?.reportNow().catch(() => {});
    }
    // Let the caller's answer go out before the node starts to stop.
    if (this.rooms.size === 0) setImmediate(() => void this.stop('drained: it had no rooms'));
    return this.record();
  }

  /** Returns a draining node to serving. */
  async undrain(): Promise<NodeRecord> {
    if (this.state === 'serving') return this.record();
    if (this.state !== 'draining')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is ${this.state}; it cannot be undrained`);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.drainDeadline = undefined;
    this.setState('serving');
    this.log.info('undrained: serving again');
    await this.reporter?.reportNow().catch(() => {});
    return this.record();
  }

  /** Stops at once: closes every room, unregisters, closes workers and the HTTP surface. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info({ reason, rooms: this.rooms?.size ?? 0 }, 'node stopping');
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.setState('shutting_down');
    await this.reporter?.stop();
    await this.sweeper?.stop().catch(() => {});
    // Once the store has failed one step it is likely gone: the remaining steps get a short try, not the full wait.
    let budgetMs = this.storeError ? STORE_STEP_GIVE_UP_MS : STORE_STEP_TIMEOUT_MS;
    const step = async (what: string, run: () => Promise<unknown> | undefined) => {
      try {
        await withTimeout(Promise.resolve(run()), budgetMs, what);
      } catch (err) {
        budgetMs = STORE_STEP_GIVE_UP_MS;
        this.log.warn({ err: (err as Error).message }, `${what} failed`);
      }
    };
    if (this.rooms) await step('closing rooms', () => this.rooms.closeAll('the node is shutting down'));
    this.signalling?.close();
    if (this.registered) await step('unregistering', () => this.cluster.unregisterNode(this.id));
    this.registered = false;
    this.roomApi?.close();
    if (this.bus) await step('leaving the bus', () => this.bus.stop());
    if (this.cluster) await step('closing the router', () => this.cluster.close());
    this.pool.close();
    await step('closing HTTP', () => this.http.close());
    this.log.info('node stopped');
    this.emit('stopped');
  }

  private async drainDeadlineReached(): Promise<void> {
    if (this.state !== 'draining') return;
    this.log.warn({ rooms: this.rooms.size }, 'drain deadline reached: closing the remaining rooms');
    await this.stop('drain deadline reached');
  }

  private setState(state: NodeState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** True while this node's lease is known to be alive: confirmed by a heartbeat within the last lease_ttl. */
  leaseFresh(): boolean {
    return Date.now() - this.leaseConfirmedAt < this.config.node_stats.lease_ttl * 1000;
  }

  /**
   * This node may sweep others: its lease is fresh, and it did not just come back from an outage. Every node's
   * lease may have run out while the store was away, and a node that was itself cut off a while longer returns
   * with its report overdue: the others get a lease_ttl and one update interval to report again before anyone
   * declares them dead.
   */
  maySweep(): boolean {
    const { lease_ttl, update_interval } = this.config.node_stats;
    return this.leaseFresh() && Date.now() - this.recoveredAt >= (lease_ttl + update_interval) * 1000;
  }

  /** The cluster says this node was declared dead (swept): report now, which finds the lease lost and recovers. */
  leaseLost(): void {
    this.leaseConfirmedAt = 0;
    if (this.state === 'serving' || this.state === 'draining')
      void this.reporter?.reportNow().catch(() => {});
  }

  /** One stats report: the heartbeat that renews the lease. */
  private async report(stats: NodeStats): Promise<void> {
    this.stats = stats;
    if (this.state === 'shutting_down') return;
    let leaseHeld: boolean;
    try {
      const timeoutMs = Math.max(this.config.node_stats.update_interval * 1000, 1000);
      leaseHeld = await withTimeout(this.cluster.heartbeat(this.record()), timeoutMs, 'heartbeat');
      if (this.storeError) this.log.info('store reachable again');
      this.storeError = undefined;
    } catch (err) {
      this.metrics.redisErrors.inc({ operation: 'heartbeat' });
      if (!this.storeError) this.log.error({ err: (err as Error).message }, 'heartbeat failed');
      this.storeError = (err as Error).message;
      // The store may come back empty (a heartbeat queued during the outage can even re-create the lease on
      // its own): re-assert the rooms after the next report whatever it answers.
      this.reassertPending = true;
      throw err;
    }
    if (!leaseHeld || this.reassertPending)
      await this.recoverLease(leaseHeld ? 'the store was unreachable' : 'lease had expired');
    else this.leaseConfirmedAt = Date.now();
  }

  /**
   * The lease had expired (the node was cut off from the store, or the store lost its data): register again,
   * and keep only the rooms no other node has taken meanwhile; a room taken elsewhere closes here, and its
   * sessions are told it moved.
   */
  private async recoverLease(why: string): Promise<void> {
    this.log.warn({ rooms: this.rooms.size, why }, 'registering again and re-asserting rooms');
    await this.cluster.registerNode(this.record());
    this.leaseConfirmedAt = Date.now();
    this.recoveredAt = Date.now();
    let lost = 0;
    this.reassertPending = false;
    await Promise.all(
      this.rooms.list().map(async (room) => {
        try {
          const holder = await this.cluster.assertRoom(room.name, this.id);
          if (holder === this.id) return;
          lost++;
          await this.rooms.closeRoom(room, `room was taken by node ${holder} while this node was cut off`, {
            moved: true,
          });
        } catch (err) {
          this.reassertPending = true;
          this.metrics.redisErrors.inc({ operation: 'assert_room' });
          this.log.warn({ room: room.name, err: (err as Error).message }, 'could not re-assert a room');
        }
      }),
    );
    this.log.info({ rooms: this.rooms.size, givenUp: lost }, 'registered again');
  }
}
