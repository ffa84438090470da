import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DisconnectReason, TrackType } from '@livekit/protocol';
import { RoomServiceClient, type WebhookEvent } from 'livekit-server-sdk';
import { TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { publishCameraAndMicrophone } from '../livekit/fake-publisher.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';
import { startReceiver, type TestReceiver } from '../webhooks/receiver.js';
import { joinToken, type SpanCluster, startSpanCluster } from './span-cluster.js';

const ROOM = 'span-api';

/** What a test reads of a webhook: its name and who it is about. */
const label = (e: WebhookEvent) =>
  [e.event, e.participant?.identity, e.track ? TrackType[e.track.type] : undefined].filter(Boolean).join(' ');

describe("the Room API and webhooks over a spanning room's legs", { timeout: 110_000 }, () => {
  let cluster: SpanCluster;
  let hooks: TestReceiver;
  const sockets = new Map<string, LiveKitSocket>();
  let west: RoomServiceClient;
  let east: RoomServiceClient;

  before(async () => {
    hooks = await startReceiver();
    cluster = await startSpanCluster(
      [
        { name: 'west', region: 'us-west-2' },
        { name: 'east', region: 'eu-central-1' },
      ],
      { label: 'span-api' },
      () => ({ webhook: { api_key: TEST_KEY, urls: [hooks.url] } }),
    );
    west = new RoomServiceClient(cluster.node('west').url, TEST_KEY, TEST_SECRET);
    east = new RoomServiceClient(cluster.node('east').url, TEST_KEY, TEST_SECRET);
  });

  after(async () => {
    for (const socket of sockets.values()) socket.close();
    await cluster?.stop();
    await hooks?.close();
  });

  async function join(node: string, identity: string): Promise<LiveKitSocket> {
    const socket = await connectLiveKit(cluster.node(node).url, await joinToken(ROOM, identity));
    sockets.set(identity, socket);
    return socket;
  }

  it('counts max_participants over the whole room, whichever node a participant joins through', async () => {
    await west.createRoom({ name: ROOM, maxParticipants: 3, emptyTimeout: 300 });
    for (const [node, identity] of [
      ['west', 'alice'],
      ['east', 'bob'],
      ['west', 'carol'],
    ] as const) {
      const socket = await join(node, identity);
      await socket.next('join', { what: `${identity}'s JoinResponse` });
      await publishCameraAndMicrophone(socket);
    }
    const dave = await join('east', 'dave');
    const leave = await dave.next('leave', { what: 'dave refused: the room is full over both nodes' });
    assert.equal(leave.reason, DisconnectReason.JOIN_FAILURE);
    assert.match(
      (await dave.waitClosed()).reason,
      /room span-api is full \(max_participants 3 over every node\)/,
    );
    sockets.delete('dave');
    for (const sdk of [west, east]) {
      const listed = await sdk.listParticipants(ROOM);
      assert.deepEqual(listed.map((p) => p.identity).sort(), ['alice', 'bob', 'carol']);
      assert.equal(listed.find((p) => p.identity === 'bob')?.tracks.length, 2);
    }
  });

  it('reaches a participant on the leg: mute, update, and the others see it', async () => {
    const bob = sockets.get('bob')!;
    const alice = sockets.get('alice')!;
    const track = (await west.getParticipant(ROOM, 'bob')).tracks.find((t) => t.type === TrackType.VIDEO)!;
    const from = bob.messages.length;
    const muted = await west.mutePublishedTrack(ROOM, 'bob', track.sid, true);
    assert.equal(muted.muted, true);
    const request = await bob.next('mute', { from, what: "bob's client told to mute its camera" });
    assert.equal(request.sid, track.sid);
    await waitFor(
      () =>
        alice.messages.some(
          (m) =>
            m.case === 'update' &&
            m.value.participants.some(
              (p) => p.identity === 'bob' && p.tracks.some((t) => t.sid === track.sid && t.muted),
            ),
        ),
      { what: "alice seeing bob's camera muted across the pipe" },
    );
    const updated = await east.updateParticipant(ROOM, 'bob', { metadata: 'from the api' });
    assert.equal(updated.metadata, 'from the api');
    await waitFor(async () => (await west.getParticipant(ROOM, 'bob')).metadata === 'from the api', {
      what: "the home seeing bob's new metadata",
    });
  });

  it('removes a participant on the leg and deletes the room on every node', async () => {
    const bob = sockets.get('bob')!;
    await west.removeParticipant(ROOM, 'bob');
    const leave = await bob.next('leave', { what: 'bob removed through the home' });
    assert.equal(leave.reason, DisconnectReason.PARTICIPANT_REMOVED);
    await waitFor(async () => (await west.listParticipants(ROOM)).length === 2, {
      what: 'bob gone from the room',
    });
    // A leg with no participant of its own closes after a short idle time; a new one opens for the next.
    const erin = await join('east', 'erin');
    await erin.next('join');
    await waitFor(async () => (await cluster.part('east', ROOM))?.role === 'leg', { what: 'a leg on east' });
    await east.deleteRoom(ROOM);
    for (const identity of ['alice', 'carol', 'erin']) {
      const leave = await sockets
        .get(identity)!
        .next('leave', { what: `${identity} told the room was deleted` });
      assert.equal(leave.reason, DisconnectReason.ROOM_DELETED);
    }
    await waitFor(
      async () =>
        (await cluster.part('west', ROOM)) === undefined && (await cluster.part('east', ROOM)) === undefined,
      { what: 'both nodes to close their parts of the room' },
    );
    assert.equal(await cluster.store.exists(`{lkc}:legs:${ROOM}`, `{lkc}:members:${ROOM}`), 0);
    assert.deepEqual(await west.listRooms([ROOM]), []);
  });

  it('sends each webhook once, from the node of the participant it is about', async () => {
    await waitFor(() => hooks.accepted().some((e) => e.event === 'room_finished'), {
      what: 'room_finished after the room was deleted',
    });
    const labels = hooks.accepted().map(label);
    const count = (l: string) => labels.filter((x) => x === l).length;
    for (const l of [
      'room_started',
      'room_finished',
      'participant_joined alice',
      'participant_joined bob',
      'participant_joined carol',
      'participant_joined erin',
      'participant_left bob',
      'track_published bob VIDEO',
      'track_published bob AUDIO',
      'track_unpublished bob VIDEO',
    ])
      assert.equal(count(l), 1, `${l} sent ${count(l)} times: ${labels.join(' | ')}`);
    assert.equal(count('participant_joined dave'), 0);
    assert.deepEqual(hooks.refused, []);
  });
});
