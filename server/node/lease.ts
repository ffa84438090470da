import { availableParallelism } from 'node:os';
import type { NodeStatsConfig } from '../../src/config/types.js';
import type { NodeRecord, NodeStats } from '../../src/records.js';
import type { Router as ClusterRouter } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';
import type { Room } from '../media/room.js';
import type { NodeMetrics } from '../metrics.js';
import { withTimeout } from './timeouts.js';

/** The rooms a node holds, as the lease re-asserts them after an outage. */
export interface HeldRooms {
  readonly size: number;
  list(): Room[];
  closeRoom(room: Room, reason: string, options: { moved?: boolean }): Promise<void>;
  /** Writes the room's record; rejects when the store refuses it. */
  writeRecord(room: Room): Promise<void>;
}

/**
 * What re-asserting adds for rooms that span nodes: a leg is recorded again (or closed, when this node was swept
 * and its participants must rejoin), and a room's participants of this node are counted in again.
 */
export interface SpanReassert {
  /** Resolves false when the room was given up here. */
  reassert(room: Room, leaseLost: boolean): Promise<boolean>;
}

export interface NodeLeaseOptions {
  nodeId: string;
  router: Pick<ClusterRouter, 'registerNode' | 'heartbeat' | 'unregisterNode' | 'assertRoom'>;
  timing: Pick<NodeStatsConfig, 'update_interval' | 'lease_ttl'>;
  /** The node's record, carrying the stats this lease last sampled. */
  record: () => NodeRecord;
  sample: () => Promise<NodeStats>;
  rooms: HeldRooms;
  /** Present when rooms may span nodes. */
  span?: SpanReassert;
  /** True once the node is shutting down: reports stop renewing the lease. */
  stopping: () => boolean;
  metrics: Pick<NodeMetrics, 'redisErrors' | 'leaseMargin'>;
  log: Logger;
}

/** A heartbeat slower than this share of lease_ttl is logged: the lease's margin is going. */
const SLOW_ROUND_TRIP_SHARE = 0.25;

/** The warning for a heartbeat that took `roundTripMs` when that is over a quarter of the lease; else undefined. */
export function slowRoundTrip(roundTripMs: number, leaseTtlSeconds: number): string | undefined {
  if (roundTripMs <= leaseTtlSeconds * 1000 * SLOW_ROUND_TRIP_SHARE) return undefined;
  return `redis round trip ${Math.round(roundTripMs)} ms is over a quarter of lease_ttl ${leaseTtlSeconds} s: the round trip approaches the lease, and a few slow reports in a row lose it (raise node_stats.lease_ttl, or bring Redis closer)`;
}

const LEASE_EXPIRED = 'lease had expired';

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
 * The node's lease on its place in the cluster: registering, the stats report every update interval that renews
 * it (the heartbeat), finding it lost (expired while the node was cut off or paused, or the store came back
 * empty) and recovering from that by registering again and re-asserting the node's rooms, and whether the node
 * may judge others dead meanwhile.
 */
export class NodeLease {
  /** The figures of the last sample, carried by the node's record. */
  stats: NodeStats = emptyStats();
  /** Why the last heartbeat failed, while it keeps failing. */
  storeError?: string;
  private registered = false;
  /** When a heartbeat last found this node's lease alive (or renewed it after recovering). */
  private confirmedAt = 0;
  /** A report failed (the store may have lost its data meanwhile) or a room could not be re-asserted. */
  private reassertPending = false;
  /** When this node last registered again after losing its lease or the store. */
  private recoveredAt = 0;
  /** The round trip of the last heartbeat and the lease's margin it found, while either is dangerous. */
  private danger?: string;
  /** The last heartbeat's round trip approached the lease (warned once until it is back under). */
  private slowWarned = false;
  private timer?: NodeJS.Timeout;
  private running = false;
  private inFlight?: Promise<void>;

  constructor(private readonly options: NodeLeaseOptions) {}

  /** Samples the load first, so that the node never registers looking idle and draws every placement. */
  async sampleFirst(): Promise<void> {
    this.stats = await this.options.sample();
  }

