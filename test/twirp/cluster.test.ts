import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { AccessToken, ParticipantInfo_State, RoomServiceClient, type TwirpError } from 'livekit-server-sdk';
import { WebSocket } from 'ws';
import { createToken } from '../../src/auth/token.js';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../../src/config/defaults.js';
import { SEED_REGIONS } from '../helpers/config.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { projectRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { collectOutput, exitedWithin, spawnTracked } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor, within } from '../helpers/wait.js';

/** A participant on /rtc: the socket, joined, and how it closed once it has. */
interface Joined {
  socket: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** How long the join, a close the test caused, or the example script may take before the test fails. */
const ANSWER_MS = 10_000;
const SCRIPT_MS = 60_000;

/** Opens /rtc on `nodeUrl` with `token` and joins; resolves once the join is answered ok. */
async function joinRoom(nodeUrl: string, token: string): Promise<Joined> {
  const socket = new WebSocket(
    `${nodeUrl.replace(/^http/, 'ws')}/rtc?access_token=${encodeURIComponent(token)}`,
    { handshakeTimeout: ANSWER_MS },
  );
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const answer = new Promise<{ ok: boolean; error?: unknown }>((resolve, reject) => {
    const onMessage = (data: unknown) => {
      const frame = JSON.parse(String(data));
      if (frame.id !== 1) return;
      socket.off('message', onMessage);
      resolve(frame);
    };
    socket.on('message', onMessage);
    closed.then(({ code, reason }) =>
      reject(new Error(`the socket closed before the join answer: ${code} ${reason}`)),
    );
  });
  socket.send(JSON.stringify({ id: 1, method: 'join', data: {} }));
  const joined = await within(answer, ANSWER_MS, `the answer to join on ${nodeUrl}`).catch((err) => {
    socket.terminate();
    throw err;
  });
  assert.ok(joined.ok, `join refused: ${JSON.stringify(joined.error)}`);
  return { socket, closed };
}

/** A join token made by the SDK's AccessToken, as an application server makes it. */
function sdkJoinToken(identity: string, room: string, name?: string): Promise<string> {
  const token = new AccessToken(TEST_KEY, TEST_SECRET, { identity, name, ttl: '10m' });
  token.addGrant({ roomJoin: true, room });
  return token.toJwt();
}

// Three nodes in two regions: A and C in us-west-2, B in us-east.
describe('Room API across a 3-node cluster, with the official SDK as the client', () => {
  let redis: TestRedis;
  let store: Redis;
  let dir: string;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  // Each node as soon as it runs: when one fails to start, the others must still be stopped.
  const started: TestNode[] = [];
  const client = (node: TestNode) => new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);

  /** The node hosting `room`, asked of every node's admin API (not of the store the API itself reads). */
  async function hostOf(room: string): Promise<TestNode[]> {
    const hosts: TestNode[] = [];
    for (const node of [a, b, c]) {
      const answer = await admin(node.url, 'GET', '/admin/rooms');
      if (answer.body.rooms.some((r: { name: string }) => r.name === room)) hosts.push(node);
    }
    return hosts;
  }

  before(async () => {
    redis = await startRedis();
    store = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await store.connect();
    dir = mkdtempSync(join(tmpdir(), 'lkc-twirp-cluster-'));
    const start = async (name: string, region: string) => {
      const port = await freePort();
      const config = nodeConfig({ port, redis: redis.address, region, regions: SEED_REGIONS });
      // The selector that ignores load: tests share a small, busy machine, and placement by region and load is
      // the placement tests' subject, not this file's. The region table stays for /settings/regions.
      config.node_selector = { kind: 'any', regions: SEED_REGIONS };
      const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port);
      started.push(node);
      return node;
    };
    [a, b, c] = await Promise.all([start('a', 'us-west-2'), start('b', 'us-east'), start('c', 'us-west-2')]);
    // Every node sees the other two before a test places anything.
    await waitFor(async () => (await store.hlen(`${PREFIX}nodes`)) === 3, { what: 'three registered nodes' });
  });

