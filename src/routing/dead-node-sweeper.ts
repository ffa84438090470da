import { randomUUID } from 'node:crypto';
import { LkcError } from '../errors.js';
import { nodeRemovalKeys, type RoutingKeys } from './keys.js';
import { type RedisClient, type RedisConnectOptions, waitUntilReady } from './redis-connect.js';
import { RoutingScripts } from './scripts.js';
import type { ClusterEvent, SweepOutcome } from './types.js';

/** A dead node the sweeper removed, with the number of room mappings it cleared. */
export interface SweptNode {
  node: string;
  rooms: number;
}

export interface SweeperOptions {
  /** The sweeping node: never swept by itself, named in the events. */
  nodeId: string;
  /** The cluster's update interval: the cluster sweeps at least once per interval and at most twice. */
  intervalMs: number;
  /** How long the lock outlives a holder that dies while sweeping; default: one interval. */
  lockTtlMs?: number;
  /** Live nodes in a row at the bottom of the registry that end a scan. */
  liveRun?: number;
  /** Most nodes removed by one sweep (bounds the script's time after a mass failure). */
  maxPerSweep?: number;
  /** Removed-node tombstones kept so routers can catch up incrementally (as the router keeps them). */
  keepTombstones?: number;
}

const DEFAULT_LIVE_RUN = 32;
const DEFAULT_MAX_PER_SWEEP = 1000;
const DEFAULT_KEEP_TOMBSTONES = 1024;

/**
 * The dead-node sweeper: removes nodes whose lease expired, and their room mappings (compare-and-delete), while
 * the cluster runs. Every live node runs one; a Redis lock (SET NX PX, released compare-and-delete) lets exactly
 * one sweep at a time, and the sweep script checks the lock's token itself, so a holder whose lock ran out
 * (a paused process) cannot sweep.
 */
export class DeadNodeSweeper {
  private readonly scripts: RoutingScripts;
  private readonly lockTtlMs: number;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RoutingKeys,
    private readonly options: SweeperOptions,
  ) {
    this.scripts = new RoutingScripts(client);
    this.lockTtlMs = Math.max(100, Math.round(options.lockTtlMs ?? options.intervalMs));
  }

  /** Takes the sweep lock; returns its token, or undefined when another node holds it. */
  async acquire(): Promise<string | undefined> {
    const token = `${this.options.nodeId}:${randomUUID()}`;
    const answer = await this.client.set(this.keys.sweepLock, token, 'PX', this.lockTtlMs, 'NX');
    return answer === 'OK' ? token : undefined;
  }

  /** Releases the lock if `token` still holds it (compare-and-delete). */
  async release(token: string): Promise<boolean> {
    return (await this.scripts.run<number>('unlock', [this.keys.sweepLock], [token])) === 1;
  }

  /** Sweeps under the lock `token`; refused when the token no longer holds it. */
  async sweepWith(token: string): Promise<SweepOutcome> {
    const k = this.keys;
    const [status, flat] = await this.scripts.run<[string, Array<string | number>]>(
      'sweep',
      [k.sweepLock, k.swept, ...nodeRemovalKeys(k)],
      [
        k.prefix,
        token,
        this.options.nodeId,
        this.options.liveRun ?? DEFAULT_LIVE_RUN,
        this.options.maxPerSweep ?? DEFAULT_MAX_PER_SWEEP,
        Math.max(50, Math.round(this.options.intervalMs / 2)),
        this.options.keepTombstones ?? DEFAULT_KEEP_TOMBSTONES,
        k.events,
      ],
    );
    if (status === 'not_holder') return { status: 'lost_lock' };
    if (status === 'recent') return { status: 'recent' };
    const nodes: SweptNode[] = [];
    for (let i = 0; i < flat.length; i += 2)
      nodes.push({ node: String(flat[i]), rooms: Number(flat[i + 1]) });
    return { status: 'swept', nodes };
  }

  /**
   * One sweep: lock, remove every dead node found, release. `mayStill` is asked once the lock is taken: the lock's
   * answer proves the store answers now, while the caller's decision to sweep may date from before an outage that
   * the lock command sat through in the offline queue (every lease may have run out meanwhile).
   */
  async sweepOnce(mayStill?: () => boolean): Promise<SweepOutcome> {
    const token = await this.acquire();
    if (!token) return { status: 'busy' };
    try {
      if (mayStill && !mayStill()) return { status: 'declined' };
      return await this.sweepWith(token);
    } finally {
      await this.release(token).catch(() => false);
    }
  }
}

/** Reads a message of the events channel; undefined for anything this version does not know. */
export function parseClusterEvent(raw: string): ClusterEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const event = value as Record<string, unknown>;
  if (event.type !== 'node.swept' || typeof event.node !== 'string' || typeof event.by !== 'string')
    return undefined;
  // Lua's cjson writes an empty list as {}.
  const rooms = Array.isArray(event.rooms) ? event.rooms.filter((r) => typeof r === 'string') : [];
  const why = typeof event.why === 'string' && event.why ? { why: event.why } : {};
  // Pairs of room and new home, flat: Lua's cjson has no objects with arbitrary keys in a stable order.
  const flat = Array.isArray(event.promoted) ? event.promoted : [];
  const promoted: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [room, home] = [flat[i], flat[i + 1]];
    if (typeof room === 'string' && typeof home === 'string') promoted[room] = home;
  }
  return { type: 'node.swept', node: event.node, rooms, promoted, by: event.by, ...why };
}

/**
 * Listens on the cluster's events channel over its own connection (a subscribed connection runs nothing else);
 * ioredis resubscribes after a reconnection. Returns a function that stops listening.
 */
export async function listenClusterEvents(
  client: RedisClient,
  keys: RoutingKeys,
  where: string,
  handler: (event: ClusterEvent) => void,
  options: RedisConnectOptions = {},
): Promise<() => Promise<void>> {
  const subscriber = client.duplicate();
  await waitUntilReady(subscriber, where, options);
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.events) return;
    const event = parseClusterEvent(message);
    if (event) handler(event);
  });
  try {
    await subscriber.subscribe(keys.events);
  } catch (err) {
    subscriber.disconnect();
    throw new LkcError('REDIS_UNAVAILABLE', `cannot listen on ${where}: ${(err as Error).message}`);
  }
  return async () => {
    subscriber.disconnect();
  };
}
