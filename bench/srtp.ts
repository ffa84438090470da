/**
 * bench/srtp: what SRTP costs a bare mediasoup worker, with this build's OpenSSL-backed libsrtp beside an older
 * worker binary (`--old`, e.g. one linked to Debian's NSS-backed libsrtp2) and beside no SRTP at all, in one run
 * (issue 18 item 4). The floor's set-up of the issue: PlainTransports, synthetic VP8 RTP of 1,112-byte SRTP
 * packets, one worker pinned to one core (the sender and receiver on the other), loss counted by sequence number.
 * Each system is a worker in a process of its own (srtp-host.ts) forwarding one producer to `--fanout` consumers;
 * the sender here encrypts with node:crypto (loadtest/srtp.ts, the bots' SRTP) and paces the producer at
 * load / fanout packets/s. One consumer's packets come back to a socket here and are counted
 * (loadtest/receive-stats.ts: loss from sequence numbers, one SRTP tag in 64 checked); the others go to a
 * loopback port nobody listens on. Steps of forwarded packets/s, the systems interleaved at every step; for each,
 * forwarded packets/s (the worker's consumer counters), loss, the worker's CPU (/proc) per forwarded packet, how
 * long the worker waited for a CPU and where the kernel dropped packets (so that a loss caused by other work on a
 * shared machine shows as such), and the largest load held at <= 1% loss.
 *
 * Rerun: `npm run build && node dist/bench/srtp.js --old /path/to/older/mediasoup-worker` (`--steps 40,80,120`
 * in thousands of forwarded packets/s, `--fanout 10`, `--window 5`, `--max-loss 0.01`, `--worker-cpu 0` (or `any`:
 * no pinning), `--load-cpu 1`).
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { workerBin } from 'mediasoup';
import { nowMs, ReceiveStats } from '../loadtest/receive-stats.js';
import { rtpTimestamp, type SendStream, sendStream, vp8Packets } from '../loadtest/rtp.js';
import { protectRtp, type SrtpKeys, srtpKeys } from '../loadtest/srtp.js';
import { addHistogram, histogramPercentile } from '../src/loadtest/histogram.js';
import { freePort } from '../test/helpers/ports.js';
import { arg } from './args.js';
import { median } from './figures.js';
import { machineLine } from './machine.js';

const HOST = fileURLToPath(new URL('./srtp-host.js', import.meta.url));
const WORKER_SESSION = fileURLToPath(new URL('../../scripts/mediasoup-worker-session.sh', import.meta.url));
const STEPS = arg('steps', '40,60,80,100,120,140,160,180,200')
  .split(',')
  .map((k) => Number(k) * 1000);
const FANOUT = Number(arg('fanout', '10'));
const WINDOW_S = Number(arg('window', '5'));
const WARMUP_S = 1.5;
const MAX_LOSS = Number(arg('max-loss', '0.01'));
/** A system whose loss passes this stops climbing: the next steps would only lose more. */
const GIVE_UP_LOSS = 0.05;
const WORKER_CPU = arg('worker-cpu', '0');
const LOAD_CPU = arg('load-cpu', '1');
const OLD = arg('old', '');
/** `--worker-cpu any` leaves the scheduler free: on a machine other work shares, a pinned worker gets what its
 * core's other tenants leave it. */
const PINNED = WORKER_CPU !== 'any' && cpus().length >= 2;
/** RTP payload after the 6-byte VP8 descriptor: 12 + 6 + 1084 + a 10-byte tag = 1,112 bytes, the issue's packet. */
const FRAME_BYTES = 1084;
const KEY_FRAME_EVERY = 30;

interface System {
  name: string;
  bin: string;
  srtp: boolean;
  child?: ChildProcess;
  workerPid?: number;
  port?: number;
  sink?: Socket;
  stats?: ReceiveStats;
  ingressKeys?: SrtpKeys;
  stream?: SendStream;
  roc: number;
  /** Producer packets sent so far. */
  sent: number;
  held?: Row;
  /** Every step it ran, by load. */
  rows: Map<number, Row>;
  done: boolean;
}

interface Row {
  load: number;
  forwarded: number;
  offered: number;
  loss: number;
  cpu: number;
  usPerPacket: number;
  p50?: number;
  p99?: number;
  /** Share of the window the worker was runnable but waiting for a CPU: other work on its core. */
  waited: number;
  /** Packets the kernel dropped at the worker's receiving socket (it did not read fast enough) and at ours. */
  droppedAtWorker: number;
  droppedAtReceiver: number;
}

function keysOf(keyBase64: string): SrtpKeys {
  const key = Buffer.from(keyBase64, 'base64');
  return srtpKeys(key.subarray(0, 16), key.subarray(16, 30));
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Seconds a process's main thread has spent runnable but waiting for a CPU (/proc/PID/schedstat). */
function waitSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

/** Packets the kernel dropped at each local UDP port's socket, from /proc/net/udp (the last column). */
function socketDrops(): Map<number, number> {
  const drops = new Map<number, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').trim().split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    drops.set(Number.parseInt(fields[1]!.split(':')[1]!, 16), Number(fields[fields.length - 1]));
  }
  return drops;
}

