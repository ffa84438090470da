import {
  type ClusterEvent,
  DeadNodeSweeper,
  listenClusterEvents,
} from '../../src/routing/dead-node-sweeper.js';
import { describeRedis } from '../../src/routing/redis-connect.js';
import { RedisRouter } from '../../src/routing/redis-router.js';
import type { Logger } from '../logger.js';
import type { ClusterNode } from './cluster-node.js';

/**
 * The node's part in removing dead nodes while the cluster runs: every update interval it tries to sweep (one
 * node at a time wins the lock), and it listens on the cluster's events channel, so that when any node is swept
 * it closes the bridged sessions it shares with that node at once, with the reason, instead of waiting for the
 * relay's heartbeats to notice the silence. A single node (no Redis) has nothing to sweep.
 */
export class NodeSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopListening?: () => Promise<void>;
  /** The last sweep error, logged once until a sweep works again. */
  private failing?: string;

  private constructor(
    private readonly node: ClusterNode,
    private readonly sweeper: DeadNodeSweeper,
    private readonly log: Logger,
  ) {}

  /** Starts sweeping and listening when the node runs in a Redis cluster; undefined otherwise. */
  static async start(node: ClusterNode, logger: Logger): Promise<NodeSweeper | undefined> {
    const router = node.cluster;
    if (!(router instanceof RedisRouter) || !node.config.redis) return undefined;
    const intervalMs = Math.max(100, node.config.node_stats.update_interval * 1000);
    const sweeper = new DeadNodeSweeper(router.client, router.keys, { nodeId: node.id, intervalMs });
    const driver = new NodeSweeper(node, sweeper, logger.child({ service: 'sweeper' }));
    driver.stopListening = await listenClusterEvents(
      router.client,
      router.keys,
      describeRedis(node.config.redis),
      (event) => driver.onEvent(event),
    );
    driver.timer = setInterval(() => {
      driver.running ??= driver.tick().finally(() => {
        driver.running = undefined;
      });
    }, intervalMs);
    driver.timer.unref();
    return driver;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.stopListening?.();
  }

  private async tick(): Promise<void> {
    // Only a node that holds its own lease sweeps (a node waking from a pause must not sweep before it learns
    // that it was the one declared dead), and not right after it came back from an outage.
    if (!this.node.maySweep()) return;
    if (this.node.state !== 'serving' && this.node.state !== 'draining') return;
    try {
      const outcome = await this.sweeper.sweepOnce();
      if (this.failing) this.log.info('sweeping works again');
      this.failing = undefined;
      if (outcome.status !== 'swept') return;
      for (const { node, rooms } of outcome.nodes)
        this.log.warn({ deadNode: node, rooms }, 'swept a dead node: its lease expired; its rooms are free');
    } catch (err) {
      const message = (err as Error).message;
      this.node.metrics.redisErrors.inc({ operation: 'sweep' });
      if (!this.failing) this.log.warn({ err: message }, 'could not sweep dead nodes');
      this.failing = message;
    }
  }

  private onEvent(event: ClusterEvent): void {
    if (event.node === this.node.id) {
      // This node was paused or cut off long enough to be declared dead: find out now, not at the next report.
      this.log.warn({ by: event.by }, 'this node was swept as dead: registering again');
      this.node.leaseLost();
      return;
    }
    const closed =
      this.node.signalling?.relay.closePeer(
        event.node,
        `died (its lease expired; node ${event.by} removed it): rejoin to get a live node`,
      ) ?? 0;
    this.log.info(
      { deadNode: event.node, by: event.by, rooms: event.rooms.length, closedSessions: closed },
      'a node was swept as dead',
    );
  }
}
