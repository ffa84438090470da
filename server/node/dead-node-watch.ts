import type { ClusterEvent, Router as ClusterRouter, DeadNodeWatch } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';
import type { NodeMetrics } from '../metrics.js';

export interface DeadNodeWatchDeps {
  nodeId: string;
  router: Pick<ClusterRouter, 'watchDeadNodes'>;
  /** The cluster's update interval, in seconds. */
  updateInterval: number;
  /** The cluster's lease_ttl, in seconds. */
  leaseTtl: number;
  lease: { maySweep(): boolean; lost(): void };
  /** True while the node serves or drains (a starting or stopping node judges nobody). */
  active: () => boolean;
  /** Ends the bridged sessions shared with `peer`; returns how many. */
  closePeer: (peer: string, reason: string) => number;
  /** Told of every other node swept (spanning rooms drop their pipes to it, a leg may become a home). */
  onSwept?: (event: ClusterEvent) => void;
  metrics: Pick<NodeMetrics, 'redisErrors'>;
  log: Logger;
}

/**
 * How often a node tries to sweep: a tenth of the lease (so a dead node is swept within lease_ttl + lease_ttl/10
 * of its last report), at least every update interval, at most every 100 ms. Each try is a SET NX and, for the
 * winner, one script that stops at the marker when the cluster was swept in the last half of this period.
 */
export function sweepPeriodMs(updateInterval: number, leaseTtl: number): number {
  return Math.round(Math.max(100, Math.min(updateInterval * 1000, (leaseTtl * 1000) / 10)));
}

/**
 * The node's part in removing dead nodes while the cluster runs: every tenth of the lease it tries to sweep (one
 * node at a time wins the lock), and it hears of every node swept, so that it closes the bridged sessions it
 * shares with that node at once, with the reason, instead of waiting for the relay's heartbeats to notice the
 * silence. A router with no other nodes (a single node in memory) has nothing to watch.
 */
export class DeadNodeWatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private watch?: DeadNodeWatch;
  /** The last sweep error, logged once until a sweep works again. */
  private failing?: string;
  private readonly log: Logger;

  private constructor(private readonly deps: DeadNodeWatchDeps) {
    this.log = deps.log.child({ service: 'sweeper' });
  }

  /** Starts sweeping and listening where the router has other nodes to watch; undefined otherwise. */
  static async start(deps: DeadNodeWatchDeps): Promise<DeadNodeWatcher | undefined> {
    const intervalMs = sweepPeriodMs(deps.updateInterval, deps.leaseTtl);
    const watcher = new DeadNodeWatcher(deps);
    const watch = await deps.router.watchDeadNodes({
      nodeId: deps.nodeId,
      intervalMs,
      // A holder dying mid-sweep holds the others off this long; it must outlast a few round trips to a distant
      // Redis (lock, script, release), or every sweep would find its lock gone.
      lockTtlMs: Math.max(1000, deps.updateInterval * 1000),
      onEvent: (event) => watcher.onEvent(event),
    });
    if (!watch) return undefined;
    watcher.watch = watch;
    watcher.timer = setInterval(() => {
      watcher.running ??= watcher.tick().finally(() => {
        watcher.running = undefined;
      });
    }, intervalMs);
    watcher.timer.unref();
    return watcher;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.watch?.stop();
  }

  private async tick(): Promise<void> {
    // Only a node that holds its own lease sweeps (a node waking from a pause must not sweep before it learns
    // that it was the one declared dead), and not right after it came back from an outage.
    if (!this.deps.lease.maySweep() || !this.deps.active() || !this.watch) return;
    try {
      // Asked again once the store has answered: a tick begun before an outage must not sweep after it, when
      // every lease has run out and no node has reported yet.
      const outcome = await this.watch.sweepOnce(() => this.deps.lease.maySweep() && this.deps.active());
      if (this.failing) this.log.info('sweeping works again');
      this.failing = undefined;
      if (outcome.status !== 'swept') return;
      for (const { node, rooms } of outcome.nodes)
        this.log.warn({ deadNode: node, rooms }, 'swept a dead node: its lease expired; its rooms are free');
    } catch (err) {
      const message = (err as Error).message;
      this.deps.metrics.redisErrors.inc({ operation: 'sweep' });
      if (!this.failing) this.log.warn({ err: message }, 'could not sweep dead nodes');
      this.failing = message;
    }
  }

  private onEvent(event: ClusterEvent): void {
    if (event.node === this.deps.nodeId) {
      // This node was paused or cut off long enough to be declared dead: find out now, not at the next report.
      this.log.warn({ by: event.by }, 'this node was swept as dead: registering again');
      this.deps.lease.lost();
      return;
    }
    const why = event.why ?? 'its lease expired';
    const closed = this.deps.closePeer(
      event.node,
      `died (${why}; ${event.why ? '' : 'node '}${event.by} removed it): rejoin to get a live node`,
    );
    this.log.info(
      { deadNode: event.node, by: event.by, why, rooms: event.rooms.length, closedSessions: closed },
      'a node was swept as dead',
    );
    this.deps.onSwept?.(event);
  }
}
