import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TokenClaims } from '../../src/auth/token.js';
import { RelayEndpoint, type RelayEndpointOptions } from '../../src/relay/relay-endpoint.js';
import { encodeRelayMessage } from '../../src/relay/relay-messages.js';
import type { RelaySession } from '../../src/relay/relay-session.js';
import type { Router } from '../../src/routing/types.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import type { SignalFrame } from '../../src/signal/transport.js';
import { attach, connectRouter } from '../helpers/cluster-bus.js';
import { collectOutput, spawnTracked, stopProcess } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/relay-node.js', import.meta.url));
const claims = (identity: string): TokenClaims => ({
  apiKey: 'devkey',
  identity,
  video: { roomJoin: true, room: 'r1' },
  expiresAt: 0,
});

interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** Records what a session receives and how it ends. */
function watch(session: RelaySession): { frames: SignalFrame[]; closed: () => Closed | undefined } {
  const frames: SignalFrame[] = [];
  let closed: Closed | undefined;
  session.onFrame((frame) => frames.push(frame));
  session.onClose((code, reason) => {
    closed = { code, reason, at: Date.now() };
  });
  return { frames, closed: () => closed };
}

describe('relay endpoints over the Redis router on a real redis-server', () => {
  let redis: TestRedis;
  const routers: Router[] = [];
  const endpoints: RelayEndpoint[] = [];
  const children: ChildProcess[] = [];
  let nextNode = 0;

  /** An endpoint in this process, listening on its own node channel. */
  async function node(options: Partial<RelayEndpointOptions> = {}): Promise<RelayEndpoint> {
    const router = await connectRouter(redis.port);
    routers.push(router);
    const endpoint = new RelayEndpoint({
      nodeId: `node-${++nextNode}`,
      bus: router,
      heartbeatMs: 100,
      peerTimeoutMs: 500,
      gapTimeoutMs: 300,
      ...options,
    });
    await attach(router, endpoint);
    endpoint.start();
    endpoints.push(endpoint);
    return endpoint;
  }

  /** A room node that hands every accepted session to `accepted`, and echoes frames when `echo` is set. */
  async function roomNode(
    accepted: RelaySession[],
    echo = true,
    options: Partial<RelayEndpointOptions> = {},
  ) {
    return node({
      ...options,
      onOpen: (session) => {
        accepted.push(session);
        if (echo) session.onFrame((frame) => session.send(`echo:${frame}`));
      },
    });
  }

  /** A node process running the fixture; resolves once it is subscribed. */
  async function childNode(args: string[]) {
    const child = spawnTracked(process.execPath, [FIXTURE, ...args]);
    children.push(child);
    const output = collectOutput(child);
    await waitFor(() => output.text().includes('ready'), { what: `fixture ${args.join(' ')} ready` });
    return { child, output };
  }

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const endpoint of endpoints) endpoint.stop();
    for (const router of routers) await router.close();
    for (const child of children) await stopProcess(child, 1000);
    await redis.stop();
  });

  it('relays 10,000 frames each way in send order, none lost', async () => {
    const accepted: RelaySession[] = [];
    // Liveness is not what this test is about: a busy machine must not time the peers out mid-burst.
    const patient = { peerTimeoutMs: 30_000 };
    const room = await roomNode(accepted, true, patient);
    const signal = await node(patient);
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'alice', claims: claims('alice') });
    const seen = watch(session);
    const sent = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ id: i, method: 'leave' }));
    for (const frame of sent) session.send(frame);
    await waitFor(() => seen.frames.length === sent.length || seen.closed(), {
      timeoutMs: 60_000,
      what: '10,000 echoes',
    });
    assert.equal(
      seen.closed(),
      undefined,
      `closed after ${seen.frames.length} echoes: ${JSON.stringify(seen.closed())}`,
    );
    assert.deepEqual(
      seen.frames,
      sent.map((frame) => `echo:${frame}`),
    );
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].identity, 'alice');
    assert.deepEqual(accepted[0].claims, claims('alice'));
    assert.equal(accepted[0].framesDelivered, 10_000);
    session.close(CloseCode.NORMAL, 'done');
  });

  it("relays binary frames (LiveKit's protobuf) byte for byte and in order, mixed with text frames", async () => {
    const accepted: RelaySession[] = [];
    const room = await node({
      peerTimeoutMs: 30_000,
      onOpen: (session) => {
        accepted.push(session);
        // Binary echoes come back reversed, so that a frame passed through unchanged cannot pass by accident.
        session.onFrame((frame) =>
          session.send(typeof frame === 'string' ? `echo:${frame}` : Uint8Array.from(frame).reverse()),
        );
      },
    });
    const signal = await node({ peerTimeoutMs: 30_000 });
    const session = signal.open(room.nodeId, { room: 'r-bin', identity: 'bin', claims: claims('bin') });
    const seen = watch(session);
    const sent: SignalFrame[] = Array.from({ length: 500 }, (_, i) =>
      i % 3 === 0 ? `text ${i}` : Uint8Array.from({ length: 1 + (i % 300) }, (_, j) => (i * 7 + j) & 0xff),
    );
    for (const frame of sent) session.send(frame);
    await waitFor(() => seen.frames.length === sent.length || seen.closed(), {
      timeoutMs: 30_000,
      what: '500 echoes',
    });
    assert.equal(seen.closed(), undefined);
    assert.deepEqual(
      seen.frames.map((frame) => (typeof frame === 'string' ? frame : [...frame])),
      sent.map((frame) => (typeof frame === 'string' ? `echo:${frame}` : [...frame].reverse())),
    );
    assert.ok(
      seen.frames.every((frame, i) => typeof frame === typeof sent[i]),
      'a binary frame stays binary',
    );
    session.close(CloseCode.NORMAL, 'done');
  });

  it('tells the room node at once when the client goes', async () => {
    const accepted: RelaySession[] = [];
    const room = await roomNode(accepted);
    const signal = await node({ heartbeatMs: 60_000 });
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'bob', claims: claims('bob') });
    session.send('join');
    await waitFor(() => accepted.length === 1 && accepted[0].framesDelivered === 1, {
      what: 'session opened',
    });
    const onRoom = watch(accepted[0]);
    const leftAt = Date.now();
    session.close(CloseCode.NORMAL, 'client closed the socket');
    const closed = await waitFor(() => onRoom.closed(), { what: 'room side closed' });
    assert.equal(closed.code, CloseCode.NORMAL);
    assert.equal(closed.reason, 'client closed the socket');
    // Far less than a heartbeat (60 s here): the close travels as its own message.
    assert.ok(closed.at - leftAt < 1000, `took ${closed.at - leftAt} ms`);
    assert.equal(room.count('room'), 0);
  });

  it('gives the client the code and reason with which the room node ended the session', async () => {
    const accepted: RelaySession[] = [];
    const room = await roomNode(accepted);
    const signal = await node();
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'carol', claims: claims('carol') });
    const seen = watch(session);
    session.send('join');
    await waitFor(() => seen.frames.length === 1, { what: 'echo of join' });
    accepted[0].send('last words');
    accepted[0].close(CloseCode.ROOM_MOVED, 'room r1 drained away from node');
    const closed = await waitFor(() => seen.closed(), { what: 'client side closed' });
    assert.deepEqual([closed.code, closed.reason], [CloseCode.ROOM_MOVED, 'room r1 drained away from node']);
    assert.deepEqual(seen.frames, ['echo:join', 'last words']);
    assert.equal(signal.count('signal'), 0);
  });

  it('closes the session with a reason when a frame goes missing, and delivers nothing past the gap', async () => {
    const accepted: RelaySession[] = [];
    const room = await roomNode(accepted, false);
    const signal = await node();
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'dave', claims: claims('dave') });
    const seen = watch(session);
    session.send('one');
    await waitFor(() => accepted.length === 1, { what: 'session opened' });
    const onRoom = watch(accepted[0]);
    await waitFor(() => onRoom.frames.length === 1, { what: 'first frame' });
    // Frame 2 never reaches the bus; frame 3 does.
    const router = await connectRouter(redis.port);
    routers.push(router);
    await router.publish(
      room.nodeId,
      encodeRelayMessage({
        type: 'relay.frame',
        session: session.id,
        from: signal.nodeId,
        seq: 3,
        payload: 'three',
      }),
    );
    const closed = await waitFor(() => seen.closed(), { what: 'session closed on the gap' });
    assert.equal(closed.code, CloseCode.RELAY_BROKEN);
    assert.match(closed.reason, /relay lost frame 2/);
    assert.deepEqual(onRoom.frames, ['one']);
    assert.equal(onRoom.closed()?.code, CloseCode.RELAY_BROKEN);
  });

  it('waits for a late frame instead of failing, when it arrives within the gap timeout', async () => {
    const accepted: RelaySession[] = [];
    const room = await roomNode(accepted, false, { gapTimeoutMs: 5000 });
    const signal = await node();
    const session = signal.open(room.nodeId, { room: 'r1', identity: 'erin', claims: claims('erin') });
    await waitFor(() => accepted.length === 1, { what: 'session opened' });
    const onRoom = watch(accepted[0]);
    const frame = (seq: number, payload: string) =>
      encodeRelayMessage({
        type: 'relay.frame',
        session: session.id,
        from: signal.nodeId,
        seq,
        payload,
      });
    room.handle(frame(2, 'two'));
    room.handle(frame(3, 'three'));
    assert.deepEqual(onRoom.frames, []);
    room.handle(frame(1, 'one'));
    assert.deepEqual(onRoom.frames, ['one', 'two', 'three']);
    assert.equal(onRoom.closed(), undefined);
    session.close(CloseCode.NORMAL, 'done');
  });

  it('closes sessions with 4001 when the room node process is killed', async () => {
    const { child, output } = await childNode(['room', String(redis.port), 'room-killed']);
    const signal = await node();
    const session = signal.open('room-killed', { room: 'r1', identity: 'frank', claims: claims('frank') });
    const seen = watch(session);
    session.send('join');
    await waitFor(() => seen.frames.length === 1, { what: `echo from the child (${output.text()})` });
    child.kill('SIGKILL');
    const killedAt = Date.now();
    const closed = await waitFor(() => seen.closed(), { what: 'session closed after the kill' });
    assert.equal(closed.code, CloseCode.ROOM_NODE_GONE);
    assert.match(closed.reason, /room node room-killed stopped answering/);
    // 500 ms of silence, checked every 100 ms; a loaded machine may add a little.
    assert.ok(closed.at - killedAt < 3000, `detected after ${closed.at - killedAt} ms`);
  });

  it('closes sessions with 4001 when the room node restarts and no longer knows them', async () => {
    const first = await childNode(['room', String(redis.port), 'room-restarted']);
    const signal = await node({ peerTimeoutMs: 60_000 });
    const session = signal.open('room-restarted', { room: 'r1', identity: 'gina', claims: claims('gina') });
    const seen = watch(session);
    session.send('join');
    await waitFor(() => seen.frames.length === 1, { what: 'echo from the first child' });
    first.child.kill('SIGKILL');
    await childNode(['room', String(redis.port), 'room-restarted']);
    const closed = await waitFor(() => seen.closed(), { what: 'session closed by the restarted node' });
    assert.equal(closed.code, CloseCode.ROOM_NODE_GONE);
    assert.match(closed.reason, /session unknown on node room-restarted/);
  });

  it('frees the participant on the room node when the signal node process is killed', async () => {
    const accepted: RelaySession[] = [];
    const room = await roomNode(accepted, false);
    const { child } = await childNode(['signal', String(redis.port), 'signal-killed', room.nodeId]);
    await waitFor(() => accepted.length === 1, { what: 'session from the child' });
    const onRoom = watch(accepted[0]);
    await waitFor(() => onRoom.frames.length === 1, { what: 'hello from the child' });
    assert.equal(accepted[0].identity, 'from-child');
    child.kill('SIGKILL');
    const closed = await waitFor(() => onRoom.closed(), { what: 'room side closed after the kill' });
    assert.equal(closed.code, CloseCode.GOING_AWAY);
    assert.match(closed.reason, /signal node signal-killed stopped answering/);
  });

  it('closes a session opened towards a node that does not exist', async () => {
    const signal = await node();
    const session = signal.open('nobody-home', { room: 'r1', identity: 'hank', claims: claims('hank') });
    const seen = watch(session);
    session.send('join');
    const closed = await waitFor(() => seen.closed(), { what: 'session to nowhere closed' });
    assert.equal(closed.code, CloseCode.ROOM_NODE_GONE);
    assert.deepEqual(seen.frames, []);
  });
});
