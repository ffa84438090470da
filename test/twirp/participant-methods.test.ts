import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LeaveRequest_Action } from '@livekit/protocol';
import { decodeJwt } from 'jose';
import {
  AccessToken,
  DataPacket_Kind,
  ParticipantInfo_State,
  RoomServiceClient,
  type TwirpError,
} from 'livekit-server-sdk';
import type { VideoGrant } from '../../src/auth/token.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  testToken,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';

const ROOM = 'api-room';

async function joinToken(
  identity: string,
  room: string,
  grant: Record<string, unknown> = {},
): Promise<string> {
  const at = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room, ...grant });
  return at.toJwt();
}

/** One RoomService call as JSON with a token of our making, for the grants the SDK would never sign. */
async function twirp(
  url: string,
  method: string,
  body: unknown,
  grant: VideoGrant,
): Promise<{ status: number; code?: string; msg?: string }> {
  const response = await fetch(`${url}/twirp/livekit.RoomService/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await testToken(grant)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { code?: string; msg?: string };
  return { status: response.status, code: json.code, msg: json.msg };
}

// The room lives on A; every call goes through B, which does not host it, so each crosses the bus.
describe('RoomService participant methods through a node that does not host the room', () => {
  let redis: TestRedis;
  let dir: string;
  let a: TestNode;
  let b: TestNode;
  let configFile: string;
  const started: TestNode[] = [];
  const sockets: LiveKitSocket[] = [];
  let alice: LiveKitSocket;
  let bob: LiveKitSocket;
  let viaB: RoomServiceClient;

  const enter = async (node: TestNode, identity: string, room: string) => {
    const socket = await connectLiveKit(node.url, await joinToken(identity, room));
    sockets.push(socket);
    await socket.next('join', { what: `${identity}'s JoinResponse` });
    return socket;
  };

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-twirp-participants-'));
    const start = async (name: string) => {
      const port = await freePort();
      const file = writeConfig(dir, `${name}.yaml`, nodeConfig({ port, redis: redis.address }));
      if (name === 'b') configFile = file;
      const node = await startNode(file, port);
      started.push(node);
      return node;
    };
    [a, b] = await Promise.all([start('a'), start('b')]);
    const created = await admin(a.url, 'POST', '/admin/rooms', { name: ROOM });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    viaB = new RoomServiceClient(b.url, TEST_KEY, TEST_SECRET);
    alice = await enter(a, 'alice', ROOM);
    bob = await enter(b, 'bob', ROOM);
  });

  after(async () => {
    for (const socket of sockets) socket.socket.terminate();
    await Promise.all(started.map((node) => node.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('UpdateParticipant: name, metadata and attributes reach the others in a ParticipantUpdate', async () => {
    const from = bob.messages.length;
    const info = await viaB.updateParticipant(ROOM, 'alice', {
      name: 'Alice A.',
      metadata: '{"role":"host"}',
      attributes: { team: 'red', seat: '4' },
    });
    assert.deepEqual([info.identity, info.name, info.metadata], ['alice', 'Alice A.', '{"role":"host"}']);
    assert.deepEqual(info.attributes, { team: 'red', seat: '4' });
    const seen = await waitFor(
      () =>
        bob.messages
          .slice(from)
          .flatMap((m) => (m.case === 'update' ? m.value.participants : []))
          .find((p) => p.identity === 'alice' && p.metadata === '{"role":"host"}'),
      { what: "bob to see alice's new metadata" },
    );
    assert.equal(seen.name, 'Alice A.');
    assert.deepEqual(seen.attributes, { team: 'red', seat: '4' });
    // An empty value deletes an attribute; what is not named stays.
    const again = await viaB.updateParticipant(ROOM, 'alice', { attributes: { seat: '' } });
    assert.deepEqual(again.attributes, { team: 'red' });
    assert.equal(again.metadata, '{"role":"host"}');
  });

  test('UpdateParticipant: a permission change is shown to the participant itself and the others', async () => {
    const from = alice.messages.length;
    const info = await viaB.updateParticipant(ROOM, 'alice', {
      permission: { canPublish: false, canSubscribe: true, canPublishData: true },
    });
    assert.equal(info.permission?.canPublish, false);
    const own = await waitFor(
      () =>
        alice.messages
          .slice(from)
          .flatMap((m) => (m.case === 'update' ? m.value.participants : []))
          .find((p) => p.identity === 'alice' && p.permission?.canPublish === false),
      { what: 'alice to be told she may not publish' },
    );
    assert.equal(own.permission?.canSubscribe, true);
    await viaB.updateParticipant(ROOM, 'alice', {
      permission: { canPublish: true, canSubscribe: true, canPublishData: true },
    });
  });

  test('MoveParticipant: the client gets RoomMoved with a token for the destination, is told to reconnect, and joins there', async () => {
    const carol = await enter(b, 'carol', ROOM);
    const aliceFrom = alice.messages.length;
    await viaB.moveParticipant(ROOM, 'carol', 'api-elsewhere');
    const moved = await carol.next('roomMoved');
    assert.equal(moved.room?.name, 'api-elsewhere');
    assert.equal(moved.participant?.identity, 'carol');
    const claims = decodeJwt(moved.token) as { sub?: string; video?: VideoGrant };
    assert.equal(claims.sub, 'carol');
    assert.deepEqual([claims.video?.roomJoin, claims.video?.room], [true, 'api-elsewhere']);
    const leave = await carol.next('leave');
    assert.equal(leave.action, LeaveRequest_Action.RECONNECT);
    await carol.waitClosed();
    await waitFor(
      () =>
        alice.messages
          .slice(aliceFrom)
          .flatMap((m) => (m.case === 'update' ? m.value.participants : []))
          .find((p) => p.identity === 'carol' && p.state === ParticipantInfo_State.DISCONNECTED),
      { what: 'alice to see carol leave the room' },
    );
    // The client rejoins with the token it was given, through any node: it is in the destination room.
    const rejoined = await connectLiveKit(a.url, moved.token);
    sockets.push(rejoined);
    const join = await rejoined.next('join');
    assert.equal(join.room?.name, 'api-elsewhere');
    assert.equal(join.participant?.identity, 'carol');
    const there = await viaB.listParticipants('api-elsewhere');
    assert.deepEqual(
      there.map((p) => p.identity),
      ['carol'],
    );
    assert.ok(!(await viaB.listParticipants(ROOM)).some((p) => p.identity === 'carol'));
  });

  test('SendData and UpdateSubscriptions answer through any node (their effect is seen in the browser test)', async () => {
    await viaB.sendData(ROOM, new TextEncoder().encode('hi'), DataPacket_Kind.RELIABLE, { topic: 't' });
    await viaB.updateSubscriptions(ROOM, 'bob', ['TR_none'], true);
  });

  test('refuses a token without roomAdmin for the room as LiveKit does: unauthenticated', async () => {
    const calls: [string, unknown][] = [
      ['MutePublishedTrack', { room: ROOM, identity: 'alice', track_sid: 'TR_x', muted: true }],
      ['UpdateParticipant', { room: ROOM, identity: 'alice', metadata: 'x' }],
      ['UpdateSubscriptions', { room: ROOM, identity: 'alice', track_sids: ['TR_x'], subscribe: true }],
      ['SendData', { room: ROOM, data: Buffer.from('x').toString('base64') }],
      ['MoveParticipant', { room: ROOM, identity: 'alice', destination_room: 'x' }],
      ['ForwardParticipant', { room: ROOM, identity: 'alice', destination_room: 'x' }],
    ];
    for (const [method, body] of calls) {
      for (const grant of [
        { roomList: true, roomCreate: true },
        { roomAdmin: true, room: 'another-room', destinationRoom: 'x' },
      ] satisfies VideoGrant[]) {
        const answer = await twirp(b.url, method, body, grant);
        assert.deepEqual(
          [answer.status, answer.code],
          [401, 'unauthenticated'],
          `${method} ${JSON.stringify(grant)}`,
        );
      }
    }
    // Moving needs the destination named in the grant too.
    const noDestination = await twirp(
      b.url,
      'MoveParticipant',
      { room: ROOM, identity: 'alice', destination_room: 'x' },
      { roomAdmin: true, room: ROOM },
    );
    assert.equal(noDestination.code, 'unauthenticated');
    assert.match(noDestination.msg ?? '', /destinationRoom/);
  });

  test('answers not_found for a missing room, participant or track, and invalid_argument for a move to the same room', async () => {
    const notFound = (err: TwirpError) => {
      assert.equal(err.code, 'not_found', err.message);
      assert.equal(err.status, 404);
      return true;
    };
    await assert.rejects(viaB.mutePublishedTrack('no-such-room', 'alice', 'TR_x', true), notFound);
    await assert.rejects(viaB.mutePublishedTrack(ROOM, 'nobody', 'TR_x', true), notFound);
    await assert.rejects(viaB.mutePublishedTrack(ROOM, 'alice', 'TR_nothing', true), notFound);
    await assert.rejects(viaB.updateParticipant('no-such-room', 'alice', { metadata: 'x' }), notFound);
    await assert.rejects(viaB.updateParticipant(ROOM, 'nobody', { metadata: 'x' }), notFound);
    await assert.rejects(viaB.updateSubscriptions(ROOM, 'nobody', ['TR_x'], true), notFound);
    await assert.rejects(
      viaB.sendData('no-such-room', new Uint8Array([1]), DataPacket_Kind.RELIABLE),
      notFound,
    );
    await assert.rejects(viaB.moveParticipant(ROOM, 'nobody', 'x'), notFound);
    await assert.rejects(viaB.moveParticipant('no-such-room', 'alice', 'x'), notFound);
    await assert.rejects(viaB.moveParticipant(ROOM, 'alice', ROOM), (err: TwirpError) => {
      assert.equal(err.code, 'invalid_argument');
      assert.match(err.message, /same as source room/);
      return true;
    });
    await assert.rejects(viaB.forwardParticipant(ROOM, 'nobody', 'x'), notFound);
    await assert.rejects(viaB.forwardParticipant(ROOM, 'alice', ROOM), (err: TwirpError) => {
      assert.equal(err.code, 'invalid_argument');
      assert.match(err.message, /same as source room/);
      return true;
    });
    const badNonce = await twirp(
      b.url,
      'SendData',
      { room: ROOM, data: 'eA==', nonce: 'AAE=' },
      { roomAdmin: true, room: ROOM },
    );
    assert.equal(badNonce.code, 'invalid_argument');
  });

  test('the CLI updates a participant, sends data and moves one, with --json and one-line errors', async () => {
    const cli = (...args: string[]) => runCli(['room', ...args, '-c', configFile, '--url', b.url]);
    const from = bob.messages.length;
    const updated = await cli(
      'participants',
      'update',
      ROOM,
      'alice',
      '--name',
      'Alice C.',
      '--attribute',
      'team=blue',
      '--no-can-publish-data',
      '--json',
    );
    assert.equal(updated.code, 0, updated.stderr);
    const json = JSON.parse(updated.stdout);
    assert.equal(json.name, 'Alice C.');
    assert.equal(json.attributes.team, 'blue');
    // The rest of the permission is kept: only the data flag changed.
    assert.equal(json.permission.can_publish, true);
    assert.equal(json.permission.can_publish_data ?? false, false);
    await waitFor(
      () =>
        bob.messages
          .slice(from)
          .flatMap((m) => (m.case === 'update' ? m.value.participants : []))
          .find((p) => p.identity === 'alice' && p.name === 'Alice C.'),
      { what: "bob to see alice's new name" },
    );

    const sent = await cli('send-data', ROOM, '--data', 'hello', '--topic', 'news', '--to', 'bob');
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /sent 5 bytes \(reliable, topic news\) to bob in room api-room/);

    const dave = await enter(a, 'dave', ROOM);
    const moved = await cli('move', ROOM, 'dave', '--to', 'api-other', '--json');
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(JSON.parse(moved.stdout), { identity: 'dave', from: ROOM, to: 'api-other' });
    assert.equal((await dave.next('roomMoved')).room?.name, 'api-other');

    const missing = await cli('participants', 'mute', ROOM, 'alice', 'TR_nothing');
    assert.notEqual(missing.code, 0);
    const lines = missing.stderr.trim().split('\n');
    assert.equal(lines.length, 1, missing.stderr);
    assert.match(lines[0]!, /alice publishes no track TR_nothing/);

    const nothing = await cli('participants', 'update', ROOM, 'alice');
    assert.notEqual(nothing.code, 0);
    assert.match(nothing.stderr, /nothing to change/);
  });
});
