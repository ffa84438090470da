import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import { TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
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
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each participant lands on its own region node and decodes the other through a pipe', async () => {
    const { west, east } = cluster.nodes;
    const wsUrl = (url: string) => url.replace('http', 'ws');
    await alice.page.evaluate(async ([url, t]) => app.connect(url, t), [wsUrl(west.url), await token('alice')]);
    await alice.page.evaluate(() => app.publish());
    await bob.page.evaluate(async ([url, t]) => app.connect(url, t), [wsUrl(east.url), await token('bob')]);
    await bob.page.evaluate(() => app.publish());

    assert.equal((await alice.page.evaluate(() => app.where())).node, west.id);
    assert.equal((await bob.page.evaluate(() => app.where())).node, east.id);

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
});
