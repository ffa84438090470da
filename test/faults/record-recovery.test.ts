import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Room, RoomServiceClient } from 'livekit-server-sdk';
import type { RoomRecord } from '../../src/records.js';
import {
  type FaultCluster,
  LEASE_TTL_MS,
  PREFIX,
  startFaultCluster,
  UPDATE_INTERVAL_MS,
} from '../helpers/fault-cluster.js';
import { nodeConfig, TEST_KEY, TEST_SECRET, type TestNode, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

const ROOM_COUNT = 20;
// Timers of busy node processes on a small shared machine fire late; the allowance is for that, not for the rule.
const SCHEDULING_ALLOWANCE_MS = 500;
/** Records come back with the mappings: within a few update intervals of the store (or the node) returning. */
const RECORDS_BACK_WITHIN_MS = 3 * UPDATE_INTERVAL_MS + SCHEDULING_ALLOWANCE_MS;

const roomName = (i: number) => `record-${String(i).padStart(2, '0')}`;

/**
 * The room records (what ListRooms, `room list` and `room show` report) are written back whenever a node
 * re-asserts its rooms: after Redis came back empty, and after the node's lease ran out while it was paused and
 * the sweeper deleted its mappings and records.
 */
describe('room records after the store or the lease was lost (3 nodes, 20 rooms)', () => {
  let cluster: FaultCluster;
  let nodes: TestNode[];
  let clients: RoomServiceClient[];
  /** room -> its sid, as CreateRoom answered it. */
  const sidOf = new Map<string, string>();

  /** ListRooms through `client`: name -> sid. */
  const listed = async (client: RoomServiceClient) =>
    new Map((await client.listRooms()).map((r: Room) => [r.name, r.sid]));

  /** ListRooms through every node lists every one of `rooms` with the sid it was created with. */
  const everyNodeLists = async (rooms: string[]) => {
    for (const client of clients) {
      const byName = await listed(client);
      if (!rooms.every((room) => byName.get(room) === sidOf.get(room))) return false;
    }
    return true;
  };

  before(async () => {
    cluster = await startFaultCluster(3, 'record-recovery');
    nodes = cluster.nodes;
    clients = nodes.map((n) => new RoomServiceClient(n.url, TEST_KEY, TEST_SECRET));
    for (let i = 0; i < ROOM_COUNT; i++) {
      const room = await clients[i % clients.length]!.createRoom({ name: roomName(i), emptyTimeout: 600 });
      assert.ok(room.sid, `${roomName(i)} has a sid`);
      sidOf.set(roomName(i), room.sid);
    }
    assert.ok(await everyNodeLists([...sidOf.keys()]), 'every node lists the 20 rooms before any fault');
  });

  after(async () => {
    await cluster?.stop();
  });

  it('kill -9 of redis-server, restarted empty on the same port: ListRooms through every node lists all 20 again, same sids', async (t) => {
    await cluster.redis.kill();
    // Every node notices (its reports fail) before the store returns.
    for (const node of nodes)
      await waitFor(async () => (await fetch(`${node.url}/readyz`)).status === 503, {
        timeoutMs: 5000,
        what: `${node.url} to notice the outage`,
      });
    await cluster.redis.restart();
    const returnedAt = Date.now();
    // Nothing is persisted (--save ''): it comes back empty. The test's own client reconnects on its own.
    await waitFor(() => cluster.store.ping(), { timeoutMs: 5000, what: 'the test client to reconnect' });

    await waitFor(() => everyNodeLists([...sidOf.keys()]), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: `ListRooms through every node to list all ${ROOM_COUNT} rooms again with their sids`,
    });
    const backInMs = Date.now() - returnedAt;
    t.diagnostic(
      `all ${ROOM_COUNT} room records listed through every node ${backInMs} ms after Redis returned`,
    );
    assert.ok(
      backInMs <= RECORDS_BACK_WITHIN_MS,
      `records listed ${backInMs} ms after Redis returned; the bound is ${RECORDS_BACK_WITHIN_MS} ms`,
    );

    // Each record is written by the node the room is mapped to, and only once per room.
    const mapping = await cluster.store.hgetall(`${PREFIX}room_node`);
    const records = await cluster.store.hgetall(`${PREFIX}rooms`);
    assert.deepEqual(Object.keys(records).sort(), [...sidOf.keys()].sort(), 'one record per room, no other');
    for (const [room, json] of Object.entries(records)) {
      const record = JSON.parse(json) as RoomRecord;
      assert.equal(record.node_id, mapping[room], `the record of ${room} names its node`);
      assert.equal(record.sid, sidOf.get(room), `the record of ${room} keeps its sid`);
    }
  });

  it('SIGSTOP of a room’s node past its lease, then SIGCONT: ListRooms lists its rooms again (same sids) and the records are back in Redis', async (t) => {
    // A room of its own, so that this case does not lean on the one before.
    const room = 'paused-host-room';
    const created = await clients[0]!.createRoom({ name: room, emptyTimeout: 600 });
    sidOf.set(room, created.sid);
    const hostId = await cluster.store.hget(`${PREFIX}room_node`, room);
    const host = nodes.find((n) => n.id === hostId);
    assert.ok(host, `${room} is mapped to a test node, not ${hostId}`);
    const hostIndex = nodes.indexOf(host);
    const others = clients.filter((_, i) => i !== hostIndex);
    // The host's rooms that every node lists before the pause: each must be listed again after it.
    const mapped = await cluster.store.smembers(`${PREFIX}node_rooms:${host.id}`);
    const before = await listed(clients[0]!);
    const hostRooms = mapped.filter((r) => before.get(r) === sidOf.get(r)).sort();
    assert.ok(hostRooms.includes(room), `${room} is listed before the pause`);
    assert.ok(await everyNodeLists(hostRooms), 'every node lists the host’s rooms before the pause');

    host.child.kill('SIGSTOP');
    let continued = false;
    try {
      await waitFor(async () => (await cluster.store.hexists(`${PREFIX}nodes`, host.id)) === 0, {
        timeoutMs: 10_000,
        what: 'the paused node to be swept as dead',
      });
      // The sweeper took its mappings and records with it: nobody lists them now.
      for (const r of hostRooms) {
        assert.equal(await cluster.store.hget(`${PREFIX}room_node`, r), null, `${r} unmapped by the sweep`);
        assert.equal(await cluster.store.hget(`${PREFIX}rooms`, r), null, `the record of ${r} swept`);
      }
      for (const client of others) {
        const byName = await listed(client);
        assert.equal(byName.has(room), false, 'a swept room is not listed');
      }
      // Paused longer than its lease, whatever the sweeper's timing.
      await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS));
      host.child.kill('SIGCONT');
      continued = true;
    } finally {
      if (!continued) host.child.kill('SIGCONT');
    }
    const resumedAt = Date.now();

    await waitFor(() => everyNodeLists(hostRooms), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: `ListRooms through every node to list the rooms of the resumed node again (${hostRooms.length})`,
    });
    const backInMs = Date.now() - resumedAt;
    t.diagnostic(
      `the ${hostRooms.length} records of the resumed node listed again ${backInMs} ms after SIGCONT`,
    );
    assert.ok(
      backInMs <= RECORDS_BACK_WITHIN_MS,
      `records listed ${backInMs} ms after SIGCONT; the bound is ${RECORDS_BACK_WITHIN_MS} ms`,
    );
    assert.deepEqual(
      (await cluster.hosted(host)).filter((r) => hostRooms.includes(r)),
      hostRooms,
      'the rooms ran on through the pause',
    );
    for (const r of hostRooms) {
      assert.equal(await cluster.store.hget(`${PREFIX}room_node`, r), host.id, `${r} re-asserted`);
      const json = await cluster.store.hget(`${PREFIX}rooms`, r);
      assert.ok(json, `the record of ${r} is back in Redis`);
      const record = JSON.parse(json) as RoomRecord;
      assert.equal(record.node_id, host.id);
      assert.equal(record.sid, sidOf.get(r), `the record of ${r} keeps its sid`);
    }

    // The CLI reads the same record: node, sid and participants, not "no record yet".
    const cliConfig = writeConfig(
      cluster.dir,
      'cli.yaml',
      nodeConfig({ port: await freePort(), redis: cluster.redis.address }),
    );
    const shown = await runCli(['room', 'show', room, '--json', '-c', cliConfig]);
    assert.equal(shown.code, 0, shown.stderr);
    const listing = JSON.parse(shown.stdout);
    assert.equal(listing.node_id, host.id);
    assert.equal(listing.record?.sid, sidOf.get(room), '`room show` shows the record');
    assert.equal(listing.record?.num_participants, 0);
  });
});
