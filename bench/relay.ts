// Signal relay benchmark: round-trip latency of one signalling request sent straight to the room's node versus
// through a bridge node (client -> node S -> Redis -> node R -> Redis -> node S -> client), side by side in one
// run: two real node processes on a private redis-server, the requests of both paths interleaved one at a time.
// `--protocol livekit` sends LiveKit's protobuf frames instead of our JSON ones (a ping answered by a pong).
// Run by hand: `npm run build && node dist/bench/relay.js [--requests 10000] [--method restartIce|unknown]
// [--protocol json|livekit]`. With `--sessions N` it runs under load instead (bench/relay-load.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import Table from 'cli-table3';
import { WebSocket } from 'ws';
import { type LocalRedis, startLocalRedis } from '../src/supervisor/local-redis.js';
import { arg } from './args.js';
import { percentile } from './figures.js';
import { machineLine } from './machine.js';
import { runRelayLoad } from './relay-load.js';
import { createRoom, joinToken, startNode, stopChildren } from './relay-nodes.js';

const ROOM = 'bench-room';

const REQUESTS = Number(arg('requests', '10000'));
const WARMUP = Math.min(1000, Math.ceil(REQUESTS / 10));
const METHOD = arg('method', 'restartIce');
const PROTOCOL = arg('protocol', 'json');
if (PROTOCOL !== 'json' && PROTOCOL !== 'livekit') {
  console.error(`error: --protocol takes json or livekit, not "${PROTOCOL}"`);
  process.exit(2);
}

/** One joined participant that makes one signalling round trip at a time. */
interface Client {
  roundTrip(): Promise<void>;
  close(): void;
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Our JSON protocol: join, a receive transport, then METHOD (restartIce on that transport, or an unknown one). */
async function jsonClient(url: string, identity: string): Promise<Client> {
  const socket = await open(
    `${url.replace('http', 'ws')}/rtc?access_token=${await joinToken(ROOM, identity)}`,
  );
  const waiting = new Map<number, (frame: { ok: boolean; data?: { id?: string } }) => void>();
  socket.on('message', (raw) => {
    const frame = JSON.parse(String(raw));
    if (frame.notification) return;
    waiting.get(frame.id)?.(frame);
    waiting.delete(frame.id);
  });
  let next = 1;
  const request = (method: string, data: unknown) =>
    new Promise<{ ok: boolean; data?: { id?: string } }>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, data }));
    });
  const joined = await request('join', {});
  if (!joined.ok) throw new Error(`${identity} join failed: ${JSON.stringify(joined)}`);
  const transport = await request('createWebRtcTransport', { direction: 'recv' });
  const method = METHOD === 'restartIce' ? 'restartIce' : 'noSuchMethod';
  const args = METHOD === 'restartIce' ? { transportId: transport.data?.id } : {};
  return {
    roundTrip: async () => {
      await request(method, args);
    },
    close: () => socket.close(1000),
  };
}

/** LiveKit's protocol as its clients speak it: joined on connect (the first frame), then ping answered by pong. */
async function liveKitClient(url: string, identity: string): Promise<Client> {
  const query = `access_token=${await joinToken(ROOM, identity)}&protocol=17&sdk=js&auto_subscribe=1`;
  const socket = await open(`${url.replace('http', 'ws')}/rtc?${query}`);
  let answered: (() => void) | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    answered = resolve;
    socket.once('close', (code, reason) => reject(new Error(`${identity} closed: ${code} ${reason}`)));
  });
  socket.on('message', (raw: Buffer) => {
    const message = SignalResponse.fromBinary(raw).message;
    // Updates, offers and the like are not answers to the ping in flight.
    if (message.case === 'join' || message.case === 'pong' || message.case === 'pongResp') answered?.();
  });
  await joined;
  const ping = () => new SignalRequest({ message: { case: 'ping', value: BigInt(Date.now()) } }).toBinary();
  return {
    roundTrip: () =>
      new Promise<void>((resolve) => {
        answered = resolve;
        socket.send(ping());
      }),
    close: () => socket.close(1000),
  };
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1)!,
    mean,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-relay-'));
  let redis: LocalRedis | undefined;
  try {
    redis = await startLocalRedis();
    const redisPort = redis.port;
    const room = await startNode(dir, 'room', redisPort, 43000);
    const bridge = await startNode(dir, 'bridge', redisPort, 43100);
    await createRoom(room, ROOM);

    const connect = PROTOCOL === 'livekit' ? liveKitClient : jsonClient;
    const paths = {
      direct: await connect(room.url, 'direct'),
      bridged: await connect(bridge.url, 'bridged'),
    };
    const samples: Record<'direct' | 'bridged', number[]> = { direct: [], bridged: [] };
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      // Alternate the two paths so that both meet the same machine at the same moments.
      const order: ('direct' | 'bridged')[] = i % 2 === 0 ? ['direct', 'bridged'] : ['bridged', 'direct'];
      for (const name of order) {
        const started = process.hrtime.bigint();
        await paths[name].roundTrip();
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (i >= WARMUP) samples[name].push(ms);
      }
    }
    for (const client of Object.values(paths)) client.close();

    const direct = summary(samples.direct);
    const bridged = summary(samples.bridged);
    const table = new Table({
      head: ['path', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms'],
      // Plain text, so that the table pastes into BENCHMARKS.md as it is.
      style: { head: [], border: [] },
    });
    const row = (name: string, s: ReturnType<typeof summary>) =>
      [name, REQUESTS, s.p50, s.p90, s.p99, s.max, s.mean].map((v) =>
        typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v),
      );
    table.push(row('direct to the room node', direct), row('through a bridge node', bridged));
    table.push([
      'bridge adds',
      '',
      `+${(bridged.p50 - direct.p50).toFixed(3)}`,
      `+${(bridged.p90 - direct.p90).toFixed(3)}`,
      `+${(bridged.p99 - direct.p99).toFixed(3)}`,
      '',
      `+${(bridged.mean - direct.mean).toFixed(3)}`,
    ]);
    table.push([
      'ratio bridged/direct',
      '',
      (bridged.p50 / direct.p50).toFixed(2),
      (bridged.p90 / direct.p90).toFixed(2),
      (bridged.p99 / direct.p99).toFixed(2),
      '',
      (bridged.mean / direct.mean).toFixed(2),
    ]);
    const request =
      PROTOCOL === 'livekit'
        ? 'LiveKit ping -> pong (protobuf, binary frames)'
        : `"${METHOD === 'restartIce' ? 'restartIce' : 'noSuchMethod'}" (JSON)`;
    console.log(
      `signal relay: request ${request}, ${REQUESTS} per path after ${WARMUP} warm-up, one in flight, paths interleaved`,
    );
    console.log(machineLine());
    console.log(table.toString());
    const target = bridged.p50 - direct.p50 <= 1;
    console.log(`target (bridge adds at most 1 ms at p50): ${target ? 'met' : 'NOT met'}`);
  } finally {
    await stopChildren();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--sessions')) await runRelayLoad();
else await main();
