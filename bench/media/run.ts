/**
 * bench/media: what a node costs per forwarded packet beside bare mediasoup, in one run. The same bots (real
 * WebRTC: ICE, DTLS, SRTP; loadtest/) load (a) the floor, a bare mediasoup SFU with no lk-cluster code
 * (floor-server.ts), (b) an lk-cluster node through its real join path, and (c) the floor over PlainTransports,
 * without SRTP, step by step, the three interleaved at every step. For each: forwarded packets/s (what the
 * subscribers received), loss, and CPU time (the SFU process and its workers, from /proc) per 1,000 forwarded
 * packets, with the node's ratio to the floor; and the largest load each held at <= 1% loss.
 *
 * Scenarios, LiveKit's published three scaled to a 2-core machine: audio room (10 audio publishers, S audio
 * subscribers), meeting (N publishers of 360p video and audio, N subscribers: N x N streams), livestream (1
 * publisher of 720p and audio, S subscribers). `--workers 1,2` runs each with one worker, then two workers and two
 * rooms (one each).
 *
 * Rerun: `npm run build && node dist/bench/media/run.js` (`--scenarios audio,meeting,livestream`, `--window 8`,
 * `--workers 1,2`, `--max-loss 0.01`, `--steps 10,20` for the loads of every scenario).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { workerBin } from 'mediasoup';
import { createToken } from '../../src/auth/token.js';
import type { BotSpec, PublishSpec } from '../../src/loadtest/bot-contract.js';
import { BotFleet } from '../../src/loadtest/bot-processes.js';
import {
  type FleetCounters,
  packetsHandled,
  sumSnapshots,
  windowFigures,
} from '../../src/loadtest/figures.js';
import {
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../../test/helpers/node-process.js';
import { freePort } from '../../test/helpers/ports.js';
import { arg } from '../args.js';
import { median } from '../figures.js';
import { machineLine } from '../machine.js';

const FLOOR = fileURLToPath(new URL('./floor-server.js', import.meta.url));
const WORKER_SESSION = fileURLToPath(
  new URL('../../../scripts/mediasoup-worker-session.sh', import.meta.url),
);
const WINDOW_S = Number(arg('window', '8'));
const MAX_LOSS = Number(arg('max-loss', '0.01'));
/** A system whose loss passes this stops climbing: the next steps would only lose more. */
const GIVE_UP_LOSS = 0.05;
/** How long a step's bots may take to join and see every stream: a join is a DTLS handshake in JS and a consume
 * per track, so it grows with the subscribers. */
const settleSeconds = (subscribers: number) => 20 + subscribers * 0.5;
const BOT_PROCESSES = 2;

interface Scenario {
  name: string;
  /** What the load number counts. */
  unit: string;
  steps: number[];
  publishers(load: number): number;
  subscribers(load: number): number;
  publish: PublishSpec;
}

const SCENARIOS: Record<string, Scenario> = {
  audio: {
    name: 'audio room',
    unit: 'subscribers',
    steps: [10, 20, 40, 60, 80],
    publishers: () => 10,
    subscribers: (load) => load,
    publish: { videoLayers: [], audio: true },
  },
  meeting: {
    name: 'meeting',
    unit: 'N (N x N)',
    steps: [4, 6, 8, 10, 12],
    publishers: (load) => load,
    subscribers: (load) => load,
    publish: { videoLayers: ['360p'], audio: true },
  },
  livestream: {
    name: 'livestream',
    unit: 'subscribers',
    steps: [10, 20, 40, 60, 80],
    publishers: () => 1,
    subscribers: (load) => load,
    publish: { videoLayers: ['720p'], audio: true },
  },
};

