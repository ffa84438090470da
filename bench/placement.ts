// Placement benchmark: latency and throughput of placing new rooms with 1,000 and 10,000 registered nodes,
// beside Redis PING and a LiveKit-style placement (HGETALL every node, select in JS, HSET), all in one run
// against a private redis-server. Run by hand: `npm run build && node dist/bench/placement.js`.
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import type { Config, NodeSelectorConfig } from '../src/config/types.js';
import type { NodeRecord, NodeView } from '../src/records.js';
import { routingKeys } from '../src/routing/keys.js';
import { RedisRouter } from '../src/routing/redis-router.js';
import { selectNode } from '../src/selector/select.js';
import { testConfig } from '../test/helpers/config.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { percentile } from './figures.js';

const NODE_COUNTS = [1_000, 10_000];
/** The last run: this many nodes (already registered) renewing their records at the real rate. */
const HEARTBEAT_NODES = 10_000;
const LATENCY_OPS = 5_000;
const THROUGHPUT_OPS = 20_000;
const IN_FLIGHT = 64;
/** The placements measured: the seed's rule (random in the nearest region under the limit), and a sorted one. */
const PLACEMENTS: Array<[string, Partial<NodeSelectorConfig>]> = [
  ['place new room (regionaware, random)', {}],
  ['place new room (regionaware, lowest sysload)', { sort_by: 'sysload' }],
  ['place new room (regionaware, twochoice rooms)', { sort_by: 'rooms', algorithm: 'twochoice' }],
];
const REGIONS = [
  { name: 'us-west-2', lat: 37.64046607830567, lon: -120.88026233189062 },
  { name: 'us-east', lat: 40.68914362140307, lon: -74.04445748616385 },
  { name: 'eu-west', lat: 53.35, lon: -6.26 },
  { name: 'ap-south', lat: 19.08, lon: 72.88 },
];

function config(port: number, selector: Partial<NodeSelectorConfig>): Config {
  return testConfig({
    region: 'us-west-2',
    keys: {},
    redis: { address: `127.0.0.1:${port}`, key_prefix: '{lkc}:' },
    node_selector: { kind: 'regionaware', regions: REGIONS, ...selector },
    node_stats: { lease_ttl: 3600 },
  });
}

function node(i: number): NodeRecord {
  const port = 10_000 + (i % 50_000);
  return {
    id: `ND_${i.toString(36).padStart(8, '0')}`,
    region: REGIONS[i % REGIONS.length]!.name,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    http_port: port,
    url: `http://10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port}`,
    rtc_port_range: { start: 50000, end: 60000 },
    state: 'serving',
    started_at: Date.now(),
    stats: {
      updated_at: Date.now(),
      sysload: Math.random(),
      cpu_load: Math.random(),
      num_cpus: 16,
      rooms: Math.floor(Math.random() * 100),
      clients: Math.floor(Math.random() * 1000),
      tracks_in: Math.floor(Math.random() * 500),
      tracks_out: Math.floor(Math.random() * 5000),
      bytes_in_per_sec: Math.floor(Math.random() * 1e8),
      bytes_out_per_sec: Math.floor(Math.random() * 1e9),
    },
    limits: {
      num_tracks: 0,
      bytes_per_sec: 0,
      max_rooms: 0,
      max_participants_per_node: 0,
      participants_per_router: 0,
    },
    version: '0.1.0',
  };
}

interface Figures {
  p50: number;
  p99: number;
  opsPerSec: number;
}

type Op = (i: number) => Promise<unknown>;

/**
 * Latency of several operations taken in turn (a, b, c, a, b, c, ...), so that every one of them meets the
 * same noise from the machine; then the throughput of each alone with `inFlight` operations outstanding.
 */
