import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RoomServiceClient } from 'livekit-server-sdk';
import { defaultConfig } from '../../src/config/defaults.js';
import { type DelayProxy, startDelayProxy } from '../helpers/delay-proxy.js';
import { joinToken, PREFIX } from '../helpers/fault-cluster.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor, within } from '../helpers/wait.js';
import { type Frame, openSession, type WsSession } from '../helpers/ws-session.js';

/**
 * A distant Redis: region A's nodes talk to redis-server directly, region B's through a proxy that holds every
 * chunk D ms each way (no netem on this kernel). Everything runs at the default node_stats (update_interval 2 s,
 * lease_ttl 6 s), not the tests' short ones: what is checked is that the defaults hold with Redis far away.
 */
const [NEAR, FAR] = ['us-west-2', 'eu-central-1'];
const { update_interval: UPDATE_INTERVAL, lease_ttl: LEASE_TTL } = defaultConfig().node_stats;
/**
 * Each delay the joins, placement and relay are checked at (0 is the baseline for the figures); the leases are
 * then watched at the last one. LKC_DISTANT_DELAYS=0,200,400 tries others.
 */
const DELAYS = (process.env.LKC_DISTANT_DELAYS ?? '0,50,150').split(',').map(Number);
/** A join (open /rtc, then `join`) may take this long at the worst delay: about 10 round trips to Redis. */
const JOIN_BOUND_MS = 5000;
/** 50 rooms placed through 4 nodes at once (200 CreateRoom calls) may take this long. */
const PLACE_BOUND_MS = 10_000;
const ROOMS = 50;
const RELAYED = 200;
/** The window over which no lease may lapse at the last delay (the leases are watched all along besides). */
const LEASE_WINDOW_MS = 15_000;
/**
 * The delay each way that makes the round trip (0.32 of lease_ttl: 800 ms at the default 2.5 s) over a quarter of
 * the lease, yet under the heartbeat's 1 s timeout and half the lease (where the node would call itself unready).
 */
const SLOW_DELAY_MS = Math.round(LEASE_TTL * 1000 * 0.16);

interface Figures {
  delay: number;
  joins: Record<string, number>;
  placeMs: number;
  relayMs: number;
}

