import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { Browser, Page, Request, Response } from 'playwright-core';
import { createToken } from '../../src/auth/token.js';
import { launchBrowser, openJoinPage } from '../e2e/browser.js';
import { SEED_REGIONS } from '../helpers/config.js';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import {
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver, type TestReceiver } from '../webhooks/receiver.js';

const ROOM = 'dash-room';
const SCREENSHOT = '/tmp/lkc-dashboard.png';
/** The nodes' regions, in the order they start. */
const REGIONS = ['us-west-2', 'us-west-2', 'us-east'];

/** What the page exposes on `window.lkcDashboard` (client/dashboard/main.ts), as far as this test reads it. */
interface DashboardApi {
  snapshot():
    | {
        node: string;
        nodes: Array<{ id: string; state: string; region: string }>;
        rooms: Array<{
          name: string;
          node_id: string;
          legs: Array<{ node_id: string; region: string; reason: string }>;
        }>;
        totals: { joins: number };
      }
    | undefined;
  samples(id: string): number;
}

declare global {
  // The page's global, read inside page.evaluate() callbacks (which run in the browser).
  var lkcDashboard: DashboardApi;
}

describe('cluster dashboard of a 3-node, 2-region cluster, in headless Chromium', () => {
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  const nodes: TestNode[] = [];
  let browser: Browser | undefined;
  let webhooks: TestReceiver | undefined;
  let loadTimer: NodeJS.Timeout | undefined;

  before(async () => {
    redis = await startRedis();
    webhooks = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'lkc-dash-'));
    const sysload = join(dir, 'sysload');
    const reportLoad = () => writeSysload(sysload, Math.min(0.85, loadavg()[0]! / availableParallelism()));
    reportLoad();
    loadTimer = setInterval(reportLoad, 1000);
    // Each node as soon as it runs: when one fails to start, the others must still be stopped.
    for (const [i, region] of REGIONS.entries()) {
      const port = await freePort();
      const config = nodeConfig({ port, redis: redis.address, region });
      // Region-aware, as a leg must be in the participant's region; the nodes report the machine's real load
      // held under the limit (two shared cores run other suites too, and must not refuse the test's room).
      config.node_selector = { kind: 'regionaware', sysload_limit: 0.9, regions: SEED_REGIONS };
      // A participant in the other region gets a leg of the room, and the room's events go to a backend: the page
      // shows both.
      config.room = { ...(config.room as object), span: 'region' };
      config.webhook = { api_key: TEST_KEY, urls: [webhooks.url] };
      nodes.push(await startNode(writeConfig(dir, `node-${i}.yaml`, config), port, fakeSysloadEnv(sysload)));
    }
    browser = await launchBrowser();
  });

  after(async () => {
    clearInterval(loadTimer);
    await browser?.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
    await webhooks?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the stream, the room view and the node actions with 401 without a token', async () => {
    const url = nodes[0]!.url;
    const roomAdminForOneRoom = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      grant: { roomAdmin: true, room: 'x' },
      ttlSeconds: 60,
    });
    for (const [method, path] of [
      ['GET', '/dashboard/api/events'],
      ['GET', `/dashboard/api/rooms/${ROOM}`],
      ['POST', `/dashboard/api/nodes/${nodes[1]!.id}/drain`],
      ['POST', '/dashboard/api/refresh'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.match(await response.text(), /missing access token/);
      const moderator = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${roomAdminForOneRoom}` },
      });
      assert.equal(moderator.status, 403, `${method} ${path} with a one-room token`);
      await moderator.body?.cancel();
    }
    const wrong = await fetch(`${url}/dashboard/api/login`, {
      method: 'POST',
      body: JSON.stringify({ api_key: TEST_KEY, api_secret: `${TEST_SECRET}-wrong` }),
    });
    assert.equal(wrong.status, 401);
    const text = await wrong.text();
    assert.match(text, /wrong API key or secret/);
    assert.ok(!text.includes(TEST_SECRET));
  });

  it('logs in, shows the nodes, regions and a new room live, its participants, and drains a node from the page', async () => {
    assert.ok(browser);
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const page: Page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const log: string[] = [];
    page.on('console', (message) => log.push(message.text()));
    page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
    const requests: Request[] = [];
    const responses: Array<{ url: string; body: Promise<string> }> = [];
    page.on('request', (request) => requests.push(request));
    page.on('response', (response: Response) => {
      // The event stream never ends while the page lives: its frames come from DevTools' network domain below.
      if (response.url().endsWith('/dashboard/api/events')) return;
      responses.push({
        url: response.url(),
        body: response.body().then(
          (body) => body.toString('utf8'),
          (err: Error) => `<unavailable: ${err.message}>`,
        ),
      });
    });
    // Every byte of every event stream the page opens, as Chromium received it.
    const streamed: string[] = [];
    const cdp = await page.context().newCDPSession(page);
    const streams = new Set<string>();
    cdp.on('Network.responseReceived', (event) => {
      if (!event.response.url.endsWith('/dashboard/api/events')) return;
      streams.add(event.requestId);
      void cdp
        .send('Network.streamResourceContent', { requestId: event.requestId })
        .then(({ bufferedData }) => streamed.push(Buffer.from(bufferedData, 'base64').toString('utf8')))
        .catch((err: Error) => streamed.push(`<unavailable: ${err.message}>`));
    });
    cdp.on('Network.dataReceived', (event) => {
      if (streams.has(event.requestId) && event.data)
        streamed.push(Buffer.from(event.data, 'base64').toString('utf8'));
    });
    await cdp.send('Network.enable');
    const seen = () => `${JSON.stringify(log.slice(-5))}`;

    await page.goto(`${a.url}/dashboard`);
    // A wrong secret first: the page says so and stays on the form.
    await page.locator('#api-key').fill(TEST_KEY);
    await page.locator('#api-secret').fill(`${TEST_SECRET}-wrong`);
    await page.locator('#login button[type=submit]').click();
    await page.locator('#login-error').waitFor({ state: 'visible', timeout: 5000 });
    assert.match((await page.locator('#login-error').textContent()) ?? '', /wrong API key or secret/);
    assert.equal(await page.locator('#board').isHidden(), true);

    await page.locator('#api-key').fill(TEST_KEY);
    await page.locator('#api-secret').fill(TEST_SECRET);
    await page.locator('#login button[type=submit]').click();
    await waitFor(async () => (await page.locator('article.node').count()) === 3, {
      timeoutMs: 10_000,
      what: () => `three node cards ${seen()}`,
    });
    assert.equal(await page.locator('#api-secret').inputValue(), '', 'the form forgets the secret');
    const cards = await page
      .locator('article.node')
      .evaluateAll((els) =>
        els.map((el) => [el.getAttribute('data-node-id'), el.getAttribute('data-region')]),
      );
    assert.deepEqual(
      cards.sort(),
      [
        [a.id, 'us-west-2'],
        [b.id, 'us-west-2'],
        [c.id, 'us-east'],
      ].sort(),
    );
    // Two regions on the map, each drawn with its nodes.
    const regions = await page
      .locator('#map g.region')
      .evaluateAll((els) => els.map((el) => [el.getAttribute('data-region'), el.getAttribute('data-nodes')]));
    assert.deepEqual(regions.sort(), [
      ['us-east', '1'],
      ['us-west-2', '2'],
    ]);
    assert.match((await page.locator('#figures').textContent()) ?? '', /3nodes in 2 regions/);

    // A room made through LiveKit's server SDK shows within 2 s.
    const created = Date.now();
    await new RoomServiceClient(a.url, TEST_KEY, TEST_SECRET).createRoom({ name: ROOM });
    await waitFor(async () => (await page.locator(`#rooms-body tr[data-room="${ROOM}"]`).count()) === 1, {
      timeoutMs: 2000,
      what: 'the new room in the rooms table',
    });
    const appearedMs = Date.now() - created;
    const hostId = await page.evaluate(
      (name) => lkcDashboard.snapshot()?.rooms.find((r) => r.name === name)?.node_id,
      ROOM,
    );
    assert.ok(
      hostId && nodes.some((node) => node.id === hostId),
      `placed on a node of the cluster (${hostId})`,
    );

    // Someone joins through a node of the other region, publishing camera and microphone: with room.span: region
    // she gets a leg of the room in her own region.
    const joinToken = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      identity: 'alice',
      grant: { roomJoin: true, room: ROOM },
      ttlSeconds: 600,
    });
    const regionOf = (node: TestNode) => REGIONS[nodes.indexOf(node)]!;
    const homeRegion = regionOf(nodes.find((node) => node.id === hostId)!);
    const near = nodes.find((node) => regionOf(node) !== homeRegion)!;
    const nearRegion = regionOf(near);
    const joined = await openJoinPage(browser, near.url, joinToken);
    try {
      await waitFor(
        () =>
          joined.page.evaluate(
            () => (globalThis as unknown as { lkc: { producers(): string[] } }).lkc.producers().length === 2,
          ),
        {
          timeoutMs: 15_000,
          what: () => `alice to publish two tracks ${JSON.stringify(joined.log.slice(-5))}`,
        },
      );
      await waitFor(() => page.evaluate(() => (lkcDashboard.snapshot()?.totals.joins ?? 0) > 0), {
        timeoutMs: 5000,
        what: 'a join to show in the joins per second',
      });
      // The room's leg in alice's region, in the snapshot and in the rooms table.
      const legId = await waitFor(
        () =>
          page.evaluate(
            ([name, region]) =>
              lkcDashboard
                .snapshot()
                ?.rooms.find((r) => r.name === name)
                ?.legs.find((l) => l.region === region)?.node_id,
            [ROOM, nearRegion],
          ),
        { timeoutMs: 5000, what: `the room's leg in ${nearRegion}` },
      );
      const legCell = (await page.locator(`#rooms-body tr[data-room="${ROOM}"] td.legs`).textContent()) ?? '';
      assert.match(legCell, new RegExp(`\\(${nearRegion}, region\\)`));
      // The home sent room_started and participant_joined to the backend: its card counts them sent.
      await waitFor(
        async () =>
          /webhooks\s*0 queued · [1-9]\d* sent · 0 failed · 0 dropped/.test(
            (await page.locator(`article.node[data-node-id="${hostId}"] dl.stats`).textContent()) ?? '',
          ),
        { timeoutMs: 5000, what: "the home's webhooks on its card" },
      );
      await page.locator(`#rooms-body tr[data-room="${ROOM}"] button`).click();
      await waitFor(
        async () =>
          ((await page.locator('#room-participants tr[data-identity="alice"]').textContent()) ?? '').match(
            /audio.*video|video.*audio/,
          ),
        { timeoutMs: 5000, what: 'alice and her two tracks in the room view' },
      );

      // Drain alice's node (the leg) from the page: it keeps her session, so it stays draining. (A home with no
      // one of its own would hand the room to its leg and stop.)
      await page.locator(`article.node[data-node-id="${legId}"] button[data-action=drain]`).click();
      await waitFor(
        async () =>
          (await page.locator(`article.node[data-node-id="${legId}"]`).getAttribute('data-state')) ===
          'draining',
        { timeoutMs: 5000, what: 'the drained node to show as draining' },
      );
      await waitFor(async () => /now draining/.test((await page.locator('#actions').textContent()) ?? ''), {
        timeoutMs: 5000,
        what: 'the result of the drain',
      });
      // The charts have a few samples to draw by now.
      assert.ok((await page.evaluate((id) => lkcDashboard.samples(id), legId)) >= 2);
      await page.screenshot({ path: SCREENSHOT });
      if (process.env.LKC_DASHBOARD_SCREENSHOT)
        await page.screenshot({ path: process.env.LKC_DASHBOARD_SCREENSHOT });

      await page.locator(`article.node[data-node-id="${legId}"] button[data-action=undrain]`).click();
      await waitFor(
        async () =>
          (await page.locator(`article.node[data-node-id="${legId}"]`).getAttribute('data-state')) ===
          'serving',
        { timeoutMs: 5000, what: 'the undrained node to serve again' },
      );
      console.log(`# the room showed ${appearedMs} ms after CreateRoom; screenshot at ${SCREENSHOT}`);
    } finally {
      await joined.page.close();
    }

    // The secret went out once, in the login's body, and came back nowhere: not in the page, its storage, any
    // answer or any frame of the event stream.
    const html = await page.content();
    assert.ok(!html.includes(TEST_SECRET));
    const storage = await page.evaluate<string>(
      'JSON.stringify([localStorage, sessionStorage, document.cookie])',
    );
    assert.ok(!storage.includes(TEST_SECRET));
    const carrying = requests.filter(
      (request) => request.url().includes(TEST_SECRET) || (request.postData() ?? '').includes(TEST_SECRET),
    );
    assert.deepEqual(
      carrying.map((request) => [request.method(), new URL(request.url()).pathname]),
      [
        ['POST', '/dashboard/api/login'],
        ['POST', '/dashboard/api/login'],
      ],
      'the wrong secret and the right one, once each',
    );
    const bodies = await Promise.all(responses.map(async (r) => ({ url: r.url, body: await r.body })));
    const frames = streamed.join('');
    assert.match(frames, /^event: history\n/m);
    assert.ok((frames.match(/^event: snapshot$/gm) ?? []).length >= 5, 'snapshots, one a second');
    assert.ok(!frames.includes('<unavailable'), frames.slice(0, 200));
    assert.ok(!frames.includes(TEST_SECRET), 'an event stream frame carries the secret');
    for (const name of ['/dashboard', 'dashboard.js', 'dashboard.css', '/dashboard/api/login'])
      assert.ok(
        bodies.some((r) => new URL(r.url).pathname.endsWith(name)),
        `the browser got ${name}`,
      );
    for (const { url, body } of bodies) {
      assert.ok(!body.startsWith('<unavailable'), `${url}: ${body}`);
      assert.ok(!body.includes(TEST_SECRET), `${url} carries the secret`);
    }
  });
});
