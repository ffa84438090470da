import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { createToken } from '../../src/auth/token.js';
import { MAX_FRAME_BYTES, MAX_SOCKET_MESSAGE_BYTES } from '../../src/signal/protocol.js';
import { type FaultCluster, joinToken, startFaultCluster } from '../helpers/fault-cluster.js';
import { INSPECTABLE, inspectorUrl, liveHeapBytes } from '../helpers/heap.js';
import { admin, get, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { malformedTwirpCall, type TwirpCall } from './malformed-inputs.js';
import { fuzzSeed, Random } from './random.js';
import { type Frame, sessionFrame, type Targets } from './session-frames.js';

/** Frames of every method at the joined sessions, and then frames that make nothing, for the leak budget. */
const HANDLER_FRAMES = 4_000;
const LEAK_FRAMES = 20_000;
const TWIRP_CALLS = 10_000;
/** Sent and measured first, so that the memory figure compares a warm process with itself. */
const WARM_UP = 1_000;
const SOCKETS = 4;
const WINDOW = 64;
const TWIRP_CONCURRENCY = 16;
/** The live heap (after a full collection) may move a little; past this, about 100 bytes stay per frame. */
const MAX_HEAP_GROWTH_BYTES = 2 * 1024 * 1024;
const TWIRP_BODY_LIMIT = 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: answers of every shape; the assertions check them
type Answer = any;

type FuzzSocket = Awaited<ReturnType<typeof openSocket>>;

/** An `/rtc` session that sends frames (at most WINDOW unanswered) and collects the answers in order. */
async function openSocket(nodeUrl: string, identity: string) {
  const token = await joinToken('fuzz', identity);
  const socket = new WebSocket(
    `${nodeUrl.replace(/^http/, 'ws')}/rtc?access_token=${encodeURIComponent(token)}`,
    { handshakeTimeout: 10_000 },
  );
  const answers: Answer[] = [];
  let closed: { code: number; reason: string } | undefined;
  let queue: Frame[] = [];
  let sent = 0;
  const pump = () => {
    while (sent < queue.length && sent - answers.length < WINDOW && socket.readyState === WebSocket.OPEN) {
      const frame = queue[sent++]!;
      socket.send(frame, { binary: Buffer.isBuffer(frame) });
    }
  };
  socket.on('message', (data) => {
    const answer = JSON.parse(String(data));
    if (answer.notification) return;
    answers.push(answer);
    pump();
  });
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed: () => closed,
    /** Sends `frames` and resolves with their answers, one per frame, in order. */
    async exchange(frames: Frame[]): Promise<Answer[]> {
      const from = answers.length;
      queue = queue.concat(frames);
      pump();
      await waitFor(
        () => {
          if (closed) throw new Error(`socket closed: ${closed.code} ${closed.reason}`);
          return answers.length >= from + frames.length;
        },
        { timeoutMs: 120_000, intervalMs: 20, what: `${frames.length} answers` },
      );
      return answers.slice(from, from + frames.length);
    },
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

describe('fuzzed signalling frames at joined sessions and 10,000 malformed Twirp bodies against running nodes', () => {
  const seed = fuzzSeed();
  const rnd = new Random(seed);
  const replay = `replay with LKC_FUZZ_SEED=${seed}`;
  let cluster: FaultCluster;
  let a: TestNode;
  let b: TestNode;
  const inspector = { a: '', b: '' };
  const agent = new Agent({ connections: TWIRP_CONCURRENCY });
  const tokens: Record<TwirpCall['auth'], string | undefined> = {
    good: undefined,
    none: undefined,
    garbage: 'not.a.token',
    'alg-none': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: TEST_KEY, exp: 4102444800, video: { roomCreate: true, roomList: true } }),
    ).toString('base64url')}.`,
    'wrong-secret': undefined,
  };

  before(async () => {
    cluster = await startFaultCluster(2, 'fuzz-node', INSPECTABLE);
    [a, b] = cluster.nodes as [TestNode, TestNode];
    inspector.a = await inspectorUrl(a.output);
    inspector.b = await inspectorUrl(b.output);
    const created = await admin(a.url, 'POST', '/admin/rooms', { name: 'fuzz' });
    assert.equal(created.status, 200);
    const grant = { roomCreate: true, roomList: true, roomAdmin: true, room: 'fuzz' };
    tokens.good = await createToken({ apiKey: TEST_KEY, apiSecret: TEST_SECRET, grant, ttlSeconds: 3600 });
    tokens['wrong-secret'] = await createToken({
      apiKey: TEST_KEY,
      apiSecret: 'another-secret-of-at-least-32-characters',
      grant,
    });
  });

  after(async () => {
    await agent.close();
    await cluster?.stop();
  });

  it('fuzzes joined sessions, direct and bridged: every frame gets an answer, no handler throws, nothing leaks', async (t) => {
    t.diagnostic(`seed ${seed} (${replay})`);
    // Two sessions on the room's node, two bridged from the other node; each joined, with a transport each way
    // and a producer, so that requests reach the handlers with real ids to aim at.
    const sockets = await Promise.all(
      Array.from({ length: SOCKETS }, (_, i) => openSocket((i % 2 === 0 ? a : b).url, `fuzzer-${i}`)),
    );
    const targets: Targets[] = [];
    let nextId = 1;
    const ask = async (socket: FuzzSocket, method: string, data: unknown) => {
      const [answer] = await socket.exchange([JSON.stringify({ id: nextId++, method, data })]);
      assert.equal(answer.ok, true, `${method}: ${JSON.stringify(answer)}`);
      return answer.data;
    };
    for (const socket of sockets) {
      const joined = await ask(socket, 'join', {});
      const send = await ask(socket, 'createWebRtcTransport', { direction: 'send' });
      const recv = await ask(socket, 'createWebRtcTransport', { direction: 'recv' });
      const produced = await ask(socket, 'produce', {
        transportId: send.id,
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
          encodings: [{ ssrc: 1000 + targets.length }],
        },
      });
      targets.push({
        sendTransport: send.id,
        recvTransport: recv.id,
        ownProducers: [produced.id],
        otherProducers: [],
        consumers: [],
        rtpCapabilities: joined.routerRtpCapabilities,
      });
    }
    for (const [i, target] of targets.entries()) {
      target.otherProducers = targets.filter((_, j) => j !== i).flatMap((other) => other.ownProducers);
      const consumed = await ask(sockets[i]!, 'consume', {
        transportId: target.recvTransport,
        producerId: target.otherProducers[0],
        rtpCapabilities: target.rtpCapabilities,
      });
      target.consumers.push(consumed.id);
    }

    const internal: string[] = [];
    const codes = new Map<string, number>();
    const send = async (count: number, pick: (socket: number) => { frame: Frame; method: string }) => {
      await Promise.all(
        sockets.map(async (socket, s) => {
          const mine = Array.from({ length: Math.ceil(count / SOCKETS) }, () => pick(s));
          const answers = await socket.exchange(mine.map((m) => m.frame));
          answers.forEach((answer, i) => {
            const code = answer.ok ? 'ok' : String(answer.error?.code);
            codes.set(code, (codes.get(code) ?? 0) + 1);
            if (code === 'internal' || (!answer.ok && typeof answer.error?.message !== 'string'))
              internal.push(
                `${mine[i]!.method} ${JSON.stringify(String(mine[i]!.frame).slice(0, 300))} -> ${JSON.stringify(answer)}`,
              );
          });
        }),
      );
    };
    // Every method, aimed at the sessions' real objects: each may succeed or fail, none may throw.
    await send(HANDLER_FRAMES, (s) => sessionFrame(rnd, nextId++, targets[s]!));
    t.diagnostic(`answers: ${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')}`);
    // What the nodes logged for the failures: the handler's own error and where it was thrown.
    const logged = [
      ...new Set(
        `${a.output()}\n${b.output()}`
          .split('\n')
          .filter((line) => /request failed|Error/.test(line))
          .map((line) => line.replace(/^\S+ /, '').replace(/identity=\S+/, '')),
      ),
    ];
    assert.deepEqual(
      internal.slice(0, 5),
      [],
      `${internal.length} frames made a handler fail (${replay}); the nodes logged:\n${logged.slice(0, 6).join('\n')}`,
    );
    // Answers only a handler gives (the parser answers bad_json, bad_request, unknown_method and most invalid_data).
    const handled = ['ok', 'not_found', 'already_joined', 'forbidden', 'unavailable'].reduce(
      (sum, code) => sum + (codes.get(code) ?? 0),
      0,
    );
    assert.ok(handled > HANDLER_FRAMES / 4, `a quarter reach a handler and are judged there (${handled})`);
    assert.ok(
      (codes.get('ok') ?? 0) > HANDLER_FRAMES / 20,
      'some succeed: the fuzz is not refused wholesale',
    );

    // The leak budget: requests that make nothing new (no transport, producer or consumer), many times over.
    // The live heap is read after a full collection, before and after; 20,000 frames keeping even 1 KB each
    // would pass it ten times over.
    const stateless = (s: number) => {
      for (;;) {
        const made = sessionFrame(rnd, nextId++, targets[s]!);
        if (
          !['createWebRtcTransport', 'produce', 'consume', 'produceData', 'consumeData'].includes(made.method)
        )
          return made;
      }
    };
    await send(WARM_UP, stateless);
    const warm = { a: await liveHeapBytes(inspector.a), b: await liveHeapBytes(inspector.b) };
    await send(LEAK_FRAMES, stateless);
    const end = { a: await liveHeapBytes(inspector.a), b: await liveHeapBytes(inspector.b) };
    t.diagnostic(
      `live heap after warm-up: A ${mib(warm.a)}, B ${mib(warm.b)}; after ${LEAK_FRAMES} more: A ${mib(end.a)}, B ${mib(end.b)}`,
    );
    assert.deepEqual(internal.slice(0, 5), [], `${internal.length} frames made a handler fail (${replay})`);
    assert.ok(end.a - warm.a < MAX_HEAP_GROWTH_BYTES, `A's heap grew ${mib(end.a - warm.a)}`);
    assert.ok(end.b - warm.b < MAX_HEAP_GROWTH_BYTES, `B's heap grew ${mib(end.b - warm.b)}`);
    for (const [i, socket] of sockets.entries())
      assert.equal(socket.closed(), undefined, `socket ${i} stays open`);

    // Between the frame limit and the socket limit: an error answer, the session goes on; past it: close 1009.
    for (const socket of sockets) {
      const [big] = await socket.exchange([
        `{"id":1,"method":"join","data":{"name":"${'x'.repeat(MAX_FRAME_BYTES)}"}}`,
      ]);
      assert.equal(big.error?.code, 'frame_too_large');
      assert.match(big.error.message, new RegExp(String(MAX_FRAME_BYTES)));
      const [again] = await socket.exchange([
        JSON.stringify({
          id: 2,
          method: 'restartIce',
          data: { transportId: targets[sockets.indexOf(socket)]!.sendTransport },
        }),
      ]);
      assert.equal(again.ok, true, `the session still works after the fuzz: ${JSON.stringify(again)}`);
    }
    for (const socket of [sockets[0]!, sockets[1]!]) {
      socket.socket.send('x'.repeat(MAX_SOCKET_MESSAGE_BYTES + 1));
      const closed = await waitFor(() => socket.closed(), {
        timeoutMs: 10_000,
        what: 'the oversized frame to close the socket',
      });
      assert.equal(closed.code, 1009, 'message too big');
    }
    for (const socket of sockets) socket.socket.terminate();
    assert.equal((await get(`${a.url}/healthz`)).status, 200);
    assert.equal((await get(`${b.url}/healthz`)).status, 200);
  });

  it('answers every malformed Twirp call with a 4xx Twirp error, creates nothing, and refuses an oversized body', async (t) => {
    t.diagnostic(`seed ${seed} (${replay})`);
    const calls = Array.from({ length: TWIRP_CALLS }, () => malformedTwirpCall(rnd));
    const failures: string[] = [];
    const send = async (call: TwirpCall, node: TestNode) => {
      const headers: Record<string, string> = {};
      if (call.contentType) headers['content-type'] = call.contentType;
      const token = tokens[call.auth];
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await request(`${node.url}${call.path}`, {
        method: call.method,
        headers,
        body: call.body,
        dispatcher: agent,
      });
      const text = await response.body.text();
      let body: Answer;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const ok =
        response.statusCode >= 400 &&
        response.statusCode < 500 &&
        typeof body?.code === 'string' &&
        typeof body?.msg === 'string';
      if (!ok)
        failures.push(
          `${call.method} ${call.path} ${call.auth} ${call.contentType} ${JSON.stringify(call.body?.toString('latin1').slice(0, 120))} -> ${response.statusCode} ${text.slice(0, 200)}`,
        );
    };
    const run = async (from: number, to: number) => {
      let next = from;
      await Promise.all(
        Array.from({ length: TWIRP_CONCURRENCY }, async (_, w) => {
          while (next < to) {
            const i = next++;
            await send(calls[i]!, w % 2 === 0 ? a : b);
          }
        }),
      );
    };
    await run(0, WARM_UP);
    const warm = { a: await liveHeapBytes(inspector.a), b: await liveHeapBytes(inspector.b) };
    await run(WARM_UP, TWIRP_CALLS);
    const end = { a: await liveHeapBytes(inspector.a), b: await liveHeapBytes(inspector.b) };
    t.diagnostic(
      `live heap after warm-up: A ${mib(warm.a)}, B ${mib(warm.b)}; after ${TWIRP_CALLS}: A ${mib(end.a)}, B ${mib(end.b)}`,
    );
    assert.deepEqual(
      failures.slice(0, 5),
      [],
      `${failures.length} calls not answered with a Twirp error (${replay})`,
    );
    assert.ok(end.a - warm.a < MAX_HEAP_GROWTH_BYTES, `A's heap grew ${mib(end.a - warm.a)}`);
    assert.ok(end.b - warm.b < MAX_HEAP_GROWTH_BYTES, `B's heap grew ${mib(end.b - warm.b)}`);

    const list = await request(`${b.url}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.good}` },
      body: '{}',
      dispatcher: agent,
    });
    const rooms = (await list.body.json()) as { rooms: Array<{ name: string }> };
    assert.deepEqual(
      rooms.rooms.map((r) => r.name),
      ['fuzz'],
      'no malformed call created a room',
    );

    // Over the limit, declared up front or streamed without a length: refused with the limit, not read whole.
    for (const body of [
      Buffer.alloc(TWIRP_BODY_LIMIT + 1, 0x20),
      Readable.from(
        (function* () {
          for (let i = 0; i < 20; i++) yield Buffer.alloc(128 * 1024, 0x20);
        })(),
      ),
    ]) {
      const response = await request(`${a.url}/twirp/livekit.RoomService/CreateRoom`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.good}` },
        body,
        dispatcher: agent,
      });
      const answer = (await response.body.json()) as Answer;
      assert.equal(response.statusCode, 400);
      assert.equal(answer.code, 'invalid_argument');
      assert.equal(answer.meta?.limit_bytes, String(TWIRP_BODY_LIMIT));
    }
    assert.equal((await get(`${a.url}/healthz`)).status, 200);
    assert.equal((await get(`${b.url}/healthz`)).status, 200);
  });
});
