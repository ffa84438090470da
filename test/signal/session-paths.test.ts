import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { createToken, type VideoGrant } from '../../src/auth/token.js';
import {
  get,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { type Frame, openSession, type UpgradeRefusal, type WsSession } from '../helpers/ws-session.js';

const OPUS = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc: 4242 }],
};

function token(identity: string, room: string, grant: VideoGrant = {}): Promise<string> {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room, ...grant },
  });
}

/** Every path of our signalling a client can take, on a real node, each with the values it must answer. */
describe('our signalling paths on a node', () => {
  let dir: string;
  let node: TestNode;
  let strict: TestNode;
  let rooms: RoomServiceClient;
  const sessions: WsSession[] = [];

  const open = async (identity: string, room: string, grant: VideoGrant = {}, url = node.url) => {
    const session = await openSession(url, await token(identity, room, grant));
    sessions.push(session);
    return session;
  };
  const ok = (frame: Frame, what: string) => {
    assert.equal(frame.ok, true, `${what}: ${JSON.stringify(frame)}`);
    return frame.data;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-paths-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port })), port);
    const strictPort = await freePort();
    const config = nodeConfig({ port: strictPort });
    config.room = { ...(config.room as object), auto_create: false };
    strict = await startNode(writeConfig(dir, 'strict.yaml', config), strictPort);
    rooms = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
  });

  after(async () => {
    for (const session of sessions) session.close();
    await Promise.all([node?.stop(), strict?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pauses, resumes and closes a producer: the Room API sees the mute, the others the close', async () => {
    const alice = await open('alice', 'paths');
    const bob = await open('bob', 'paths');
    ok(await alice.request('join', {}), 'alice joins');
    ok(await bob.request('join', {}), 'bob joins');
    const send = ok(await alice.request('createWebRtcTransport', { direction: 'send' }), 'transport');
    const { id } = ok(
      await alice.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: OPUS }),
      'produce',
    );
    const muted = async () => (await rooms.getParticipant('paths', 'alice')).tracks[0]?.muted;
    assert.equal(await muted(), false);
    ok(await alice.request('pauseProducer', { producerId: id }), 'pause');
    assert.equal(await muted(), true);
    ok(await alice.request('resumeProducer', { producerId: id }), 'resume');
    assert.equal(await muted(), false);
    ok(await alice.request('closeProducer', { producerId: id }), 'close');
    const closed = await waitFor(
      () => bob.frames.find((f) => f.notification && f.method === 'producerClosed'),
      { what: 'bob to hear the producer closed' },
    );
    assert.deepEqual(closed.data, { producerId: id, participant: 'alice' });
    assert.deepEqual((await rooms.getParticipant('paths', 'alice')).tracks, []);
    const again = await alice.request('pauseProducer', { producerId: id });
    assert.deepEqual([again.ok, again.error?.code], [false, 'not_found']);
  });

  it('refuses publishing without canPublish and subscribing without canSubscribe, as forbidden', async () => {
    const viewer = await open('viewer', 'perms', { canPublish: false });
    const deaf = await open('deaf', 'perms', { canSubscribe: false });
    const pub = await open('pub', 'perms');
    for (const s of [viewer, deaf, pub]) ok(await s.request('join', {}), 'join');
    const send = ok(await viewer.request('createWebRtcTransport', { direction: 'send' }), 'transport');
    const refused = await viewer.request('produce', {
      transportId: send.id,
      kind: 'audio',
      rtpParameters: OPUS,
    });
    assert.deepEqual([refused.ok, refused.error?.code], [false, 'forbidden']);
    assert.match(refused.error.message, /does not allow publishing/);
    const pubSend = ok(await pub.request('createWebRtcTransport', { direction: 'send' }), 'transport');
    const { id } = ok(
      await pub.request('produce', { transportId: pubSend.id, kind: 'audio', rtpParameters: OPUS }),
      'produce',
    );
    const joined = ok(await open('probe', 'perms').then((s) => s.request('join', {})), 'probe joins');
    const recv = ok(await deaf.request('createWebRtcTransport', { direction: 'recv' }), 'transport');
    const deafened = await deaf.request('consume', {
      transportId: recv.id,
      producerId: id,
      rtpCapabilities: joined.routerRtpCapabilities,
    });
    assert.deepEqual([deafened.ok, deafened.error?.code], [false, 'forbidden']);
    assert.match(deafened.error.message, /does not allow subscribing/);
  });

  it('refuses a second join on one session as already_joined, and the session goes on', async () => {
    const twice = await open('twice', 'again');
    ok(await twice.request('join', {}), 'first join');
    const second = await twice.request('join', {});
    assert.deepEqual([second.ok, second.error?.code], [false, 'already_joined']);
    ok(await twice.request('createWebRtcTransport', { direction: 'recv' }), 'still works');
  });

  it('restarts ICE with fresh credentials', async () => {
    const ice = await open('ice', 'ice-room');
    ok(await ice.request('join', {}), 'join');
    const transport = ok(await ice.request('createWebRtcTransport', { direction: 'recv' }), 'transport');
    const restarted = ok(await ice.request('restartIce', { transportId: transport.id }), 'restartIce');
    assert.equal(typeof restarted.iceParameters.usernameFragment, 'string');
    assert.notEqual(restarted.iceParameters.usernameFragment, transport.iceParameters.usernameFragment);
    assert.notEqual(restarted.iceParameters.password, transport.iceParameters.password);
  });

  it('with room.auto_create off, refuses a join to a room that does not exist (404), and takes it once created', async () => {
    const refusal = await openSession(strict.url, await token('early', 'not-yet')).then(
      () => assert.fail('the upgrade was accepted'),
      (err: { refusal?: UpgradeRefusal }) => err.refusal,
    );
    assert.equal(refusal?.status, 404);
    assert.match(
      JSON.parse(refusal?.body ?? '{}').msg,
      /room not-yet does not exist \(room\.auto_create is off/,
    );
    await new RoomServiceClient(strict.url, TEST_KEY, TEST_SECRET).createRoom({ name: 'not-yet' });
    const late = await open('late', 'not-yet', {}, strict.url);
    ok(await late.request('join', {}), 'join after CreateRoom');
  });

  it('answers /rtc/validate with who and where for a good token, and the reason for a bad one', async () => {
    const good = await get(`${node.url}/rtc/validate?access_token=${await token('v', 'vroom')}`);
    assert.deepEqual([good.status, good.body], [200, { ok: true, identity: 'v', room: 'vroom' }]);
    const wrongRoom = await get(
      `${node.url}/rtc/validate?access_token=${await token('v', 'vroom')}&room=other`,
    );
    assert.equal(wrongRoom.status, 401);
    assert.deepEqual(wrongRoom.body, {
      code: 'unauthenticated',
      msg: 'access token is for room vroom, not other',
    });
  });
});
