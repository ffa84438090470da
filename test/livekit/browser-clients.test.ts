import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { createToken } from '../../src/auth/token.js';
import { openJoinPage } from '../e2e/browser.js';
import { admin, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from './app-cluster.js';
import { type AppPage, openApp } from './livekit-page.js';

/** The join page's stats (client/call-stats.ts), as far as this test reads them; `lkc` is in test/e2e/browser.ts. */
interface JoinPageStats {
  inbound: { participant: string; kind: string; packetsReceived: number; framesDecoded: number }[];
}

const ROOM = 'livekit-room';

/** A token as LiveKit's own server SDK makes it. */
async function sdkToken(identity: string): Promise<string> {
  const token = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  token.addGrant({ roomJoin: true, room: ROOM });
  return token.toJwt();
}

function events(page: Page): Promise<string[]> {
  return page.evaluate(() => app.events);
}

describe("LiveKit's browser SDK through two nodes of a 3-node cluster", () => {
  let cluster: AppCluster<'a' | 'b' | 'c'> | undefined;
  let nodes: Record<'a' | 'b' | 'c', TestNode>;
  let udp: Record<'a' | 'b' | 'c', { start: number; end: number }>;
  let browser: Browser;
  let site: { url: string };
  let configFile: string;
  let alice: AppPage;
  let bob: AppPage;

  const why = (p: AppPage) => `\n${p.log.slice(-15).join('\n')}`;

  before(async () => {
    // The room lives on A: alice joins there, bob through B (bridged over the relay).
    cluster = await startAppCluster(['a', 'b', 'c'] as const, { room: ROOM, label: 'livekit' });
    ({ nodes, udp, browser } = cluster);
    site = { url: cluster.siteUrl };
    configFile = cluster.configs.a;
  });

  after(() => cluster?.stop());

  it('joins with a livekit-server-sdk token on the room node and an lk-cluster token through a bridge node', async () => {
    assert.ok(browser && site);
    const cli = await runCli([
      'token',
      'create',
      '-c',
      configFile,
      '--join',
      '--room',
      ROOM,
      '--identity',
      'bob',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const bobToken = cli.stdout.trim();
    alice = await openApp(browser, site.url);
    bob = await openApp(browser, site.url);
    const started = Date.now();
    await alice.page.evaluate(
      ([url, token]) => app.connect(url!, token!),
      [nodes.a.url, await sdkToken('alice')],
    );
    await bob.page.evaluate(([url, token]) => app.connect(url!, token!), [nodes.b.url, bobToken]);
    assert.ok(Date.now() - started < 15_000);
    await waitFor(async () => (await events(alice.page)).includes('joined bob'), {
      what: () => `alice to see bob join${why(alice)}`,
    });
    assert.deepEqual(
      (await bob.page.evaluate(() => app.remote())).map((p) => p.identity),
      ['alice'],
    );
  });

  it('each decodes the video and receives the audio the other publishes', async () => {
    await Promise.all([alice.page.evaluate(() => app.publish()), bob.page.evaluate(() => app.publish())]);
    for (const [viewer, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      const first = await waitFor(
        async () => {
          const inbound = await viewer.page.evaluate((id) => app.inbound(id), other);
          return inbound.video > 10 && inbound.audio > 20 ? inbound : undefined;
        },
        {
          timeoutMs: 20_000,
          what: () => `${other}'s video frames decoded and audio packets received${why(viewer)}`,
        },
      );
      const later = await waitFor(
        async () => {
          const inbound = await viewer.page.evaluate((id) => app.inbound(id), other);
          return inbound.video > first.video + 10 && inbound.audio > first.audio ? inbound : undefined;
        },
        { timeoutMs: 10_000, what: `${other}'s media to keep flowing` },
      );
      assert.ok(later.width > 0, 'frames have a size');
    }
    // Both sessions run on the room's node A (bob's bridged from B), and both receive media from A's UDP ports.
    for (const viewer of [alice, bob]) {
      const where = await viewer.page.evaluate(() => app.where());
      assert.equal(where.node, nodes.a.id);
      assert.ok(where.ports.length >= 2, JSON.stringify(where));
      for (const port of where.ports)
        assert.ok(port >= udp.a.start && port <= udp.a.end, `port ${port} is node A's`);
    }
  });

  it('carries data both ways with the sender stamped, and honours destinationIdentities', async () => {
    await alice.page.evaluate(() => app.send('hello bob', { reliable: true, topic: 'chat' }));
    await bob.page.evaluate(() => app.send('hello alice', { reliable: false }));
    await waitFor(async () => (await bob.page.evaluate(() => app.data)).some((d) => d.text === 'hello bob'), {
      what: () => `bob to receive alice's message${why(bob)}`,
    });
    await waitFor(
      async () => (await alice.page.evaluate(() => app.data)).some((d) => d.text === 'hello alice'),
      {
        what: () => `alice to receive bob's lossy message${why(alice)}`,
      },
    );
    const got = (await bob.page.evaluate(() => app.data)).find((d) => d.text === 'hello bob');
    assert.deepEqual([got?.from, got?.topic], ['alice', 'chat']);
    // Addressed to someone else: bob must not get it; then one addressed to bob arrives (so order proves the first was dropped).
    await alice.page.evaluate(() => app.send('for nobody here', { destinationIdentities: ['carol'] }));
    await alice.page.evaluate(() => app.send('for bob only', { destinationIdentities: ['bob'] }));
    await waitFor(
      async () => (await bob.page.evaluate(() => app.data)).some((d) => d.text === 'for bob only'),
      {
        what: 'the addressed message to arrive',
      },
    );
    assert.equal(
      (await bob.page.evaluate(() => app.data)).filter((d) => d.text === 'for nobody here').length,
      0,
    );
  });

  it('shows a mute and an unmute to the other side', async () => {
    await alice.page.evaluate(() => app.mute('audio', true));
    await waitFor(async () => (await events(bob.page)).includes('muted alice audio'), {
      what: () => `bob to see alice muted${why(bob)}`,
    });
    await alice.page.evaluate(() => app.mute('audio', false));
    await waitFor(async () => (await events(bob.page)).includes('unmuted alice audio'), {
      what: 'bob to see alice unmuted',
    });
  });

  it('tells who is speaking', async () => {
    // The app's microphone is a steady tone (livekit-page.ts): loud for the room's audio level observer.
    let seen: string[] = [];
    await waitFor(
      async () => {
        seen = await events(alice.page);
        return seen.some((e) => e.startsWith('speakers') && e.includes('bob'));
      },
      {
        timeoutMs: 15_000,
        what: () => `alice to see bob among the active speakers (alice saw: ${seen.join('; ')})${why(alice)}`,
      },
    );
  });

  it('follows UpdateSubscription and UpdateTrackSettings: unsubscribe, resubscribe, disable, enable', async () => {
    await alice.page.evaluate(() => app.subscribe('bob', 'audio', false));
    await waitFor(async () => (await events(alice.page)).includes('unsubscribed bob audio'), {
      what: () => `alice's subscription to bob's audio to end${why(alice)}`,
    });
    const count = async () => (await events(alice.page)).filter((e) => e === 'subscribed bob audio').length;
    const before = await count();
    await alice.page.evaluate(() => app.subscribe('bob', 'audio', true));
    await waitFor(async () => (await count()) > before, {
      what: () => `bob's audio to be subscribed again${why(alice)}`,
    });
    await waitFor(async () => (await alice.page.evaluate(() => app.inbound('bob'))).audio > 10, {
      what: "bob's audio to flow again",
    });

    // Disabled: the node pauses the consumer and frames stop; enabled: they come back.
    await alice.page.evaluate(() => app.enable('bob', 'video', false));
    let last = -1;
    await waitFor(
      async () => {
        const frames = (await alice.page.evaluate(() => app.inbound('bob'))).video;
        const still = frames === last;
        last = frames;
        return still;
      },
      { intervalMs: 700, what: "bob's video to stop while alice has it disabled" },
    );
    const paused = last;
    await alice.page.evaluate(() => app.enable('bob', 'video', true));
    await waitFor(async () => (await alice.page.evaluate(() => app.inbound('bob'))).video > paused + 10, {
      what: "bob's video to resume once enabled",
    });
  });

  it('shows an unpublished track going away', async () => {
    await bob.page.evaluate(() => app.unpublish('video'));
    await waitFor(async () => (await events(alice.page)).includes('unsubscribed bob video'), {
      what: () => `alice to lose bob's video${why(alice)}`,
    });
    await waitFor(
      async () => {
        const remote = await alice.page.evaluate(() => app.remote());
        return remote.find((p) => p.identity === 'bob')?.tracks.every((t) => t.kind !== 'video');
      },
      { what: "bob's video publication to leave alice's view" },
    );
  });

  it('tells the other side when one leaves', async () => {
    await alice.page.evaluate(() => app.leave());
    await waitFor(async () => (await events(bob.page)).includes('left alice'), {
      what: () => `bob to see alice leave${why(bob)}`,
    });
  });

  it("puts the built-in page's participant and a LiveKit client in one room: each sees and hears the other", async () => {
    assert.ok(browser && site);
    const room = 'mixed-room';
    assert.equal((await admin(nodes.c.url, 'POST', '/admin/rooms', { name: room })).status, 200);
    const pageToken = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      identity: 'page-user',
      grant: { roomJoin: true, room },
    });
    const joinPage = await openJoinPage(browser, nodes.b.url, pageToken);
    await waitFor(() => joinPage.page.evaluate(() => lkc.joined), { what: 'the join page to join' });
    const sdk = new AccessToken(TEST_KEY, TEST_SECRET, { identity: 'sdk-user', ttl: '10m' });
    sdk.addGrant({ roomJoin: true, room });
    const client = await openApp(browser, site.url);
    await client.page.evaluate(([url, t]) => app.connect(url!, t!), [nodes.a.url, await sdk.toJwt()]);
    await client.page.evaluate(() => app.publish());
    await waitFor(
      async () => {
        const inbound = await client.page.evaluate(() => app.inbound('page-user'));
        return inbound.video > 10 && inbound.audio > 20;
      },
      { timeoutMs: 20_000, what: () => `the LiveKit client to decode the join page's video${why(client)}` },
    );
    await waitFor(
      async () => {
        const { inbound } = (await joinPage.page.evaluate(() => lkc.stats())) as JoinPageStats;
        const from = inbound.filter((entry) => entry.participant === 'sdk-user');
        return (
          from.some((entry) => entry.kind === 'video' && entry.framesDecoded > 10) &&
          from.some((entry) => entry.kind === 'audio' && entry.packetsReceived > 20)
        );
      },
      {
        timeoutMs: 20_000,
        what: () =>
          `the join page to decode the LiveKit client's video\n${joinPage.log.slice(-10).join('\n')}`,
      },
    );
    await client.page.evaluate(() => app.leave());
    await waitFor(
      async () => !(await joinPage.page.evaluate(() => lkc.remoteParticipants)).includes('sdk-user'),
      {
        what: 'the join page to see the LiveKit client leave',
      },
    );
    await joinPage.page.close();
    await client.page.close();
  });
});
