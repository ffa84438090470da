import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DisconnectReason, TrackType } from '@livekit/protocol';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';
import { publishCameraAndMicrophone } from '../livekit/fake-publisher.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';

const ROOM = 'cli-people';

async function joinToken(identity: string, room = ROOM): Promise<string> {
  const at = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room });
  return at.toJwt();
}

/** The cells of a boxed table's body rows (cli-table3's `│` columns), the heading row first. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('│')
        .map((cell) => cell.trim()),
    );
}

/** A two-column details table as key -> value. */
function details(text: string): Map<string, string> {
  return new Map(tableRows(text).map(([key, value]) => [key!, value!]));
}

/** A failed run: exit 1 and one line on stderr matching `pattern`. */
function oneLineError(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 1, `${run.stdout}${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, pattern);
}

describe('lk-cluster room participants list | get | remove | update | mute, room move and update-metadata', () => {
  let dir: string;
  let configFile: string;
  let node: TestNode;
  let sdk: RoomServiceClient;
  const sockets: LiveKitSocket[] = [];
  let alice: LiveKitSocket;
  let bob: LiveKitSocket;
  let audioSid = '';
  let videoSid = '';

  const cli = (...args: string[]) => runCli(['room', ...args, '-c', configFile]);
  const enter = async (identity: string, room = ROOM) => {
    const socket = await connectLiveKit(node.url, await joinToken(identity, room));
    sockets.push(socket);
    await socket.next('join', { what: `${identity}'s JoinResponse` });
    return socket;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-room-participants-'));
    const port = await freePort();
    configFile = writeConfig(dir, 'node.yaml', nodeConfig({ port }));
    node = await startNode(configFile, port);
    sdk = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
    const created = await admin(node.url, 'POST', '/admin/rooms', { name: ROOM });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    // alice publishes a camera and a microphone (announced, then offered), bob nothing.
    alice = await enter('alice');
    await publishCameraAndMicrophone(alice);
    const published = await waitFor(
      async () => {
        const p = await sdk.getParticipant(ROOM, 'alice');
        return p.tracks.length === 2 ? p : undefined;
      },
      { what: 'alice to publish two tracks' },
    );
    audioSid = published.tracks.find((t) => t.type === TrackType.AUDIO)!.sid;
    videoSid = published.tracks.find((t) => t.type === TrackType.VIDEO)!.sid;
    bob = await enter('bob');
  });

  after(async () => {
    for (const socket of sockets) socket.socket.terminate();
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('participants list: a row per participant with its tracks, --json as ParticipantInfo, the old name too', async () => {
    const [aliceInfo, bobInfo] = [
      await sdk.getParticipant(ROOM, 'alice'),
      await sdk.getParticipant(ROOM, 'bob'),
    ];
    const table = await cli('participants', 'list', ROOM);
    assert.equal(table.code, 0, table.stderr);
    const [head, ...rows] = tableRows(table.stdout);
    assert.deepEqual(head, ['identity', 'sid', 'name', 'joined', 'tracks', 'region']);
    const byIdentity = new Map(rows.map((row) => [row[0], row]));
    assert.equal(byIdentity.get('alice')?.[1], aliceInfo.sid);
    assert.deepEqual(byIdentity.get('alice')?.[4]?.split(', ').sort(), ['audio', 'video']);
    assert.equal(byIdentity.get('bob')?.[1], bobInfo.sid);
    assert.equal(byIdentity.get('bob')?.[4], '-');
    assert.ok(!Number.isNaN(Date.parse(byIdentity.get('bob')?.[3] ?? '')));

    const json = await cli('participants', 'list', ROOM, '--json');
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout) as Array<{ identity: string; sid: string; tracks?: unknown[] }>;
    assert.deepEqual(listed.map((p) => [p.identity, p.sid, p.tracks?.length ?? 0]).sort(), [
      ['alice', aliceInfo.sid, 2],
      ['bob', bobInfo.sid, 0],
    ]);
    // `room participants ROOM`, as scripts wrote it before the topic had commands.
    const old = await cli('participants', ROOM, '--json');
    assert.equal(old.code, 0, old.stderr);
    assert.deepEqual((JSON.parse(old.stdout) as Array<{ identity: string }>).map((p) => p.identity).sort(), [
      'alice',
      'bob',
    ]);
    oneLineError(await cli('participants', 'list', 'no-such-room'), /^room no-such-room does not exist$/);
  });

  test('participants get: one participant and its tracks, as a table and as JSON; a missing one is not found', async () => {
    const info = await sdk.getParticipant(ROOM, 'alice');
    const table = await cli('participants', 'get', ROOM, 'alice');
    assert.equal(table.code, 0, table.stderr);
    const [detailsText, tracksText] = table.stdout.split(/\n(?=┌)/);
    const d = details(detailsText!);
    assert.equal(d.get('identity'), 'alice');
    assert.equal(d.get('sid'), info.sid);
    assert.equal(d.get('state'), 'active');
    assert.match(d.get('may') ?? '', /^publish yes, subscribe yes, data yes/);
    const [head, ...tracks] = tableRows(tracksText ?? '');
    assert.deepEqual(head, ['track', 'kind', 'source', 'name', 'muted', 'codec', 'size']);
    assert.deepEqual(
      tracks.map((row) => row.slice(0, 5)).sort(),
      [
        [audioSid, 'audio', 'microphone', 'mic', 'no'],
        [videoSid, 'video', 'camera', 'cam', 'no'],
      ].sort(),
    );
    const bobTable = await cli('participants', 'get', ROOM, 'bob');
    assert.match(bobTable.stdout, /bob publishes no tracks/);

    const json = await cli('participants', 'get', ROOM, 'alice', '--json');
    assert.equal(json.code, 0, json.stderr);
    const got = JSON.parse(json.stdout) as {
      identity: string;
      sid: string;
      tracks: Array<{ sid: string; type?: string; source: string }>;
    };
    assert.deepEqual([got.identity, got.sid], ['alice', info.sid]);
    assert.deepEqual(
      got.tracks.map((t) => [t.sid, t.source]).sort(),
      [
        [audioSid, 'MICROPHONE'],
        [videoSid, 'CAMERA'],
      ].sort(),
    );

    oneLineError(
      await cli('participants', 'get', ROOM, 'nobody'),
      /^participant nobody is not in room cli-people$/,
    );
    oneLineError(
      await cli('participants', 'get', 'no-such-room', 'alice'),
      /^room no-such-room does not exist$/,
    );
  });

  test('participants mute: by --kind, by --source, by sid (and as `room mute`); the client is told', async () => {
    const from = alice.messages.length;
    const muted = await cli('participants', 'mute', ROOM, 'alice', '--kind', 'audio');
    assert.equal(muted.code, 0, muted.stderr);
    assert.equal(muted.stdout.trim(), `muted alice’s audio track ${audioSid} in room ${ROOM}`);
    const told = await alice.next('mute', { from, what: 'alice to be told to mute' });
    assert.deepEqual([told.sid, told.muted], [audioSid, true]);
    const after = await sdk.getParticipant(ROOM, 'alice');
    assert.equal(after.tracks.find((t) => t.sid === audioSid)?.muted, true);

    const unmuted = await cli(
      'participants',
      'mute',
      ROOM,
      'alice',
      '--source',
      'microphone',
      '--unmute',
      '--json',
    );
    assert.equal(unmuted.code, 0, unmuted.stderr);
    const json = JSON.parse(unmuted.stdout) as { sid: string; muted?: boolean; source: string };
    assert.deepEqual([json.sid, json.muted ?? false, json.source], [audioSid, false, 'MICROPHONE']);

    const bySid = await cli('mute', ROOM, 'alice', videoSid, '--json');
    assert.equal(bySid.code, 0, bySid.stderr);
    assert.equal((JSON.parse(bySid.stdout) as { muted: boolean }).muted, true);
    assert.equal((await cli('participants', 'mute', ROOM, 'alice', videoSid, '--unmute')).code, 0);
    assert.equal(
      (await sdk.getParticipant(ROOM, 'alice')).tracks.find((t) => t.sid === videoSid)?.muted,
      false,
    );

    oneLineError(
      await cli('participants', 'mute', ROOM, 'alice', '--kind', 'video', '--source', 'microphone'),
      /^alice in room cli-people publishes no microphone video track \(it publishes .*TR_/,
    );
    oneLineError(
      await cli('participants', 'mute', ROOM, 'bob', '--kind', 'audio'),
      /^bob in room cli-people publishes no audio track$/,
    );
    oneLineError(await cli('participants', 'mute', ROOM, 'alice'), /^which track\?/);
    oneLineError(
      await cli('participants', 'mute', ROOM, 'nobody', '--kind', 'audio'),
      /^participant nobody is not in room/,
    );
    oneLineError(
      await cli('participants', 'mute', 'no-such-room', 'alice', 'TR_x'),
      /^room no-such-room does not exist$/,
    );
  });

  test('participants update: metadata, attributes and permission, the others see it; --json; missing is not found', async () => {
    const from = alice.messages.length;
    const table = await cli(
      'participants',
      'update',
      ROOM,
      'bob',
      '--metadata',
      '{"seat":3}',
      '--attribute',
      'team=red',
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^updated bob in room cli-people: name "", metadata "\{\\"seat\\":3\}", attributes \{"team":"red"\}, publish yes, subscribe yes, data yes$/m,
    );
    await waitFor(
      () =>
        alice.messages
          .slice(from)
          .flatMap((m) => (m.case === 'update' ? m.value.participants : []))
          .find((p) => p.identity === 'bob' && p.metadata === '{"seat":3}'),
      { what: "alice to see bob's metadata" },
    );
    const json = await cli(
      'participants',
      'update',
      ROOM,
      'bob',
      '--name',
      'Bob',
      '--no-can-publish',
      '--json',
    );
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout) as {
      name: string;
      metadata: string;
      permission: { can_publish?: boolean; can_subscribe?: boolean };
    };
    assert.deepEqual(
      [info.name, info.metadata, info.permission.can_publish ?? false, info.permission.can_subscribe],
      ['Bob', '{"seat":3}', false, true],
    );
    // Its old name still works.
    assert.equal((await cli('update-participant', ROOM, 'bob', '--can-publish')).code, 0);
    assert.equal((await sdk.getParticipant(ROOM, 'bob')).permission?.canPublish, true);
    oneLineError(
      await cli('participants', 'update', ROOM, 'nobody', '--name', 'x'),
      /^participant nobody is not in room cli-people$/,
    );
  });

  test('update-metadata: the room’s metadata changes and its participants are told; --json is the Room', async () => {
    const from = bob.messages.length;
    const table = await cli('update-metadata', ROOM, '{"topic":"q3"}');
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trim(), 'updated the metadata of room cli-people: "{\\"topic\\":\\"q3\\"}"');
    const update = await bob.next('roomUpdate', { from, what: 'bob to be told of the metadata' });
    assert.equal(update.room?.metadata, '{"topic":"q3"}');
    const json = await cli('update-metadata', ROOM, 'plain', '--json');
    assert.equal(json.code, 0, json.stderr);
    const room = JSON.parse(json.stdout) as { name: string; sid: string; metadata: string };
    const [listed] = await sdk.listRooms([ROOM]);
    assert.deepEqual([room.name, room.sid, room.metadata], [ROOM, listed?.sid, 'plain']);
    assert.equal(listed?.metadata, 'plain');
    oneLineError(await cli('update-metadata', 'no-such-room', 'x'), /^room no-such-room does not exist$/);
  });

  test('move: the participant is told to rejoin in the other room; the old name works; missing is not found', async () => {
    const carol = await enter('carol');
    const moved = await cli('move', ROOM, 'carol', '--to', 'cli-elsewhere');
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(moved.stdout.trim(), 'moved carol from room cli-people to room cli-elsewhere');
    assert.equal((await carol.next('roomMoved')).room?.name, 'cli-elsewhere');

    const erin = await enter('erin');
    const json = await cli('move-participant', ROOM, 'erin', '--to', 'cli-elsewhere', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { identity: 'erin', from: ROOM, to: 'cli-elsewhere' });
    assert.equal((await erin.next('roomMoved')).room?.name, 'cli-elsewhere');
    oneLineError(
      await cli('move', ROOM, 'nobody', '--to', 'cli-elsewhere'),
      /^participant nobody is not in room cli-people$/,
    );
  });

  test('participants remove: the client is told it was removed and the room no longer lists it', async () => {
    const dave = await enter('dave');
    const removed = await cli('participants', 'remove', ROOM, 'dave');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), 'removed dave from room cli-people');
    assert.equal((await dave.next('leave')).reason, DisconnectReason.PARTICIPANT_REMOVED);
    await dave.waitClosed();

    const json = await cli('participants', 'remove', ROOM, 'bob', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { room: ROOM, removed: 'bob' });
    await bob.waitClosed();
    assert.ok(!(await sdk.listParticipants(ROOM)).some((p) => ['bob', 'dave'].includes(p.identity)));

    oneLineError(
      await cli('participants', 'remove', ROOM, 'bob'),
      /^participant bob is not in room cli-people$/,
    );
    const missingRoom = await cli('participants', 'remove', 'no-such-room', 'bob', '--json');
    assert.equal(missingRoom.code, 1);
    assert.deepEqual(JSON.parse(missingRoom.stdout), {
      error: { code: 'ROOM_NOT_FOUND', message: 'room no-such-room does not exist' },
    });
  });
});
