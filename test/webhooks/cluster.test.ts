import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ParticipantInfo_State, RoomEndReason, TrackType } from '@livekit/protocol';
import {
  AudioFrame,
  AudioSource,
  dispose,
  LocalAudioTrack,
  Room as RtcRoom,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient, type WebhookEvent } from 'livekit-server-sdk';
import {
  admin,
  get,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { findSample, parsePrometheusText } from '../helpers/prometheus-text.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';
import { refusedUrl, startBlackHole, startReceiver, type TestReceiver } from './receiver.js';

const ROOM = 'hooks-room';
const SHUTDOWN_ROOM = 'hooks-shutdown';

async function token(identity: string, room: string): Promise<string> {
  const at = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room });
  return at.toJwt();
}

/** What a test reads of an event: its name and who it is about. */
const label = (e: WebhookEvent) =>
  [e.event, e.participant?.identity, e.track ? TrackType[e.track.type] : undefined].filter(Boolean).join(' ');

async function metrics(node: TestNode) {
  const response = await fetch(`${node.url}/metrics`);
  return parsePrometheusText(await response.text());
}

/** The sum of lkc_webhook_events_total samples on `node` matching `labels`. */
async function webhookCount(node: TestNode, labels: Record<string, string> = {}): Promise<number> {
  const { samples } = await metrics(node);
  return samples
    .filter(
      (s) =>
        s.name === 'lkc_webhook_events_total' &&
        Object.entries(labels).every(([key, value]) => s.labels[key] === value),
    )
    .reduce((sum, s) => sum + s.value, 0);
}

