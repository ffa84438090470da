import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RoomServiceClient } from 'livekit-server-sdk';
import {
  type FaultCluster,
  joinRoom,
  joinToken,
  LEASE_TTL_MS,
  type Participant,
  PREFIX,
  rtcRefusal,
  startFaultCluster,
  UPDATE_INTERVAL_MS,
} from '../helpers/fault-cluster.js';
import { admin, get, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

const OUTAGE_MS = 10_000;
const ROOM_COUNT = 20;
// Timers of busy node processes on a small shared machine fire late; the allowance is for that, not for the rule.
const SCHEDULING_ALLOWANCE_MS = 500;
/** A new placement during the outage must fail within this (the node's store calls time out after 2 s). */
const PLACEMENT_FAILS_WITHIN_MS = 5000;

const roomName = (i: number) => `room-${String(i).padStart(2, '0')}`;

describe('Redis outages under 3 nodes and 20 rooms', () => {
  let cluster: FaultCluster;
  let nodes: TestNode[];
  /** room -> the node that hosts it, before the outage. */
  const hostOf = new Map<string, string>();
  let alice: Participant;
  let carol: Participant;
  let bob: Participant | undefined;

  before(async () => {
    cluster = await startFaultCluster(3, 'redis-outage');
    nodes = cluster.nodes;
    for (let i = 0; i < ROOM_COUNT; i++) {
      const node = nodes[i % nodes.length]!;
      const created = await admin(node.url, 'POST', '/admin/rooms', { name: roomName(i) });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      hostOf.set(roomName(i), node.id);
    }
    // Alice is on her room's node; Carol's socket is on node 2 and her room on node 1 (bridged over the bus).
    alice = await joinRoom(nodes[0]!.url, roomName(0), 'alice');
    carol = await joinRoom(nodes[2]!.url, roomName(1), 'carol');
    assert.equal(carol.joined.node.id, nodes[1]!.id, 'carol is bridged');
  });

  after(async () => {
    for (const p of [alice, bob, carol]) p?.socket.terminate();
    await cluster?.stop();
  });

  it('kill -9 for 10 s, restarted empty: keeps serving, then re-asserts every room on its own node within two update intervals', async (t) => {
    const killedAt = Date.now();
    await cluster.redis.kill();

    // Not ready, with the reason; alive all the same.
    for (const node of nodes) {
      const down = await waitFor(
        async () => {
          const ready = await get(`${node.url}/readyz`);
          return ready.status === 503 ? ready : undefined;
        },
        { timeoutMs: 5000, what: `${node.url}/readyz to say not ready` },
      );
      assert.match(down.body.reason, /redis/, 'the reason names Redis');
      assert.equal((await get(`${node.url}/healthz`)).status, 200, '/healthz stays OK');
    }

    // The rooms a node hosts keep working: requests of a joined participant, and new joins.
    const transport = await alice.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(transport.ok, true, JSON.stringify(transport.error));
    bob = await joinRoom(nodes[0]!.url, roomName(0), 'bob');
    assert.equal(bob.joined.node.id, nodes[0]!.id);

    // A new placement fails with a clear error, and soon.
    const sdk = new RoomServiceClient(nodes[0]!.url, TEST_KEY, TEST_SECRET);
    let began = Date.now();
    await assert.rejects(sdk.createRoom({ name: 'new-during-outage' }), (err: Error) => {
      assert.match(err.message, /redis/i);
      assert.doesNotMatch(err.message, /maxRetriesPerRequest|Refer to/, "in our words, not ioredis'");
      return true;
    });
    const sdkFailedInMs = Date.now() - began;
    assert.ok(sdkFailedInMs < PLACEMENT_FAILS_WITHIN_MS, `CreateRoom failed after ${sdkFailedInMs} ms`);
    began = Date.now();
    const token = await joinToken('not-hosted-anywhere', 'dave');
    const refused = await rtcRefusal(nodes[1]!.url, token);
    assert.equal(refused.status, 503);
    assert.match(refused.body, /redis/i);
    assert.doesNotMatch(refused.body, /maxRetriesPerRequest|Refer to/, "in our words, not ioredis'");
    assert.ok(
      Date.now() - began < PLACEMENT_FAILS_WITHIN_MS,
      'a join that needs a placement is refused soon',
    );
    t.diagnostic(`CreateRoom during the outage failed after ${sdkFailedInMs} ms`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + OUTAGE_MS - Date.now())));
    assert.equal(alice.closed(), undefined, 'a direct session lives through the outage');
    assert.equal(carol.closed(), undefined, 'an idle bridged session lives through the outage');

    // Nothing is persisted (--save ''): it comes back empty.
    await cluster.redis.restart();
    const returnedAt = Date.now();
    const roomNode = await waitFor(
      async () => {
        const mapping = await cluster.store.hgetall(`${PREFIX}room_node`);
        const registered = await cluster.store.hlen(`${PREFIX}nodes`);
        const complete =
          registered === nodes.length && [...hostOf].every(([room, host]) => mapping[room] === host);
        return complete ? mapping : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'every node registered and every room re-asserted' },
    );
    const backInMs = Date.now() - returnedAt;
    t.diagnostic(`all ${ROOM_COUNT} rooms re-asserted ${backInMs} ms after Redis returned`);
    assert.ok(
      backInMs <= 2 * UPDATE_INTERVAL_MS + SCHEDULING_ALLOWANCE_MS,
      `re-asserted ${backInMs} ms after Redis returned; the bound is two update intervals`,
    );

    // Every room mapped once, to the node that hosts it; every node's room set matches what it hosts.
    assert.equal(Object.keys(roomNode).length, ROOM_COUNT, 'no room mapped that no node hosts');
    const seen = new Set<string>();
    for (const node of nodes) {
      const hosted = await cluster.hosted(node);
      for (const room of hosted) {
        assert.ok(!seen.has(room), `${room} is hosted twice`);
        seen.add(room);
        assert.equal(roomNode[room], node.id);
      }
      const set = (await cluster.store.smembers(`${PREFIX}node_rooms:${node.id}`)).sort();
      assert.deepEqual(set, hosted, `the room set of ${node.id}`);
    }
    assert.equal(seen.size, ROOM_COUNT);
    // The room records come back with the mappings, each written by the room's node.
    await waitFor(
      async () => {
        const records = await cluster.store.hgetall(`${PREFIX}rooms`);
        return [...hostOf].every(
          ([room, host]) => records[room] && JSON.parse(records[room]).node_id === host,
        );
      },
      { timeoutMs: 5000, what: 'every room record written back by its node' },
    );

    for (const node of nodes)
      await waitFor(async () => (await get(`${node.url}/readyz`)).status === 200, {
        timeoutMs: 5000,
        what: `${node.url} ready again`,
      });
    assert.equal(alice.closed(), undefined);
    assert.equal(bob.closed(), undefined);
    const bridged = await carol.request('createWebRtcTransport', { direction: 'recv' });
    assert.equal(bridged.ok, true, 'the bridged session carries requests again');
  });

  it('sweeps nobody when Redis pauses past every lease and a node comes back after the others', async (t) => {
    const swept: string[] = [];
    const events = new Redis(cluster.redis.port, '127.0.0.1');
    events.on('message', (_channel, message) => swept.push(JSON.parse(message).node));
    await events.subscribe(`${PREFIX}events`);
    const late = nodes[2]!;
    try {
      const before = await cluster.store.hgetall(`${PREFIX}room_node`);
      // Redis and one node stop; when Redis runs again, every lease has expired, and that node is still away.
      late.child.kill('SIGSTOP');
      cluster.redis.process.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 2 * UPDATE_INTERVAL_MS));
      cluster.redis.process.kill('SIGCONT');
      // The others are back at once; the late one within a lease, as after a partition heals unevenly.
      await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS / 2));
      late.child.kill('SIGCONT');
      const back = await waitFor(
        async () => {
          const alive = await Promise.all(nodes.map((n) => cluster.store.exists(`${PREFIX}alive:${n.id}`)));
          return alive.every((a) => a === 1) ? Date.now() : undefined;
        },
        { timeoutMs: 10_000, what: 'every node to renew its lease' },
      );
      // Give a sweeper every chance to act: more than a lease and an interval.
      await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + UPDATE_INTERVAL_MS));
      t.diagnostic(`every lease renewed; ${Date.now() - back} ms later, ${swept.length} nodes swept`);
      assert.deepEqual(swept, [], 'no node declared another dead');
      assert.equal(await cluster.store.hlen(`${PREFIX}nodes`), nodes.length);
      assert.deepEqual(await cluster.store.hgetall(`${PREFIX}room_node`), before, 'every mapping kept');
      assert.equal(carol.closed(), undefined, 'the bridged session lives on');
      assert.equal(alice.closed(), undefined);
    } finally {
      events.disconnect();
    }
  });
});
