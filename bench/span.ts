/**
 * bench/span: the figures of rooms that span nodes (issue 12, item 7), in one run on a local cluster of three node
 * processes in three regions (room.span: region, one mediasoup worker each, a private redis-server), loaded by the
 * load-test bots (real WebRTC: ICE, DTLS, SRTP; loadtest/), whose publishers stamp every RTP packet with its send
 * time on the machine's one clock:
 *
 * 1. hop: one publisher (360p VP8 and Opus) on the home node, one subscriber on the home and one on a leg (another
 *    region's node): p50/p99 latency of each and what the pipe hop adds, video and audio.
 * 2. pipe bit rate: lkc_span_pipe_bytes_total of the home (out) and the leg (in) over the same window, per piped track,
 *    beside the publisher's RTP bit rate.
 * 3. setup: from the first consumer on a leg running (resumed) on a video track of the home until its first keyframe came
 *    through the pipe (the leg's lkc_span_pipe_setup_seconds, one sample at a time so each is exact), on new legs
 *    (a new room each) and on a reused leg (the subscriber leaves, the pipe pauses, a new one comes); and as the
 *    subscriber bot sees it: from its consumer's answer to its first video packet, and from starting its join.
 * 4. CPU: a 60-participant room (3 publishers of 360p video and audio, 57 subscribers) on one node, and the same
 *    room split over the three (20 participants through each node's region); each node's CPU (its process and its
 *    worker, from /proc) over a window; the busiest of three over the one node. One-node and split alternate.
 *
 * Rerun: `npm run build && node dist/bench/span.js` (`--window 15`, `--setup-samples 8`, `--reuse-samples 4`,
 * `--rounds 2`, `--json`: the figures as JSON on stdout, progress on stderr).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import Table from 'cli-table3';
import { createToken } from '../src/auth/token.js';
import type { BotSpec, PublishSpec } from '../src/loadtest/bot-contract.js';
import { BotFleet } from '../src/loadtest/bot-processes.js';
import {
  type FleetCounters,
  type KindFigures,
  sumSnapshots,
  windowFigures,
} from '../src/loadtest/figures.js';
import { histogramPercentile } from '../src/loadtest/histogram.js';
import { admin, TEST_KEY, TEST_SECRET, type TestNode } from '../test/helpers/node-process.js';
import { parsePrometheusText } from '../test/helpers/prometheus-text.js';
import { waitFor } from '../test/helpers/wait.js';
import { type SpanCluster, startSpanCluster } from '../test/span/span-cluster.js';
import { arg } from './args.js';
import { median } from './figures.js';
import { machineLine } from './machine.js';

const JSON_OUT = process.argv.includes('--json');
const WINDOW_S = Number(arg('window', '15'));
const SETUP_SAMPLES = Number(arg('setup-samples', '8'));
const REUSE_SAMPLES = Number(arg('reuse-samples', '4'));
const ROUNDS = Number(arg('rounds', '2'));
const PUBLISH: PublishSpec = { videoLayers: ['360p'], audio: true };
/** The 60-participant room: publishers and subscribers through each of the three nodes when split. */
const PUBLISHERS_PER_NODE = 1;
const SUBSCRIBERS_PER_NODE = 19;
const TRACKS_PER_PUBLISHER = 2;
const TARGET_HOP_MS = 2;
const TARGET_SETUP_S = 1;
const TARGET_CPU_RATIO = 0.5;

