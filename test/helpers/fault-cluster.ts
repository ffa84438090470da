import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { createToken } from '../../src/auth/token.js';
import { DEFAULT_KEY_PREFIX } from '../../src/config/defaults.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from './node-process.js';
import { freePort } from './ports.js';
import { exitedWithin } from './processes.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { waitFor, within } from './wait.js';

/** The key prefix the test nodes write under (nodeConfig's default). */
export const PREFIX = DEFAULT_KEY_PREFIX;
/** The test configs' node_stats (nodeConfig): a fault must be handled within these. */
export const UPDATE_INTERVAL_MS = 500;
export const LEASE_TTL_MS = 1500;

/** Real node processes over one private redis-server, and a plain client on that Redis to look at the state. */
export interface FaultCluster {
  redis: TestRedis;
  store: Redis;
  nodes: TestNode[];
  dir: string;
  /** Starts one more node on the cluster's Redis. */
  addNode(name: string, region?: string): Promise<TestNode>;
  /** The names of the rooms each node hosts, asked of its admin API (not of Redis). */
  hosted(node: TestNode): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts a redis-server and `count` nodes (one worker each, update_interval 0.5 s, lease_ttl 1.5 s). */
export async function startFaultCluster(
  count: number,
  label: string,
  env: NodeJS.ProcessEnv = {},
): Promise<FaultCluster> {
  const redis = await startRedis();
  // Commands fail fast while Redis is down instead of queueing: the tests poll through outages.
  const store = new Redis(redis.port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => 100,
  });
  store.on('error', () => {});
  await store.connect();
  const dir = mkdtempSync(join(tmpdir(), `lkc-${label}-`));
  const nodes: TestNode[] = [];
  const addNode = async (name: string, region = 'us-west-2') => {
    // A free port is free only until someone binds it: another file's process, or a sibling node's inspector
    // (`--inspect=127.0.0.1:0`) may take it first. The node then says so and exits, and a new port is tried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const node = await startNode(
          writeConfig(dir, `${name}.yaml`, nodeConfig({ port, redis: redis.address, region })),
          port,
          env,
        );
        nodes.push(node);
        return node;
      } catch (err) {
        if (attempt >= 3 || !/is already in use/.test((err as Error).message)) throw err;
      }
    }
  };
  const cluster: FaultCluster = {
    redis,
    store,
    nodes,
    dir,
    addNode,
    async hosted(node) {
      const answer = await admin(node.url, 'GET', '/admin/rooms');
      return (answer.body.rooms as Array<{ name: string }>).map((r) => r.name).sort();
    },
    async stop() {
      await Promise.all(
        nodes.map((n) => {
          // A node a test left paused must run again to hear its SIGTERM.
          if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGCONT');
          return n.stop();
        }),
      );
      store.disconnect();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => addNode(`node-${i}`)));
    await waitFor(async () => (await store.hlen(`${PREFIX}nodes`)) === count, {
      what: `${count} registered nodes`,
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Ends a node at once whatever its state (a stopped one is continued first so the kill lands). */
export async function killHard(node: TestNode): Promise<void> {
  const child = node.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exitedWithin(child, 5000, `the node at ${node.url} to die of SIGKILL`);
}

/** A join token for `identity` in `room`. */
export function joinToken(room: string, identity: string): Promise<string> {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room },
    ttlSeconds: 600,
  });
}

/** A participant joined over `/rtc`: its socket, the join answer, and how the socket closed once it has. */
export interface Participant {
  socket: WebSocket;
  /** The join answer's data: room, participant, and the node that hosts the room. */
  joined: { room: { name: string; sid: string }; node: { id: string; region: string } };
  closed(): { code: number; reason: string } | undefined;
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  /**
   * Sends a signalling request and resolves with its answer frame (ok or not); rejects when the socket closes
   * first or no answer comes within `timeoutMs`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: answers of every shape; the assertions check them
  request(method: string, data?: unknown, timeoutMs?: number): Promise<any>;
}

/** How long an answer or the opening handshake may take before the test fails instead of waiting on. */
const ANSWER_MS = 10_000;

/** Opens `/rtc` on `nodeUrl` and joins `room` as `identity`; rejects when the join is refused. */
export async function joinRoom(nodeUrl: string, room: string, identity: string): Promise<Participant> {
  const token = await joinToken(room, identity);
  const socket = new WebSocket(
    `${nodeUrl.replace(/^http/, 'ws')}/rtc?access_token=${encodeURIComponent(token)}`,
    { handshakeTimeout: ANSWER_MS },
  );
  let closed: { code: number; reason: string } | undefined;
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    socket.once('error', reject);
  });
  const waiting = new Map<
    number,
    // biome-ignore lint/suspicious/noExplicitAny: answers of every shape
    { method: string; resolve: (frame: any) => void; reject: (err: Error) => void }
  >();
  let nextId = 1;
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (typeof frame.id !== 'number') return;
    waiting.get(frame.id)?.resolve(frame);
    waiting.delete(frame.id);
  });
  const closedBefore = (method: string, id: number) =>
    new Error(
      `${identity}'s ${method} (id ${id}): the socket closed before the answer (${closed?.code} ${closed?.reason})`,
    );
  socket.on('close', () => {
    for (const [id, waiter] of waiting) waiter.reject(closedBefore(waiter.method, id));
    waiting.clear();
  });
  const request = (method: string, data: unknown = {}, timeoutMs = ANSWER_MS) => {
    const id = nextId++;
    if (closed) return Promise.reject(closedBefore(method, id));
    const answer = new Promise<{ ok: boolean; data?: unknown; error?: unknown }>((resolve, reject) => {
      waiting.set(id, { method, resolve, reject });
      socket.send(JSON.stringify({ id, method, data }));
    });
    return within(answer, timeoutMs, `${identity}'s answer to ${method} (id ${id})`).finally(() =>
      waiting.delete(id),
    );
  };
  const answer = (await request('join').catch((err) => {
    socket.terminate();
    throw err;
  })) as { ok: boolean; data?: Participant['joined']; error?: unknown };
  if (!answer.ok || !answer.data) {
    socket.terminate();
    throw new Error(`join refused: ${JSON.stringify(answer.error)}`);
  }
  return {
    socket,
    joined: answer.data,
    closed: () => closed,
    request,
    waitClosed: (timeoutMs = 10_000) =>
      waitFor(() => closed, { timeoutMs, what: `${identity}'s socket to close` }),
  };
}

/** Opens `/rtc` with `token` (and `query`, e.g. `&room=x`) expecting a refused upgrade; resolves with its status and body. */
export function rtcRefusal(
  nodeUrl: string,
  token: string,
  query = '',
): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(
    `${nodeUrl.replace(/^http/, 'ws')}/rtc?access_token=${encodeURIComponent(token)}${query}`,
    { handshakeTimeout: ANSWER_MS },
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('error', reject);
  });
}
