// Soak benchmark: minutes of churn on 3 node processes over a private redis-server (test/helpers/churn.ts): rooms
// created and deleted through LiveKit's server SDK on random nodes, sessions of our JSON protocol joining
// (directly or bridged), making a transport each way, publishing an audio producer, consuming the room's others
// and leaving, and a node restarted every --restart-seconds (drain with SIGTERM and kill -9 in turn, on slots 0
// and 1: slot 2 keeps one process for the whole run, so its memory is a curve of one process). Every
// --sample-seconds it reads each node's resident memory and live heap (after a full GC, through its inspector),
// mediasoup routers and transports alive, client sockets and socket descriptors, and Redis's keys and entries.
// Then the churn stops, the rooms left are deleted, and it waits for everything to go back to the baseline.
// Prints the figures at the start, middle and end of the churn, after it, and the slope over the churn.
// Not in CI (minutes); its 45-second version is test/soak/churn.test.ts.
// Run by hand: `npm run build && node dist/bench/soak.js [--minutes 5] [--restart-seconds 60] [--sample-seconds 10]`.
import { loadavg } from 'node:os';
import Table from 'cli-table3';
import { Churn, type NodeSample, type Sample } from '../test/helpers/churn.js';
import { machineLine } from './machine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const MINUTES = Number(arg('minutes', '5'));
const RESTART_SECONDS = Number(arg('restart-seconds', '60'));
const SAMPLE_SECONDS = Number(arg('sample-seconds', '10'));
const LOOPS = Number(arg('loops', '4'));
const NODES = 3;
const WARM_UP_MS = 10_000;
/** The live heap of a node that ran throughout may end this much above its start and still count as flat. */
const HEAP_BOUND = 8 * 2 ** 20;
const SETTLE_MS = 60_000;

type Quantity = { name: string; unit: 'MiB' | ''; read: (s: Sample) => number };

const perNode = (slot: number, name: string, field: keyof NodeSample, unit: 'MiB' | '' = ''): Quantity => ({
  name: `node-${slot} ${name}`,
  unit,
  read: (s) => Number(s.nodes[slot]![field]),
});

const QUANTITIES: Quantity[] = [
  ...Array.from({ length: NODES }, (_, i) => [
    perNode(i, 'resident memory', 'rss', 'MiB'),
    perNode(i, 'live heap', 'heap', 'MiB'),
    perNode(i, 'mediasoup routers', 'routers'),
    perNode(i, 'mediasoup transports', 'transports'),
    perNode(i, 'client sockets (/rtc)', 'sockets'),
    perNode(i, 'socket descriptors', 'socketFds'),
  ]).flat(),
  { name: 'Redis keys', unit: '', read: (s) => s.redisKeys },
  { name: 'Redis entries (all hashes, sets, zsets)', unit: '', read: (s) => s.redisEntries },
];

/** Least-squares slope of value over time, per minute. */
function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mt = points.reduce((a, [t]) => a + t, 0) / n;
  const mv = points.reduce((a, [, v]) => a + v, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of points) {
    num += (t - mt) * (v - mv);
    den += (t - mt) ** 2;
  }
  return den ? (num / den) * 60 : Number.NaN;
}

