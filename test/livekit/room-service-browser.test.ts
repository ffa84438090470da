import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken, DataPacket_Kind, RoomServiceClient, TrackType } from 'livekit-server-sdk';
import type { Browser } from 'playwright-core';
import { TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from './app-cluster.js';
import { type AppPage, openApp } from './livekit-page.js';

/** What these tests read of the page's livekit-client Room beyond the app's helpers. */
interface SdkRoom {
  name: string;
  state: string;
  localParticipant: { sid: string; trackPublications: Map<string, { isMuted: boolean }> };
  remoteParticipants: Map<string, { metadata?: string }>;
}
declare module './livekit-page.js' {
  // The page keeps its Room in app.room; these tests read it inside page.evaluate().
  interface AppApi {
    room: SdkRoom;
  }
}

const ROOM = 'rs-browser';
const DESTINATION = 'rs-browser-next';

async function sdkToken(identity: string): Promise<string> {
  const token = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  token.addGrant({ roomJoin: true, room: ROOM });
  return token.toJwt();
}

// The room lives on A; alice joins there, bob through B, and every Room API call goes through B.
describe("The RoomService's participant methods as LiveKit's browser SDK sees them", () => {
  let cluster: AppCluster<'a' | 'b'> | undefined;
  let a: TestNode;
  let b: TestNode;
  let browser: Browser;
  let site: { url: string };
  let alice: AppPage;
  let bob: AppPage;
  let api: RoomServiceClient;

  const why = (p: AppPage) => `\n${p.log.slice(-15).join('\n')}`;
  const events = (p: AppPage) => p.page.evaluate(() => app.events);
  const count = async (p: AppPage, line: string) => (await events(p)).filter((e) => e === line).length;
  const trackSid = async (identity: string, type: TrackType) => {
    const participant = await api.getParticipant(ROOM, identity);
    const track = participant.tracks.find((t) => t.type === type);
    assert.ok(track, `${identity} publishes a ${TrackType[type]} track`);
    return track.sid;
  };

  before(async () => {
    cluster = await startAppCluster(['a', 'b'] as const, { room: ROOM, label: 'rs-browser' });
    ({ a, b } = cluster.nodes);
    browser = cluster.browser;
    site = { url: cluster.siteUrl };
    api = new RoomServiceClient(b.url, TEST_KEY, TEST_SECRET);
  });

  after(() => cluster?.stop());

  it('joins alice on the room node and bob through the other, both publishing', async () => {
    assert.ok(browser && site);
    alice = await openApp(browser, site.url);
    bob = await openApp(browser, site.url);
    await alice.page.evaluate(([url, token]) => app.connect(url!, token!), [a.url, await sdkToken('alice')]);
    await bob.page.evaluate(([url, token]) => app.connect(url!, token!), [b.url, await sdkToken('bob')]);
    await Promise.all([alice.page.evaluate(() => app.publish()), bob.page.evaluate(() => app.publish())]);
    for (const kind of ['audio', 'video']) {
      await waitFor(async () => (await events(bob)).includes(`subscribed alice ${kind}`), {
        timeoutMs: 20_000,
        what: () => `bob to subscribe alice's ${kind}${why(bob)}`,
      });
    }
  });

  it("MutePublishedTrack: alice's own SDK mutes the track and bob sees it muted; unmute undoes both", async () => {
    const sid = await trackSid('alice', TrackType.AUDIO);
    const muted = await api.mutePublishedTrack(ROOM, 'alice', sid, true);
    assert.deepEqual([muted?.sid, muted?.muted], [sid, true]);
    await waitFor(async () => (await events(alice)).includes('muted alice audio'), {
      what: () => `alice's SDK to mute her audio${why(alice)}`,
    });
    const local = await alice.page.evaluate(
      (s) => app.room.localParticipant.trackPublications.get(s)?.isMuted,
      sid,
    );
    assert.equal(local, true, "alice's local publication is muted");
    await waitFor(async () => (await events(bob)).includes('muted alice audio'), {
      what: () => `bob to see alice's audio muted${why(bob)}`,
    });
    await api.mutePublishedTrack(ROOM, 'alice', sid, false);
    await waitFor(async () => (await events(bob)).includes('unmuted alice audio'), {
      what: () => `bob to see alice's audio unmuted${why(bob)}`,
    });
    await waitFor(async () => (await events(alice)).includes('unmuted alice audio'), {
      what: () => `alice's SDK to unmute her audio${why(alice)}`,
    });
  });

  it("UpdateSubscriptions: bob loses alice's video, then gets it back and decodes it", async () => {
    const sid = await trackSid('alice', TrackType.VIDEO);
    await api.updateSubscriptions(ROOM, 'bob', [sid], false);
    await waitFor(async () => (await events(bob)).includes('unsubscribed alice video'), {
      what: () => `bob's subscription to alice's video to end${why(bob)}`,
    });
    const before = await count(bob, 'subscribed alice video');
    const frames = (await bob.page.evaluate(() => app.inbound('alice'))).video;
    await api.updateSubscriptions(ROOM, 'bob', [sid], true);
    await waitFor(async () => (await count(bob, 'subscribed alice video')) > before, {
      what: () => `bob to subscribe alice's video again${why(bob)}`,
    });
    await waitFor(async () => (await bob.page.evaluate(() => app.inbound('alice'))).video > frames + 10, {
      timeoutMs: 15_000,
      what: () => `bob to decode alice's video again${why(bob)}`,
    });
  });

  it('SendData: reaches the named participant with its topic and no sender; without names, everyone', async () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    await api.sendData(ROOM, encode('for bob'), DataPacket_Kind.RELIABLE, {
      topic: 'news',
      destinationIdentities: ['bob'],
    });
    await api.sendData(ROOM, encode('for all'), DataPacket_Kind.LOSSY, { topic: 'all' });
    const got = await waitFor(
      async () => (await bob.page.evaluate(() => app.data)).find((d) => d.text === 'for bob'),
      { what: () => `bob to receive the API's message${why(bob)}` },
    );
    assert.deepEqual([got.from, got.topic, got.kind], [null, 'news', DataPacket_Kind.RELIABLE]);
    await waitFor(async () => (await bob.page.evaluate(() => app.data)).some((d) => d.text === 'for all'), {
      what: 'bob to receive the message for everyone',
    });
    const aliceGot = await waitFor(
      async () => (await alice.page.evaluate(() => app.data)).find((d) => d.text === 'for all'),
      { what: () => `alice to receive the message for everyone${why(alice)}` },
    );
    assert.deepEqual([aliceGot.topic, aliceGot.kind], ['all', DataPacket_Kind.LOSSY]);
    assert.ok(!(await alice.page.evaluate(() => app.data)).some((d) => d.text === 'for bob'));
  });

  it("UpdateParticipant: revoking bob's canPublish unpublishes his tracks, for him and for alice", async () => {
    const info = await api.updateParticipant(ROOM, 'bob', {
      metadata: 'listener',
      permission: { canPublish: false, canSubscribe: true, canPublishData: true },
    });
    assert.deepEqual(
      [info.metadata, info.permission?.canPublish, info.tracks.length],
      ['listener', false, 0],
    );
    await waitFor(
      async () => {
        const remote = await alice.page.evaluate(() => app.remote());
        return remote.find((p) => p.identity === 'bob')?.tracks.length === 0;
      },
      { what: () => `bob's tracks to leave alice's view${why(alice)}` },
    );
    await waitFor(
      async () => (await bob.page.evaluate(() => app.room.localParticipant.trackPublications.size)) === 0,
      {
        what: () => `bob's SDK to unpublish his tracks${why(bob)}`,
      },
    );
    const metadata = await alice.page.evaluate(() => app.room.remoteParticipants.get('bob')?.metadata);
    assert.equal(metadata, 'listener');
  });

  it('MoveParticipant: bob follows RoomMoved and rejoins into the destination room, wherever it is placed', async () => {
    await api.moveParticipant(ROOM, 'bob', DESTINATION);
    await waitFor(async () => (await events(alice)).includes('left bob'), {
      what: () => `alice to see bob leave${why(alice)}`,
    });
    const there = await waitFor(
      async () => (await api.listParticipants(DESTINATION).catch(() => [])).find((p) => p.identity === 'bob'),
      { timeoutMs: 20_000, what: () => `bob to join ${DESTINATION}${why(bob)}` },
    );
    const state = await waitFor(
      async () => {
        const now = await bob.page.evaluate(() => ({
          name: app.room.name,
          state: app.room.state,
          sid: app.room.localParticipant.sid,
        }));
        return now.state === 'connected' && now.sid === there.sid ? now : undefined;
      },
      { timeoutMs: 20_000, what: () => `bob's SDK to be connected in ${DESTINATION}${why(bob)}` },
    );
    assert.equal(state.name, DESTINATION);
    assert.ok(!(await api.listParticipants(ROOM)).some((p) => p.identity === 'bob'));
  });
});
