import { availableParallelism } from 'node:os';
import { createToken } from '../auth/token.js';
import { LkcError } from '../errors.js';
import type { NodeView } from '../records.js';
import type { BotSpec } from './bot-contract.js';
import { BotFleet } from './bot-processes.js';
import {
  type FleetCounters,
  type KindFigures,
  packetsHandled,
  sumSnapshots,
  windowFigures,
} from './figures.js';
import { type NodeCpu, scrapeNodeCpu } from './node-cpu.js';
import { videoLayers } from './presets.js';

export interface LoadTestOptions {
  /** Any node's base URL (http or https); the bots open /rtc there, so a join may be bridged. */
  url: string;
  room: string;
  publishers: number;
  subscribers: number;
  /** A preset of presets.ts, or `off`. */
  video: string;
  audio: boolean;
  simulcast: boolean;
  durationSeconds: number;
  apiKey: string;
  apiSecret: string;
  /** Processes to spread the bots over (default: one per core). */
  botProcesses?: number;
  /** How long the bots may take to join and see their first packets before the measurement starts anyway. */
  settleSeconds?: number;
}

/** Where the run is, for a progress line. */
export interface LoadTestProgress {
  phase: 'joining' | 'measuring';
  publishers: { ready: number; total: number };
  subscribers: { ready: number; total: number };
  /** Streams receiving packets, and how many there should be. */
  tracks: { receiving: number; expected: number };
  failed: number;
  /** Seconds measured so far, of `durationSeconds`. */
  elapsedSeconds: number;
  durationSeconds: number;
  /** Since the measurement started (bits/s, 0..1); zero while joining. */
  receivedBitrate: number;
  loss: number;
}

/** A node's CPU over the measured window. */
export interface NodeCpuFigures {
  id: string;
  url: string;
  /** `room`: hosts the room (media goes there); `signal`: takes the bots' sockets and bridges them; `other`. */
  role: 'room' | 'signal' | 'room+signal' | 'other';
  /** Fractions of one core. */
  processCpu: number;
  workersCpu: number;
  workers: number;
  /** (process + workers) CPU µs per packet the subscribers received; the room node's only. */
  microsPerPacket: number | null;
}

export interface LoadTestReport {
  url: string;
  room: string;
  roomNode: string | null;
  video: string;
  audio: boolean;
  simulcast: boolean;
  publishers: { asked: number; joined: number };
  subscribers: { asked: number; joined: number };
  failed: number;
  errors: string[];
  measuredSeconds: number;
  kinds: KindFigures[];
  nodes: NodeCpuFigures[];
  /** The load generator itself: its processes' CPU (fractions of a core) and µs per packet sent or received. */
  bots: { processes: number; cpu: number; microsPerPacket: number | null };
  /** Received packets whose SRTP tag the subscribers checked (a sample of every stream), and the wrong ones. */
  srtp: { checked: number; forged: number };
}

const POLL_MS = 1000;
const PUBLISH_TIMEOUT_S = 30;
const MAX_ERRORS = 5;

async function joinToken(options: LoadTestOptions, identity: string, publisher: boolean): Promise<string> {
  return createToken({
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    identity,
    grant: {
      roomJoin: true,
      room: options.room,
      canPublish: publisher,
      canSubscribe: !publisher,
      canPublishData: false,
    },
    ttlSeconds: 3600 + options.durationSeconds,
  });
}

