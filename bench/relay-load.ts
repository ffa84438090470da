// Signal relay under load: many bridged sessions (WebSocket clients joined through a bridge node to rooms hosted
// on another node), each sending cheap requests at a steady rate, and beside them in the same run direct
// sessions on the room node doing the same, so that the bridge's added latency is read against the direct path
// at the same moment. Two real node processes on a private redis-server; the clients run in worker processes of
// their own (bench/relay-load-worker.ts), every process in its own session (its own CPU group). It reports the
// frames carried, the CPU of each process per 1,000 frames over the measuring window, and p50/p99 of both paths.
// It ramps up to the asked rate through fractions of it, one window each, and stops at the first window it does
// not carry: the last one carried is the largest rate this machine carries (overload may end sessions).
// Run by hand: `npm run build && node dist/bench/relay.js --sessions 1000 --rate 10 --duration 30s
// [--direct-sessions 100] [--rooms 50] [--workers 2] [--warmup 5s] [--idle 5s] [--protocol json|livekit] [--no-ramp]
// [--json] [--profile DIR]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRedis, startLocalRedis } from '../src/supervisor/local-redis.js';
import { arg } from './args.js';
import { machineLine } from './machine.js';
import { childPids } from './proc-cpu.js';
import { LoadWorker } from './relay-load-clients.js';
import type { LoadProtocol, LoadSessionSpec, RelayPath } from './relay-load-contract.js';
import {
  between,
  corePercents,
  loadAverage,
  read,
  TARGET_P50_MS,
  TARGET_P99_MS,
  type Watched,
  type WindowFigures,
} from './relay-load-figures.js';
import { detailTable, ms, perSecond, progressLine, windowsTable } from './relay-load-report.js';
import { type BenchNode, createRoom, joinToken, startNode, stopChildren } from './relay-nodes.js';

/** The windows of the ramp, as fractions of the asked rate. */
const RAMP = [0.1, 0.25, 0.5, 0.75, 1];

class BadInput extends Error {}

/** `30s`, `2m`, `500ms` or a number of seconds, in milliseconds; `positive`: more than 0. */
function duration(name: string, fallback: string, positive = true): number {
  const text = arg(name, fallback);
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  const unit = match?.[2] === 'ms' ? 1 : match?.[2] === 'm' ? 60_000 : 1000;
  const value = match ? Number(match[1]) * unit : Number.NaN;
  if (!(value > 0 || (value === 0 && !positive)))
    throw new BadInput(`--${name} takes a duration such as 30s, 2m or 500ms, not "${text}"`);
  return value;
}

function count(name: string, fallback: string, min: number): number {
  const text = arg(name, fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new BadInput(`--${name} takes a whole number of at least ${min}, not "${text}"`);
  return value;
}

interface Options {
  bridged: number;
  direct: number;
  rooms: number;
  rate: number;
  durationMs: number;
  warmupMs: number;
  idleMs: number;
  progressMs: number;
  workers: number;
  protocol: LoadProtocol;
  ramp: boolean;
  json: boolean;
  profileDir?: string;
}

function profileDir(): string | undefined {
  if (!process.argv.includes('--profile')) return undefined;
  const dir = arg('profile', '');
  if (!dir || dir.startsWith('--')) throw new BadInput('--profile takes the folder the CPU profiles go to');
  return dir;
}

function options(): Options {
  const rate = Number(arg('rate', '10'));
  if (!(rate > 0))
    throw new BadInput(`--rate takes requests per second per session (> 0), not "${arg('rate', '')}"`);
  const protocol = arg('protocol', 'json');
  if (protocol !== 'json' && protocol !== 'livekit')
    throw new BadInput(`--protocol takes json or livekit, not "${protocol}"`);
  const bridged = count('sessions', '1000', 1);
  return {
    bridged,
    direct: count('direct-sessions', String(Math.max(1, Math.round(bridged / 10))), 1),
    rooms: count('rooms', '50', 1),
    rate,
    durationMs: duration('duration', '30s'),
    warmupMs: duration('warmup', '5s', false),
    idleMs: duration('idle', '5s', false),
    progressMs: duration('progress', '5s'),
    workers: count('workers', '2', 1),
    protocol,
    ramp: !process.argv.includes('--no-ramp'),
    json: process.argv.includes('--json'),
    profileDir: profileDir(),
  };
}

function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}

interface Run {
  log: (line: string) => void;
  workers: LoadWorker[];
  watched: Watched[];
  sessions: Record<RelayPath, number>;
  options: Options;
  /** Each process's share of a core with the sessions idle. */
  idle: Record<string, number>;
}