describe('a distant Redis: region B reaches Redis through a delay proxy, at the default lease', () => {
  let redis: TestRedis;
  let proxy: DelayProxy;
  let store: Redis;
  let watcher: Redis;
  let dir: string;
  let a1: TestNode;
  let a2: TestNode;
  let b1: TestNode;
  let b2: TestNode;
  const nodes: TestNode[] = [];
  const sessions: WsSession[] = [];
  /** Every message on the cluster's events channel (a swept node is `node.swept`). */
  const events: string[] = [];
  /** The lowest lease time left seen for each node, sampled in the background, and leases seen missing. */
  const leastLeaseMs = new Map<string, number>();
  const missing: string[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const figures: Figures[] = [];
  /** Where the new room of each delay was placed (by chance: kind any). */
  const landed = new Map<number, string>();

  before(async () => {
    redis = await startRedis();
    proxy = await startDelayProxy({ port: redis.port }, DELAYS[0]!);
    store = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    watcher = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
    for (const client of [store, watcher]) client.on('error', () => {});
    await Promise.all([store.connect(), watcher.connect()]);
    await watcher.subscribe(`${PREFIX}events`);
    watcher.on('message', (_channel, message) => events.push(message));
    dir = mkdtempSync(join(tmpdir(), 'lkc-distant-'));
    const start = async (name: string, region: string, address: string) => {
      const port = await freePort();
      const config = nodeConfig({ port, redis: address, region });
      // The defaults, not the tests' short interval and lease.
      delete config.node_stats;
      // Every live node, whatever the load: regionaware (and sysload) refuse every node once the 1-minute load
      // average passes the CPU count, as it does on the shared test machine. Contention is the same: each of
      // the four callers picks a node at random and the claim script settles it.
      config.node_selector = { kind: 'any' };
      const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port);
      nodes.push(node);
      return node;
    };
    [a1, a2, b1, b2] = await Promise.all([
      start('a1', NEAR!, redis.address),
      start('a2', NEAR!, redis.address),
      start('b1', FAR!, proxy.address),
      start('b2', FAR!, proxy.address),
    ]);
    await waitFor(async () => (await store.hlen(`${PREFIX}nodes`)) === 4, { what: '4 registered nodes' });
    sampler = setInterval(() => void sampleLeases(), 250);
  });

  after(async () => {
    clearInterval(sampler);
    for (const session of sessions) session.socket.terminate();
    // Stopping through a distant Redis only takes longer: bring it close first.
    proxy?.setDelay(0);
    await Promise.all(nodes.map((n) => n.stop()));
    store?.disconnect();
    watcher?.disconnect();
    await proxy?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function sampleLeases(): Promise<void> {
    try {
      for (const node of nodes) {
        const left = await store.pttl(`${PREFIX}alive:${node.id}`);
        if (left < 0) missing.push(`${node.id} at ${new Date().toISOString()} (pttl ${left})`);
        else leastLeaseMs.set(node.id, Math.min(leastLeaseMs.get(node.id) ?? Infinity, left));
      }
    } catch {
      // the store client is ours and local; a failed sample is only a missed one
    }
  }

  function name(node: TestNode): string {
    return ['a1', 'a2', 'b1', 'b2'][[a1, a2, b1, b2].indexOf(node)] ?? node.id;
  }

  /** Opens /rtc on `through` and joins `room`; resolves with the session, its answer and how long it took. */
  async function joinVia(through: TestNode, room: string, identity: string) {
    const startedAt = performance.now();
    const session = await openSession(through.url, await joinToken(room, identity));
    sessions.push(session);
    const answer = await session.request('join', undefined, JOIN_BOUND_MS * 2);
    const ms = performance.now() - startedAt;
    assert.equal(
      answer.ok,
      true,
      `join of ${room} through ${name(through)}: ${JSON.stringify(answer.error)}`,
    );
    return { session, answer, ms };
  }

  async function host(node: TestNode, room: string): Promise<void> {
    const created = await admin(node.url, 'POST', '/admin/rooms', { name: room });
    assert.equal(created.status, 200, JSON.stringify(created.body));
  }

  async function hosted(node: TestNode): Promise<string[]> {
    const answer = await admin(node.url, 'GET', '/admin/rooms');
    return (answer.body.rooms as Array<{ name: string }>).map((r) => r.name);
  }

  /** Joins through the far nodes and from a near node into a far room: direct, bridged and freshly placed. */
  async function joins(delay: number): Promise<Record<string, number>> {
    await host(b1, `b1-room-${delay}`);
    await host(a1, `a1-room-${delay}`);
    const cases: Array<[string, TestNode, string, TestNode | undefined]> = [
      ['direct on a far node', b1, `b1-room-${delay}`, b1],
      ['bridged: far node to a near room', b1, `a1-room-${delay}`, a1],
      ['bridged: near node to a far room', a2, `b1-room-${delay}`, b1],
      ['new room placed from a far node', b2, `fresh-${delay}`, undefined],
      ['direct on a near node', a1, `a1-room-${delay}`, a1],
    ];
    const times: Record<string, number> = {};
    for (const [what, through, room, roomNode] of cases) {
      const { answer, ms } = await joinVia(through, room, `${what.replace(/\W+/g, '-')}-${delay}`);
      if (roomNode) assert.equal(answer.data.node.id, roomNode.id, `${what}: the room's node answers`);
      else {
        assert.equal(await store.hget(`${PREFIX}room_node`, room), answer.data.node.id, `${what}: mapped`);
        landed.set(delay, name([a1, a2, b1, b2].find((n) => n.id === answer.data.node.id)!));
      }
      assert.ok(ms < JOIN_BOUND_MS, `${what} at ${delay} ms took ${ms.toFixed(0)} ms`);
      times[what] = ms;
    }
    return times;
  }

  /** 50 rooms created through every node at once; each must land on exactly one node, and every caller agree. */
  async function placement(delay: number): Promise<number> {
    const rooms = Array.from({ length: ROOMS }, (_, i) => `placed-${delay}-${i}`);
    const clients = nodes.map((n) => new RoomServiceClient(n.url, TEST_KEY, TEST_SECRET));
    const startedAt = performance.now();
    const answers = await within(
      Promise.all(clients.map((c) => Promise.all(rooms.map((room) => c.createRoom({ name: room }))))),
      PLACE_BOUND_MS * 2,
      `${ROOMS} rooms created through 4 nodes at once`,
    );
    const ms = performance.now() - startedAt;
    const mapping = await store.hgetall(`${PREFIX}room_node`);
    const memberships = await Promise.all(nodes.map((n) => store.smembers(`${PREFIX}node_rooms:${n.id}`)));
    const hostedBy = await Promise.all(nodes.map(hosted));
    for (const [i, room] of rooms.entries()) {
      const holder = mapping[room];
      assert.ok(holder, `${room} is mapped`);
      const holders = nodes.filter((_, n) => memberships[n]!.includes(room)).map((n) => n.id);
      assert.deepEqual(holders, [holder], `${room} is in exactly one node's room set`);
      const hosts = nodes.filter((_, n) => hostedBy[n]!.includes(room)).map((n) => n.id);
      assert.deepEqual(hosts, [holder], `${room} is open on exactly its mapped node`);
      const sids = new Set(answers.map((perClient) => perClient[i]!.sid));
      assert.equal(sids.size, 1, `every caller got the same room for ${room}: ${[...sids].join(', ')}`);
    }
    assert.ok(ms < PLACE_BOUND_MS, `placing took ${ms.toFixed(0)} ms`);
    return ms;
  }

  /** 200 requests at once over a bridge whose far end reaches Redis through the proxy: answers in order. */
  async function relay(delay: number): Promise<number> {
    const { session } = await joinVia(b2, `a2-relay-${delay}`, `relay-${delay}`);
    const transport = await session.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(transport.ok, true, JSON.stringify(transport.error));
    const transportId = transport.data.id as string;
    const firstId = transport.id + 1;
    const startedAt = performance.now();
    const answers = await within(
      Promise.all(
        Array.from({ length: RELAYED }, () =>
          session.request('restartIce', { transportId }, JOIN_BOUND_MS * 4),
        ),
      ),
      JOIN_BOUND_MS * 4,
      `${RELAYED} relayed answers`,
    );
    const ms = performance.now() - startedAt;
    const ids = session.frames
      .filter((f: Frame) => typeof f.id === 'number' && f.id >= firstId)
      .map((f: Frame) => f.id);
    assert.deepEqual(
      ids,
      Array.from({ length: RELAYED }, (_, i) => firstId + i),
      'the answers came in the order of the requests, with their ids',
    );
    for (const answer of answers) assert.equal(answer.ok, true, JSON.stringify(answer.error));
    return ms;
  }

  for (const delay of DELAYS) {
    it(`at ${delay} ms each way: joins through the far nodes, atomic placement from both regions, an ordered relay`, async (t) => {
      proxy.setDelay(delay);
      if (delay === DELAYS.at(-1)) leaseWindowFrom = Date.now();
      const joinTimes = await joins(delay);
      await host(a2, `a2-relay-${delay}`);
      const placeMs = await placement(delay);
      const relayMs = await relay(delay);
      figures.push({ delay, joins: joinTimes, placeMs, relayMs });
      for (const [what, ms] of Object.entries(joinTimes))
        t.diagnostic(`${delay} ms: join ${what}: ${ms.toFixed(0)} ms`);
      t.diagnostic(`${delay} ms: ${ROOMS} rooms through 4 nodes at once: ${placeMs.toFixed(0)} ms`);
      t.diagnostic(`${delay} ms: ${RELAYED} relayed restartIce in order: ${relayMs.toFixed(0)} ms`);
      t.diagnostic(`load average ${loadAverage()}`);
    });
  }

  let leaseWindowFrom = 0;

  it(`holds every lease at the defaults (update_interval ${UPDATE_INTERVAL} s, lease_ttl ${LEASE_TTL} s) over ${LEASE_WINDOW_MS / 1000} s at ${DELAYS.at(-1)} ms each way`, async (t) => {
    assert.equal(proxy.delayMs, DELAYS.at(-1));
    const left = leaseWindowFrom + LEASE_WINDOW_MS - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    await sampleLeases();
    assert.deepEqual(missing, [], 'no lease ran out');
    assert.deepEqual(
      events.filter((e) => e.includes('swept')),
      [],
      'no node was swept',
    );
    for (const node of nodes) {
      assert.equal(await store.hget(`${PREFIX}node_state`, node.id), 'serving', `${name(node)} serves`);
      assert.doesNotMatch(
        node.output(),
        /swept|lease had expired|heartbeat failed|registering again/,
        name(node),
      );
    }
    for (const node of nodes)
      t.diagnostic(
        `${name(node)}: least lease left seen ${leastLeaseMs.get(node.id)} ms of ${LEASE_TTL * 1000}`,
      );
  });

  it('warns, naming the round trip and the lease, when the round trip to Redis nears the lease', async (t) => {
    leastLeaseMs.clear();
    // Only what the nodes say from now on counts.
    const seen = new Map(nodes.map((n) => [n, n.output().length]));
    const said = (node: TestNode) => node.output().slice(seen.get(node));
    proxy.setDelay(SLOW_DELAY_MS);
    const warning = new RegExp(`redis round trip (\\d+) ms is over a quarter of lease_ttl ${LEASE_TTL} s`);
    for (const far of [b1, b2]) {
      const line = await waitFor(
        () =>
          said(far)
            .split('\n')
            .find((l) => warning.test(l)),
        {
          timeoutMs: 3 * (UPDATE_INTERVAL * 1000 + 2 * SLOW_DELAY_MS),
          what: `${name(far)} to warn about its round trip at ${SLOW_DELAY_MS} ms each way`,
        },
      );
      t.diagnostic(`${name(far)}: ${line.trim()}`);
      // A heartbeat under way when the delay rose may be the one: over the quarter, if not yet the whole round trip.
      const named = Number(warning.exec(line)![1]);
      assert.ok(named > (LEASE_TTL * 1000) / 4 && named < 2 * SLOW_DELAY_MS + 1000, `it names ${named} ms`);
    }
    for (const near of [a1, a2]) assert.doesNotMatch(said(near), warning, `${name(near)} is near`);
    // Warned, not lost: the lease still holds at this round trip (each renewal a round trip after the last).
    await sampleLeases();
    assert.deepEqual(missing, [], 'no lease ran out');
    for (const far of [b1, b2])
      t.diagnostic(
        `${name(far)}: least lease left seen at ${SLOW_DELAY_MS} ms each way: ${leastLeaseMs.get(far.id)} ms`,
      );
    proxy.setDelay(DELAYS.at(-1)!);
  });

  // The figures for BENCHMARKS.md ("Distant Redis"), one line per delay.
  after(() => {
    const cpu = cpus();
    const columns = ['delay each way', ...Object.keys(figures[0]?.joins ?? {}).map((k) => `join ${k}`)];
    console.log(
      `machine: ${cpu[0]?.model} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load average ${loadAverage()} at the end`,
    );
    console.log([...columns, `${ROOMS} rooms x 4 nodes`, `${RELAYED} relayed`, 'new room on'].join(' | '));
    for (const f of figures)
      console.log(
        [`${f.delay} ms`, ...Object.values(f.joins), f.placeMs, f.relayMs, landed.get(f.delay) ?? '?']
          .map((v) => (typeof v === 'number' ? `${v.toFixed(0)} ms` : v))
          .join(' | '),
      );
  });
});

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