/** The cluster's nodes and where the room is, from any node's /admin/registry (empty when it cannot say). */
async function registry(
  options: LoadTestOptions,
): Promise<{ nodes: NodeView[]; roomNodes: Record<string, string> }> {
  const token = await createToken({
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    grant: { roomAdmin: true },
    ttlSeconds: 300,
  });
  try {
    const response = await fetch(`${options.url}/admin/registry`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return { nodes: [], roomNodes: {} };
    const body = (await response.json()) as { nodes: NodeView[]; room_nodes: Record<string, string> };
    return { nodes: body.nodes.filter((n) => n.alive), roomNodes: body.room_nodes };
  } catch {
    return { nodes: [], roomNodes: {} };
  }
}

async function scrapeAll(nodes: Pick<NodeView, 'id' | 'url'>[]): Promise<Map<string, NodeCpu>> {
  const read = await Promise.all(nodes.map(async (node) => [node.id, await scrapeNodeCpu(node)] as const));
  return new Map(read.flatMap(([id, cpu]) => (cpu ? [[id, cpu] as [string, NodeCpu]] : [])));
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * Runs a load test: publishers join first and publish, then subscribers join and receive every track; once every
 * expected stream flows (or `settleSeconds` passed), the bots' counters and the nodes' CPU are read, again after
 * `durationSeconds`, and the difference is the report. The bots leave at the end, failure included.
 */
export async function runLoadTest(
  options: LoadTestOptions,
  onProgress: (progress: LoadTestProgress) => void = () => {},
): Promise<LoadTestReport> {
  const publish = { videoLayers: videoLayers(options.video, options.simulcast), audio: options.audio };
  const tracksPerPublisher = (publish.videoLayers.length > 0 ? 1 : 0) + (publish.audio ? 1 : 0);
  if (tracksPerPublisher === 0 && options.publishers > 0)
    throw new LkcError('BAD_INPUT', 'publishers with --video off and --no-audio would publish nothing');
  const before = await registry(options);
  const errors: string[] = [];
  let failed = 0;
  const fleet = new BotFleet(
    Math.min(options.botProcesses ?? availableParallelism(), options.publishers + options.subscribers),
    options.url,
    publish,
    (identity, message) => {
      failed++;
      if (errors.length < MAX_ERRORS) errors.push(`${identity}: ${message}`);
    },
  );
  try {
    const bots = async (role: BotSpec['role'], count: number, prefix: string): Promise<BotSpec[]> =>
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const identity = `${prefix}-${i + 1}`;
          return { identity, role, token: await joinToken(options, identity, role === 'publisher') };
        }),
      );
    const progress = (
      sum: FleetCounters,
      phase: LoadTestProgress['phase'],
      extra: Partial<LoadTestProgress> = {},
    ) =>
      onProgress({
        phase,
        publishers: { ready: Math.min(sum.ready, options.publishers), total: options.publishers },
        subscribers: { ready: Math.max(0, sum.ready - options.publishers), total: options.subscribers },
        tracks: {
          receiving: sum.received.audio.tracks + sum.received.video.tracks,
          expected:
            Math.max(0, sum.ready - options.publishers) *
            Math.min(sum.ready, options.publishers) *
            tracksPerPublisher,
        },
        failed,
        elapsedSeconds: 0,
        durationSeconds: options.durationSeconds,
        receivedBitrate: 0,
        loss: 0,
        ...extra,
      });
    const poll = async (phase: 'joining', done: (sum: FleetCounters) => boolean, timeoutS: number) => {
      const deadline = Date.now() + timeoutS * 1000;
      for (;;) {
        const sum = sumSnapshots(await fleet.snapshots());
        progress(sum, phase);
        if (done(sum) || Date.now() > deadline) return sum;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };

    fleet.start(await bots('publisher', options.publishers, 'lt-pub'));
    const published = await poll('joining', (s) => s.ready + failed >= options.publishers, PUBLISH_TIMEOUT_S);
    if (options.publishers > 0 && published.ready === 0)
      throw new LkcError('UNAVAILABLE', `no publisher could join: ${errors[0] ?? 'timed out'}`);
    fleet.start(await bots('subscriber', options.subscribers, 'lt-sub'));
    const settle = options.settleSeconds ?? 20 + options.subscribers / 10;
    const joined = await poll(
      'joining',
      (s) => {
        const subscribers = s.ready - published.ready;
        const receiving = s.received.audio.tracks + s.received.video.tracks;
        return (
          s.ready + failed >= options.publishers + options.subscribers &&
          receiving >= subscribers * published.ready * tracksPerPublisher
        );
      },
      settle,
    );
    if (options.subscribers > 0 && joined.ready === published.ready)
      throw new LkcError('UNAVAILABLE', `no subscriber could join: ${errors[0] ?? 'timed out'}`);

    const during = await registry(options);
    const nodes = during.nodes.length > 0 ? during.nodes : before.nodes;
    const roomNode = during.roomNodes[options.room] ?? null;
    const cpuStart = await scrapeAll(nodes);
    const start = sumSnapshots(await fleet.snapshots());
    const startedAt = performance.now();
    let end = start;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      end = sumSnapshots(await fleet.snapshots());
      const elapsed = (performance.now() - startedAt) / 1000;
      const figures = windowFigures(start, end, elapsed);
      const expected = figures.reduce((sum, f) => sum + f.packetsPerSecond / Math.max(1e-9, 1 - f.loss), 0);
      const received = figures.reduce((sum, f) => sum + f.packetsPerSecond, 0);
      progress(end, 'measuring', {
        elapsedSeconds: Math.min(elapsed, options.durationSeconds),
        receivedBitrate: figures.reduce((sum, f) => sum + f.bitrate, 0),
        loss: expected > 0 ? 1 - received / expected : 0,
      });
      if (elapsed >= options.durationSeconds) break;
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const cpuEnd = await scrapeAll(nodes);
    const handled = packetsHandled(start, end);
    const nodeFigures: NodeCpuFigures[] = nodes.flatMap((node) => {
      const a = cpuStart.get(node.id);
      const b = cpuEnd.get(node.id);
      if (!a || !b) return [];
      const isRoom = node.id === roomNode;
      const isSignal = sameOrigin(node.url, options.url);
      const cpu = b.process - a.process + (b.workers - a.workers);
      return [
        {
          id: node.id,
          url: node.url,
          role: isRoom && isSignal ? 'room+signal' : isRoom ? 'room' : isSignal ? 'signal' : 'other',
          processCpu: (b.process - a.process) / seconds,
          workersCpu: (b.workers - a.workers) / seconds,
          workers: b.workerCount,
          microsPerPacket: isRoom && handled.received > 0 ? (cpu * 1e6) / handled.received : null,
        },
      ];
    });
    const botPackets = handled.received + handled.sent;
    return {
      url: options.url,
      room: options.room,
      roomNode,
      video: options.video,
      audio: options.audio,
      simulcast: options.simulcast,
      publishers: { asked: options.publishers, joined: published.ready },
      subscribers: { asked: options.subscribers, joined: end.ready - published.ready },
      failed,
      errors,
      measuredSeconds: seconds,
      kinds: windowFigures(start, end, seconds),
      nodes: nodeFigures,
      bots: {
        processes: fleet.size,
        cpu: (end.cpuMicros - start.cpuMicros) / 1e6 / seconds,
        microsPerPacket: botPackets > 0 ? (end.cpuMicros - start.cpuMicros) / botPackets : null,
      },
      srtp: { checked: end.srtpChecked, forged: end.srtpForged },
    };
  } finally {
    await fleet.stop();
  }
}