const started = performance.now();
/** A progress line (stderr with --json, so that stdout is the JSON alone). */
function progress(line: string): void {
  const at = `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
  (JSON_OUT ? process.stderr : process.stdout).write(`${at} ${line}\n`);
}
function print(text: string): void {
  if (!JSON_OUT) console.log(text);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ---- bots

const failures: string[] = [];
const fleets = new Set<BotFleet>();

/** One process of bots joining through `node`. */
function fleet(node: TestNode): BotFleet {
  const made = new BotFleet(1, node.url, PUBLISH, (identity, message) => {
    failures.push(`${identity}: ${message}`);
  });
  fleets.add(made);
  return made;
}

async function stopFleet(f: BotFleet): Promise<void> {
  fleets.delete(f);
  await f.stop();
}

async function bot(room: string, identity: string, role: BotSpec['role']): Promise<BotSpec> {
  const token = await createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room, canPublish: role === 'publisher', canSubscribe: role === 'subscriber' },
    ttlSeconds: 3600,
  });
  return { identity, role, token };
}

async function counters(...of: BotFleet[]): Promise<FleetCounters> {
  return sumSnapshots((await Promise.all(of.map((f) => f.snapshots()))).flat());
}

const streams = (c: FleetCounters) => c.received.audio.tracks + c.received.video.tracks;

/** Waits until the fleets' counters satisfy `done`; fails naming `what` (and the bots' errors) after `seconds`. */
async function until(
  what: string,
  of: BotFleet[],
  done: (c: FleetCounters) => boolean,
  seconds: number,
  intervalMs = 250,
): Promise<FleetCounters> {
  let last: FleetCounters | undefined;
  try {
    return await waitFor(
      async () => {
        last = await counters(...of);
        return done(last) ? last : undefined;
      },
      { timeoutMs: seconds * 1000, intervalMs, what },
    );
  } catch (err) {
    const seen = last ? ` (ready ${last.ready}, streams ${streams(last)})` : '';
    const errors = failures.length ? `; bots failed: ${failures.slice(0, 3).join('; ')}` : '';
    throw new Error(`${(err as Error).message}${seen}${errors}`);
  }
}

// ---- nodes

/** A node's metrics, by sample name and labels. */
async function scrape(node: TestNode): Promise<(name: string, labels?: Record<string, string>) => number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const { samples } = parsePrometheusText(text);
  return (name, labels = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The node process and its mediasoup workers. */
async function pidsOf(node: TestNode): Promise<number[]> {
  const { body } = await admin(node.url, 'GET', '/admin/node');
  const workers = (body.workers as { pid: number | null }[]).flatMap((w) => (w.pid ? [w.pid] : []));
  return [node.child.pid!, ...workers];
}

/** Each node's CPU (cores: process and workers) over `seconds`, while `during` runs beside it. */
async function cpuOver<T>(
  pids: number[][],
  seconds: number,
  during: () => Promise<T> = async () => undefined as T,
): Promise<{ cpu: number[]; result: T }> {
  const before = pids.map((list) => list.map(cpuSeconds));
  const t0 = performance.now();
  const [, result] = await Promise.all([sleep(seconds * 1000), during()]);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.map(
    (list, i) => list.reduce((sum, pid, j) => sum + cpuSeconds(pid) - before[i]![j]!, 0) / elapsed,
  );
  return { cpu, result };
}

async function participantsOn(nodes: TestNode[]): Promise<number> {
  let total = 0;
  for (const node of nodes) total += (await scrape(node))('lkc_participants');
  return total;
}

// ---- 1 and 2: the hop and the pipe's bit rate

interface HopFigures {
  home: KindFigures[];
  leg: KindFigures[];
  /** Leg minus home, ms, per kind. */
  added: Record<'audio' | 'video', { p50: number; p99: number }>;
  pipe: {
    /** Tracks crossing the pipe (the publisher's video and audio). */
    tracks: number;
    homeOutBps: number;
    legInBps: number;
    perTrackBps: number;
    publisherBps: number;
    publisherPerTrackBps: number;
    publisherVideoBps: number;
    publisherAudioBps: number;
    ratio: number;
  };
}

async function hop(
  cluster: SpanCluster,
  room: string,
): Promise<{ figures: HopFigures; publisher: BotFleet; legSub: BotFleet }> {
  const home = cluster.node('a');
  const leg = cluster.node('b');
  const publisher = fleet(home);
  const homeSub = fleet(home);
  const legSub = fleet(leg);
  publisher.start([await bot(room, 'publisher', 'publisher')]);
  await until('the publisher to publish', [publisher], (c) => c.ready >= 1, 30);
  homeSub.start([await bot(room, 'sub-home', 'subscriber')]);
  legSub.start([await bot(room, 'sub-leg', 'subscriber')]);
  await until('the home subscriber to receive both tracks', [homeSub], (c) => streams(c) >= 2, 30);
  await until('the leg subscriber to receive both tracks', [legSub], (c) => streams(c) >= 2, 30);
  progress(`hop: both subscribers receive video and audio; ${WINDOW_S} s window after 3 s to settle`);
  await sleep(3000);
  const [h0, l0, p0, ma0, mb0] = await Promise.all([
    counters(homeSub),
    counters(legSub),
    counters(publisher),
    scrape(home),
    scrape(leg),
  ]);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const [h1, l1, p1, ma1, mb1] = await Promise.all([
    counters(homeSub),
    counters(legSub),
    counters(publisher),
    scrape(home),
    scrape(leg),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const homeFigures = windowFigures(h0, h1, seconds);
  const legFigures = windowFigures(l0, l1, seconds);
  const diff = (kind: 'audio' | 'video', p: 'latencyP50Ms' | 'latencyP99Ms') =>
    (legFigures.find((f) => f.kind === kind)![p] ?? Number.NaN) -
    (homeFigures.find((f) => f.kind === kind)![p] ?? Number.NaN);
  const bps = (a: number, b: number) => ((b - a) * 8) / seconds;
  const out = { direction: 'out' };
  const inward = { direction: 'in' };
  const publisherVideoBps = bps(p0.sent.video.bytes, p1.sent.video.bytes);
  const publisherAudioBps = bps(p0.sent.audio.bytes, p1.sent.audio.bytes);
  const tracks = p1.sent.video.tracks + p1.sent.audio.tracks;
  const homeOutBps = bps(ma0('lkc_span_pipe_bytes_total', out), ma1('lkc_span_pipe_bytes_total', out));
  const publisherBps = publisherVideoBps + publisherAudioBps;
  const figures: HopFigures = {
    home: homeFigures,
    leg: legFigures,
    added: {
      video: { p50: diff('video', 'latencyP50Ms'), p99: diff('video', 'latencyP99Ms') },
      audio: { p50: diff('audio', 'latencyP50Ms'), p99: diff('audio', 'latencyP99Ms') },
    },
    pipe: {
      tracks,
      homeOutBps,
      legInBps: bps(mb0('lkc_span_pipe_bytes_total', inward), mb1('lkc_span_pipe_bytes_total', inward)),
      perTrackBps: homeOutBps / tracks,
      publisherBps,
      publisherPerTrackBps: publisherBps / tracks,
      publisherVideoBps,
      publisherAudioBps,
      ratio: homeOutBps / publisherBps,
    },
  };
  await stopFleet(homeSub);
  return { figures, publisher, legSub };
}

// ---- 3: pipe setup

interface SetupSample {
  kind: 'new leg' | 'reused leg';
  node: string;
  /** The leg's lkc_span_pipe_setup_seconds sample, ms. */
  pipeMs: number;
  /** The bot's consumer answered (it asked) until its first video packet, ms (within 5%: a histogram bucket). */
  consumerMs: number;
  /** The bot's join started until its first video packet, ms. */
  botMs: number;
}

/** Starts one subscriber on `node` and reads the setup it caused there: the node's histogram and the bot's view. */
async function setupSample(
  node: TestNode,
  room: string,
  identity: string,
  kind: SetupSample['kind'],
  name: string,
): Promise<{ sample: SetupSample; subscriber: BotFleet }> {
  const before = await scrape(node);
  const count0 = before('lkc_span_pipe_setup_seconds_count');
  const sum0 = before('lkc_span_pipe_setup_seconds_sum');
  const subscriber = fleet(node);
  const spec = await bot(room, identity, 'subscriber');
  // The bot process is up before the clock starts: what is timed is the join, not a fork.
  await counters(subscriber);
  const t0 = performance.now();
  subscriber.start([spec]);
  const seen = await until(
    `${identity} to receive video`,
    [subscriber],
    (c) => c.received.video.tracks >= 1,
    20,
    20,
  );
  const botMs = performance.now() - t0;
  const consumerMs = histogramPercentile(seen.received.video.firstPacket, 0.5) ?? Number.NaN;
  const after = await waitFor(
    async () => {
      const m = await scrape(node);
      return m('lkc_span_pipe_setup_seconds_count') > count0 ? m : undefined;
    },
    { timeoutMs: 10_000, what: `the setup sample of ${identity} on node ${name}` },
  );
  const samples = after('lkc_span_pipe_setup_seconds_count') - count0;
  if (samples !== 1) throw new Error(`expected one setup sample on node ${name}, got ${samples}`);
  const pipeMs = (after('lkc_span_pipe_setup_seconds_sum') - sum0) * 1000;
  return { sample: { kind, node: name, pipeMs, consumerMs, botMs }, subscriber };
}

async function setup(cluster: SpanCluster, hopRoom: string, legSubOfHop: BotFleet): Promise<SetupSample[]> {
  const samples: SetupSample[] = [];
  const home = cluster.node('a');
  const leg = cluster.node('b');
  // A reused leg: the subscriber leaves, the home pauses the pipe's video after the grace, a new one comes.
  let current = legSubOfHop;
  for (let i = 0; i < REUSE_SAMPLES; i++) {
    await stopFleet(current);
    await waitFor(
      async () => {
        const part = await cluster.part('a', hopRoom);
        const pipe = part?.pipes.find((p) => p.node === leg.id);
        return pipe !== undefined && pipe.video_flowing === 0;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "the home to pause the pipe's video to the leg" },
    );
    if ((await cluster.part('b', hopRoom))?.role !== 'leg')
      throw new Error('the leg closed before it was reused');
    const { sample, subscriber } = await setupSample(leg, hopRoom, `sub-again-${i}`, 'reused leg', 'b');
    samples.push(sample);
    current = subscriber;
    progress(
      `setup ${samples.length}/${REUSE_SAMPLES + SETUP_SAMPLES} (reused leg): pipe ${sample.pipeMs.toFixed(1)} ms, consumer to first video ${sample.consumerMs.toFixed(0)} ms, join to first video ${sample.botMs.toFixed(0)} ms`,
    );
  }
  await stopFleet(current);
  // New legs: a room of its own each, its subscriber through another region's node, b and c in turn.
  for (let i = 0; i < SETUP_SAMPLES; i++) {
    const room = `span-setup-${process.pid}-${i}`;
    const name = i % 2 === 0 ? 'b' : 'c';
    const publisher = fleet(home);
    publisher.start([await bot(room, `pub-${i}`, 'publisher')]);
    await until(`publisher ${i} to publish`, [publisher], (c) => c.ready >= 1, 30);
    const { sample, subscriber } = await setupSample(cluster.node(name), room, `sub-${i}`, 'new leg', name);
    samples.push(sample);
    progress(
      `setup ${samples.length}/${REUSE_SAMPLES + SETUP_SAMPLES} (new leg on ${name}): pipe ${sample.pipeMs.toFixed(1)} ms, consumer to first video ${sample.consumerMs.toFixed(0)} ms, join to first video ${sample.botMs.toFixed(0)} ms`,
    );
    await Promise.all([stopFleet(subscriber), stopFleet(publisher)]);
  }
  return samples;
}

// ---- 4: CPU of a 60-participant room

interface CpuRun {
  layout: 'one node' | 'three nodes';
  round: number;
  /** Each node's CPU (cores), a b c. */
  cpu: number[];
  streams: number;
  expected: number;
  videoLoss: number;
  audioLoss: number;
  /** What the subscribers received, all streams (bits/s, packets/s). */
  receivedBps: number;
  packetsPerSecond: number;
  botCpu: number;
}

async function cpuRun(
  cluster: SpanCluster,
  layout: CpuRun['layout'],
  round: number,
  pids: number[][],
): Promise<CpuRun> {
  const names = ['a', 'b', 'c'];
  const room = `span-cpu-${process.pid}-${round}-${layout === 'one node' ? 'one' : 'three'}`;
  // The same three bot processes either way; only where they join differs.
  const groups = names.map((name) => fleet(cluster.node(layout === 'one node' ? 'a' : name)));
  const publishers = names.length * PUBLISHERS_PER_NODE;
  const subscribers = names.length * SUBSCRIBERS_PER_NODE;
  const expected = subscribers * publishers * TRACKS_PER_PUBLISHER;
  try {
    for (const [g, group] of groups.entries()) {
      const specs: BotSpec[] = [];
      for (let i = 0; i < PUBLISHERS_PER_NODE; i++) specs.push(await bot(room, `pub-${g}-${i}`, 'publisher'));
      group.start(specs);
    }
    await until('the publishers to publish', groups, (c) => c.ready >= publishers, 60);
    for (const [g, group] of groups.entries()) {
      const specs: BotSpec[] = [];
      for (let i = 0; i < SUBSCRIBERS_PER_NODE; i++)
        specs.push(await bot(room, `sub-${g}-${i}`, 'subscriber'));
      group.start(specs);
    }
    await until(`${expected} streams to flow`, groups, (c) => streams(c) >= expected, 120, 1000);
    progress(
      `cpu ${layout}, round ${round}: ${expected} streams flow; ${WINDOW_S} s window after 3 s to settle`,
    );
    await sleep(3000);
    const c0 = await counters(...groups);
    const t0 = performance.now();
    const { cpu } = await cpuOver(pids, WINDOW_S);
    const c1 = await counters(...groups);
    const seconds = (performance.now() - t0) / 1000;
    const figures = windowFigures(c0, c1, seconds);
    return {
      layout,
      round,
      cpu,
      streams: streams(c1),
      expected,
      videoLoss: figures.find((f) => f.kind === 'video')!.loss,
      audioLoss: figures.find((f) => f.kind === 'audio')!.loss,
      receivedBps: figures.reduce((sum, f) => sum + f.bitrate, 0),
      packetsPerSecond: figures.reduce((sum, f) => sum + f.packetsPerSecond, 0),
      botCpu: (c1.cpuMicros - c0.cpuMicros) / 1e6 / seconds,
    };
  } finally {
    await Promise.all(groups.map(stopFleet));
    const nodes = names.map((name) => cluster.node(name));
    await waitFor(async () => (await participantsOn(nodes)) === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'the participants to leave',
    });
  }
}

// ---- output

const ms = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const kbps = (bps: number) => `${(bps / 1000).toFixed(0)} kbit/s`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ style: { head: [], border: [] }, head });
  t.push(...rows);
  return t.toString();
}

async function main(): Promise<void> {
  for (const [name, value] of Object.entries({
    window: WINDOW_S,
    'setup-samples': SETUP_SAMPLES,
    'reuse-samples': REUSE_SAMPLES,
    rounds: ROUNDS,
  })) {
    if (!Number.isInteger(value) || value < (name === 'window' ? 1 : 0))
      throw new Error(`--${name} must be a whole number${name === 'window' ? ' of seconds >= 1' : ' >= 0'}`);
  }
  const loadStart = loadNow();
  progress(machineLine(loadStart));
  progress('starting redis and three nodes (us-west-2, eu-central-1, ap-northeast-1), room.span: region');
  const cluster = await startSpanCluster(
    [
      { name: 'a', region: 'us-west-2' },
      { name: 'b', region: 'eu-central-1' },
      { name: 'c', region: 'ap-northeast-1' },
    ],
    { label: 'bench-span', span: 'region' },
    () => ({ logging: { level: 'warn', json: false } }),
  );
  try {
    const nodes = ['a', 'b', 'c'].map((name) => cluster.node(name));
    const pids = await Promise.all(nodes.map(pidsOf));
    const { cpu: idle } = await cpuOver(pids, 5);
    progress(`idle CPU of the nodes: ${idle.map(pct).join(', ')}`);

    const hopRoom = `span-hop-${process.pid}`;
    progress('hop: a publisher and a subscriber on the home (a), a subscriber on a leg (b)');
    const { figures: hopFigures, publisher, legSub } = await hop(cluster, hopRoom);
    progress(
      `hop: video +${ms(hopFigures.added.video.p50)} ms p50, audio +${ms(hopFigures.added.audio.p50)} ms p50; pipe ${kbps(hopFigures.pipe.perTrackBps)} per track`,
    );
    const setupSamples = await setup(cluster, hopRoom, legSub);
    await stopFleet(publisher);
    await waitFor(async () => (await participantsOn(nodes)) === 0, {
      timeoutMs: 30_000,
      what: 'the participants to leave',
    });

    const runs: CpuRun[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const layout of ['one node', 'three nodes'] as const) {
        progress(`cpu ${layout}, round ${round}: 3 publishers (360p video and audio) and 57 subscribers`);
        const run = await cpuRun(cluster, layout, round, pids);
        runs.push(run);
        progress(
          `cpu ${layout}, round ${round}: nodes ${run.cpu.map(pct).join(', ')}, bots ${pct(run.botCpu)}`,
        );
      }
    }
    const loadEnd = loadNow();

    // ---- figures
    const ratios: number[] = [];
    /** The same above each node's idle CPU (its lease, stats and timers, which a room does not change). */
    const aboveIdle: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const one = runs.find((r) => r.round === round && r.layout === 'one node')!;
      const three = runs.find((r) => r.round === round && r.layout === 'three nodes')!;
      ratios.push(Math.max(...three.cpu) / one.cpu[0]!);
      aboveIdle.push(Math.max(...three.cpu.map((c, i) => c - idle[i]!)) / (one.cpu[0]! - idle[0]!));
    }
    const newLeg = setupSamples.filter((s) => s.kind === 'new leg');
    const reused = setupSamples.filter((s) => s.kind === 'reused leg');
    const summary = (list: SetupSample[], key: 'pipeMs' | 'consumerMs' | 'botMs') =>
      list.length
        ? { median: median(list.map((s) => s[key])), max: Math.max(...list.map((s) => s[key])) }
        : null;
    const setupAll = summary(setupSamples, 'pipeMs');
    const consumerAll = summary(setupSamples, 'consumerMs');
    const targets = {
      hop: {
        target_ms: TARGET_HOP_MS,
        met: hopFigures.added.video.p50 <= TARGET_HOP_MS && hopFigures.added.audio.p50 <= TARGET_HOP_MS,
      },
      // Met when both the leg (the keyframe through the pipe) and the subscriber (its first video) say so.
      setup: {
        target_s: TARGET_SETUP_S,
        met:
          setupAll !== null &&
          consumerAll !== null &&
          setupAll.max <= TARGET_SETUP_S * 1000 &&
          consumerAll.max <= TARGET_SETUP_S * 1000,
      },
      cpu: { target_ratio: TARGET_CPU_RATIO, met: ratios.length > 0 && median(ratios) <= TARGET_CPU_RATIO },
    };
    const result = {
      machine: machineLine(),
      load_average: { start: loadStart, end: loadEnd },
      command: `node dist/bench/span.js ${process.argv.slice(2).join(' ')}`.trim(),
      cluster:
        '3 node processes (us-west-2, eu-central-1, ap-northeast-1), room.span: region, 1 mediasoup worker each, loopback (pipes without SRTP: one host)',
      idle_cpu: idle,
      hop: hopFigures,
      setup: {
        samples: setupSamples,
        new_leg: {
          pipe_ms: summary(newLeg, 'pipeMs'),
          consumer_ms: summary(newLeg, 'consumerMs'),
          join_ms: summary(newLeg, 'botMs'),
        },
        reused_leg: {
          pipe_ms: summary(reused, 'pipeMs'),
          consumer_ms: summary(reused, 'consumerMs'),
          join_ms: summary(reused, 'botMs'),
        },
      },
      cpu: { runs, busiest_over_one_node: ratios, busiest_over_one_node_above_idle: aboveIdle },
      targets,
      bot_failures: failures,
    };
    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }

    print(`\nrooms that span nodes: ${result.cluster}`);
    print(`${result.machine}; load average ${loadStart} at the start, ${loadEnd} at the end`);
    print(
      `\n1. latency a pipe hop adds (same clock: the publisher's send time in RTP to the subscriber's arrival), ${WINDOW_S} s`,
    );
    const kindRows = (figures: KindFigures[], where: string) =>
      figures.map((f) => [
        where,
        f.kind,
        ms(f.latencyP50Ms),
        ms(f.latencyP99Ms),
        f.jitterMs.toFixed(2),
        pct(f.loss),
        kbps(f.trackBitrate),
      ]);
    print(
      table(
        ['subscriber', 'kind', 'p50 ms', 'p99 ms', 'jitter ms', 'loss', 'received'],
        [
          ...kindRows(hopFigures.home, 'home (a)'),
          ...kindRows(hopFigures.leg, 'leg (b), one hop'),
          ...(['video', 'audio'] as const).map((kind) => [
            'added by the hop',
            kind,
            signed(hopFigures.added[kind].p50),
            signed(hopFigures.added[kind].p99),
            '',
            '',
            '',
          ]),
        ],
      ),
    );
    print(`\n2. inter-node bit rate (lkc_span_pipe_bytes_total) beside the publisher's RTP, same window`);
    const p = hopFigures.pipe;
    print(
      table(
        ['', 'total', 'per track', 'x publisher RTP'],
        [
          [
            `publisher RTP (video ${kbps(p.publisherVideoBps)} + audio ${kbps(p.publisherAudioBps)})`,
            kbps(p.publisherBps),
            kbps(p.publisherPerTrackBps),
            '1.00',
          ],
          [
            `pipe, home out (${p.tracks} tracks)`,
            kbps(p.homeOutBps),
            kbps(p.perTrackBps),
            p.ratio.toFixed(2),
          ],
          [
            `pipe, leg in (${p.tracks} tracks)`,
            kbps(p.legInBps),
            kbps(p.legInBps / p.tracks),
            (p.legInBps / p.publisherBps).toFixed(2),
          ],
        ],
      ),
    );
    print(
      `\n3. pipe setup: first consumer on a leg running (resumed) until the first keyframe through the pipe (the leg's lkc_span_pipe_setup_seconds), the subscriber bot's consumer (answered) to its first video packet, and its join to that packet`,
    );
    const setupRow = (label: string, list: SetupSample[]) => {
      const pipe = summary(list, 'pipeMs');
      const consumer = summary(list, 'consumerMs');
      const join = summary(list, 'botMs');
      const pair = (x: { median: number; max: number } | null, digits: number) =>
        x ? `${x.median.toFixed(digits)} / ${x.max.toFixed(digits)}` : '-';
      return [
        label,
        list.length,
        pair(pipe, 1),
        pair(consumer, 0),
        pair(join, 0),
        list.map((s) => `${s.pipeMs.toFixed(0)}/${s.consumerMs.toFixed(0)}`).join(' '),
      ];
    };
    print(
      table(
        [
          '',
          'samples',
          'pipe ms (median / max)',
          'consumer to first video ms',
          'join to first video ms',
          'each (pipe/consumer ms)',
        ],
        [setupRow('new leg (a new room)', newLeg), setupRow('reused leg (pipe paused)', reused)],
      ),
    );
    print(
      `\n4. a 60-participant room (3 publishers of 360p video and audio, 57 subscribers): node CPU (process + worker, /proc, cores), ${WINDOW_S} s windows`,
    );
    print(
      table(
        [
          'round',
          'layout',
          'node a',
          'node b',
          'node c',
          'busiest',
          'streams',
          'received',
          'loss video / audio',
          'bots CPU',
        ],
        runs.map((r) => [
          r.round,
          r.layout,
          ...r.cpu.map(pct),
          pct(Math.max(...r.cpu)),
          `${r.streams}/${r.expected}`,
          `${(r.receivedBps / 1e6).toFixed(1)} Mbit/s, ${Math.round(r.packetsPerSecond)} pkt/s`,
          `${pct(r.videoLoss)} / ${pct(r.audioLoss)}`,
          pct(r.botCpu),
        ]),
      ),
    );
    print(
      `idle: ${idle.map(pct).join(', ')}; busiest of three / one node, per round: ${ratios.map((r) => r.toFixed(2)).join(', ')} (above idle: ${aboveIdle.map((r) => r.toFixed(2)).join(', ')})`,
    );
    print('\ntargets');
    print(
      `- a pipe hop adds <= ${TARGET_HOP_MS} ms (p50): ${met(targets.hop.met)} (video ${signed(hopFigures.added.video.p50)} ms, audio ${signed(hopFigures.added.audio.p50)} ms; p99 ${signed(hopFigures.added.video.p99)} / ${signed(hopFigures.added.audio.p99)} ms)`,
    );
    print(
      `- first frame on a leg within ${TARGET_SETUP_S} s: ${met(targets.setup.met)} (over ${setupSamples.length} samples: pipe setup max ${setupAll ? setupAll.max.toFixed(1) : '-'} ms, the subscriber's consumer to its first video max ${consumerAll ? consumerAll.max.toFixed(0) : '-'} ms)`,
    );
    print(
      `- busiest of three nodes <= ${TARGET_CPU_RATIO} x one node: ${met(targets.cpu.met)} (median ratio ${ratios.length ? median(ratios).toFixed(2) : '-'})`,
    );
    if (failures.length) print(`bots that failed: ${failures.length} (${failures.slice(0, 3).join('; ')})`);
  } finally {
    await Promise.allSettled([...fleets].map(stopFleet));
    await cluster.stop();
  }
}

try {
  await main();
  process.exit(0);
} catch (err) {
  await Promise.allSettled([...fleets].map(stopFleet));
  console.error(`bench/span: ${(err as Error).message}`);
  process.exit(1);
}
