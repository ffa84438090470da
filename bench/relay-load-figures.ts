// The figures of the loaded relay benchmark: what the clients and /proc say at one moment, and what a measuring
// window between two such readings comes to (rates, percentiles, CPU per 1,000 frames, carried or not).
import { loadavg } from 'node:os';
import { addHistogram, emptyHistogram, histogramPercentile } from '../src/loadtest/histogram.js';
import { processCpuSeconds, processWaitSeconds } from './proc-cpu.js';
import type { LoadWorker } from './relay-load-clients.js';
import { type PathCounts, RELAY_PATHS, type RelayPath } from './relay-load-contract.js';

/** Targets of issue 18: what the bridge may add to the direct path's round trip. */
export const TARGET_P50_MS = 1;
export const TARGET_P99_MS = 5;
/**
 * A window is carried when this share of its requests was answered, the clients sent what was asked, no session
 * was closed, and what was still in flight at its end was at most BACKLOG_S of the offered load (no queue grew).
 */
const ANSWERED_SHARE = 0.99;
const SENT_SHARE = 0.95;
const BACKLOG_S = 0.1;

/** The processes whose CPU the run reads. */
export interface Watched {
  name: string;
  /** The process itself (its main thread's waits are read). */
  pid: number;
  /** The process and its children (their CPU is added up). */
  pids: () => number[];
}

/** Everything read at one moment: the clients' counters added up, and each watched process's CPU seconds. */
export interface Reading {
  at: number;
  paths: Record<RelayPath, PathCounts>;
  lateness: number[];
  closes: Record<string, number>;
  cpu: Record<string, number>;
  waited: Record<string, number>;
}

export async function read(workers: LoadWorker[], watched: Watched[]): Promise<Reading> {
  const snapshots = await Promise.all(workers.map((w) => w.snapshot()));
  const at = performance.now();
  const cpu: Record<string, number> = {};
  const waited: Record<string, number> = {};
  for (const w of watched) {
    cpu[w.name] = w.pids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
    waited[w.name] = processWaitSeconds(w.pid);
  }
  const empty = (): PathCounts => ({
    sent: 0,
    answered: 0,
    histogram: emptyHistogram(),
    inflight: 0,
    closed: 0,
  });
  const paths: Record<RelayPath, PathCounts> = { direct: empty(), bridged: empty() };
  const lateness = emptyHistogram();
  const closes: Record<string, number> = {};
  for (const s of snapshots) {
    for (const [why, n] of Object.entries(s.closes)) closes[why] = (closes[why] ?? 0) + n;
    for (const path of RELAY_PATHS) {
      const sum = paths[path];
      const got = s.paths[path];
      sum.sent += got.sent;
      sum.answered += got.answered;
      sum.inflight += got.inflight;
      sum.closed += got.closed;
      addHistogram(sum.histogram, got.histogram);
    }
    addHistogram(lateness, s.lateness);
  }
  return { at, paths, lateness, closes, cpu, waited };
}

export interface PathFigures {
  sessions: number;
  sentPerSecond: number;
  answeredPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  /** Requests still unanswered when the window ended. */
  inflight: number;
  closed: number;
}

export interface ProcessFigures {
  name: string;
  cpuSeconds: number;
  /** Share of one core over the window. */
  corePercent: number;
  /** CPU ms per 1,000 frames that process carried (requests and answers); undefined for the clients. */
  msPer1000Frames?: number;
  /**
   * Share of the window its main thread was ready to run but waited for a CPU: the machine's other work (and this
   * run's other processes) holding it back.
   */
  waitedPercent: number;
  /** Its share of one core with every session joined and idle, measured before the windows. */
  idleCorePercent?: number;
  /** The same per 1,000 frames with the idle share taken off: what the frames themselves cost. */
  msPer1000FramesAboveIdle?: number;
}

export interface WindowFigures {
  ratePerSession: number;
  offeredPerSecond: number;
  seconds: number;
  direct: PathFigures;
  bridged: PathFigures;
  /** Frames a second through the bridge node (bridged requests and their answers). */
  bridgeFramesPerSecond: number;
  /** Frames a second the room node answered or received (both paths, requests and answers). */
  roomFramesPerSecond: number;
  addsP50: number;
  addsP99: number;
  processes: ProcessFigures[];
  /** p99 of how late the clients' sends fired after their slot: their own lag. */
  clientLatenessP99: number;
  carried: boolean;
  targetMet: boolean;
  /** Sessions the nodes had closed by the end of the window, by reason. */
  closes: Record<string, number>;
  loadAverage: string;
}