/** An SFU under test: where the bots join, and the processes whose CPU it spends. */
interface System {
  name: string;
  url: string;
  pids: number[];
  /** CPU it spends with no load (cores): a node's lease, stats and timers; measured before the scenarios. */
  idleCpu?: number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used, from /proc (what getrusage would say of it). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startFloor(workers: number, plain: boolean, ports: string): Promise<System> {
  const child: ChildProcess = spawn(
    process.execPath,
    [FLOOR, '--port-range', ports, '--workers', String(workers), ...(plain ? ['--plain'] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      // Its workers in sessions of their own, as a node's are (scripts/mediasoup-worker-session.sh): with the
      // kernel's autogroup scheduling a session is a CPU group, and the floor and the node must be placed alike.
      env: { ...process.env, MEDIASOUP_WORKER_BIN: WORKER_SESSION, LKC_MEDIASOUP_WORKER_BIN: workerBin },
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      const match = /floor listening on .*/.exec(text);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) => reject(new Error(`the floor exited with ${code}`)));
  });
  const [, port, pids] = /on (\d+) pids (\S+)/.exec(line)!;
  return {
    name: plain ? 'floor, no SRTP' : 'floor',
    url: `http://127.0.0.1:${port}`,
    pids: pids!.split(',').map(Number),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startLkNode(dir: string, workers: number, ports: string): Promise<System> {
  const port = await freePort();
  const [start, end] = ports.split('-').map(Number);
  const config = nodeConfig({ port, emptyTimeout: 2 });
  config.rtc = {
    ...(config.rtc as object),
    num_workers: workers,
    udp_port_range_start: start,
    udp_port_range_end: end,
  };
  config.logging = { level: 'warn', json: false };
  const node: TestNode = await startNode(writeConfig(dir, `node-${workers}.yaml`, config), port);
  const token = await createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    grant: { roomAdmin: true },
    ttlSeconds: 3600,
  });
  const info = (await (
    await fetch(`${node.url}/admin/node`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as {
    workers: { pid: number | null }[];
  };
  return {
    name: 'lk-cluster node',
    url: node.url,
    pids: [node.child.pid!, ...info.workers.flatMap((w) => (w.pid ? [w.pid] : []))],
    stop: () => node.stop(),
  };
}

interface StepResult {
  packetsPerSecond: number;
  loss: number;
  /** SFU CPU seconds per second (cores): all of it, and its process alone (the rest is the workers'). */
  cpu: number;
  processCpu: number;
  /** ms of SFU CPU per 1,000 forwarded packets; and the same above the system's idle CPU. */
  cpuPer1000: number;
  marginalPer1000: number;
  botCpu: number;
  failed: number;
  /** Streams the subscribers received, and how many the step made (a stream that never flowed has no loss). */
  streams: number;
  expectedStreams: number;
}

let roomNumber = 0;

/** What a system spends doing nothing for 5 s (cores). */
async function idleCpu(system: System): Promise<number> {
  const before = system.pids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const spent = system.pids.map(cpuSeconds).reduce((sum, c, i) => sum + c - before[i]!, 0);
  return spent / ((performance.now() - t0) / 1000);
}

async function step(system: System, scenario: Scenario, load: number, rooms: number): Promise<StepResult> {
  const publishers = scenario.publishers(load);
  const subscribers = scenario.subscribers(load);
  const tracksPerPublisher =
    (scenario.publish.videoLayers.length > 0 ? 1 : 0) + (scenario.publish.audio ? 1 : 0);
  let failed = 0;
  const fleet = new BotFleet(BOT_PROCESSES, system.url, scenario.publish, () => {
    failed++;
  });
  const token = (room: string, identity: string, publisher: boolean) =>
    createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      identity,
      grant: { roomJoin: true, room, canPublish: publisher, canSubscribe: !publisher },
      ttlSeconds: 3600,
    });
  const bots = async (role: BotSpec['role'], count: number) => {
    const all: BotSpec[] = [];
    for (let r = 0; r < rooms; r++) {
      const room = `bench-${process.pid}-${roomNumber + r}`;
      for (let i = 0; i < count; i++) {
        const identity = `${role}-${r}-${i}`;
        all.push({ identity, role, token: await token(room, identity, role === 'publisher') });
      }
    }
    return all;
  };
  const snapshot = async () => sumSnapshots(await fleet.snapshots());
  const waitFor = async (done: (s: FleetCounters) => boolean) => {
    const deadline = Date.now() + settleSeconds(subscribers * rooms) * 1000;
    for (;;) {
      const sum = await snapshot();
      if (done(sum) || Date.now() > deadline) return sum;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  try {
    fleet.start(await bots('publisher', publishers));
    await waitFor((s) => s.ready + failed >= publishers * rooms);
    fleet.start(await bots('subscriber', subscribers));
    const expected = subscribers * publishers * tracksPerPublisher * rooms;
    await waitFor((s) => s.received.audio.tracks + s.received.video.tracks >= expected);
    // Key frames and the first second of each stream settle before the window opens.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const cpu0 = system.pids.map(cpuSeconds);
    const s0 = await snapshot();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    const cpu1 = system.pids.map(cpuSeconds);
    const s1 = await snapshot();
    const seconds = (performance.now() - t0) / 1000;
    const figures = windowFigures(s0, s1, seconds);
    const received = packetsHandled(s0, s1).received;
    const expectedPackets = figures.reduce(
      (sum, f) => sum + (f.packetsPerSecond * seconds) / Math.max(1e-9, 1 - f.loss),
      0,
    );
    const sfu = cpu1.reduce((sum, c, i) => sum + c - cpu0[i]!, 0);
    return {
      packetsPerSecond: received / seconds,
      loss: expectedPackets > 0 ? Math.max(0, 1 - received / expectedPackets) : 1,
      cpu: sfu / seconds,
      processCpu: (cpu1[0]! - cpu0[0]!) / seconds,
      cpuPer1000: received > 0 ? (sfu * 1e6) / received : Number.NaN,
      marginalPer1000: received > 0 ? ((sfu - (system.idleCpu ?? 0) * seconds) * 1e6) / received : Number.NaN,
      botCpu: (s1.cpuMicros - s0.cpuMicros) / 1e6 / seconds,
      failed,
      streams: s1.received.audio.tracks + s1.received.video.tracks,
      expectedStreams: expected,
    };
  } finally {
    roomNumber += rooms;
    await fleet.stop();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
/** A cost over the floor's at the same step; none when the floor did not run it (it had given up). */
const ratio = (cost: number, floor: number) => (Number.isFinite(floor) ? (cost / floor).toFixed(2) : '-');

async function main(): Promise<void> {
  const scenarios = arg('scenarios', 'audio,meeting,livestream')
    .split(',')
    .map((name) => {
      const scenario = SCENARIOS[name];
      if (!scenario) throw new Error(`no scenario ${name}: audio, meeting or livestream`);
      return scenario;
    });
  const workerCounts = arg('workers', '1,2').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-media-'));
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `media: forwarded packets and SFU CPU (process + workers, /proc) per 1,000 forwarded packets; the same WebRTC bots (${BOT_PROCESSES} processes) against a bare mediasoup floor, an lk-cluster node and the floor without SRTP, interleaved step by step; ${WINDOW_S} s windows`,
  );
  console.log(machineLine(load));
  const summary: string[][] = [];
  try {
    for (const workers of workerCounts) {
      const systems = [
        await startFloor(workers, false, '20000-21999'),
        await startLkNode(dir, workers, '22000-23999'),
        await startFloor(workers, true, '24000-25999'),
      ];
      try {
        for (const system of systems) system.idleCpu = await idleCpu(system);
        console.log(
          `\nidle CPU, ${workers} worker${workers > 1 ? 's' : ''}: ${systems.map((s) => `${s.name} ${pct(s.idleCpu!)}`).join(', ')}`,
        );
        for (const scenario of scenarios) {
          const table = new Table({
            style: { head: [], border: [] },
            head: [
              scenario.unit,
              'system',
              'streams',
              'packets/s',
              'per worker',
              'loss',
              'SFU CPU',
              'ms CPU / 1,000 pkts',
              'ratio to floor',
              'above idle',
              'ratio above idle',
              'bots CPU',
            ],
          });
          const held = new Map<string, number>();
          const done = new Set<string>();
          const ratios: number[] = [];
          const marginalRatios: number[] = [];
          let floorMarginal = Number.NaN;
          let nodePeak = 0;
          const steps = process.argv.includes('--steps')
            ? arg('steps', '').split(',').map(Number)
            : scenario.steps;
          for (const load of steps) {
            let floorCost = Number.NaN;
            floorMarginal = Number.NaN;
            for (const system of systems) {
              if (done.has(system.name)) continue;
              const result = await step(system, scenario, load, workers);
              if (system.name === 'floor') {
                floorCost = result.cpuPer1000;
                floorMarginal = result.marginalPer1000;
              }
              const ok =
                result.loss <= MAX_LOSS && result.failed === 0 && result.streams >= result.expectedStreams;
              if (ok) held.set(system.name, load);
              if (ok && system.name === 'lk-cluster node') {
                nodePeak = Math.max(nodePeak, result.packetsPerSecond / workers);
                if (Number.isFinite(floorCost)) ratios.push(result.cpuPer1000 / floorCost);
                if (Number.isFinite(floorMarginal))
                  marginalRatios.push(result.marginalPer1000 / floorMarginal);
              }
              if (result.loss > GIVE_UP_LOSS) done.add(system.name);
              table.push([
                load,
                system.name,
                `${result.streams}/${result.expectedStreams}`,
                Math.round(result.packetsPerSecond),
                Math.round(result.packetsPerSecond / workers),
                pct(result.loss),
                `${pct(result.cpu)} (${pct(result.processCpu)})`,
                result.cpuPer1000.toFixed(1),
                system.name === 'floor' ? '1.00' : ratio(result.cpuPer1000, floorCost),
                result.marginalPer1000.toFixed(1),
                system.name === 'floor' ? '1.00' : ratio(result.marginalPer1000, floorMarginal),
                pct(result.botCpu),
              ]);
            }
            if (systems.every((s) => done.has(s.name))) break;
          }
          console.log(
            `\n${scenario.name}, ${workers} worker${workers > 1 ? 's' : ''}${workers > 1 ? `, ${workers} rooms (one per worker)` : ''}`,
          );
          console.log(table.toString());
          summary.push([
            `${scenario.name}, ${workers} worker${workers > 1 ? 's' : ''}`,
            ...systems.map((s) => (held.has(s.name) ? `${held.get(s.name)} ${scenario.unit}` : 'none')),
            ratios.length > 0 ? median(ratios).toFixed(2) : '-',
            marginalRatios.length > 0 ? median(marginalRatios).toFixed(2) : '-',
            String(Math.round(nodePeak)),
          ]);
        }
      } finally {
        for (const system of systems) await system.stop();
      }
    }
    const table = new Table({
      style: { head: [], border: [] },
      head: [
        `largest load at <= ${pct(MAX_LOSS)} loss`,
        'floor',
        'lk-cluster node',
        'floor, no SRTP',
        'node / floor CPU per packet (median, held steps)',
        'the same above idle CPU',
        'node packets/s per worker (held)',
      ],
    });
    table.push(...summary);
    console.log(`\n${table.toString()}`);
    const finite = (column: number) => summary.map((row) => Number(row[column])).filter(Number.isFinite);
    const worst = Math.max(...finite(4));
    const worstAboveIdle = Math.max(...finite(5));
    const peak = Math.max(...finite(6));
    console.log(
      `target node <= 1.15x the floor's CPU per forwarded packet on every scenario: ${worst <= 1.15 ? 'met' : 'not met'} (worst median ${worst.toFixed(2)}; above each one's idle CPU ${worstAboveIdle.toFixed(2)})`,
    );
    console.log(
      `target >= 25,000 packets/s per worker through WebRTC subscribers at <= 1% loss: ${peak >= 25_000 ? 'met' : 'not met'} (${peak} at most; bots, SFU and other work on the same 2 cores)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
