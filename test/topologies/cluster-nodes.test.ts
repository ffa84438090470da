import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { RoomServiceClient } from 'livekit-server-sdk';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../../src/config/defaults.js';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import { joinToken } from '../helpers/fault-cluster.js';
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
import { startCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { waitFor, within } from '../helpers/wait.js';
import { openSession, type WsSession } from '../helpers/ws-session.js';

describe('three node processes on a 3-master Redis Cluster', () => {
  let cluster: TestCluster;
  let store: Cluster;
  let dir: string;
  let nodes: TestNode[] = [];
  const started: TestNode[] = [];
  const sessions: WsSession[] = [];

  before(async () => {
    cluster = await startCluster(3);
    store = new Cluster(
      cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      { lazyConnect: true },
    );
    store.on('error', () => {});
    await store.connect();
    dir = mkdtempSync(join(tmpdir(), 'lkc-topo-cluster-'));
    const sysload = join(dir, 'sysload');
    writeSysload(sysload, 0.1);
    const start = async (name: string, seed: string[]) => {
      const port = await freePort();
      // Each node is given one master or all: it finds the others from the cluster's slot map.
      const config = { ...nodeConfig({ port }), redis: { cluster_addresses: seed, key_prefix: PREFIX } };
      // A load the machine's cannot change: on a busy CI box a node's real sysload went over the limit of 1 and
      // all 8 contested rooms went to the one node still under it (seen once on Node 24).
      const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port, fakeSysloadEnv(sysload));
      started.push(node);
      return node;
    };
    const [first, second, third] = cluster.addresses as [string, string, string];
    nodes = await Promise.all([
      start('a', [first]),
      start('b', [second]),
      start('c', [first, second, third]),
    ]);
  });

  after(async () => {
    for (const s of sessions) s.socket.terminate();
    await Promise.all(started.map((n) => n.stop()));
    store?.disconnect();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The nodes whose admin API lists `room`. */
  async function hosts(room: string): Promise<string[]> {
    const found: string[] = [];
    for (const node of nodes) {
      const listed = await admin(node.url, 'GET', '/admin/rooms');
      if ((listed.body.rooms as Array<{ name: string }>).some((r) => r.name === room)) found.push(node.id);
    }
    return found;
  }

  it('registers every node, all keys in the one slot of the prefix', async () => {
    await waitFor(async () => (await store.hlen(`${PREFIX}nodes`)) === 3, { what: 'three registered nodes' });
    const slot = await store.cluster('KEYSLOT', `${PREFIX}nodes`);
    for (const node of nodes) {
      assert.equal(await store.exists(`${PREFIX}alive:${node.id}`), 1);
      assert.equal(await store.cluster('KEYSLOT', `${PREFIX}alive:${node.id}`), slot);
    }
  });

  it('places each room on one node when all three create it at once', async (t) => {
    const sdk = nodes.map((n) => new RoomServiceClient(n.url, TEST_KEY, TEST_SECRET));
    const names = Array.from({ length: 8 }, (_, i) => `contested-${i}`);
    const answers = await within(
      Promise.all(
        names.flatMap((name) => sdk.map((client) => client.createRoom({ name, emptyTimeout: 300 }))),
      ),
      30_000,
      '24 CreateRoom calls',
    );
    const perNode = new Map<string, number>();
    for (const name of names) {
      const sids = new Set(answers.filter((r) => r.name === name).map((r) => r.sid));
      assert.equal(sids.size, 1, `${name}: every caller got the same room`);
      const holder = await store.hget(`${PREFIX}room_node`, name);
      assert.deepEqual(await hosts(name), [holder], `${name}: mapped to ${holder}`);
      perNode.set(holder!, (perNode.get(holder!) ?? 0) + 1);
    }
    t.diagnostic(`rooms per node: ${[...perNode.values()].join(', ')}`);
    assert.ok(perNode.size > 1, 'the contested rooms spread over more than one node');
  });

  it('bridges a session joined through B to the room on A, both ways over the bus', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    const created = await admin(a.url, 'POST', '/admin/rooms', { name: 'over-cluster' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const carol = await openSession(b.url, await joinToken('over-cluster', 'carol'));
    sessions.push(carol);
    const joined = await carol.request('join');
    assert.equal(joined.ok, true, JSON.stringify(joined.error));
    assert.equal(joined.data.node.id, a.id, 'bridged to A');
    const transport = await carol.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(transport.ok, true, JSON.stringify(transport.error));
    // Room node -> bridge: a direct join on A reaches carol as a notification.
    const alice = await openSession(a.url, await joinToken('over-cluster', 'alice'));
    sessions.push(alice);
    assert.equal((await alice.request('join')).ok, true);
    await waitFor(
      () =>
        carol.frames.some(
          (f) =>
            f.notification && f.method === 'participantJoined' && f.data?.participant?.identity === 'alice',
        ),
      { what: "alice's join to reach carol through the bridge" },
    );
    assert.equal(carol.closed(), undefined);
    // More bridged joins through B and C: each one's open and first frames must reach A in order.
    for (let i = 0; i < 8; i++) {
      const via = nodes[1 + (i % 2)]!;
      const guest = await openSession(via.url, await joinToken('over-cluster', `guest-${i}`));
      sessions.push(guest);
      const answer = await guest.request('join');
      assert.equal(answer.ok, true, `guest-${i} through ${via.id}: ${JSON.stringify(answer.error)}`);
      assert.equal(answer.data.node.id, a.id);
      assert.equal((await guest.request('createWebRtcTransport', { direction: 'recv' })).ok, true);
    }
  });
});