async function timeJoin(url: string, room: string, identity: string): Promise<[number, LiveKitSocket]> {
  const started = performance.now();
  const socket = await connectLiveKit(url, await token(identity, room));
  await socket.next('join', { timeoutMs: 10_000 });
  return [performance.now() - started, socket];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('webhooks from a 3-node cluster', () => {
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  const nodes: TestNode[] = [];
  let baseline: TestNode | undefined;
  let good: TestReceiver;
  let flaky: TestReceiver;
  let hole: Awaited<ReturnType<typeof startBlackHole>> | undefined;
  const sockets: LiveKitSocket[] = [];
  const rtc = new RtcRoom();
  let host: TestNode;
  let bridges: TestNode[];
  const testStart = Math.floor(Date.now() / 1000);
  const ofRoom = (r: TestReceiver, room: string) => r.accepted().filter((e) => e.room?.name === room);

  before(async () => {
    good = await startReceiver();
    // Answers 500 to its first three requests, then 200.
    flaky = await startReceiver((_event, index) => (index < 3 ? 500 : 200));
    hole = await startBlackHole();
    const urls = [good.url, flaky.url, hole.url, await refusedUrl()];
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-webhooks-'));
    for (const name of ['a', 'b', 'c']) {
      const port = await freePort();
      const config = nodeConfig({ port, redis: redis.address });
      config.webhook = { api_key: TEST_KEY, urls };
      nodes.push(await startNode(writeConfig(dir, `${name}.yaml`, config), port));
    }
    // The same kind of node without webhooks, to time joins against.
    const port = await freePort();
    baseline = await startNode(writeConfig(dir, 'baseline.yaml', nodeConfig({ port })), port);
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await rtc.disconnect().catch(() => undefined);
    await dispose().catch(() => undefined);
    await Promise.all([...nodes, ...(baseline ? [baseline] : [])].map((node) => node.stop()));
    await redis?.stop();
    await good?.close();
    await flaky?.close();
    await hole?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends each event of a room once across the cluster, from its node, in order, signed', async () => {
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    host = a;
    bridges = [b, c];
    // Created through node B, pinned to node A.
    const created = await new RoomServiceClient(b.url, TEST_KEY, TEST_SECRET).createRoom({
      name: ROOM,
      nodeId: a.id,
    });
    const hosted = await admin(a.url, 'GET', '/admin/rooms');
    assert.ok(
      hosted.body.rooms.some((r: { name: string }) => r.name === ROOM),
      'the room lives on node A',
    );
    const until = (what: string, count = 1) =>
      waitFor(() => ofRoom(good, ROOM).filter((e) => label(e) === what).length >= count, {
        timeoutMs: 10_000,
        what: () => `${what} (seen: ${ofRoom(good, ROOM).map(label).join(', ')})`,
      });
    await until('room_started');

    // p1 joins through node C over LiveKit's protocol, as a raw socket; p2 through node B with LiveKit's Node SDK.
    const p1 = await connectLiveKit(c.url, await token('p1', ROOM));
    sockets.push(p1);
    await p1.next('join');
    await until('participant_joined p1');
    await rtc.connect(b.url, await token('p2', ROOM), { autoSubscribe: false, dynacast: false });
    await until('participant_joined p2');

    const source = new AudioSource(48_000, 1);
    const track = LocalAudioTrack.createAudioTrack('tone', source);
    const frames = setInterval(
      () => void source.captureFrame(AudioFrame.create(48_000, 1, 480)).catch(() => {}),
      10,
    );
    try {
      const publication = await rtc.localParticipant!.publishTrack(
        track,
        new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
      );
      await until('track_published p2 AUDIO');
      await rtc.localParticipant!.unpublishTrack(publication.sid!);
      await until('track_unpublished p2 AUDIO');
      // Published again and still published when p2 leaves: its track is unpublished before it leaves.
      await rtc.localParticipant!.publishTrack(
        track,
        new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
      );
      await until('track_published p2 AUDIO', 2);
      await rtc.disconnect();
    } finally {
      clearInterval(frames);
    }
    await until('participant_left p2');
    p1.send({ case: 'leave', value: {} as never });
    await until('participant_left p1');
    // p3 joins on the room's node and is still in the room when it is deleted (through node C).
    const p3 = await connectLiveKit(a.url, await token('p3', ROOM));
    sockets.push(p3);
    await p3.next('join');
    await until('participant_joined p3');
    await new RoomServiceClient(c.url, TEST_KEY, TEST_SECRET).deleteRoom(ROOM);
    await until('room_finished');

    const events = ofRoom(good, ROOM);
    assert.deepEqual(events.map(label), [
      'room_started',
      'participant_joined p1',
      'participant_joined p2',
      'track_published p2 AUDIO',
      'track_unpublished p2 AUDIO',
      'track_published p2 AUDIO',
      'track_unpublished p2 AUDIO',
      'participant_left p2',
      'participant_left p1',
      'participant_joined p3',
      'participant_left p3',
      'room_finished',
    ]);
    assert.deepEqual(good.refused, []);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids are unique');
    const now = Math.floor(Date.now() / 1000);
    for (const e of events) {
      assert.match(e.id, /^EV_\w+$/);
      assert.ok(e.createdAt >= BigInt(testStart) && e.createdAt <= BigInt(now), `createdAt ${e.createdAt}`);
      assert.equal(e.room?.sid, created.sid);
    }
    const [published, unpublished] = [events[3]!, events[4]!];
    assert.ok(published.track?.sid && published.track.sid === unpublished.track?.sid);
    assert.notEqual(events[5]!.track?.sid, published.track?.sid, 'a second publication is a new track');
    assert.equal(events[5]!.track?.sid, events[6]!.track?.sid);
    assert.equal(events[7]!.participant?.state, ParticipantInfo_State.DISCONNECTED);
    assert.equal(events[1]!.participant?.sid, events[8]!.participant?.sid);
    assert.equal(events.at(-1)!.roomEndReason, RoomEndReason.ROOM_END_API_DELETE);
    for (const request of good.requests) {
      assert.equal(request.headers['content-type'], 'application/webhook+json');
      assert.equal(JSON.parse(request.body).event, request.event.event);
    }

    // The bridge nodes carried p1's and p2's signalling and sent nothing.
    for (const bridge of bridges) assert.equal(await webhookCount(bridge), 0, `node ${bridge.id} sent none`);
    assert.ok((await webhookCount(a, { outcome: 'sent' })) >= events.length, 'node A counts what it sent');
    // Nothing more comes: the room is gone everywhere, and no other node repeats its events.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(ofRoom(good, ROOM).length, events.length);
  });

  it('an endpoint that answers 500 gets every event after retries, in the same order', async () => {
    const expected = ofRoom(good, ROOM).map((e) => e.id);
    await waitFor(() => ofRoom(flaky, ROOM).length >= expected.length, {
      timeoutMs: 15_000,
      what: () => `the flaky endpoint to catch up (has ${ofRoom(flaky, ROOM).length} of ${expected.length})`,
    });
    assert.deepEqual(
      ofRoom(flaky, ROOM).map((e) => e.id),
      expected,
    );
    assert.deepEqual(
      flaky.requests.slice(0, 4).map((r) => `${r.event.event}:${r.status}`),
      ['room_started:500', 'room_started:500', 'room_started:500', 'room_started:200'],
    );
    assert.equal(await webhookCount(host, { outcome: 'sent' }), 2 * expected.length);
  });

  it('a dead endpoint never delays joins, and the node counts what it cannot deliver', async () => {
    const [a] = nodes as [TestNode];
    assert.equal((await admin(a.url, 'POST', '/admin/rooms', { name: SHUTDOWN_ROOM })).status, 200);
    await admin(baseline!.url, 'POST', '/admin/rooms', { name: SHUTDOWN_ROOM });
    const withHooks: number[] = [];
    const without: number[] = [];
    for (let n = 0; n < 5; n++) {
      const [ms, socket] = await timeJoin(a.url, SHUTDOWN_ROOM, `joiner-${n}`);
      withHooks.push(ms);
      sockets.push(socket);
      const [baseMs, baseSocket] = await timeJoin(baseline!.url, SHUTDOWN_ROOM, `joiner-${n}`);
      without.push(baseMs);
      sockets.push(baseSocket);
    }
    console.log(
      `join ms with webhooks to a dead endpoint: ${withHooks.map(Math.round).join(', ')}; without: ${without.map(Math.round).join(', ')}`,
    );
    assert.ok(
      median(withHooks) < median(without) * 2 + 50,
      `join median ${median(withHooks)} ms vs ${median(without)} ms without webhooks`,
    );
    // The black hole and the refused port hold their lanes: retried, and waiting in the queue.
    const { samples } = await metrics(a);
    const queued = findSample(samples, 'lkc_webhook_queue_length')?.value ?? 0;
    const retries = findSample(samples, 'lkc_webhook_retries_total')?.value ?? 0;
    const errors =
      findSample(samples, 'lkc_webhook_send_duration_seconds_count', { result: 'error' })?.value ?? 0;
    console.log(`node A: queue ${queued}, retries ${retries}, failed requests ${errors}`);
    assert.ok(queued >= 2, `queue length ${queued}`);
    assert.ok(retries > 0 && errors > 0);
    const text = await (await fetch(`${a.url}/metrics`)).text();
    for (const family of [
      'lkc_webhook_events_total',
      'lkc_webhook_queue_length',
      'lkc_webhook_retries_total',
      'lkc_webhook_send_duration_seconds',
    ])
      assert.match(text, new RegExp(`# HELP ${family} \\S`));
  });

  it('a stopping node still sends room_finished for the rooms it closes, within a short grace', async () => {
    const [a] = nodes as [TestNode];
    const before = ofRoom(good, SHUTDOWN_ROOM).length;
    const started = Date.now();
    await a.stop();
    const took = Date.now() - started;
    const events = ofRoom(good, SHUTDOWN_ROOM);
    console.log(`node A stopped in ${took} ms; ${events.length - before} events after the stop began`);
    assert.deepEqual(events.map(label), [
      'room_started',
      ...[0, 1, 2, 3, 4].map((n) => `participant_joined joiner-${n}`),
      ...[0, 1, 2, 3, 4].map((n) => `participant_left joiner-${n}`),
      'room_finished',
    ]);
    assert.equal(events.at(-1)!.roomEndReason, RoomEndReason.ROOM_END_SERVER_SHUTDOWN);
    assert.match(a.output(), /webhooks not delivered before the node stopped/);
    const health = await get(`${a.url}/healthz`).catch(() => undefined);
    assert.equal(health, undefined, 'node A is gone');
  });
});
