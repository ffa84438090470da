import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CloseCode } from '../../src/signal/close-codes.js';
import {
  type FaultCluster,
  joinRoom,
  LEASE_TTL_MS,
  PREFIX,
  startFaultCluster,
  UPDATE_INTERVAL_MS,
} from '../helpers/fault-cluster.js';
import { admin, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

// Timers of busy node processes on a small shared machine fire late; the allowance is for that, not for the rule.
const SCHEDULING_ALLOWANCE_MS = 500;
const ROOMS = ['room-0', 'room-1', 'room-2', 'room-3', 'room-4'];

describe('kill -9 of a node while the cluster runs', () => {
  let cluster: FaultCluster;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  let events: Redis;
  const heard: Array<{ at: number; event: { node: string; rooms: string[]; by: string } }> = [];

  before(async () => {
    cluster = await startFaultCluster(3, 'node-kill');
    [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    events = new Redis(cluster.redis.port, '127.0.0.1');
    events.on('message', (_channel, message) => heard.push({ at: Date.now(), event: JSON.parse(message) }));
    await events.subscribe(`${PREFIX}events`);
  });

  after(async () => {
    events?.disconnect();
    await cluster?.stop();
  });

  it('sweeps the dead node within lease_ttl + one update interval, frees its rooms, and tells a bridged client why', async (t) => {
    for (const room of ROOMS) {
      const created = await admin(a.url, 'POST', '/admin/rooms', { name: room });
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
    // Alice's socket is on B; her room is on A, so B bridges her session to A.
    const alice = await joinRoom(b.url, 'room-0', 'alice');
    assert.equal(alice.joined.node.id, a.id);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await waitFor(
      async () => {
        const [registered, mapped] = await Promise.all([
          cluster.store.hexists(`${PREFIX}nodes`, a.id),
          cluster.store.hmget(`${PREFIX}room_node`, ...ROOMS),
        ]);
        return registered === 0 && mapped.every((holder) => holder === null);
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the dead node and its room mappings to be swept' },
    );
    const sweptInMs = Date.now() - killedAt;
    const bound = LEASE_TTL_MS + UPDATE_INTERVAL_MS;
    t.diagnostic(`swept ${sweptInMs} ms after kill -9 (lease_ttl + update interval = ${bound} ms)`);
    assert.ok(
      sweptInMs <= bound + SCHEDULING_ALLOWANCE_MS,
      `swept ${sweptInMs} ms after the kill; the bound is ${bound} ms`,
    );
    assert.equal(await cluster.store.hlen(`${PREFIX}rooms`), 0, 'the dead node’s room records are gone too');

    const swept = heard.find((h) => h.event.node === a.id);
    assert.ok(swept, 'every node hears of the sweep on the events channel');
    assert.deepEqual([...swept.event.rooms].sort(), ROOMS);
    assert.ok([b.id, c.id].includes(swept.event.by), 'one of the live nodes swept it');
    assert.equal(heard.filter((h) => h.event.node === a.id).length, 1, 'swept once');

    // The sweep event reaches B before the relay's heartbeats would find A silent.
    const closed = await alice.waitClosed(5000);
    assert.equal(closed.code, CloseCode.ROOM_NODE_GONE);
    assert.match(closed.reason, /died \(its lease expired; node ND_\w+ removed it\): rejoin/);
  });

  it('lets the SDK create the dead node’s room again on a live node, and the participant rejoin', async () => {
    const sdk = new RoomServiceClient(b.url, TEST_KEY, TEST_SECRET);
    const room = await sdk.createRoom({ name: 'room-1' });
    assert.match(room.sid, /^RM_/);
    const holder = await cluster.store.hget(`${PREFIX}room_node`, 'room-1');
    assert.ok(holder === b.id || holder === c.id, `room-1 is on a live node, not ${holder}`);
    const listed = await sdk.listRooms(['room-1']);
    assert.deepEqual(
      listed.map((r) => r.name),
      ['room-1'],
    );

    const alice = await joinRoom(c.url, 'room-0', 'alice');
    assert.ok([b.id, c.id].includes(alice.joined.node.id), 'room-0 lives on a live node now');
    assert.equal(alice.joined.room.name, 'room-0');
    alice.socket.close();
  });
});
