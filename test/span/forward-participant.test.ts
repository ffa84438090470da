import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ParticipantInfo_KindDetail } from '@livekit/protocol';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { admin, TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from '../livekit/app-cluster.js';
import { type AppPage, openApp } from '../livekit/livekit-page.js';

const STAGE = 'forward-stage';
const OVERFLOW = 'forward-overflow';

async function token(identity: string, room: string): Promise<string> {
  const grant = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  grant.addGrant({ roomJoin: true, room });
  return grant.toJwt();
}

describe("ForwardParticipant: a speaker's tracks in a room on another node", { timeout: 110_000 }, () => {
  let cluster: AppCluster<'a' | 'b' | 'c'>;
  let speaker: AppPage;
  let viewer: AppPage;

  before(async () => {
    cluster = await startAppCluster(['a', 'b', 'c'], { label: 'forward' });
    const { a, b } = cluster.nodes;
    // The two rooms live on different nodes: the forward crosses a pipe between them.
    assert.equal((await admin(a.url, 'POST', '/admin/rooms', { name: STAGE })).status, 200);
    assert.equal((await admin(b.url, 'POST', '/admin/rooms', { name: OVERFLOW })).status, 200);
    speaker = await openApp(cluster.browser, cluster.siteUrl);
    viewer = await openApp(cluster.browser, cluster.siteUrl);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('the forwarded speaker appears in the destination room with its tracks, and a viewer there decodes it', async () => {
    const { a, b, c } = cluster.nodes;
    const ws = (url: string) => url.replace('http', 'ws');
    await speaker.page.evaluate(
      ([url, t]) => app.connect(url, t),
      [ws(a.url), await token('speaker', STAGE)],
    );
    await speaker.page.evaluate(() => app.publish());
    await viewer.page.evaluate(
      ([url, t]) => app.connect(url, t),
      [ws(b.url), await token('viewer', OVERFLOW)],
    );

    // Asked through the third node, which hosts neither room.
    const sdk = new RoomServiceClient(c.url, TEST_KEY, TEST_SECRET);
    await waitFor(async () => (await sdk.getParticipant(STAGE, 'speaker')).tracks.length === 2, {
      what: "the speaker's two tracks published",
    });
    await sdk.forwardParticipant(STAGE, 'speaker', OVERFLOW);
    const copy = await waitFor(
      async () => {
        const found = (await sdk.listParticipants(OVERFLOW)).find((p) => p.identity === 'speaker');
        return found && found.tracks.length === 2 ? found : undefined;
      },
      { what: 'the forwarded speaker in the destination room with its two tracks' },
    );
    assert.deepEqual(copy.kindDetails, [ParticipantInfo_KindDetail.FORWARDED]);
    let viewerEvents: unknown;
    await waitFor(
      async () => {
        const inbound = await viewer.page.evaluate(() => app.inbound('speaker'));
        viewerEvents = [
          inbound,
          await viewer.page.evaluate(() => app.events),
          await viewer.page.evaluate(() => app.remote()),
        ];
        return inbound.video > 10 && inbound.audio > 20;
      },
      {
        timeoutMs: 30_000,
        what: () =>
          `the viewer decoding the forwarded speaker's video and audio\n${JSON.stringify(viewerEvents)}\n${cluster.nodes.a.output().slice(-1500)}\n${cluster.nodes.b.output().slice(-1500)}`,
      },
    );
    // Still one participant in its own room: the forward is a copy, not a move.
    assert.deepEqual(
      (await sdk.listParticipants(STAGE)).map((p) => p.identity),
      ['speaker'],
    );
  });

  it("follows the source's changes, and stops when the destination removes the copy", async () => {
    const sdk = new RoomServiceClient(cluster.nodes.c.url, TEST_KEY, TEST_SECRET);
    await sdk.updateParticipant(STAGE, 'speaker', { metadata: 'on stage' });
    await waitFor(async () => (await sdk.getParticipant(OVERFLOW, 'speaker')).metadata === 'on stage', {
      what: "the copy following the source's metadata",
    });
    await sdk.removeParticipant(OVERFLOW, 'speaker');
    await waitFor(async () => (await viewer.page.evaluate(() => app.events)).includes('left speaker'), {
      what: 'the viewer told the forwarded speaker left',
    });
    // The source is untouched and may be forwarded again.
    assert.deepEqual(
      (await sdk.listParticipants(STAGE)).map((p) => p.identity),
      ['speaker'],
    );
    // The second time through the CLI.
    const forwarded = await runCli(
      ['room', 'forward', STAGE, 'speaker', '--to', OVERFLOW, '--url', cluster.nodes.a.url, '--json'],
      { env: { LKC_API_KEY: TEST_KEY, LKC_API_SECRET: TEST_SECRET } },
    );
    assert.equal(forwarded.code, 0, forwarded.stderr);
    assert.deepEqual(JSON.parse(forwarded.stdout), { identity: 'speaker', from: STAGE, to: OVERFLOW });
    await waitFor(async () => (await sdk.listParticipants(OVERFLOW)).some((p) => p.identity === 'speaker'), {
      what: 'a second forward',
    });
    await speaker.page.evaluate(() => app.leave());
    await waitFor(async () => !(await sdk.listParticipants(OVERFLOW)).some((p) => p.identity === 'speaker'), {
      what: 'the copy gone when the speaker leaves its room',
    });
  });
});
