// A client process of the loaded relay benchmark (bench/relay-load.ts): it joins its share of the sessions and
// has each send cheap requests at a steady rate, paced per session with jitter, measuring each round trip. It
// runs apart from the benchmark so that the clients' CPU is their own and can be read, and it leaves when its
// IPC channel closes (the benchmark is gone).
import { performance } from 'node:perf_hooks';
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import { WebSocket } from 'ws';
import { bucketOf, emptyHistogram } from '../src/loadtest/histogram.js';
import type {
  FromLoadWorker,
  LoadProtocol,
  LoadSessionSpec,
  LoadSnapshot,
  PathCounts,
  RelayPath,
  ToLoadWorker,
} from './relay-load-contract.js';

/** How far a send may stray from its slot, as a fraction of the period: the sessions must not march in step. */
const JITTER = 0.1;
/** Time to join one session before the run gives up on it. */
const JOIN_MS = 30_000;

function emptyCounts(): PathCounts {
  return { sent: 0, answered: 0, histogram: emptyHistogram(), inflight: 0, closed: 0 };
}

const counts: Record<RelayPath, PathCounts> = { direct: emptyCounts(), bridged: emptyCounts() };
const lateness = emptyHistogram();
const closes: Record<string, number> = {};

function tell(message: FromLoadWorker): void {
  process.send?.(message);
}

class Session {
  /** Send time of each request in flight, by its id. */
  private readonly pending = new Map<number, number>();
  private nextId = 1;
  private timer?: NodeJS.Timeout;
  private slot = 0;
  private period = 0;
  private closed = false;
  private readonly counts: PathCounts;

  constructor(
    private readonly socket: WebSocket,
    private readonly protocol: LoadProtocol,
    path: RelayPath,
  ) {
    this.counts = counts[path];
    socket.on('message', (raw: Buffer, binary: boolean) => {
      const id = this.answerId(raw, binary);
      if (id === undefined) return;
      const sentAt = this.pending.get(id);
      if (sentAt === undefined) return;
      this.pending.delete(id);
      this.counts.inflight--;
      this.counts.answered++;
      this.counts.histogram[bucketOf(performance.now() - sentAt)]!++;
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (this.closed) return;
      this.closed = true;
      this.counts.closed++;
      // Ids and numbers blanked, so that one cause hit by many sessions counts as one.
      const why = `${code} ${String(reason).replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/g, 'N')}`;
      closes[why] = (closes[why] ?? 0) + 1;
      this.counts.inflight -= this.pending.size;
      this.pending.clear();
      this.pace(0);
    });
  }

  /** Sends `perSecond` requests a second from a random phase on (0: stops). */
  pace(perSecond: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (perSecond <= 0 || this.closed) return;
    this.period = 1000 / perSecond;
    this.slot = performance.now() + Math.random() * this.period;
    this.schedule();
  }

  close(): void {
    this.pace(0);
    this.closed = true;
    this.socket.close(1000);
  }

  private schedule(): void {
    const at = this.slot + (Math.random() * 2 - 1) * JITTER * this.period;
    this.timer = setTimeout(() => this.fire(at), Math.max(0, at - performance.now()));
  }

  private fire(at: number): void {
    const now = performance.now();
    lateness[bucketOf(Math.max(0, now - at))]!++;
    this.send(now);
    this.slot += this.period;
    // A client that fell more than a period behind drops the slots it missed rather than sending them in a burst:
    // the rate it reaches then shows the shortfall.
    if (this.slot < now - this.period) this.slot = now;
    this.schedule();
  }

  private send(now: number): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const id = this.nextId++;
    this.pending.set(id, now);
    this.counts.sent++;
    this.counts.inflight++;
    if (this.protocol === 'json') {
      // An unknown method: the room node answers it from the parser, without mediasoup or the room.
      this.socket.send(`{"id":${id},"method":"noSuchMethod","data":{}}`);
    } else {
      // LiveKit's ping with a timestamp, which the pong carries back: here it is the request's id.
      const ping = new SignalRequest({ message: { case: 'pingReq', value: { timestamp: BigInt(id) } } });
      this.socket.send(ping.toBinary());
    }
  }

  private answerId(raw: Buffer, binary: boolean): number | undefined {
    if (this.protocol === 'json') {
      if (binary) return undefined;
      const frame = JSON.parse(String(raw)) as { id?: unknown; notification?: unknown };
      return typeof frame.id === 'number' ? frame.id : undefined;
    }
    const message = SignalResponse.fromBinary(raw).message;
    return message.case === 'pongResp' ? Number(message.value.lastPingTimestamp) : undefined;
  }
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`the node refused the socket: HTTP ${res.statusCode}`)),
    );
  });
  return socket;
}

/** Resolves with the first frame the socket receives, or rejects when it closes or `JOIN_MS` passes first. */
function firstFrame(socket: WebSocket, identity: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${identity} got no join answer`)), JOIN_MS);
    socket.once('message', (raw: Buffer) => {
      clearTimeout(timer);
      resolve(raw);
    });
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`${identity} closed before it joined: ${code} ${reason}`));
    });
  });
}

async function join(spec: LoadSessionSpec, protocol: LoadProtocol): Promise<Session> {
  const base = `${spec.url.replace('http', 'ws')}/rtc?access_token=${spec.token}`;
  if (protocol === 'json') {
    const socket = await open(base);
    // Notifications of the room's other participants may come first: wait for the answer to the join itself.
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.identity} got no join answer`)), JOIN_MS);
      const onMessage = (raw: Buffer) => {
        const frame = JSON.parse(String(raw)) as { id?: number; ok?: boolean };
        if (frame.id !== 0) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        if (frame.ok) resolve();
        else reject(new Error(`${spec.identity} join refused: ${String(raw).slice(0, 200)}`));
      };
      socket.on('message', onMessage);
      socket.once('close', (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`${spec.identity} closed before it joined: ${code} ${reason}`));
      });
    });
    socket.send(JSON.stringify({ id: 0, method: 'join', data: {} }));
    await joined;
    return new Session(socket, protocol, spec.path);
  }
  const socket = await open(`${base}&protocol=17&sdk=js&auto_subscribe=0`);
  const first = SignalResponse.fromBinary(await firstFrame(socket, spec.identity)).message;
  if (first.case !== 'join') throw new Error(`${spec.identity}: the first frame was ${first.case}, not join`);
  return new Session(socket, protocol, spec.path);
}

const sessions: Session[] = [];

/** Joins every session, `concurrency` at a time, so that the nodes see a steady stream of joins. */
async function joinAll(specs: LoadSessionSpec[], protocol: LoadProtocol, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      sessions.push(await join(spec, protocol));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function snapshot(): LoadSnapshot {
  const copy = (c: PathCounts): PathCounts => ({ ...c, histogram: [...c.histogram] });
  return {
    paths: { direct: copy(counts.direct), bridged: copy(counts.bridged) },
    lateness: [...lateness],
    closes: { ...closes },
  };
}

process.on('disconnect', () => process.exit(0));
process.on('message', (message: ToLoadWorker) => {
  switch (message.type) {
    case 'join':
      joinAll(message.sessions, message.protocol, message.concurrency).then(
        () => tell({ type: 'joined', sessions: sessions.length }),
        (err: unknown) => tell({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
      );
      break;
    case 'rate':
      for (const session of sessions) session.pace(message.perSecond);
      break;
    case 'snapshot':
      tell({ type: 'snapshot', id: message.id, snapshot: snapshot() });
      break;
    case 'close':
      for (const session of sessions) session.close();
      setTimeout(() => process.exit(0), 500).unref();
      break;
  }
});