/** Frames a second process `name` carried: Redis carries the bridged ones only; the clients are not counted. */
export function framesOf(bridge: number, room: number): (name: string) => number | undefined {
  return (name) => (name === 'bridge' || name === 'redis' ? bridge : name === 'room' ? room : undefined);
}

/** Each process's share of one core (percent) between two readings. */
export function corePercents(a: Reading, b: Reading): Record<string, number> {
  const seconds = (b.at - a.at) / 1000;
  return Object.fromEntries(
    Object.keys(b.cpu).map((name) => [name, (100 * (b.cpu[name]! - (a.cpu[name] ?? 0))) / seconds]),
  );
}

export function between(
  a: Reading,
  b: Reading,
  sessions: Record<RelayPath, number>,
  rate: number,
  idle: Record<string, number> = {},
): WindowFigures {
  const seconds = (b.at - a.at) / 1000;
  const path = (name: RelayPath): PathFigures => {
    const histogram = [...b.paths[name].histogram];
    addHistogram(histogram, a.paths[name].histogram, -1);
    const at = (q: number) => histogramPercentile(histogram, q) ?? Number.NaN;
    return {
      sessions: sessions[name],
      sentPerSecond: (b.paths[name].sent - a.paths[name].sent) / seconds,
      answeredPerSecond: (b.paths[name].answered - a.paths[name].answered) / seconds,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      inflight: b.paths[name].inflight,
      closed: b.paths[name].closed,
    };
  };
  const direct = path('direct');
  const bridged = path('bridged');
  const bridgeFramesPerSecond = bridged.sentPerSecond + bridged.answeredPerSecond;
  const roomFramesPerSecond = bridgeFramesPerSecond + direct.sentPerSecond + direct.answeredPerSecond;
  const frames = framesOf(bridgeFramesPerSecond, roomFramesPerSecond);
  const processes = Object.keys(b.cpu).map((name): ProcessFigures => {
    const cpuSeconds = b.cpu[name]! - (a.cpu[name] ?? 0);
    const perSecond = frames(name);
    const corePercent = (100 * cpuSeconds) / seconds;
    const idleCorePercent = idle[name];
    // (percent / 100) CPU seconds a second over `perSecond` frames a second, in ms per 1,000 frames.
    const per1000 = (percent: number) => (perSecond ? (percent * 10_000) / perSecond : undefined);
    return {
      name,
      cpuSeconds,
      corePercent,
      waitedPercent: (100 * (b.waited[name]! - (a.waited[name] ?? 0))) / seconds,
      msPer1000Frames: per1000(corePercent),
      idleCorePercent,
      msPer1000FramesAboveIdle:
        idleCorePercent === undefined ? undefined : per1000(corePercent - idleCorePercent),
    };
  });
  const lateness = [...b.lateness];
  addHistogram(lateness, a.lateness, -1);
  const offeredPerSecond = (sessions.direct + sessions.bridged) * rate;
  const sent = direct.sentPerSecond + bridged.sentPerSecond;
  const answered = direct.answeredPerSecond + bridged.answeredPerSecond;
  const backlog = direct.inflight + bridged.inflight;
  const carried =
    sent >= SENT_SHARE * offeredPerSecond &&
    answered >= ANSWERED_SHARE * sent &&
    backlog <= BACKLOG_S * offeredPerSecond &&
    direct.closed + bridged.closed === 0;
  const addsP50 = bridged.p50 - direct.p50;
  const addsP99 = bridged.p99 - direct.p99;
  return {
    ratePerSession: rate,
    offeredPerSecond,
    seconds,
    direct,
    bridged,
    bridgeFramesPerSecond,
    roomFramesPerSecond,
    addsP50,
    addsP99,
    processes,
    clientLatenessP99: histogramPercentile(lateness, 0.99) ?? 0,
    carried,
    targetMet: carried && addsP50 <= TARGET_P50_MS && addsP99 <= TARGET_P99_MS,
    closes: b.closes,
    loadAverage: loadAverage(),
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}
