import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AddTrackRequest,
  DisconnectReason,
  LeaveRequest_Action,
  ParticipantInfo_State,
  Ping,
  RequestResponse_Reason,
  TrackType,
} from '@livekit/protocol';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { WebSocket } from 'ws';
import {
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { openSession } from '../helpers/ws-session.js';
import { connectLiveKit, type LiveKitSocket } from './livekit-socket.js';

async function token(identity: string, room: string, grant: Record<string, unknown> = {}): Promise<string> {
  const at = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room, ...grant });
  return at.toJwt();
}

describe("LiveKit's signalling on a node, frame by frame", () => {
  let dir: string;
  let node: TestNode;
  let rooms: RoomServiceClient;
  const sockets: LiveKitSocket[] = [];

  const enter = async (
    identity: string,
    room: string,
    grant: Record<string, unknown> = {},
    bearer = false,
  ) => {
    const socket = await connectLiveKit(node.url, await token(identity, room, grant), { bearer });
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-lk-signal-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port })), port);
    rooms = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /rtc/validate with CORS headers: 200 for a good token, 401 with the reason for a bad one', async () => {
    const origin = { headers: { origin: 'http://app.example' } };
    const good = await fetch(
      `${node.url}/rtc/validate?access_token=${await token('v', 'r1')}&sdk=js&protocol=17`,
      origin,
    );
    assert.equal(good.status, 200);
    assert.equal(good.headers.get('access-control-allow-origin'), 'http://app.example');
    const bad = await fetch(`${node.url}/rtc/validate?access_token=nonsense&sdk=js&protocol=17`, origin);
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.match(await bad.text(), /token/);
  });

  it('refuses the single-PeerConnection path so that clients fall back: a 404 upgrade and a 404 validate with CORS', async () => {
    const validate = await fetch(`${node.url}/rtc/v1/validate?access_token=${await token('v', 'r1')}`, {
      headers: { origin: 'http://app.example' },
    });
    assert.equal(validate.status, 404);
    assert.equal(validate.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.doesNotMatch(await validate.text(), /requested room does not exist/);
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${node.url.replace(/^http/, 'ws')}/rtc/v1?access_token=x`);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('the /rtc/v1 upgrade was accepted')));
      socket.once('error', () => undefined);
    });
    assert.equal(status, 404);
  });

  it('sends a JoinResponse first, with the participant, its permissions from the grant, the room and server info', async () => {
    const viewer = await enter('viewer', 'r1', { canPublish: false }, true);
    const joined = await viewer.next('join');
    assert.match(joined.participant?.sid ?? '', /^PA_/);
    assert.equal(joined.participant?.identity, 'viewer');
    assert.equal(joined.participant?.permission?.canPublish, false);
    assert.equal(joined.participant?.permission?.canSubscribe, true);
    assert.match(joined.room?.sid ?? '', /^RM_/);
    assert.equal(joined.room?.name, 'r1');
    assert.equal(joined.otherParticipants.length, 0);
    assert.ok(joined.serverInfo?.version);
    assert.equal(joined.serverInfo?.nodeId, node.id);
    assert.deepEqual([joined.pingInterval, joined.pingTimeout, joined.subscriberPrimary], [5, 15, false]);
    assert.equal(viewer.messages[0]?.case, 'join', 'the JoinResponse is the first frame');
  });

  it('refuses AddTrack without canPublish, answers a malformed frame, and the session lives on', async () => {
    const viewer = sockets[0]!;
    const seen = viewer.messages.length;
    viewer.send({
      case: 'addTrack',
      value: new AddTrackRequest({ cid: 'cam', type: TrackType.VIDEO, name: 'cam' }),
    });
    const refused = await viewer.next('requestResponse', { from: seen });
    assert.equal(refused.reason, RequestResponse_Reason.NOT_ALLOWED);
    const before = viewer.messages.length;
    viewer.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]));
    const bad = await viewer.next('requestResponse', { from: before });
    assert.equal(bad.reason, RequestResponse_Reason.UNSUPPORTED_TYPE);
    assert.match(bad.message, /not a SignalRequest/);
    viewer.send({ case: 'pingReq', value: new Ping({ timestamp: 1234n, rtt: 0n }) });
    const pong = await viewer.next('pongResp', { from: before });
    assert.equal(pong.lastPingTimestamp, 1234n);
    assert.ok(pong.timestamp > 0n);
    viewer.send({ case: 'ping', value: 99n });
    assert.ok((await viewer.next('pong', { from: before })) > 0n);
    assert.equal(viewer.closed(), undefined);
  });

  it('tells the others of a join and a leave with rising versions, and DISCONNECTED on leave', async () => {
    const viewer = sockets[0]!;
    const seen = viewer.messages.length;
    const other = await enter('other', 'r1');
    const joined = await other.next('join');
    assert.deepEqual(
      joined.otherParticipants.map((p) => p.identity),
      ['viewer'],
    );
    const update = await viewer.next('update', { from: seen });
    const info = update.participants.find((p) => p.identity === 'other');
    assert.ok(info && info.state === ParticipantInfo_State.ACTIVE);
    const afterJoin = viewer.messages.length;
    other.send({ case: 'leave', value: {} as never });
    await other.waitClosed();
    const left = await viewer.next('update', { from: afterJoin });
    const gone = left.participants.find((p) => p.identity === 'other');
    assert.equal(gone?.state, ParticipantInfo_State.DISCONNECTED);
    assert.ok((gone?.version ?? 0) >= info.version, 'versions never go down');
  });

  it('replaces a session when the same identity joins again, telling the older one why', async () => {
    const first = await enter('twin', 'r2');
    await first.next('join');
    const second = await enter('twin', 'r2');
    await second.next('join');
    const leave = await first.next('leave');
    assert.equal(leave.reason, DisconnectReason.DUPLICATE_IDENTITY);
    await first.waitClosed();
    assert.equal(second.closed(), undefined);
    const listed = await rooms.listParticipants('r2');
    assert.deepEqual(
      listed.map((p) => p.identity),
      ['twin'],
    );
  });

  it('sends RoomUpdate on UpdateRoomMetadata, and leave on RemoveParticipant and DeleteRoom', async () => {
    const a = await enter('a', 'r3');
    const b = await enter('b', 'r3');
    await a.next('join');
    await b.next('join');
    await rooms.updateRoomMetadata('r3', 'fresh metadata');
    const update = await a.next('roomUpdate');
    assert.equal(update.room?.metadata, 'fresh metadata');
    await rooms.removeParticipant('r3', 'b');
    assert.equal((await b.next('leave')).reason, DisconnectReason.PARTICIPANT_REMOVED);
    await b.waitClosed();
    await rooms.deleteRoom('r3');
    assert.equal((await a.next('leave')).reason, DisconnectReason.ROOM_DELETED);
    await a.waitClosed();
  });

  it('answers a resume (reconnect=1) with leave RECONNECT, so the client rejoins in full', async () => {
    const socket = await connectLiveKit(node.url, await token('resumer', 'r5'), {
      query: '&reconnect=1&sid=PA_old',
    });
    sockets.push(socket);
    const leave = await socket.next('leave');
    assert.equal(leave.action, LeaveRequest_Action.RECONNECT);
    assert.equal(socket.messages[0]?.case, 'leave', 'no JoinResponse for a resume');
    await socket.waitClosed();
    const fresh = await enter('resumer', 'r5');
    assert.equal((await fresh.next('join')).participant?.identity, 'resumer');
  });

  it('puts both protocols in one room: a session of ours hears of a LiveKit participant', async () => {
    const ours = await openSession(node.url, await token('ours', 'r4'));
    try {
      const joined = await ours.request('join', {});
      assert.equal(joined.ok, true);
      const theirs = await enter('theirs', 'r4');
      const response = await theirs.next('join');
      assert.deepEqual(
        response.otherParticipants.map((p) => p.identity),
        ['ours'],
      );
      const arrived = await waitFor(
        () => ours.frames.find((f) => f.notification && f.method === 'participantJoined'),
        {
          what: 'our session to hear of the LiveKit participant',
        },
      );
      assert.equal(arrived.data.participant.identity, 'theirs');
    } finally {
      ours.close();
    }
  });
});
