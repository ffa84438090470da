import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TokenClaims } from '../../src/auth/token.js';
import { type RelayBus, RelayEndpoint, type RelayEndpointOptions } from '../../src/relay/relay-endpoint.js';
import { decodeRelayMessage, encodeRelayBatch, encodeRelayMessage } from '../../src/relay/relay-messages.js';
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

  /** An endpoint in this process, listening on its own node channel; `bus` wraps what it publishes through. */
  async function node(
    options: Partial<RelayEndpointOptions> = {},
    bus: (router: Router) => RelayBus = (router) => router,
  ): Promise<RelayEndpoint> {
    const router = await connectRouter(redis.port);
    routers.push(router);
    const endpoint = new RelayEndpoint({
      nodeId: `node-${++nextNode}`,
      bus: bus(router),
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

  /** A node whose every bus message is recorded as it goes out. */
  async function recordingNode(options: Partial<RelayEndpointOptions> = {}) {
    const published: { peer: string; message: Record<string, unknown> }[] = [];
    const endpoint = await node({ peerTimeoutMs: 30_000, ...options }, (router) => ({
      publish: (peer, text) => {
        published.push({ peer, message: JSON.parse(text) as Record<string, unknown> });
        return router.publish(peer, text);
      },
    }));
    /** The frames it sent to `peer`, alone or in batches, and how many bus messages carried them. */
    const framesTo = (peer: string) => {
      const toPeer = published.filter((p) => p.peer === peer).map((p) => p.message);
      const inner = toPeer.flatMap((m) =>
        m.type === 'relay.batch' ? (m.messages as Record<string, unknown>[]) : [m],
      );
      const hasFrame = (m: Record<string, unknown>) =>
        m.type === 'relay.frame' ||
        (m.type === 'relay.batch' && (m.messages as Record<string, unknown>[]).some(hasFrame));
      return {
        payloads: inner.filter((m) => m.type === 'relay.frame').map((m) => m.payload),
        batches: toPeer.filter((m) => m.type === 'relay.batch').length,
        messages: toPeer.length,
        /** Bus messages that carried at least one frame. */
        carriers: toPeer.filter(hasFrame).length,
      };
    };
    return { endpoint, framesTo };
  }

  it("puts one turn's messages for a peer in one bus message, in order, and none for a node that does not read them", async () => {
    const echo = (session: RelaySession) => session.onFrame((frame) => session.send(`echo:${frame}`));
    const room = await recordingNode({ onOpen: echo });
    const signal = await recordingNode();
    const oldSignal = await recordingNode({ batch: false });

    // The room node learns from the open that the signal node reads batches; the signal node learns it of the room
    // node from its first beat or batch.
    const session = signal.endpoint.open(room.endpoint.nodeId, {
      room: 'r-batch',
      identity: 'ida',
      claims: claims('ida'),
    });
    const oldSession = oldSignal.endpoint.open(room.endpoint.nodeId, {
      room: 'r-batch',
      identity: 'old',
      claims: claims('old'),
    });
    const seen = watch(session);
    const oldSeen = watch(oldSession);
    session.send('hello');
    oldSession.send('hello');
    await waitFor(() => seen.frames.length === 1 && oldSeen.frames.length === 1, { what: 'first echoes' });
    await waitFor(() => room.framesTo(signal.endpoint.nodeId).messages >= 2, {
      what: 'a beat from the room node',
    });
    // The room node's channel keeps order: once this echo is back, the beat published before it was read.
    session.send('after the beat');
    await waitFor(() => seen.frames.length === 2, { what: 'an echo after the beat' });

    const burst = Array.from({ length: 300 }, (_, i) => `frame ${i}`);
    for (const frame of burst) {
      session.send(frame);
      oldSession.send(frame);
    }
    const echoes = burst.map((frame) => `echo:${frame}`);
    const expected = ['echo:hello', 'echo:after the beat', ...echoes];
    await waitFor(() => seen.frames.length === 302 && oldSeen.frames.length === 301, {
      timeoutMs: 30_000,
      what: '300 echoes on both sessions',
    });
    assert.deepEqual(seen.frames, expected);
    assert.deepEqual(oldSeen.frames, ['echo:hello', ...echoes]);
    assert.equal(seen.closed(), undefined);
    assert.equal(oldSeen.closed(), undefined);

    // The burst left the signal node in one turn: one batch (a batch is cut at 256 KB, far above 300 frames).
    const up = signal.framesTo(room.endpoint.nodeId);
    assert.deepEqual(up.payloads, ['hello', 'after the beat', ...burst]);
    assert.ok(up.batches >= 1, 'the burst went in a batch');
    assert.ok(up.carriers < 20, `${up.carriers} bus messages carried 302 frames`);
    // The echoes were batched as the room node read the burst, which arrived in one message.
    const down = room.framesTo(signal.endpoint.nodeId);
    assert.deepEqual(down.payloads, expected);
    assert.ok(down.carriers < 20, `${down.carriers} bus messages carried 302 echoes`);
    // A node without batches (an older one) neither sends nor is sent any.
    const oldUp = oldSignal.framesTo(room.endpoint.nodeId);
    assert.deepEqual([oldUp.batches, oldUp.carriers], [0, 301]);
    const oldDown = room.framesTo(oldSignal.endpoint.nodeId);
    assert.deepEqual(oldDown.payloads, ['echo:hello', ...echoes]);
    assert.equal(oldDown.batches, 0);
    session.close(CloseCode.NORMAL, 'done');
    oldSession.close(CloseCode.NORMAL, 'done');
  });
});

describe('relay message codec', () => {
  it('reads a batch, dropping a malformed message inside it alone', () => {
    const frame = (seq: number) =>
      encodeRelayMessage({ type: 'relay.frame', session: 's1', from: 'n1', seq, payload: `p${seq}` });
    const text = encodeRelayBatch('n1', [frame(1), '{"type":"relay.frame","from":"n1"}', frame(2)]);
    const batch = decodeRelayMessage(text);
    assert.equal(batch?.type, 'relay.batch');
    assert.deepEqual(
      batch?.type === 'relay.batch' && batch.messages.map((m) => (m.type === 'relay.frame' ? m.seq : -1)),
      [1, 2],
    );
    assert.equal(decodeRelayMessage('{"type":"relay.batch","from":"n1","messages":{}}'), undefined);
    // A batch inside a batch is not a message the relay sends: dropped.
    const nested = encodeRelayBatch('n1', [text]);
    assert.deepEqual(decodeRelayMessage(nested), { type: 'relay.batch', from: 'n1', messages: [] });
  });
});