async function measure(
  ops: Op[],
  latencyOps: number,
  throughputOps: number,
  inFlight: number,
): Promise<Figures[]> {
  const samples: number[][] = ops.map(() => []);
  let i = 0;
  for (let n = 0; n < latencyOps; n++) {
    for (let k = 0; k < ops.length; k++) {
      const started = process.hrtime.bigint();
      await ops[k]!(i++);
      samples[k]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const figures: Figures[] = [];
  for (let k = 0; k < ops.length; k++) {
    const sorted = samples[k]!.sort((a, b) => a - b);
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < throughputOps) {
          next++;
          await ops[k]!(i++);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    figures.push({
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      opsPerSec: throughputOps / seconds,
    });
  }
  return figures;
}

/** LiveKit's placement: read every node record, select in the process, write the mapping. */
function hgetallPlacement(client: Redis, selector: NodeSelectorConfig, prefix: string) {
  const keys = routingKeys();
  return async (i: number) => {
    const all = await client.hgetall(keys.nodes);
    const views: NodeView[] = Object.values(all).map((json) => ({
      ...(JSON.parse(json) as NodeRecord),
      alive: true,
      lease_ms_left: 0,
      lease_age_ms: 0,
    }));
    const { node: chosen } = selectNode(views, selector, { origin: 'us-west-2' });
    await client.hset(keys.roomNode, `${prefix}-${i}`, chosen.id);
  };
}

const ms = (v: number) => v.toFixed(3);

/** Child mode: renews `count` nodes' records and leases at the real rate, with changing load, until killed. */
async function heartbeat(port: number, count: number, intervalMs: number): Promise<void> {
  const router = await RedisRouter.connect(config(port, {}));
  const nodes = Array.from({ length: count }, (_, i) => node(i));
  const tickMs = 100;
  const perTick = Math.ceil(count / (intervalMs / tickMs));
  let next = 0;
  process.stdout.write('beating\n');
  for (;;) {
    const started = Date.now();
    const batch = Array.from({ length: perTick }, () => nodes[next++ % count]!);
    await Promise.all(
      batch.map((n) =>
        router.heartbeat({ ...n, stats: { ...n.stats, updated_at: Date.now(), sysload: Math.random() } }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, tickMs - (Date.now() - started))));
  }
}

function startHeartbeats(port: number, count: number, intervalMs: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [process.argv[1]!, '--heartbeat', String(port), String(count), String(intervalMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`heartbeat process exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const redis = await startRedis();
  const client = new Redis({ port: redis.port });
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
  const table = new Table({
    head: [
      'nodes',
      'operation',
      'p50 ms',
      'p99 ms',
      `ops/s (${IN_FLIGHT} in flight)`,
      'PING p50 / p99 ms beside it',
      'p99 ÷ PING p99',
      'vs HGETALL baseline',
    ],
    style: { head: [], border: [] },
  });
  const summary: string[] = [];
  try {
    for (const count of NODE_COUNTS) {
      await client.flushall();
      const base = config(redis.port, {});
      const registry = await RedisRouter.connect(base);
      for (let i = 0; i < count; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, count - i) }, (_, j) => registry.registerNode(node(i + j))),
        );
      }
      await registry.close();

      // One placing router at a time, as in a node process; PING is measured beside each of them.
      const rows: Array<[string, Figures, Figures]> = [];
      for (const [label, selector] of PLACEMENTS) {
        const router = await RedisRouter.connect(config(redis.port, selector));
        const loadStarted = process.hrtime.bigint();
        await router.placeRoom(`warm-${count}-${label}`);
        const loadMs = Number(process.hrtime.bigint() - loadStarted) / 1e6;
        for (let i = 0; i < 1000; i++) await router.placeRoom(`warm-${count}-${label}-${i}`);
        summary.push(
          `${count.toLocaleString('en-US')} nodes, ${label}: the first placement loads the whole view once: ${ms(loadMs)} ms`,
        );
        const [ping, placed] = (await measure(
          [() => client.ping(), (i: number) => router.placeRoom(`room-${count}-${label}-${i}`)],
          LATENCY_OPS,
          THROUGHPUT_OPS,
          IN_FLIGHT,
        )) as [Figures, Figures];
        rows.push([label, ping, placed]);
        await router.close();
      }

      const baselineOps = count >= 10_000 ? 100 : 500;
      const [baseline] = (await measure(
        [hgetallPlacement(client, base.node_selector, `lk-${count}`)],
        baselineOps,
        baselineOps,
        8,
      )) as [Figures];

      const ratioVsBaseline = (f: Figures) =>
        `${(baseline.p50 / f.p50).toFixed(0)}x p50, ${(f.opsPerSec / baseline.opsPerSec).toFixed(0)}x ops/s`;
      const heading = count.toLocaleString('en-US');
      const pingRow = rows[0]![1];
      table.push([
        heading,
        'redis PING',
        ms(pingRow.p50),
        ms(pingRow.p99),
        pingRow.opsPerSec.toFixed(0),
        '',
        '',
        '',
      ]);
      for (const [label, ping, f] of rows) {
        table.push([
          heading,
          label,
          ms(f.p50),
          ms(f.p99),
          f.opsPerSec.toFixed(0),
          `${ms(ping.p50)} / ${ms(ping.p99)}`,
          (f.p99 / ping.p99).toFixed(2),
          ratioVsBaseline(f),
        ]);
      }
      table.push([
        heading,
        'LiveKit-style: HGETALL + select + HSET',
        ms(baseline.p50),
        ms(baseline.p99),
        baseline.opsPerSec.toFixed(0),
        '',
        '',
        '1x',
      ]);
    }

    // The same cluster with every node reporting every 2 s: the placing router's view now catches up on a few
    // thousand changed records per refresh, in the background, while it places.
    const beats = await startHeartbeats(redis.port, HEARTBEAT_NODES, 2_000);
    try {
      const router = await RedisRouter.connect(config(redis.port, {}));
      for (let i = 0; i < 1000; i++) await router.placeRoom(`warm-beat-${i}`);
      const label = 'place new room (regionaware, random)';
      const [ping, placed] = (await measure(
        [() => client.ping(), (i: number) => router.placeRoom(`room-beat-${i}`)],
        LATENCY_OPS,
        THROUGHPUT_OPS,
        IN_FLIGHT,
      )) as [Figures, Figures];
      await router.close();
      const heading = `${HEARTBEAT_NODES.toLocaleString('en-US')}, heartbeating every 2 s`;
      table.push([
        heading,
        label,
        ms(placed.p50),
        ms(placed.p99),
        placed.opsPerSec.toFixed(0),
        `${ms(ping.p50)} / ${ms(ping.p99)}`,
        (placed.p99 / ping.p99).toFixed(2),
        '',
      ]);
    } finally {
      beats.kill('SIGKILL');
    }
  } finally {
    client.disconnect();
    await redis.stop();
  }
  console.log(
    `machine: ${availableParallelism()} cpus, ${cpus()[0]?.model ?? '?'}; node ${process.version}; redis ${version}; load average at start ${loadAtStart}, at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `latency: ${LATENCY_OPS} sequential operations of each kind, taken in turn; throughput: ${THROUGHPUT_OPS} operations, ${IN_FLIGHT} in flight (baseline: fewer operations, 8 in flight)`,
  );
  console.log(table.toString());
  for (const line of summary) console.log(line);
}

if (process.argv[2] === '--heartbeat') {
  await heartbeat(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
} else {
  await main();
}