  after(async () => {
    await Promise.all(started.map((node) => node.stop()));
    store?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('creates through A, lists through B, lists participants through C, deletes through B', async () => {
    const created = await client(a).createRoom({
      name: 'tour',
      emptyTimeout: 300,
      maxParticipants: 9,
      metadata: 'x',
    });
    assert.match(created.sid, /^RM_/);
    const hosts = await hostOf('tour');
    assert.equal(hosts.length, 1);

    const listed = (await client(b).listRooms()).find((room) => room.name === 'tour');
    assert.ok(listed, 'B lists the room');
    assert.equal(listed.sid, created.sid);
    assert.equal(listed.maxParticipants, 9);
    assert.equal(listed.emptyTimeout, 300);
    assert.equal(listed.metadata, 'x');

    assert.deepEqual(await client(c).listParticipants('tour'), []);

    const record = JSON.parse((await store.hget(`${PREFIX}rooms`, 'tour')) ?? 'null');
    assert.equal(record.sid, created.sid);
    assert.equal(record.node_id, hosts[0]!.id);

    await client(b).deleteRoom('tour');
    assert.deepEqual(await hostOf('tour'), []);
    assert.equal(await store.hget(`${PREFIX}rooms`, 'tour'), null);
    assert.equal(await store.hget(`${PREFIX}room_node`, 'tour'), null);
    assert.equal((await client(c).listRooms(['tour'])).length, 0);
  });

  test('a second CreateRoom of the same name through another node returns the same room', async () => {
    const first = await client(a).createRoom({ name: 'same', emptyTimeout: 300 });
    const second = await client(b).createRoom({ name: 'same', emptyTimeout: 300 });
    const third = await client(c).createRoom({ name: 'same', emptyTimeout: 300 });
    assert.equal(second.sid, first.sid);
    assert.equal(third.sid, first.sid);
    assert.equal((await hostOf('same')).length, 1);
    await client(a).deleteRoom('same');
  });

  test('concurrent CreateRoom of one name through three nodes gives one sid on one node', async () => {
    const names = ['race-1', 'race-2', 'race-3', 'race-4', 'race-5'];
    const answers = await Promise.all(
      names.flatMap((name) => [a, b, c].map((node) => client(node).createRoom({ name, emptyTimeout: 300 }))),
    );
    for (const name of names) {
      const sids = new Set(answers.filter((room) => room.name === name).map((room) => room.sid));
      assert.equal(sids.size, 1, `${name} has one sid`);
      assert.equal((await hostOf(name)).length, 1, `${name} is open on one node`);
      const record = JSON.parse((await store.hget(`${PREFIX}rooms`, name)) ?? 'null');
      assert.equal(record.sid, [...sids][0]);
    }
    await Promise.all(names.map((name) => client(b).deleteRoom(name)));
  });

  test('node_id pins the room to a serving node, and an unknown node_id is placed as usual', async () => {
    const pinned = await client(a).createRoom({ name: 'pinned', nodeId: b.id, emptyTimeout: 300 });
    assert.deepEqual(await hostOf('pinned'), [b]);
    assert.equal((await client(c).listRooms(['pinned']))[0]?.sid, pinned.sid);

    await client(c).createRoom({ name: 'pin-to-nobody', nodeId: 'ND_doesnotexist', emptyTimeout: 300 });
    const [host] = await hostOf('pin-to-nobody');
    assert.ok(host);

    // LiveKit's Room message has no node; the answer names it in a header.
    const token = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      grant: { roomCreate: true },
    });
    const raw = await fetch(`${b.url}/twirp/livekit.RoomService/CreateRoom`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'pin-to-nobody' }),
    });
    assert.equal(raw.headers.get('x-lkc-node-id'), host.id);
    await Promise.all([client(a).deleteRoom('pinned'), client(a).deleteRoom('pin-to-nobody')]);
  });

  test('calls about a room hosted elsewhere go to its node: metadata updated through C shows through A', async () => {
    await client(a).createRoom({ name: 'meta', nodeId: b.id, emptyTimeout: 300 });
    const updated = await client(c).updateRoomMetadata('meta', 'from C');
    assert.equal(updated.metadata, 'from C');
    assert.equal((await client(a).listRooms(['meta']))[0]?.metadata, 'from C');
    await assert.rejects(client(a).getParticipant('meta', 'nobody'), (err: TwirpError) => {
      assert.equal(err.status, 404);
      assert.equal(err.code, 'not_found');
      return true;
    });
    await assert.rejects(
      client(c).removeParticipant('meta', 'nobody'),
      (err: TwirpError) => err.code === 'not_found',
    );
    await client(c).deleteRoom('meta');
    await assert.rejects(client(a).listParticipants('meta'), (err: TwirpError) => err.code === 'not_found');
  });

  test('every node refuses a wrong secret, an expired token and a missing grant with unauthenticated', async () => {
    const expired = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      grant: { roomList: true, roomCreate: true },
      ttlSeconds: -600,
      notBefore: Math.floor(Date.now() / 1000) - 3600,
    });
    const listOnly = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      grant: { roomList: true },
    });
    for (const node of [a, b, c]) {
      const refusals: Array<[string, () => Promise<unknown>]> = [
        ['wrong secret', () => new RoomServiceClient(node.url, TEST_KEY, 'z'.repeat(48)).listRooms()],
        [
          'expired',
          () => new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET, { token: expired }).listRooms(),
        ],
        [
          'missing grant',
          () =>
            new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET, { token: listOnly }).createRoom({
              name: 'nope',
            }),
        ],
      ];
      for (const [what, call] of refusals) {
        await assert.rejects(call(), (err: TwirpError) => {
          assert.equal(err.status, 401, `${what} through ${node.url}`);
          assert.equal(err.code, 'unauthenticated', what);
          return true;
        });
      }
    }
    assert.equal(await store.hget(`${PREFIX}room_node`, 'nope'), null);
  });

  test('GET /settings/regions lists one serving node per region, nearest to the answering node first', async () => {
    const token = await createToken({ apiKey: TEST_KEY, apiSecret: TEST_SECRET, grant: { roomList: true } });
    const fromB = await fetch(`${b.url}/settings/regions`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(fromB.status, 200);
    assert.match(fromB.headers.get('cache-control') ?? '', /^max-age=\d+$/);
    const { regions } = (await fromB.json()) as {
      regions: Array<{ region: string; url: string; distance: string }>;
    };
    assert.deepEqual(
      regions.map((r) => r.region),
      ['us-east', 'us-west-2'],
    );
    assert.equal(regions[0]!.url, b.url);
    assert.equal(regions[0]!.distance, '0');
    assert.ok([a.url, c.url].includes(regions[1]!.url));
    // us-east to us-west-2 (the seed's coordinates) is about 4,000 km.
    const km = Number(regions[1]!.distance) / 1000;
    assert.ok(km > 3500 && km < 4500, `distance ${km} km`);

    const fromA = await fetch(`${a.url}/settings/regions`, { headers: { authorization: `Bearer ${token}` } });
    const answer = (await fromA.json()) as { regions: Array<{ region: string }> };
    assert.deepEqual(
      answer.regions.map((r) => r.region),
      ['us-west-2', 'us-east'],
    );
  });

  test('the example script drives the cluster with nothing but livekit-server-sdk', async () => {
    const child = spawnTracked(
      process.execPath,
      [join(projectRoot, 'docs', 'examples', 'sdk-rooms.mjs'), a.url, b.url, c.url],
      { env: { ...process.env, LIVEKIT_API_KEY: TEST_KEY, LIVEKIT_API_SECRET: TEST_SECRET } },
    );
    const output = collectOutput(child);
    const { code } = await exitedWithin(child, SCRIPT_MS, 'the SDK example script to finish');
    assert.equal(code, 0, output.text());
    assert.match(output.text(), new RegExp(`created +sdk-example-\\w+ \\(RM_\\w+\\) through ${a.url}`));
    assert.match(output.text(), new RegExp(`listed +it through ${b.url}`));
    assert.match(output.text(), new RegExp(`deleted +it through ${b.url}`));
    assert.match(output.text(), /it is gone/);
  });

  test('sees a participant who joined through /rtc with an SDK token, from any node, and removes it', async () => {
    await client(a).createRoom({ name: 'joined', nodeId: c.id, emptyTimeout: 300 });
    // Through A: A bridges the session to C, which hosts the room.
    const alice = await joinRoom(a.url, await sdkJoinToken('alice', 'joined', 'Alice'));

    const [seen] = await client(b).listParticipants('joined');
    assert.ok(seen, 'B lists the participant');
    assert.equal(seen.identity, 'alice');
    assert.equal(seen.name, 'Alice');
    assert.equal(seen.state, ParticipantInfo_State.ACTIVE);
    assert.equal(seen.region, 'us-west-2');
    assert.match(seen.sid, /^PA_/);
    assert.ok(seen.joinedAt > 0n);
    assert.equal((await client(a).getParticipant('joined', 'alice')).sid, seen.sid);
    await waitFor(async () => (await client(b).listRooms(['joined']))[0]?.numParticipants === 1, {
      what: 'the room record to count the participant',
    });

    await client(b).removeParticipant('joined', 'alice');
    const closed = await within(alice.closed, ANSWER_MS, "alice's socket to close after RemoveParticipant");
    assert.equal(closed.code, 4003);
    assert.deepEqual(await client(c).listParticipants('joined'), []);

    const bob = await joinRoom(b.url, await sdkJoinToken('bob', 'joined'));
    assert.deepEqual(
      (await client(a).listParticipants('joined')).map((p) => p.identity),
      ['bob'],
    );
    await client(a).deleteRoom('joined');
    assert.equal((await within(bob.closed, ANSWER_MS, "bob's socket to close after DeleteRoom")).code, 4004);
  });
});