  /** Takes the lease and starts reporting every update interval. */
  async register(): Promise<void> {
    await this.options.router.registerNode(this.options.record());
    this.registered = true;
    this.confirmedAt = Date.now();
    this.running = true;
    this.schedule();
  }

  /** Samples and reports now, outside the schedule (the node's state changed, the store came back). */
  async reportNow(): Promise<void> {
    if (this.inFlight) await this.inFlight.catch(() => {});
    this.inFlight = this.tick();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  /**
   * Why the lease is in danger, when it is: the last heartbeat's round trip took over half the lease, or found
   * under a quarter of it left. A readiness reason: one more slow report and the cluster declares the node dead.
   */
  leaseDanger(): string | undefined {
    return this.danger;
  }

  /** True while the lease is known to be alive: confirmed by a heartbeat within the last lease_ttl. */
  fresh(): boolean {
    return Date.now() - this.confirmedAt < this.options.timing.lease_ttl * 1000;
  }

  /**
   * This node may sweep others: its lease is fresh, and it did not just come back from an outage. Every node's
   * lease may have run out while the store was away, and a node that was itself cut off a while longer returns
   * with its report overdue: the others get a lease_ttl and one update interval to report again before anyone
   * declares them dead.
   */
  maySweep(): boolean {
    const { lease_ttl, update_interval } = this.options.timing;
    // While a report has failed and the recovery has not run, the store was away and every lease may have run
    // out meanwhile, however recent this node's last confirmation looks by the clock (a failover shorter than the
    // lease ends with it still "fresh"): not yet, nor for the grace after.
    if (this.storeError !== undefined || this.reassertPending) return false;
    return this.fresh() && Date.now() - this.recoveredAt >= (lease_ttl + update_interval) * 1000;
  }

  /** The cluster says this node was declared dead (swept): report now, which finds the lease lost and recovers. */
  lost(): void {
    this.confirmedAt = 0;
    if (this.running) void this.reportNow().catch(() => {});
  }

  /** Stops reporting; waits for a report under way. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight?.catch(() => {});
  }

  /** Gives the lease up: the node record, lease and room mappings leave the cluster. */
  async unregister(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    await this.options.router.unregisterNode(this.options.nodeId);
  }

  // Reports keep the update interval from start to start: a slow store or sample does not stretch the time
  // between renewals (which would eat the lease's margin), and a report slower than the interval is followed
  // by the next at once.
  private schedule(delayMs = this.options.timing.update_interval * 1000): void {
    if (!this.running) return;
    this.timer = setTimeout(async () => {
      const started = Date.now();
      await this.reportNow().catch(() => {});
      this.schedule(Math.max(0, this.options.timing.update_interval * 1000 - (Date.now() - started)));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      this.stats = await this.options.sample();
      await this.heartbeat();
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'stats report failed');
      throw err;
    }
  }

  /** One stats report: the heartbeat that renews the lease. */
  private async heartbeat(): Promise<void> {
    const { router, metrics, log, timing } = this.options;
    if (this.options.stopping()) return;
    let held: boolean;
    try {
      const timeoutMs = Math.max(timing.update_interval * 1000, 1000);
      const sentAt = performance.now();
      const renewal = await withTimeout(router.heartbeat(this.options.record()), timeoutMs, 'heartbeat');
      held = renewal.held;
      this.judgeMargin(performance.now() - sentAt, held ? renewal.msLeft : 0);
      if (this.storeError) log.info('store reachable again');
      this.storeError = undefined;
    } catch (err) {
      metrics.redisErrors.inc({ operation: 'heartbeat' });
      if (!this.storeError) log.error({ err: (err as Error).message }, 'heartbeat failed');
      this.storeError = (err as Error).message;
      // The store may come back empty (a heartbeat queued during the outage can even re-create the lease on
      // its own): re-assert the rooms after the next report whatever it answers.
      this.reassertPending = true;
      throw err;
    }
    if (!held || this.reassertPending) await this.recover(held ? 'the store was unreachable' : LEASE_EXPIRED);
    else this.confirmedAt = Date.now();
  }

  /**
   * Records the lease's margin (what was left of it when this renewal reached the store) and says when the
   * round trip to the store approaches the lease: over a quarter of lease_ttl is a warning (a few such reports
   * late in a row and the lease is gone), over half of it, or a margin under a quarter, is a danger.
   */
  private judgeMargin(roundTripMs: number, marginMs: number): void {
    const { metrics, log, timing } = this.options;
    const leaseMs = timing.lease_ttl * 1000;
    metrics.leaseMargin.set(marginMs / 1000);
    const warning = slowRoundTrip(roundTripMs, timing.lease_ttl);
    const slow = warning !== undefined;
    if (slow && !this.slowWarned) {
      log.warn(
        { roundTripMs: Math.round(roundTripMs), leaseTtlMs: leaseMs, marginMs: Math.round(marginMs) },
        warning,
      );
    } else if (!slow && this.slowWarned) {
      log.info(
        { roundTripMs: Math.round(roundTripMs) },
        'the Redis round trip is well under the lease again',
      );
    }
    this.slowWarned = slow;
    if (roundTripMs > leaseMs / 2)
      this.danger = `the Redis round trip (${Math.round(roundTripMs)} ms) is over half of lease_ttl (${leaseMs} ms)`;
    else if (marginMs < leaseMs / 4 && marginMs > 0)
      this.danger = `the lease had ${Math.round(marginMs)} ms of ${leaseMs} left when it was renewed`;
    else this.danger = undefined;
  }

  /**
   * The lease had expired (the node was cut off from the store, or the store lost its data): register again,
   * and keep only the rooms no other node has taken meanwhile, writing their records back (the store may have
   * come back empty, or the sweeper deleted them with the mappings); a room taken elsewhere closes here, and its
   * sessions are told it moved.
   */
  private async recover(why: string): Promise<void> {
    const { router, rooms, log } = this.options;
    log.warn({ rooms: rooms.size, why }, 'registering again and re-asserting rooms');
    // The grace before sweeping starts now, when the store is known back, not once this node re-registered: a
    // sweep tick waiting on the store meanwhile must find it.
    this.recoveredAt = Date.now();
    // The node record first: a room record counts (ListRooms) only while its node is registered and alive.
    await router.registerNode(this.options.record());
    this.confirmedAt = Date.now();
    this.recoveredAt = Date.now();
    this.reassertPending = false;
    const leaseLost = why === LEASE_EXPIRED;
    const kept = await Promise.all(rooms.list().map((room) => this.reassert(room, leaseLost)));
    log.info({ rooms: rooms.size, givenUp: kept.filter((k) => !k).length }, 'registered again');
  }

  /**
   * Re-asserts one room, then writes its record: only once the store answered that this node holds it, so that
   * the record of a room another node took meanwhile is left alone. A failed step leaves `reassertPending`, and
   * the next report tries again. False when the room was given up.
   */
  private async reassert(room: Room, leaseLost: boolean): Promise<boolean> {
    const { router, rooms, metrics, log, nodeId, span } = this.options;
    let operation = room.role === 'leg' ? 'assert_leg' : 'assert_room';
    let holder: string | undefined;
    try {
      if (room.role === 'leg') return (await span?.reassert(room, leaseLost)) ?? true;
      holder = await router.assertRoom(room.name, nodeId);
      if (holder !== nodeId) {
        await rooms.closeRoom(room, `room was taken by node ${holder} while this node was cut off`, {
          moved: true,
        });
      } else {
        operation = 'put_room';
        await rooms.writeRecord(room);
        operation = 'assert_members';
        await span?.reassert(room, leaseLost);
      }
    } catch (err) {
      this.reassertPending = true;
      metrics.redisErrors.inc({ operation });
      const what =
        operation === 'put_room'
          ? 'could not write the record of a re-asserted room'
          : operation === 'assert_room'
            ? 'could not re-assert a room'
            : `could not re-assert a spanning room (${operation})`;
      log.warn({ room: room.name, err: (err as Error).message }, what);
    }
    return holder === undefined || holder === nodeId;
  }
}