function pin(pid: number, cpu: string): void {
  execFileSync('taskset', ['-a', '-cp', cpu, String(pid)], { stdio: 'ignore' });
}

async function start(system: System, dropPort: number): Promise<void> {
  const sink = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const key = randomBytes(30).toString('base64');
  const child = fork(
    HOST,
    [
      '--srtp',
      system.srtp ? 'on' : 'off',
      '--fanout',
      String(FANOUT),
      '--sink',
      String(sink.address().port),
      '--drop',
      String(dropPort),
      '--key',
      key,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MEDIASOUP_WORKER_BIN: WORKER_SESSION, LKC_MEDIASOUP_WORKER_BIN: system.bin },
    },
  );
  const ready = await new Promise<{
    workerPid: number;
    port: number;
    counted: { ssrc: number; keyBase64?: string };
  }>((resolve, reject) => {
    child.on('message', (message: { ready?: never }) => message.ready && resolve(message.ready));
    child.once('exit', (code) => reject(new Error(`${system.name}: its host exited with ${code}`)));
  });
  const stats = new ReceiveStats();
  stats.expect(ready.counted.ssrc, 'video', 90000);
  const egressKeys = ready.counted.keyBase64 ? keysOf(ready.counted.keyBase64) : undefined;
  sink.on('message', (packet) => stats.onPacket(packet, egressKeys));
  if (PINNED) pin(ready.workerPid, WORKER_CPU);
  Object.assign(system, {
    child,
    sink,
    stats,
    workerPid: ready.workerPid,
    port: ready.port,
    ingressKeys: system.srtp ? keysOf(key) : undefined,
    stream: sendStream(0x5157_0001, 96),
  });
}

let statsId = 0;
function consumerPackets(system: System): Promise<number> {
  const id = ++statsId;
  return new Promise((resolve) => {
    const onMessage = (message: { stats?: number; sent?: number }) => {
      if (message.stats !== id) return;
      system.child!.off('message', onMessage);
      resolve(message.sent!);
    };
    system.child!.on('message', onMessage);
    system.child!.send({ stats: id });
  });
}

const frame = Buffer.alloc(FRAME_BYTES, 0x5a);

