import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '../../src/signal/close-codes.js';
import {
  type FaultCluster,
  joinRoom,
  type Participant,
  startFaultCluster,
} from '../helpers/fault-cluster.js';
import { admin, get, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

/** Longer than the relay's gap timeout (2 s) and peer timeout (3.5 s): neither may judge an outage. */
const OUTAGE_MS = 5000;
/** A held request waits out the outage and Redis's return (up to 10 s for the nodes to be ready again). */
const HELD_ANSWER_MS = OUTAGE_MS + 30_000;
/** The frames a bridged session holds at most while Redis is away (the relay's DEFAULT_HOLD). */
const HOLD_FRAMES = 512;
const ROOM = 'held-room';

/** Every frame a participant's socket receives, in arrival order. */
// biome-ignore lint/suspicious/noExplicitAny: frames of every shape; the assertions check them
function record(p: Participant): any[] {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const frames: any[] = [];
  p.socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  return frames;
}

describe('bridged sessions across a Redis outage', () => {
  let cluster: FaultCluster;
  let roomNode: TestNode;
  let bridgeNode: TestNode;
  const people: Participant[] = [];

  before(async () => {
    cluster = await startFaultCluster(2, 'relay-outage');
    [roomNode, bridgeNode] = cluster.nodes as [TestNode, TestNode];
    const created = await admin(roomNode.url, 'POST', '/admin/rooms', { name: ROOM });
    assert.equal(created.status, 200, JSON.stringify(created.body));
  });

  after(async () => {
    for (const p of people) p.socket.terminate();
    await cluster?.stop();
  });

  /** How many participants the room node holds in the room, asked of its admin API (not of Redis). */
  async function participants(): Promise<number> {
    const answer = await admin(roomNode.url, 'GET', '/admin/rooms');
    const rooms = answer.body.rooms as Array<{ name: string; participants: number }>;
    return rooms.find((r) => r.name === ROOM)?.participants ?? 0;
  }

  /** Kills redis-server and waits until every node has noticed. */
  async function redisDown(): Promise<void> {
    await cluster.redis.kill();
    for (const node of cluster.nodes)
      await waitFor(async () => (await get(`${node.url}/readyz`)).status === 503, {
        timeoutMs: 5000,
        what: `${node.url} to notice Redis is gone`,
      });
  }

  /** Restarts redis-server empty and waits until every node is ready again. */
  async function redisUp(): Promise<void> {
    await cluster.redis.restart();
    for (const node of cluster.nodes)
      await waitFor(async () => (await get(`${node.url}/readyz`)).status === 200, {
        timeoutMs: 10_000,
        what: `${node.url} ready again`,
      });
  }

  it('holds requests and notifications both ways while Redis is down, and delivers them in order when it returns', async (t) => {
    const carol = await joinRoom(bridgeNode.url, ROOM, 'carol');
    people.push(carol);
    assert.equal(carol.joined.node.id, roomNode.id, 'carol is bridged');
    const frames = record(carol);

    await redisDown();
    const outageAt = Date.now();
    // Client -> room node: two requests the room node must answer.
    const first = carol.request('createWebRtcTransport', { direction: 'send' }, HELD_ANSWER_MS);
    const second = carol.request('createWebRtcTransport', { direction: 'recv' }, HELD_ANSWER_MS);
    // Room node -> client: a direct join on the room node notifies carol while her bridge has no bus.
    const alice = await joinRoom(roomNode.url, ROOM, 'alice');
    people.push(alice);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageAt + OUTAGE_MS - Date.now())));
    assert.equal(frames.length, 0, 'nothing reaches carol while Redis is down');
    assert.equal(carol.closed(), undefined, 'the bridged session lives through the outage');
    assert.equal(await participants(), 2, 'carol is still a participant on the room node');

    await redisUp();
    const returnedAt = Date.now();
    const [a, b] = await Promise.all([first, second]);
    t.diagnostic(`held answers arrived ${Date.now() - returnedAt} ms after Redis was ready again`);
    assert.equal(a.ok, true, JSON.stringify(a.error));
    assert.equal(b.ok, true, JSON.stringify(b.error));
    await waitFor(() => frames.length >= 3, { what: 'the held notification and both answers' });
    // The room node sent the notification first (the requests were still held on the bridge node).
    assert.deepEqual(
      frames.map((f) =>
        typeof f.id === 'number' ? `answer ${f.id}` : `${f.method}:${f.data?.participant?.identity}`,
      ),
      ['participantJoined:alice', 'answer 2', 'answer 3'],
    );
    assert.equal(carol.closed(), undefined, 'no 4005');
    assert.equal(await participants(), 2);
    const after = await carol.request('createWebRtcTransport', { direction: 'recv' });
    assert.equal(after.ok, true, 'the session carries new requests after the held ones');
    assert.equal(after.id, 4);
  });

  it(`closes a bridged session with 4005 naming the bound once it holds more than ${HOLD_FRAMES} frames`, async () => {
    const dave = await joinRoom(bridgeNode.url, ROOM, 'dave');
    people.push(dave);
    assert.equal(dave.joined.node.id, roomNode.id, 'dave is bridged');
    const before = await participants();

    await redisDown();
    for (let i = 0; i <= HOLD_FRAMES; i++)
      dave.request('createWebRtcTransport', { direction: 'recv' }).catch(() => {});
    const closed = await dave.waitClosed(5000);
    assert.equal(closed.code, CloseCode.RELAY_BROKEN);
    assert.match(closed.reason, new RegExp(`held more than ${HOLD_FRAMES} frames`));

    // The room node learns once the bus is back: the bridge node's beat no longer lists the session.
    await redisUp();
    await waitFor(async () => (await participants()) === before - 1, {
      timeoutMs: 10_000,
      what: "dave's participant to leave the room node",
    });
  });
});