/** Warms up at `rate`, then measures one window with a progress line every `progressMs`. */
async function measure(run: Run, rate: number): Promise<WindowFigures> {
  const { log, workers, watched, sessions, options: o, idle } = run;
  log(
    `rate ${rate}/s per session: ${perSecond((sessions.direct + sessions.bridged) * rate)} requests/s offered; ` +
      `${o.warmupMs / 1000} s warm-up, then ${o.durationMs / 1000} s measured`,
  );
  for (const w of workers) w.send({ type: 'rate', perSecond: rate });
  await sleep(o.warmupMs);
  const start = await read(workers, watched);
  let last = start;
  while (performance.now() - start.at < o.durationMs - 1) {
    await sleep(Math.min(o.progressMs, o.durationMs - (performance.now() - start.at)));
    const now = await read(workers, watched);
    log(progressLine(between(last, now, sessions, rate), now.at - start.at));
    last = now;
  }
  const figures = between(start, last, sessions, rate, idle);
  for (const w of workers) w.send({ type: 'rate', perSecond: 0 });
  // The next window starts with nothing in flight (or as little as the nodes leave after 15 s).
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    const now = await read(workers, watched);
    if (now.paths.direct.inflight + now.paths.bridged.inflight === 0) break;
    await sleep(250);
  }
  log(`  -> ${figures.carried ? 'carried' : 'NOT carried'}`);
  return figures;
}