/** Sends `system`'s producer `perSecond` packets/s until `stop()`: paced by the clock, 1 ms ticks. */
function sendAt(system: System, sender: Socket, perSecond: number): () => void {
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.min(500, Math.floor(((performance.now() - started) * perSecond) / 1000) - sent);
    for (let i = 0; i < due; i++) {
      const stream = system.stream!;
      // A key frame now and then: the first one starts the consumers; bit 0 of the VP8 frame tag, 0 = key frame.
      frame[0] = system.sent % KEY_FRAME_EVERY === 0 ? 0x10 : 0x11;
      const [packet] = vp8Packets(stream, frame, rtpTimestamp(nowMs(), 90000));
      const seq = packet!.readUInt16BE(2);
      const wire = system.ingressKeys ? protectRtp(system.ingressKeys, packet!, system.roc) : packet!;
      if (seq === 0xffff) system.roc++;
      sender.send(wire, system.port!, '127.0.0.1');
      system.sent++;
      sent++;
    }
  }, 1);
  return () => clearInterval(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The counters a window is the difference of: the worker's CPU and wait, drops, packets, and when. */
async function reading(system: System) {
  return {
    cpu: cpuSeconds(system.workerPid!),
    waited: waitSeconds(system.workerPid!),
    drops: socketDrops(),
    forwarded: await consumerPackets(system),
    sent: system.sent,
    received: system.stats!.counters().video,
    at: performance.now(),
  };
}

async function measure(system: System, sender: Socket, load: number): Promise<Row> {
  const stop = sendAt(system, sender, load / FANOUT);
  await sleep(WARMUP_S * 1000);
  const before = await reading(system);
  await sleep(WINDOW_S * 1000);
  const after = await reading(system);
  stop();
  // Let the queues drain so the next system starts on an idle worker.
  await sleep(300);
  const seconds = (after.at - before.at) / 1000;
  const dropped = (port: number) => (after.drops.get(port) ?? 0) - (before.drops.get(port) ?? 0);
  const forwarded = after.forwarded - before.forwarded;
  const expected = after.received.expected - before.received.expected;
  const received = after.received.packets - before.received.packets;
  const latency = [...after.received.latency];
  addHistogram(latency, before.received.latency, -1);
  return {
    load,
    forwarded: forwarded / seconds,
    offered: ((after.sent - before.sent) * FANOUT) / seconds,
    loss: expected > 0 ? Math.max(0, 1 - received / expected) : 1,
    cpu: (after.cpu - before.cpu) / seconds,
    usPerPacket: forwarded > 0 ? ((after.cpu - before.cpu) * 1e6) / forwarded : Number.NaN,
    waited: (after.waited - before.waited) / seconds,
    droppedAtWorker: dropped(system.port!),
    droppedAtReceiver: dropped(system.sink!.address().port),
    p50: histogramPercentile(latency, 0.5),
    p99: histogramPercentile(latency, 0.99),
  };
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-';

/**
 * The median over the steps both ran of a's µs per packet over b's: CPU time per packet does not depend on how much
 * of its core a worker gets on a shared machine, where packets/s held does.
 */
function costRatio(a: System, b: System): number {
  const ratios = [...a.rows].flatMap(([load, row]) => {
    const other = b.rows.get(load);
    return other ? [row.usPerPacket / other.usPerPacket] : [];
  });
  return ratios.length ? median(ratios) : Number.NaN;
}

async function main(): Promise<void> {
  if (OLD && !existsSync(OLD)) {
    console.error(`bench/srtp: --old ${OLD} does not exist`);
    process.exitCode = 1;
    return;
  }
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  if (PINNED) pin(process.pid, LOAD_CPU);
  const systems: System[] = [
    {
      name: 'no SRTP (this build)',
      bin: workerBin,
      srtp: false,
      roc: 0,
      sent: 0,
      done: false,
      rows: new Map(),
    },
    { name: 'SRTP, this build', bin: workerBin, srtp: true, roc: 0, sent: 0, done: false, rows: new Map() },
    ...(OLD
      ? [{ name: 'SRTP, --old worker', bin: OLD, srtp: true, roc: 0, sent: 0, done: false, rows: new Map() }]
      : []),
  ];
  const dropPort = await freePort();
  const sender = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
  try {
    for (const system of systems) await start(system, dropPort);
    console.log(
      `srtp: a bare worker forwarding 1 VP8 producer to ${FANOUT} PlainTransport consumers, 1,112-byte packets; ` +
        `worker ${PINNED ? `pinned to CPU ${WORKER_CPU}, sender and receiver on CPU ${LOAD_CPU}` : 'not pinned'}; ` +
        `${WINDOW_S} s windows after ${WARMUP_S} s, systems interleaved per step`,
    );
    console.log(machineLine(loadAtStart));
    for (const system of systems) console.log(`${system.name}: ${system.bin}`);
    const table = new Table({
      head: [
        'load pkt/s',
        'system',
        'forwarded pkt/s',
        'loss',
        'worker CPU',
        'µs per packet',
        'worker waiting for a CPU',
        'dropped at worker / receiver socket',
        'latency p50/p99 ms',
      ],
    });
    for (const [index, load] of STEPS.entries()) {
      const order = systems.filter((s) => !s.done);
      if (order.length === 0) break;
      // A different system first at each step: none always meets the machine right after another's load.
      const rotated = [...order.slice(index % order.length), ...order.slice(0, index % order.length)];
      for (const system of rotated) {
        const row = await measure(system, sender, load);
        table.push([
          fmt(load),
          system.name,
          fmt(row.forwarded),
          `${(row.loss * 100).toFixed(2)}%`,
          `${(row.cpu * 100).toFixed(1)}%`,
          fmt(row.usPerPacket, 2),
          `${(row.waited * 100).toFixed(1)}%`,
          `${fmt(row.droppedAtWorker)} / ${fmt(row.droppedAtReceiver)}`,
          `${fmt(row.p50 ?? Number.NaN, 1)} / ${fmt(row.p99 ?? Number.NaN, 1)}`,
        ]);
        system.rows.set(load, row);
        if (row.loss <= MAX_LOSS && row.offered >= load * 0.97) system.held = row;
        if (row.loss > GIVE_UP_LOSS) system.done = true;
      }
      console.log(`step ${fmt(load)} pkt/s done, load average ${loadavg()[0]!.toFixed(2)}`);
    }
    console.log(table.toString());
    const summary = new Table({
      head: [
        'system',
        `largest load held at <= ${(MAX_LOSS * 100).toFixed(2)}% loss`,
        'µs per packet (median of its steps)',
        'one core at that cost',
      ],
    });
    for (const system of systems) {
      const cost = median([...system.rows.values()].map((row) => row.usPerPacket));
      summary.push([
        system.name,
        `${fmt(system.held?.forwarded ?? 0)} pkt/s`,
        fmt(cost, 2),
        `${fmt(1e6 / cost)} pkt/s`,
      ]);
    }
    console.log(summary.toString());
    const [plain, ours, old] = systems;
    const ratio = (a?: number, b?: number) => (a && b ? (a / b).toFixed(2) : '-');
    console.log(
      `this build / no SRTP: packets/s held ${ratio(ours!.held?.forwarded, plain!.held?.forwarded)}, ` +
        `µs per packet ${costRatio(ours!, plain!).toFixed(2)} (median over the steps both ran)`,
    );
    if (old)
      console.log(
        `this build / --old: packets/s held ${ratio(ours!.held?.forwarded, old.held?.forwarded)}, ` +
          `µs per packet ${costRatio(ours!, old).toFixed(2)} (median over the steps both ran)`,
      );
    console.log(`load average at the end ${loadavg()[0]!.toFixed(2)}`);
  } finally {
    sender.close();
    for (const system of systems) {
      system.sink?.close();
      if (system.child?.connected) {
        const exited = new Promise((resolve) => system.child!.once('exit', resolve));
        system.child.disconnect();
        await exited;
      }
    }
  }
}

await main();
