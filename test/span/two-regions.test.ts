import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { openJoinPage } from '../e2e/browser.js';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import { admin, TEST_KEY, TEST_SECRET, writeConfig } from '../helpers/node-process.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from '../livekit/app-cluster.js';
import { type AppPage, openApp } from '../livekit/livekit-page.js';

const ROOM = 'span-two-regions';
const REGIONS = [
  { name: 'us-west-2', lat: 45.52, lon: -122.68 },
  { name: 'eu-central-1', lat: 50.11, lon: 8.68 },
];

async function token(identity: string): Promise<string> {
  const grant = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  grant.addGrant({ roomJoin: true, room: ROOM });
  return grant.toJwt();
}

describe('a room spanning two regions (room.span: region)', { timeout: 110_000 }, () => {
  let cluster: AppCluster<'west' | 'east'>;
  let dir: string;
  let alice: AppPage;
  let bob: AppPage;
  let carol: AppPage;
  let cliConfig: string;

  /** This node's part of the room, from its admin API. */
  const part = async (url: string) => {
    const { body } = await admin(url, 'GET', '/admin/node');
    return body.rooms.find((r: { name: string }) => r.name === ROOM)?.span;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-span-'));
    const sysload = join(dir, 'sysload');
    writeSysload(sysload, 0.1);
    cluster = await startAppCluster(['west', 'east'], {
      label: 'span',
      env: fakeSysloadEnv(sysload),
      config: (name) => ({
        region: name === 'west' ? 'us-west-2' : 'eu-central-1',
        node_selector: { kind: 'regionaware', sysload_limit: 0.9, regions: REGIONS },
        room: { span: 'region', empty_timeout: 300 },
      }),
    });
    alice = await openApp(cluster.browser, cluster.siteUrl);
    bob = await openApp(cluster.browser, cluster.siteUrl);
    carol = await openApp(cluster.browser, cluster.siteUrl);
    cliConfig = writeConfig(dir, 'cli.yaml', {
      region: 'us-west-2',
      keys: { [TEST_KEY]: TEST_SECRET },
      redis: { address: cluster.redis.address },
      node_selector: { kind: 'regionaware', sysload_limit: 0.9, regions: REGIONS },
      room: { span: 'region' },
    });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each participant lands on its own region node and decodes the other through a pipe', async () => {
    const { west, east } = cluster.nodes;
    const wsUrl = (url: string) => url.replace('http', 'ws');
    // Each node's view of the cluster holds both nodes once they have reported: until west's does, a join through
    // it could only place the room in the other region; until east's holds east, east could open no leg on itself
    // and bob would join the home (seen in CI, ~1 run in 10). Each node's own answer, as a dry run, says when.
    const placesOnItself = async (node: { url: string; id: string }, region: string) => {
      let explained: unknown;
      await waitFor(
        async () => {
          const { body } = await admin(node.url, 'POST', '/admin/registry/place', {
            room: `${ROOM}-${region}`,
            origin_region: region,
            explain: true,
            dry_run: true,
          });
          explained = body;
          return body.placement?.node?.id === node.id;
        },
        {
          what: () => `${region}'s node placing a room of ${region} on itself (${JSON.stringify(explained)})`,
        },
      );
    };
    await placesOnItself(west, 'us-west-2');
    await placesOnItself(east, 'eu-central-1');
    await alice.page.evaluate(
      async ([url, t]) => app.connect(url, t),
      [wsUrl(west.url), await token('alice')],
    );
    await alice.page.evaluate(() => app.publish());
    await bob.page.evaluate(async ([url, t]) => app.connect(url, t), [wsUrl(east.url), await token('bob')]);
    await bob.page.evaluate(() => app.publish());

    const logs = () => `\nwest: ${west.output().slice(-2500)}\neast: ${east.output().slice(-2500)}`;
    assert.equal((await alice.page.evaluate(() => app.where())).node, west.id, `alice's node${logs()}`);
    assert.equal((await bob.page.evaluate(() => app.where())).node, east.id, `bob's node${logs()}`);

    for (const [viewer, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      await waitFor(
        async () => {
          const inbound = await viewer.page.evaluate((id) => app.inbound(id), other);
          return inbound.video > 10 && inbound.audio > 20 ? inbound : undefined;
        },
        {
          timeoutMs: 30_000,
          what: () =>
            `${other}'s video and audio decoded across the pipe; west: ${west.output().slice(-3000)}\neast: ${east.output().slice(-3000)}\npage: ${viewer.log.slice(-20).join('\n')}`,
        },
      );
    }
  });

  it('records one leg in eu-central-1 and shows the room with its home and its leg', async () => {
    const { west, east } = cluster.nodes;
    assert.deepEqual(await part(west.url), {
      role: 'home',
      home: null,
      // Both nodes on this host: the pipe stays in the clear (test/netns/spanning-hosts: SRTP between hosts).
      pipes: [
        { node: east.id, region: 'eu-central-1', tracks_out: 2, video_flowing: 1, tracks_in: 2, srtp: false },
      ],
    });
    const leg = await part(east.url);
    assert.equal(leg.role, 'leg');
    assert.equal(leg.home, west.id);
    const shown = await runCli(['room', 'show', ROOM, '-c', cliConfig]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /legs\s+│ 2: the home and 1 on other node/);
    assert.match(shown.stdout, new RegExp(`home\\s+│ ${west.id}`));
    assert.match(
      shown.stdout,
      new RegExp(
        `leg\\s+│ ${east.id} \\(eu-central-1\\): eu-central-1 is not the home's region \\(us-west-2\\)`,
      ),
    );
    const json = await runCli(['room', 'show', ROOM, '-c', cliConfig, '--json']);
    const room = JSON.parse(json.stdout);
    assert.equal(room.node_id, west.id);
    assert.deepEqual(
      room.legs.map((l: { node_id: string; region: string; reason: string; node_alive: boolean }) => [
        l.node_id,
        l.region,
        l.reason,
        l.node_alive,
      ]),
      [[east.id, 'eu-central-1', 'region', true]],
    );
    const listed = JSON.parse((await runCli(['room', 'list', '-c', cliConfig, '--json'])).stdout);
    assert.deepEqual(
      listed.find((r: { name: string }) => r.name === ROOM).legs.map((l: { node_id: string }) => l.node_id),
      [east.id],
    );
    const placed = JSON.parse(
      (
        await runCli([
          'room',
          'place',
          ROOM,
          '--region',
          'eu-central-1',
          '--explain',
          '-c',
          cliConfig,
          '--json',
        ])
      ).stdout,
    );
    assert.equal(placed.node.id, west.id);
    assert.equal(placed.leg.nodeId, east.id);
    assert.match(placed.leg.why, /eu-central-1 is not the home's region \(us-west-2\): its leg there is on/);
  });

  it('a third participant on the home sees both, and every node lists all three', async () => {
    const { west, east } = cluster.nodes;
    await carol.page.evaluate(
      async ([url, t]) => app.connect(url, t),
      [west.url.replace('http', 'ws'), await token('carol')],
    );
    for (const other of ['alice', 'bob']) {
      await waitFor(
        async () => {
          const inbound = await carol.page.evaluate((id) => app.inbound(id), other);
          return inbound.video > 10 && inbound.audio > 20;
        },
        { timeoutMs: 30_000, what: `carol decoding ${other}` },
      );
    }
    for (const node of [west, east]) {
      const sdk = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
      const participants = await sdk.listParticipants(ROOM);
      assert.deepEqual(participants.map((p) => p.identity).sort(), ['alice', 'bob', 'carol']);
      const bob = participants.find((p) => p.identity === 'bob')!;
      assert.equal(bob.region, 'eu-central-1');
      assert.equal(bob.tracks.length, 2);
    }
    await waitFor(
      async () => {
        const rooms = await new RoomServiceClient(east.url, TEST_KEY, TEST_SECRET).listRooms([ROOM]);
        return rooms[0]?.numParticipants === 3;
      },
      { what: 'the room record counting all three participants' },
    );
  });

  it('pipes video only while a consumer on the leg wants it', async () => {
    const { west } = cluster.nodes;
    // bob is the only consumer of alice's video on the leg; carol's is on the home.
    await bob.page.evaluate(() => app.subscribe('alice', 'video', false));
    await waitFor(async () => (await part(west.url)).pipes[0].video_flowing === 0, {
      timeoutMs: 15_000,
      what: "alice's video to stop crossing the pipe after the grace",
    });
    const before = (await bob.page.evaluate(() => app.inbound('alice'))).video;
    await bob.page.evaluate(() => app.subscribe('alice', 'video', true));
    await waitFor(async () => (await bob.page.evaluate(() => app.inbound('alice'))).video > before + 10, {
      timeoutMs: 15_000,
      what: "bob decoding alice's video again once it is piped again",
    });
    assert.equal((await part(west.url)).pipes[0].video_flowing, 1);
  });

  it("carries data both ways between legs, and the Room API's data to a participant on the leg", async () => {
    const { west } = cluster.nodes;
    await alice.page.evaluate(() => app.send('hello from the home', { reliable: true, topic: 'chat' }));
    await bob.page.evaluate(() => app.send('hello from the leg', { reliable: false }));
    await waitFor(
      async () => (await bob.page.evaluate(() => app.data)).some((d) => d.text === 'hello from the home'),
      { what: "alice's message reaching bob on the leg" },
    );
    const got = (await bob.page.evaluate(() => app.data)).find((d) => d.text === 'hello from the home');
    assert.equal(got?.from, 'alice');
    assert.equal(got?.topic, 'chat');
    for (const viewer of [alice, carol])
      await waitFor(
        async () => (await viewer.page.evaluate(() => app.data)).some((d) => d.text === 'hello from the leg'),
        { what: "bob's message reaching the home's participants" },
      );
    const sdk = new RoomServiceClient(west.url, TEST_KEY, TEST_SECRET);
    await sdk.sendData(ROOM, new TextEncoder().encode('for bob only'), 0, { destinationIdentities: ['bob'] });
    await waitFor(
      async () => (await bob.page.evaluate(() => app.data)).some((d) => d.text === 'for bob only'),
      { what: 'the Room API message reaching bob on the leg' },
    );
    assert.equal(
      (await carol.page.evaluate(() => app.data)).filter((d) => d.text === 'for bob only').length,
      0,
    );
  });

  it("serves lk-cluster's own protocol on the leg too: the built-in page decodes the home's participant", async () => {
    const { west, east } = cluster.nodes;
    const page = await openJoinPage(cluster.browser, east.url, await token('dora'));
    let state = '';
    await waitFor(
      async () => {
        const now = await page.page.evaluate(() => ({
          joined: lkc.joined,
          state: lkc.state,
          error: lkc.error,
        }));
        state = `${now.state}${now.error ? `: ${now.error}` : ''}`;
        return now.joined;
      },
      {
        timeoutMs: 30_000,
        what: () => `the join page to join on the leg (${state})\n${page.log.slice(-10).join('\n')}`,
      },
    );
    assert.equal(await page.page.evaluate(() => lkc.node), east.id);
    let seen: unknown = [];
    await waitFor(
      async () => {
        const { inbound } = (await page.page.evaluate(() => lkc.stats())) as {
          inbound: { participant: string; kind: string; framesDecoded: number; packetsReceived: number }[];
        };
        const fromAlice = inbound.filter((entry) => entry.participant === 'alice');
        seen = fromAlice;
        return (
          fromAlice.some((e) => e.kind === 'video' && e.framesDecoded > 10) &&
          fromAlice.some((e) => e.kind === 'audio' && e.packetsReceived > 20)
        );
      },
      {
        timeoutMs: 30_000,
        what: () =>
          `the page on the leg decoding alice from the home: ${JSON.stringify(seen)}\n${page.log.slice(-10).join('\n')}`,
      },
    );
    // And the home's LiveKit client decodes the page's camera, piped the other way.
    await waitFor(async () => (await carol.page.evaluate(() => app.inbound('dora'))).video > 10, {
      timeoutMs: 30_000,
      what: "carol on the home decoding the page's video from the leg",
    });
    assert.equal((await part(west.url)).pipes[0].tracks_in, 4);
  });
});
