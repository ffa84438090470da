import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TokenClaims } from '../../src/auth/token.js';
import { RelayEndpoint, type RelayEndpointOptions } from '../../src/relay/relay-endpoint.js';
import type { RelaySession } from '../../src/relay/relay-session.js';
import { RedisRouter } from '../../src/routing/redis-router.js';
import type { Router } from '../../src/routing/types.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import type { SignalFrame } from '../../src/signal/transport.js';
import { attach, connectRouter } from '../helpers/cluster-bus.js';
import { askRedis, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const claims = (identity: string): TokenClaims => ({
  apiKey: 'devkey',
  identity,
  video: { roomJoin: true, room: 'r1' },
  expiresAt: 0,
});

describe('relay sessions hold frames while their bus is down, within bounds', () => {
  let redis: TestRedis;
  const routers: Router[] = [];
  const endpoints: RelayEndpoint[] = [];
  let nextNode = 0;
  /** Bus state as each endpoint last heard it, to wait on. */
  const busUp = new Map<RelayEndpoint, boolean>();

  /** An endpoint wired to its Redis connection as a node wires it: the bus is down while the client is. */
  async function node(options: Partial<RelayEndpointOptions> = {}): Promise<RelayEndpoint> {
    const router = await connectRouter(redis.port);
    routers.push(router);
    const endpoint = new RelayEndpoint({
      nodeId: `hold-${++nextNode}`,
      bus: router,
      heartbeatMs: 100,
      peerTimeoutMs: 500,
      gapTimeoutMs: 300,
      ...options,
    });
    assert.ok(router instanceof RedisRouter);
    busUp.set(endpoint, true);
    router.client.on('close', () => {
      busUp.set(endpoint, false);
      endpoint.setBusUp(false);
    });
    router.client.on('ready', () => {
      busUp.set(endpoint, true);
      endpoint.setBusUp(true);
    });
    await attach(router, endpoint);
    endpoint.start();
    endpoints.push(endpoint);
    return endpoint;
  }

  /** A signal endpoint with a session open on an echoing room endpoint. */
  async function pair(hold: RelayEndpointOptions['hold']) {
    const accepted: RelaySession[] = [];
    const room = await node({
      hold,
      onOpen: (session) => {
        accepted.push(session);
        session.onFrame((frame) => session.send(`echo:${frame}`));
      },
    });
    const signal = await node({ hold });
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'ann', claims: claims('ann') });
    const echoes: SignalFrame[] = [];
    let closed: { code: number; reason: string } | undefined;
    session.onFrame((frame) => echoes.push(frame));
    session.onClose((code, reason) => {
      closed = { code, reason };
    });
    session.send('hello');
    await waitFor(() => echoes.length === 1, { what: 'the first echo' });
    return { signal, room, session, echoes, closed: () => closed };
  }

  async function redisDown(...nodes: RelayEndpoint[]): Promise<void> {
    await redis.kill();
    await waitFor(() => nodes.every((n) => busUp.get(n) === false), {
      what: 'both endpoints to lose the bus',
    });
  }

  /** Restarts redis-server empty; resolves once both endpoints have their bus and their subscription back. */
  async function redisUp(...nodes: RelayEndpoint[]): Promise<void> {
    await redis.restart();
    const channels = nodes.map((n) => `{lkc}:node:${n.nodeId}`);
    // Waiting for the resubscriptions too keeps a later kill from cutting one short (ioredis leaves that unhandled).
    await waitFor(
      async () => {
        if (!nodes.every((n) => busUp.get(n) === true)) return false;
        const counts = await askRedis<Array<string | number>>(redis.port, 'PUBSUB', 'NUMSUB', ...channels);
        return counts.filter((_, i) => i % 2 === 1).every((n) => Number(n) >= 1);
      },
      { timeoutMs: 10_000, what: 'both endpoints to have the bus and their subscriptions again' },
    );
  }

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const endpoint of endpoints) endpoint.stop();
    for (const router of routers) await router.close();
    await redis.stop();
  });

  it('sends the held frames in order, before newer ones, once the bus returns, with nothing lost or repeated', async () => {
    const { signal, room, session, echoes, closed } = await pair(undefined);
    await redisDown(signal, room);
    for (let i = 1; i <= 100; i++) session.send(`during-${i}`);
    assert.equal(session.held, 100);
    await redisUp(signal, room);
    for (let i = 1; i <= 100; i++) session.send(`after-${i}`);
    await waitFor(() => echoes.length === 201 || closed(), { timeoutMs: 10_000, what: '201 echoes' });
    assert.equal(closed(), undefined, JSON.stringify(closed()));
    const expected = [
      'hello',
      ...Array.from({ length: 100 }, (_, i) => `during-${i + 1}`),
      ...Array.from({ length: 100 }, (_, i) => `after-${i + 1}`),
    ];
    assert.deepEqual(
      echoes,
      expected.map((f) => `echo:${f}`),
    );
    assert.equal(session.held, 0);
    session.close(CloseCode.NORMAL, 'done');
  });

  it('closes with 4005 naming the byte bound once the held frames pass it', async () => {
    const { signal, room, session, closed } = await pair({ bytes: 4096 });
    await redisDown(signal, room);
    for (let i = 0; i < 5 && !closed(); i++) session.send('x'.repeat(1000));
    const end = await waitFor(() => closed(), { what: 'the session to close' });
    assert.equal(end.code, CloseCode.RELAY_BROKEN);
    assert.match(end.reason, /held more than 4096 bytes of frames/);
    await redisUp(signal, room);
  });

  it('closes with 4005 naming the time bound when the bus stays away longer than it', async () => {
    const { signal, room, session, closed } = await pair({ ms: 800 });
    await redisDown(signal, room);
    const heldAt = Date.now();
    session.send('late');
    const end = await waitFor(() => closed(), { timeoutMs: 5000, what: 'the session to close' });
    const afterMs = Date.now() - heldAt;
    assert.equal(end.code, CloseCode.RELAY_BROKEN);
    assert.match(end.reason, /held frames for more than 0\.8 s/);
    assert.ok(afterMs >= 800, `closed after ${afterMs} ms, before the bound`);
    await redisUp(signal, room);
  });
});
