import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CloseCode } from '../../src/signal/close-codes.js';
import {
  type FaultCluster,
  joinRoom,
  type Participant,
  PREFIX,
  startFaultCluster,
} from '../helpers/fault-cluster.js';
import { admin, get, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

describe('a node cut off longer than its lease (SIGSTOP, then SIGCONT)', () => {
  let cluster: FaultCluster;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  let alice: Participant;
  let kate: Participant;

  before(async () => {
    cluster = await startFaultCluster(3, 'node-pause');
    [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    for (const room of ['taken', 'kept']) {
      const created = await admin(a.url, 'POST', '/admin/rooms', { name: room });
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
    alice = await joinRoom(a.url, 'taken', 'alice');
    kate = await joinRoom(a.url, 'kept', 'kate');
  });

  after(async () => {
    alice?.socket.terminate();
    kate?.socket.terminate();
    await cluster?.stop();
  });

  it('gives up the room another node took meanwhile, closing its sessions with the reason, keeps the others and registers again', async () => {
    a.child.kill('SIGSTOP');
    await waitFor(async () => (await cluster.store.hexists(`${PREFIX}nodes`, a.id)) === 0, {
      timeoutMs: 10_000,
      what: 'the paused node to be swept as dead',
    });
    assert.equal(await cluster.store.hget(`${PREFIX}room_node`, 'taken'), null);

    // Someone creates "taken" again while A sleeps: it goes to a live node.
    const sdk = new RoomServiceClient(b.url, TEST_KEY, TEST_SECRET);
    await sdk.createRoom({ name: 'taken' });
    const taker = await cluster.store.hget(`${PREFIX}room_node`, 'taken');
    assert.ok(taker === b.id || taker === c.id, `taken went to a live node, not ${taker}`);

    a.child.kill('SIGCONT');
    const closed = await alice.waitClosed(10_000);
    assert.equal(closed.code, CloseCode.ROOM_MOVED, 'alice is told to rejoin');
    assert.match(closed.reason, new RegExp(`taken by node ${taker} while this node was cut off`));

    await waitFor(
      async () =>
        (await cluster.store.hexists(`${PREFIX}nodes`, a.id)) === 1 &&
        (await cluster.store.exists(`${PREFIX}alive:${a.id}`)) === 1,
      { timeoutMs: 5000, what: 'A to register again with a live lease' },
    );
    await waitFor(async () => (await cluster.store.hget(`${PREFIX}room_node`, 'kept')) === a.id, {
      timeoutMs: 5000,
      what: 'A to re-assert the room nobody took',
    });
    await waitFor(
      async () => JSON.parse((await cluster.store.hget(`${PREFIX}rooms`, 'kept')) ?? '{}').node_id === a.id,
      { timeoutMs: 5000, what: 'A to write the record of the room it kept back' },
    );
    assert.equal(await cluster.store.hget(`${PREFIX}room_node`, 'taken'), taker, 'taken stays where it went');
    assert.equal((await cluster.store.smembers(`${PREFIX}node_rooms:${a.id}`)).includes('taken'), false);
    const record = JSON.parse((await cluster.store.hget(`${PREFIX}rooms`, 'taken')) ?? '{}');
    assert.equal(record.node_id, taker, 'A left the new host’s room record alone');
    assert.deepEqual(await cluster.hosted(a), ['kept'], 'A closed its copy of the taken room');

    assert.equal(kate.closed(), undefined, 'the session of the room A kept lives on');
    const answer = await kate.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(answer.ok, true);
    await waitFor(async () => (await get(`${a.url}/readyz`)).status === 200, {
      timeoutMs: 5000,
      what: 'A ready again',
    });

    const back = await joinRoom(a.url, 'taken', 'alice');
    assert.equal(back.joined.node.id, taker, 'rejoining through A reaches the room on its new node');
    back.socket.terminate();
  });
});
