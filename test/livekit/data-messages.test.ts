import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { createToken } from '../../src/auth/token.js';
import { openJoinPage } from '../e2e/browser.js';
import { TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { type AppCluster, startAppCluster } from './app-cluster.js';
import { type AppPage, openApp } from './livekit-page.js';

const ROOM = 'data-room';

function pageToken(identity: string, canPublishData = true): Promise<string> {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room: ROOM, canPublishData },
    ttlSeconds: 600,
  });
}

interface Opened {
  page: Page;
  log: string[];
}

const why = (p: Opened | AppPage) => `\n${p.log.slice(-12).join('\n')}`;

describe('data messages between the built-in page (our protocol) and livekit-client, on a 2-node cluster', () => {
  let cluster: AppCluster<'a' | 'b'> | undefined;
  let nodes: Record<'a' | 'b', TestNode>;
  let browser: Browser;
  let site: { url: string };
  // page: our protocol, bridged from B to the room's node A; quiet: ours on A, without canPublishData;
  // sdk: livekit-client on A.
  let page: Opened;
  let quiet: Opened;
  let sdk: AppPage;

  const pageData = (p: Opened) => p.page.evaluate(() => lkc.data);
  const sdkData = () => sdk.page.evaluate(() => app.data);

  before(async () => {
    cluster = await startAppCluster(['a', 'b'] as const, { room: ROOM, label: 'data' });
    ({ nodes, browser } = cluster);
    site = { url: cluster.siteUrl };
  });

  after(() => cluster?.stop());

  it('joins both kinds of client; the page opens its data channels, one without canPublishData is refused forbidden', async () => {
    assert.ok(browser && site);
    // The page publishes its microphone: a LiveKit client's subscriber transport, where the node's data channels
    // to it are, is only negotiated once it subscribes to something.
    page = await openJoinPage(browser, nodes.b.url, await pageToken('page-user'), '&publish=audio');
    quiet = await openJoinPage(browser, nodes.a.url, await pageToken('quiet-page', false), '&publish=none');
    sdk = await openApp(browser, site.url);
    const token = new AccessToken(TEST_KEY, TEST_SECRET, { identity: 'sdk-user', ttl: '10m' });
    token.addGrant({ roomJoin: true, room: ROOM });
    await sdk.page.evaluate(([url, t]) => app.connect(url!, t!), [nodes.a.url, await token.toJwt()]);
    await waitFor(
      async () => {
        const state = await page.page.evaluate(() => lkc.dataState());
        return state.receiving && state.sending;
      },
      { timeoutMs: 15_000, what: () => `the bridged page to open its data channels${why(page)}` },
    );
    assert.equal(await page.page.evaluate(() => lkc.node), nodes.a.id, 'the page is bridged to node A');
    await waitFor(
      async () => (await sdk.page.evaluate(() => app.events)).includes('subscribed page-user audio'),
      {
        timeoutMs: 15_000,
        what: () => `the LiveKit client to subscribe to the page's microphone${why(sdk)}`,
      },
    );
    const refused = await waitFor(
      async () => {
        const state = await quiet.page.evaluate(() => lkc.dataState());
        return state.receiving && state.error ? state : undefined;
      },
      { timeoutMs: 15_000, what: () => `the quiet page to be refused sending data${why(quiet)}` },
    );
    assert.equal(refused.sending, false);
    assert.match(
      refused.error ?? '',
      /produceData failed: forbidden: your token does not allow publishing data/,
    );
    await assert.rejects(
      quiet.page.evaluate(() => lkc.sendData('not allowed')),
      /cannot send data/,
    );
  });

  it("delivers the page's message to the LiveKit client with the page's identity and the topic", async () => {
    await page.page.evaluate(() => lkc.sendData('hello sdk', { topic: 'chat' }));
    const got = await waitFor(async () => (await sdkData()).find((d) => d.text === 'hello sdk'), {
      what: () => `the LiveKit client to receive the page's message${why(sdk)}`,
    });
    assert.deepEqual([got.from, got.topic], ['page-user', 'chat']);
    // The other participant of our protocol gets it too, with the sender; the sender does not get its own.
    const heard = await waitFor(async () => (await pageData(quiet)).find((d) => d.data === 'hello sdk'), {
      what: () => `the quiet page to receive it${why(quiet)}`,
    });
    assert.deepEqual(heard, { from: 'page-user', topic: 'chat', data: 'hello sdk', reliable: true });
    assert.equal((await pageData(page)).length, 0);
  });

  it("delivers the LiveKit client's messages to the page with `from`, reliable and lossy", async () => {
    await sdk.page.evaluate(() => app.send('hello page', { reliable: true, topic: 'news' }));
    await sdk.page.evaluate(() => app.send('lossy hello', { reliable: false }));
    const got = await waitFor(async () => (await pageData(page)).find((d) => d.data === 'hello page'), {
      what: () => `the page to receive the LiveKit client's message${why(page)}`,
    });
    assert.deepEqual(got, { from: 'sdk-user', topic: 'news', data: 'hello page', reliable: true });
    const lossy = await waitFor(async () => (await pageData(page)).find((d) => d.data === 'lossy hello'), {
      what: () => `the page to receive the lossy message${why(page)}`,
    });
    assert.deepEqual([lossy.from, lossy.reliable], ['sdk-user', false]);
  });

  it('honours destinationIdentities both ways', async () => {
    // Each first message is for someone else: once the second (same sender, same channel) has arrived, the
    // first would have too.
    await sdk.page.evaluate(() => app.send('for quiet only', { destinationIdentities: ['quiet-page'] }));
    await sdk.page.evaluate(() => app.send('for page only', { destinationIdentities: ['page-user'] }));
    await waitFor(async () => (await pageData(page)).some((d) => d.data === 'for page only'), {
      what: () => `the page to receive the message addressed to it${why(page)}`,
    });
    await waitFor(async () => (await pageData(quiet)).some((d) => d.data === 'for quiet only'), {
      what: 'the quiet page to receive the message addressed to it',
    });
    assert.ok(!(await pageData(page)).some((d) => d.data === 'for quiet only'));
    assert.ok(!(await pageData(quiet)).some((d) => d.data === 'for page only'));

    await page.page.evaluate(() => lkc.sendData('for quiet', { to: ['quiet-page'] }));
    await page.page.evaluate(() => lkc.sendData('for sdk', { to: ['sdk-user'] }));
    await waitFor(async () => (await sdkData()).some((d) => d.text === 'for sdk'), {
      what: () => `the LiveKit client to receive the message addressed to it${why(sdk)}`,
    });
    await waitFor(async () => (await pageData(quiet)).some((d) => d.data === 'for quiet'), {
      what: 'the quiet page to receive the message addressed to it',
    });
    assert.ok(!(await sdkData()).some((d) => d.text === 'for quiet'));
    assert.ok(!(await pageData(quiet)).some((d) => d.data === 'for sdk'));
  });

  it('shows received messages on the page and sends what is typed', async () => {
    await page.page.fill('#message-input', 'typed by hand');
    await page.page.click('#message-form button');
    await waitFor(
      async () => (await sdkData()).some((d) => d.text === 'typed by hand' && d.from === 'page-user'),
      {
        what: 'the typed message to reach the LiveKit client',
      },
    );
    const shown = await page.page.locator('#messages li').allTextContents();
    assert.ok(shown.includes('sdk-user [news]: hello page'), shown.join('\n'));
  });
});