const show = (value: number, unit: Quantity['unit']) =>
  Number.isNaN(value) ? '-' : unit === 'MiB' ? (value / 2 ** 20).toFixed(1) : String(Math.round(value));

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!.toFixed(1);
  const churn = await Churn.start(NODES, 'soak-bench');
  const log = (line: string) =>
    process.stderr.write(`[${churn.elapsed().toFixed(0).padStart(4)} s] ${line}\n`);
  try {
    log('warming up');
    await churn.run({ durationMs: WARM_UP_MS, loops: 2 });
    await churn.closeRooms();
    await churn.settled(SETTLE_MS);
    const baseline = await churn.shape();
    const start = await churn.sample({ heap: true });
    const startIds = start.nodes.map((n) => n.id);
    log(`baseline: Redis ${baseline.join(' ')}`);

    const samples: Sample[] = [];
    let churning = true;
    const sampler = (async () => {
      while (churning) {
        const next = Date.now() + SAMPLE_SECONDS * 1000;
        try {
          const s = await churn.sample({ heap: true });
          samples.push(s);
          log(
            `${s.nodes.map((n) => `${n.slot} rss ${show(n.rss, 'MiB')} heap ${show(n.heap, 'MiB')} r/t/s ${n.routers}/${n.transports}/${n.sockets}`).join(' | ')} | keys ${s.redisKeys}/${s.redisEntries}`,
          );
        } catch (err) {
          log(`sample failed: ${(err as Error).message}`);
        }
        while (churning && Date.now() < next) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await churn.run({
      durationMs: MINUTES * 60_000,
      loops: LOOPS,
      restartEveryMs: RESTART_SECONDS * 1000,
      restartSlots: [0, 1],
      onRestart: (what) => log(`restart: ${what}`),
    });
    churning = false;
    await sampler;
    log('churn over; deleting the rooms left and waiting for the baseline');
    await churn.closeRooms();
    const settledAt = Date.now();
    let end: Sample;
    let settled = true;
    try {
      end = await churn.settled(SETTLE_MS, baseline);
    } catch (err) {
      settled = false;
      log((err as Error).message);
      end = await churn.sample();
    }
    const settleMs = Date.now() - settledAt;
    const after = await churn.sample({ heap: true });
    const endShape = await churn.shape();

    const c = churn.counts;
    console.log(
      `soak: ${NODES} nodes, ${MINUTES} min of churn (${LOOPS} room loops, 3 sessions a room), a node restarted every ${RESTART_SECONDS} s (slots 0 and 1, drain and kill -9 in turn), sampled every ${SAMPLE_SECONDS} s`,
    );
    console.log(machineLine(loadAtStart));
    console.log(
      `churn: ${c.roomsCreated} rooms created, ${c.roomsDeleted} deleted; ${c.sessions} sessions (${c.bridged} bridged), ${c.producers} producers, ${c.consumers} consumers; ${c.restarts} restarts`,
    );
    for (const [what, n] of [...c.failures].sort((a, b) => b[1] - a[1]))
      console.log(`  failed ${n}x: ${what}`);

    const middle = samples[Math.floor(samples.length / 2)]!;
    const last = samples.at(-1)!;
    const table = new Table({
      head: [
        'quantity',
        'start (idle)',
        `middle (${middle.t.toFixed(0)} s)`,
        `end of churn (${last.t.toFixed(0)} s)`,
        'after (idle)',
        'slope during churn, per min',
      ],
      style: { head: [], border: [] },
    });
    for (const q of QUANTITIES) {
      const slot = Number(/^node-(\d+)/.exec(q.name)?.[1] ?? -1);
      // A restarted slot's slope is that of its last process only: the samples of its predecessors are left out.
      const lastId = slot >= 0 ? last.nodes[slot]!.id : undefined;
      const points = samples
        .filter((s) => lastId === undefined || s.nodes[slot]!.id === lastId)
        .map((s): [number, number] => [s.t, q.read(s)]);
      const slope = slopePerMinute(points);
      const slopeText = Number.isNaN(slope)
        ? '-'
        : `${slope >= 0 ? '+' : ''}${q.unit === 'MiB' ? (slope / 2 ** 20).toFixed(2) : slope.toFixed(1)}${q.unit ? ` ${q.unit}` : ''} (${points.length} samples${lastId !== undefined && lastId !== startIds[slot] ? ', last process' : ''})`;
      table.push([
        `${q.name}${q.unit ? ` (${q.unit})` : ''}`,
        show(q.read(start), q.unit),
        show(q.read(middle), q.unit),
        show(q.read(last), q.unit),
        show(q.read(after), q.unit),
        slopeText,
      ]);
    }
    console.log(table.toString());

    const idle = end.nodes.every((n) => n.routers === 0 && n.transports === 0 && n.sockets === 0);
    const sameRedis = endShape.join(' ') === baseline.join(' ');
    const heapLines = after.nodes.map((n, i) => {
      const growth = n.heap - start.nodes[i]!.heap;
      const same = n.id === startIds[i];
      return {
        line: `${n.slot}: live heap ${show(start.nodes[i]!.heap, 'MiB')} -> ${show(n.heap, 'MiB')} MiB${same ? ` (${growth >= 0 ? '+' : ''}${show(growth, 'MiB')} MiB, one process throughout)` : ' (a process started during the churn)'}`,
        ok: !same || growth < HEAP_BOUND,
      };
    });
    console.log(
      `after the churn (settled in ${(settleMs / 1000).toFixed(1)} s): routers, transports and client sockets on every node ${idle ? 'back to 0' : 'NOT back to 0'}; Redis ${sameRedis ? 'as at the start' : `NOT as at the start: ${endShape.join(' ')} (start ${baseline.join(' ')})`}`,
    );
    for (const h of heapLines) console.log(`  ${h.line}`);
    const flat = settled && idle && sameRedis && heapLines.every((h) => h.ok);
    console.log(
      `flat at the end (nothing leaks; heap bound ${HEAP_BOUND / 2 ** 20} MiB): ${flat ? 'yes' : 'NO'}`,
    );
    if (!flat) process.exitCode = 1;
  } finally {
    await churn.stop();
  }
}

await main();
