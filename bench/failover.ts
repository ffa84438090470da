// Failover benchmark: kill -9 of a node hosting 100 rooms, and the time until all 100 are placed on live nodes,
// under lk-cluster's rule (the lease expires, the dead-node sweeper clears the node and its room mappings, then
// placement succeeds at once) and, in the same run on the same cluster, under LiveKit's rule (a node counts as
// dead only once its stats are 5 s stale, and a room on it is re-placed only when someone joins it: simulated with
// clients that rejoin every 50 ms). Median of 5 runs per configuration. Then a supervised crash: kill -9 of a node
// run by `lk-cluster start`'s supervisor (in this process), which forgets the dead node at once, and the time until
// all its rooms are placed on the other nodes.
// Run by hand: `npm run build && node dist/bench/failover.js [--runs 5] [--rooms 100] [--config 0.5/2.5,2/6,1/3]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import { createToken } from '../src/auth/token.js';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../src/config/defaults.js';
import type { NodeRecord } from '../src/records.js';
import { RedisRouter } from '../src/routing/redis-router.js';
import { startLocalCluster } from '../src/supervisor/local-cluster.js';
import type { SupervisorEvent } from '../src/supervisor/supervisor.js';
import { testConfig } from '../test/helpers/config.js';
import {
  admin,
  cleanEnv,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../test/helpers/node-process.js';
import { freePort } from '../test/helpers/ports.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { waitFor } from '../test/helpers/wait.js';
import { arg } from './args.js';
import { median } from './figures.js';
import { machineLine } from './machine.js';

const RUNS = Number(arg('runs', '5'));
const ROOMS = Number(arg('rooms', '100'));
/** update_interval/lease_ttl pairs: the defaults, the old defaults, and a middle one. */
const CONFIGS = arg('config', '0.5/2.5,2/6,1/3')
  .split(',')
  .map((pair) => pair.split('/').map(Number) as [number, number]);
/** LiveKit's selector: a node whose stats are this many whole seconds old is unavailable (AvailableSeconds). */
const LIVEKIT_STALE_SECONDS = 5;
/** How often a client whose room died tries to join again, in the LiveKit simulation. */
const REJOIN_EVERY_MS = 50;
const SIM_ROOM_NODE = '{lkbench}:room_node';

interface RunResult {
  /** ms from the kill until the sweeper had removed the node and every one of its room mappings. */
  swept: number;
  /** ms from the kill until all rooms were placed on live nodes under lk-cluster's rule. */
  placed: number;
  /** ms from the kill until the node counted as dead under LiveKit's 5 s rule. */
  stale: number;
  /** ms from the kill until all rooms were placed on live nodes under LiveKit's rule, clients rejoining. */
  livekit: number;
}

/** LiveKit's IsAvailable: stats updated less than 5 whole seconds ago (it keeps Unix seconds). */
function livekitAvailable(record: NodeRecord, nowMs: number): boolean {
  return Math.floor(nowMs / 1000) - Math.floor(record.stats.updated_at / 1000) < LIVEKIT_STALE_SECONDS;
}

/**
 * LiveKit's rule, simulated on its own mapping hash with the cluster's real node records: every REJOIN_EVERY_MS a
 * client of each room not yet re-placed joins; the join keeps the room's node while that node looks available
 * (its last stats are under 5 s old: a dead node is never removed while the cluster runs), else places the room
 * at random among available nodes. The dead node's record is the last one it wrote, frozen, as LiveKit keeps it.
 */
async function livekitRule(
  store: Redis,
  victim: NodeRecord,
  rooms: string[],
  killedAt: number,
): Promise<{ stale: number; placed: number }> {
  let stale = Number.NaN;
  const pending = new Set(rooms);
  for (;;) {
    const now = Date.now();
    const records = Object.values(await store.hgetall(`${PREFIX}nodes`))
      .map((json) => JSON.parse(json) as NodeRecord)
      .filter((r) => r.id !== victim.id);
    const all = [...records, victim];
    const available = all.filter((r) => r.state === 'serving' && livekitAvailable(r, now));
    if (Number.isNaN(stale) && !livekitAvailable(victim, now)) stale = now - killedAt;
    const holders = await store.hmget(SIM_ROOM_NODE, ...pending);
    const writes: Array<Promise<unknown>> = [];
    [...pending].forEach((room, i) => {
      const holder = all.find((r) => r.id === holders[i]);
      if (holder && livekitAvailable(holder, now)) return; // the join goes to the (dead) node and fails
      const chosen = available[Math.floor(Math.random() * available.length)];
      if (!chosen) return;
      writes.push(store.hset(SIM_ROOM_NODE, room, chosen.id));
      pending.delete(room);
    });
    await Promise.all(writes);
    if (pending.size === 0) return { stale, placed: Date.now() - killedAt };
    await new Promise((resolve) => setTimeout(resolve, REJOIN_EVERY_MS));
  }
}

/** lk-cluster's rule: wait for the sweeper (no client needed), then place every room; all must land on live nodes. */
async function lkClusterRule(
  store: Redis,
  router: RedisRouter,
  victimId: string,
  rooms: string[],
  killedAt: number,
): Promise<{ swept: number; placed: number }> {
  await waitFor(
    async () => {
      const [registered, holders] = await Promise.all([
        store.hexists(`${PREFIX}nodes`, victimId),
        store.hmget(`${PREFIX}room_node`, ...rooms),
      ]);
      return registered === 0 && holders.every((h) => h === null);
    },
    { timeoutMs: 60_000, intervalMs: 5, what: 'the sweep' },
  );
  const swept = Date.now() - killedAt;
  const placements = await Promise.all(rooms.map((room) => router.placeRoom(room)));
  const placed = Date.now() - killedAt;
  const misplaced = placements.filter((p) => p.node.id === victimId || !p.claimed).length;
  if (misplaced > 0) throw new Error(`${misplaced} rooms were not newly placed on a live node`);
  return { swept, placed };
}

async function measure(interval: number, leaseTtl: number): Promise<RunResult[]> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-failover-'));
  const store = new Redis(redis.port, '127.0.0.1');
  const nodes: TestNode[] = [];
  const start = async (name: string) => {
    const port = await freePort();
    const config = nodeConfig({ port, redis: redis.address });
    config.node_stats = { update_interval: interval, lease_ttl: leaseTtl };
    config.logging = { level: 'warn', json: false };
    const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port);
    nodes.push(node);
    return node;
  };
  const router = await RedisRouter.connect(
    testConfig({
      redis: { address: redis.address, key_prefix: PREFIX },
      node_stats: { update_interval: interval, lease_ttl: leaseTtl },
      node_selector: { kind: 'any', sysload_limit: 1 },
    }),
  );
  const results: RunResult[] = [];
  try {
    await Promise.all([start('survivor-1'), start('survivor-2')]);
    for (let run = 0; run < RUNS; run++) {
      const victim = await start(`victim-${run}`);
      const rooms = Array.from({ length: ROOMS }, (_, i) => `run${run}-room-${i}`);
      for (let i = 0; i < rooms.length; i += 10) {
        await Promise.all(
          rooms.slice(i, i + 10).map(async (name) => {
            const created = await admin(victim.url, 'POST', '/admin/rooms', { name });
            if (created.status !== 200) throw new Error(`room ${name}: ${JSON.stringify(created.body)}`);
          }),
        );
      }
      // A steady node: its last report already counts its rooms.
      await waitFor(
        async () => {
          const json = await store.hget(`${PREFIX}nodes`, victim.id);
          return json && (JSON.parse(json) as NodeRecord).stats.rooms === ROOMS;
        },
        { timeoutMs: 30_000, what: 'the victim to report its rooms' },
      );
      await store.del(SIM_ROOM_NODE);
      await store.hset(SIM_ROOM_NODE, Object.fromEntries(rooms.map((room) => [room, victim.id])));

      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      // Its last record, read before the sweeper can remove it (that takes at least lease_ttl).
      const last = JSON.parse((await store.hget(`${PREFIX}nodes`, victim.id)) ?? 'null') as NodeRecord;
      const [ours, theirs] = await Promise.all([
        lkClusterRule(store, router, victim.id, rooms, killedAt),
        livekitRule(store, last, rooms, killedAt),
      ]);
      results.push({ ...ours, stale: theirs.stale, livekit: theirs.placed });
      process.stderr.write(
        `  ${interval}/${leaseTtl} run ${run + 1}: swept ${ours.swept} ms, placed ${ours.placed} ms; LiveKit stale ${theirs.stale} ms, placed ${theirs.placed} ms\n`,
      );
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await router.close();
    store.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

interface SupervisedResult {
  /** ms from the kill until the supervisor had removed the node (its `freed` event). */
  freed: number;
  /** ms from the kill until all rooms were placed on live nodes. */
  placed: number;
}

/**
 * A supervised crash: `lk-cluster start`'s supervisor (startLocalCluster, in this process) runs 3 nodes on a
 * private redis-server at the default node_stats; each run kills -9 the node of the next slot after it hosted
 * ROOMS rooms, and places every room through a router until each lands on another node. The supervisor forgets
 * the dead node as soon as its exit is seen; the slot's new node must be ready before the next run.
 */
async function measureSupervised(): Promise<SupervisedResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-supervised-'));
  const port = await freePort();
  const config = nodeConfig({ port });
  delete config.node_stats; // the defaults
  delete config.port;
  config.logging = { level: 'warn', json: false };
  const file = writeConfig(dir, 'cluster.yaml', config);
  const cluster = await startLocalCluster({
    nodes: 3,
    configFile: file,
    regions: [],
    portBase: port,
    cwd: dir,
    env: cleanEnv(),
  });
  const token = await createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    grant: { roomAdmin: true },
    ttlSeconds: 3600,
  });
  const router = await RedisRouter.connect(
    testConfig({
      redis: { address: cluster.redisAddress!, key_prefix: PREFIX },
      node_selector: { kind: 'any', sysload_limit: 1 },
    }),
  );
  const freedAt = new Map<string, number>();
  cluster.supervisor.on('event', (event: SupervisorEvent) => {
    if (event.type === 'freed') freedAt.set(event.nodeId, performance.now());
  });
  const results: SupervisedResult[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const slot = cluster.supervisor.nodes[run % cluster.supervisor.nodes.length]!;
      await waitFor(() => slot.ready && slot.id && slot.pid && slot.url, {
        timeoutMs: 60_000,
        what: 'the slot to be ready',
      });
      const victimId = slot.id!;
      const rooms = Array.from({ length: ROOMS }, (_, i) => `sup${run}-room-${i}`);
      for (let i = 0; i < rooms.length; i += 10) {
        await Promise.all(
          rooms.slice(i, i + 10).map(async (name) => {
            const response = await fetch(`${slot.url}/admin/rooms`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ name }),
            });
            if (response.status !== 200) throw new Error(`room ${name}: ${await response.text()}`);
          }),
        );
      }
      const killedAt = performance.now();
      process.kill(slot.pid!, 'SIGKILL');
      const pending = new Set(rooms);
      await waitFor(
        async () => {
          const placements = await Promise.all([...pending].map((room) => router.placeRoom(room)));
          for (const p of placements) if (p.node.id !== victimId) pending.delete(p.room);
          return pending.size === 0;
        },
        { timeoutMs: 30_000, intervalMs: 5, what: 'the rooms to be placed elsewhere' },
      );
      const placed = Math.round(performance.now() - killedAt);
      const freed = Math.round((freedAt.get(victimId) ?? Number.NaN) - killedAt);
      results.push({ freed, placed });
      process.stderr.write(`  supervised run ${run + 1}: freed ${freed} ms, placed ${placed} ms\n`);
    }
  } finally {
    await router.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!.toFixed(1);
  const table = new Table({
    head: [
      'update_interval / lease_ttl',
      'rule',
      'node dead after (median)',
      `all ${ROOMS} rooms re-placed after (median)`,
      'runs (re-placed, ms)',
      'rooms left on the dead node with no join',
    ],
    style: { head: [], border: [] },
  });
  for (const [interval, leaseTtl] of CONFIGS) {
    const results = await measure(interval, leaseTtl);
    const list = (key: keyof RunResult) => results.map((r) => r[key]).join(', ');
    table.push([
      `${interval} s / ${leaseTtl} s`,
      'lk-cluster: lease expiry, sweeper, placement',
      `${median(results.map((r) => r.swept))} ms`,
      `${median(results.map((r) => r.placed))} ms`,
      list('placed'),
      '0 (the sweeper frees them)',
    ]);
    table.push([
      `${interval} s / ${leaseTtl} s`,
      `LiveKit: ${LIVEKIT_STALE_SECONDS} s stale stats, re-placed at the next join (rejoins every ${REJOIN_EVERY_MS} ms)`,
      `${median(results.map((r) => r.stale))} ms`,
      `${median(results.map((r) => r.livekit))} ms`,
      list('livekit'),
      `${ROOMS} (until someone joins each)`,
    ]);
  }
  console.log(
    `failover: kill -9 of a node hosting ${ROOMS} rooms (2 live nodes stay), ${RUNS} runs per configuration, times from the kill`,
  );
  console.log(machineLine(loadBefore));
  console.log(table.toString());

  const supervisedLoad = loadavg()[0]!.toFixed(1);
  const supervised = await measureSupervised();
  const sup = new Table({
    head: [
      'rule',
      'node removed after (median)',
      `all ${ROOMS} rooms re-placed after (median)`,
      'runs (re-placed, ms)',
    ],
    style: { head: [], border: [] },
  });
  sup.push([
    'lk-cluster start: the supervisor sees the exit and forgets the node',
    `${median(supervised.map((r) => r.freed))} ms`,
    `${median(supervised.map((r) => r.placed))} ms`,
    supervised.map((r) => r.placed).join(', '),
  ]);
  console.log(
    `\nsupervised crash: kill -9 of a node under lk-cluster start hosting ${ROOMS} rooms (3 nodes, default node_stats), ${RUNS} runs, times from the kill`,
  );
  console.log(machineLine(supervisedLoad));
  console.log(sup.toString());
}

await main();
process.exit(0);