async function main(o: Options): Promise<void> {
  // With --json, stdout holds the JSON alone; the progress and the tables go to stderr.
  const log = (line: string) => (o.json ? console.error(line) : console.log(line));
  const loadAtStart = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-relay-load-'));
  let redis: LocalRedis | undefined;
  const workers: LoadWorker[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanUp = () => {
    cleaned ??= (async () => {
      for (const w of workers) w.send({ type: 'close' });
      await stopChildren();
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    })();
    return cleaned;
  };
  // Interrupted: the same clean-up as at the end, then out.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping the nodes, redis-server and the clients`);
      void cleanUp().finally(() => process.exit(130));
    });
  try {
    redis = await startLocalRedis();
    // LiveKit's join opens two WebRTC transports per session on the room node, each on a UDP port of its own.
    const roomPorts = o.protocol === 'livekit' ? 2 * (o.bridged + o.direct) + 100 : 100;
    // --profile DIR: each node writes a V8 CPU profile there when it stops (named CPU.<date>.<pid>...).
    const execArgv = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
    const room: BenchNode = await startNode(dir, 'room', redis.port, 40000, {
      udpPorts: roomPorts,
      detached: true,
      execArgv,
    });
    const bridge: BenchNode = await startNode(dir, 'bridge', redis.port, 40000 + roomPorts, {
      detached: true,
      execArgv,
    });
    if (o.profileDir)
      log(
        `profiles of the room node (pid ${room.pid}) and the bridge (pid ${bridge.pid}) go to ${o.profileDir}`,
      );
    const rooms = Array.from({ length: o.rooms }, (_, i) => `load-${i}`);
    for (const name of rooms) await createRoom(room, name);
    const specs: LoadSessionSpec[] = [];
    const add = async (path: RelayPath, node: BenchNode, n: number) => {
      for (let i = 0; i < n; i++) {
        const roomName = rooms[i % rooms.length]!;
        const identity = `${path}-${i}`;
        specs.push({
          url: node.url,
          room: roomName,
          identity,
          token: await joinToken(roomName, identity),
          path,
        });
      }
    };
    await add('bridged', bridge, o.bridged);
    await add('direct', room, o.direct);
    for (let i = 0; i < o.workers; i++) workers.push(new LoadWorker());
    // Every client process gets both kinds of session, so that both paths meet the same client lag.
    const shares: LoadSessionSpec[][] = workers.map(() => []);
    for (const [i, spec] of specs.entries()) shares[i % workers.length]!.push(spec);
    const joinStarted = performance.now();
    log(
      `joining ${o.bridged} bridged and ${o.direct} direct sessions (${o.protocol}) in ${o.rooms} rooms ` +
        `from ${o.workers} client processes...`,
    );
    await Promise.all(workers.map((w, i) => w.join(shares[i]!, o.protocol)));
    log(`joined in ${((performance.now() - joinStarted) / 1000).toFixed(1)} s`);

    const redisPid = redis.pid;
    const watched: Watched[] = [
      { name: 'bridge', pid: bridge.pid, pids: () => [bridge.pid, ...childPids(bridge.pid)] },
      { name: 'room', pid: room.pid, pids: () => [room.pid, ...childPids(room.pid)] },
      { name: 'redis', pid: redisPid, pids: () => [redisPid] },
      ...workers.map((w, i) => ({ name: `clients ${i + 1}`, pid: w.pid, pids: () => [w.pid] })),
    ];
    const sessions = { direct: o.direct, bridged: o.bridged };
    // The floor of each process's CPU: every session joined, none sending (heartbeats, pings, timers, metrics).
    let idle: Record<string, number> = {};
    if (o.idleMs > 0) {
      log(`${o.idleMs / 1000} s idle, to measure each process's CPU with no frames`);
      const idleStart = await read(workers, watched);
      await sleep(o.idleMs);
      idle = corePercents(idleStart, await read(workers, watched));
      log(
        `  idle CPU: ${Object.entries(idle)
          .map(([name, percent]) => `${name} ${percent.toFixed(1)}%`)
          .join(', ')}`,
      );
    }
    const run: Run = { log, workers, watched, sessions, options: o, idle };
    const windows: WindowFigures[] = [];
    for (const fraction of o.ramp ? RAMP : [1]) {
      const rate = Math.round(o.rate * fraction * 100) / 100;
      if (rate <= 0 || (windows.length > 0 && rate <= windows.at(-1)!.ratePerSession)) continue;
      windows.push(await measure(run, rate));
      if (!windows.at(-1)!.carried) break;
    }
    for (const w of workers) w.send({ type: 'close' });

    const main = windows.at(-1)!;
    const carried = windows.findLast((w) => w.carried);
    const reached = main.ratePerSession === o.rate;
    const request =
      o.protocol === 'livekit'
        ? 'LiveKit pingReq -> pongResp (protobuf, binary frames)'
        : '"noSuchMethod" (JSON, answered by the room node\'s parser)';
    const lines = [
      '',
      `signal relay under load: ${o.bridged} bridged + ${o.direct} direct sessions in ${o.rooms} rooms, ` +
        `request ${request}, open loop, paced per session with +-10% jitter, ${o.workers} client processes`,
      machineLine(loadAtStart),
      windowsTable(windows),
      `${reached ? 'asked rate' : 'first rate not carried'} (${main.ratePerSession}/s per session, ` +
        `${perSecond(main.offeredPerSecond)} requests/s offered, ${main.seconds.toFixed(1)} s measured):`,
      detailTable(main),
    ];
    if (carried && carried !== main)
      lines.push(
        `largest rate carried: ${carried.ratePerSession}/s per session ` +
          `(${perSecond(carried.direct.answeredPerSecond + carried.bridged.answeredPerSecond)} requests/s):`,
        detailTable(carried),
      );
    else if (!carried) lines.push('no rate tried was carried');
    lines.push(
      `client lag (p99 of how late a send fired after its slot): ${windows.map((w) => `${ms(w.clientLatenessP99)} ms`).join(', ')}`,
      `target (${o.bridged} sessions x ${o.rate}/s carried, bridge adds <= ${TARGET_P50_MS} ms at p50 and ` +
        `<= ${TARGET_P99_MS} ms at p99): ${reached && main.targetMet ? 'met' : 'NOT met'}` +
        (o.bridged < 1000 || o.rate < 10 ? ' (a smaller run than issue 18 asks: 1,000 sessions x 10/s)' : ''),
    );
    const closed = Object.entries(main.closes);
    if (closed.length > 0)
      lines.push(`sessions the nodes closed: ${closed.map(([why, n]) => `${n} x "${why}"`).join(', ')}`);
    for (const line of lines) log(line);
    if (o.json) {
      const result = {
        machine: machineLine(loadAtStart),
        loadAverageAtStart: loadAtStart,
        protocol: o.protocol,
        sessions: sessions,
        rooms: o.rooms,
        clientProcesses: o.workers,
        askedRatePerSession: o.rate,
        windows,
        largestCarriedRatePerSession: carried?.ratePerSession ?? null,
        targetMet: reached && main.targetMet,
      };
      console.log(JSON.stringify(result, null, 2));
    }
  } finally {
    await cleanUp();
  }
}

/** The loaded run; bad options end it with a one-line error and exit code 2. */
export async function runRelayLoad(): Promise<void> {
  let o: Options;
  try {
    o = options();
  } catch (err) {
    if (!(err instanceof BadInput)) throw err;
    console.error(`error: ${err.message}`);
    process.exit(2);
  }
  try {
    await main(o);
  } catch (err) {
    // Everything it started is stopped by now (main's finally).
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
