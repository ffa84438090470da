import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import { admin, TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from '../livekit/app-cluster.js';
import { type AppPage, openApp } from '../livekit/livekit-page.js';

const ROOM = 'two-routers';

async function token(identity: string): Promise<string> {
  const grant = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  grant.addGrant({ roomJoin: true, room: ROOM });
  return grant.toJwt();
}

describe('a room on two workers of one node (limit.participants_per_router)', { timeout: 110_000 }, () => {
  let cluster: AppCluster<'node'>;
  const pages = new Map<string, AppPage>();

  before(async () => {
    cluster = await startAppCluster(['node'], {
      label: 'routers',
      config: () => ({ rtc: { num_workers: 2 }, limit: { participants_per_router: 2 } }),
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('puts the third participant on a router of the other worker, and everyone decodes everyone', async () => {
    const { node } = cluster.nodes;
    for (const identity of ['alice', 'bob', 'carol']) {
      const page = await openApp(cluster.browser, cluster.siteUrl);
      pages.set(identity, page);
      await page.page.evaluate(
        async ([url, t]) => app.connect(url, t),
        [node.url.replace('http', 'ws'), await token(identity)],
      );
      await page.page.evaluate(() => app.publish());
    }
    const { body } = await admin(node.url, 'GET', '/admin/node');
    const room = body.rooms.find((r: { name: string }) => r.name === ROOM);
    assert.deepEqual(room.routers, [
      { worker: room.routers[0].worker, participants: 2 },
      { worker: 1 - room.routers[0].worker, participants: 1 },
    ]);
    for (const [viewer, page] of pages)
      for (const other of pages.keys()) {
        if (other === viewer) continue;
        await waitFor(
          async () => {
            const inbound = await page.page.evaluate((id) => app.inbound(id), other);
            return inbound.video > 10 && inbound.audio > 20;
          },
          { timeoutMs: 30_000, what: `${viewer} decoding ${other} across the room's routers` },
        );
      }
    // The room hears its speakers on one router: the tone from the other router's participant is among them.
    await waitFor(
      async () =>
        (await pages.get('alice')!.page.evaluate(() => app.events)).some((e) => /^speakers .*carol/.test(e)),
      { timeoutMs: 15_000, what: 'carol, on the second router, among the speakers alice is told of' },
    );
  });
});
