import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createToken } from '../../src/auth/token.js';
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
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { type Frame, openSession, type UpgradeRefusal, type WsSession } from '../helpers/ws-session.js';
import { launchBrowser, openJoinPage } from './browser.js';

const ROOM = 'bridged-room';

function joinToken(identity: string, room = ROOM, options: { secret?: string; ttlSeconds?: number } = {}) {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: options.secret ?? TEST_SECRET,
    identity,
    grant: { roomJoin: true, room },
    ttlSeconds: options.ttlSeconds ?? 600,
  });
}

// Values that differ between two runs of the same session: fresh ids, ICE credentials, ports, clocks.
const VOLATILE_KEYS = new Set(['sid', 'usernameFragment', 'password', 'port', 'joinedAt']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function normalize(value: unknown, key = ''): unknown {
  if (VOLATILE_KEYS.has(key)) return `<${key}>`;
  if (typeof value === 'string' && UUID.test(value)) return '<uuid>';
  if (Array.isArray(value)) return value.map((item) => normalize(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  return value;
}

interface PageStats {
  inbound: {
    participant: string;
    kind: string;
    consumerId: string;
    packetsReceived: number;
    framesDecoded: number;
  }[];
  transports: { direction: string; remoteAddress: string | null; remotePort: number | null }[];
}

function stats(page: Page): Promise<PageStats> {
  return page.evaluate(() => lkc.stats()) as Promise<PageStats>;
}

describe('signal bridge across a 3-node cluster, with real browsers', () => {
  let redis: TestRedis;
  let dir: string;
  const nodes: Record<'a' | 'b' | 'c', TestNode> = {} as never;
  const udpRange: Record<string, { start: number; end: number }> = {};
  let browser: Browser | undefined;
  const pageLogs: string[][] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-e2e-'));
    await Promise.all(
      (['a', 'b', 'c'] as const).map(async (name) => {
        const port = await freePort();
        const config = nodeConfig({ port, redis: redis.address });
        const rtc = config.rtc as { udp_port_range_start: number; udp_port_range_end: number };
        udpRange[name] = { start: rtc.udp_port_range_start, end: rtc.udp_port_range_end };
        nodes[name] = await startNode(writeConfig(dir, `${name}.yaml`, config), port);
      }),
    );
    const created = await admin(nodes.c.url, 'POST', '/admin/rooms', { name: ROOM });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing, expired, wrongly signed or wrong-room token before the upgrade, with 401 and a reason', async () => {
    const cases: [string | undefined, string, RegExp][] = [
      [undefined, '', /missing access token/],
      [await joinToken('x', ROOM, { ttlSeconds: -60 }), '', /expired/],
      [await joinToken('x', ROOM, { secret: `${TEST_SECRET}-wrong` }), '', /signature is invalid/],
      [await joinToken('x', 'another-room'), `&room=${ROOM}`, /for room another-room, not bridged-room/],
    ];
    for (const [token, query, reason] of cases) {
      const refused = await openSession(nodes.b.url, token, query).then(
        () => assert.fail('the upgrade was accepted'),
        (err: { refusal?: UpgradeRefusal }) => err.refusal,
      );
      assert.ok(refused, 'an HTTP answer, not a socket error');
      assert.equal(refused.status, 401);
      assert.match(JSON.parse(refused.body).msg, reason);
      assert.match(refused.authenticate ?? '', reason);
    }
  });

  it('shows in the page why a token was refused', async () => {
    assert.ok(browser);
    const { page } = await openJoinPage(
      browser,
      nodes.b.url,
      await joinToken('late', ROOM, { ttlSeconds: -60 }),
    );
    await waitFor(() => page.evaluate(() => lkc.state === 'failed'), { what: 'the page to give up' });
    assert.match(
      await page.evaluate(() => lkc.error ?? ''),
      /the node refused the token: access token has expired/,
    );
    assert.match((await page.locator('#status').textContent()) ?? '', /expired/);
    await page.close();
  });

  it('asks for a token when the URL carries none, and joins with the one typed in', async () => {
    assert.ok(browser);
    const page = await browser.newPage();
    await page.goto(`${nodes.b.url}/join?publish=none`);
    await page.locator('#token-input').fill(await joinToken('typist'));
    await page.locator('#token-form button[type=submit]').click();
    await waitFor(() => page.evaluate(() => lkc.joined), { what: 'the page to join with the typed token' });
    assert.equal(await page.evaluate(() => lkc.node), nodes.c.id);
    assert.equal(await page.locator('#token-form').isHidden(), true);
    await page.evaluate(() => lkc.leave());
    await waitFor(() => page.evaluate(() => lkc.state === 'closed'), { what: 'the page to leave' });
    await page.close();
  });

  it('answers a malformed frame with an error and keeps the bridged session going', async () => {
    const session = await openSession(nodes.b.url, await joinToken('mallory'));
    try {
      const joined = await session.request('join');
      assert.equal(joined.ok, true);
      assert.equal(joined.data.node.id, nodes.c.id, 'the room is on node C, the socket on node B');
      const broken = await session.sendRaw('{"id": 2, "method": ');
      assert.deepEqual([broken.id, broken.ok, broken.error.code], [null, false, 'bad_json']);
      const unknown = await session.sendRaw(JSON.stringify({ id: 3, method: 'teleport', data: {} }));
      assert.deepEqual([unknown.id, unknown.error.code], [3, 'unknown_method']);
      const missing = await session.request('connectWebRtcTransport', { transportId: 'x' } as never);
      assert.equal(missing.error.code, 'invalid_data');
      const transport = await session.request('createWebRtcTransport', { direction: 'recv' });
      assert.equal(transport.ok, true, JSON.stringify(transport));
      // ICE candidates name the room node's announced address and a port of its UDP range, not node B's.
      for (const candidate of transport.data.iceCandidates) {
        assert.equal(candidate.address, '127.0.0.1');
        if (candidate.protocol === 'udp') {
          assert.ok(
            candidate.port >= udpRange.c.start && candidate.port <= udpRange.c.end,
            `port ${candidate.port}`,
          );
        }
      }
      assert.equal(session.closed(), undefined);
    } finally {
      session.close();
    }
  });

  it('gives the same session, frame for frame, through a bridge node as straight on the room node', async () => {
    // A room of its own: no other test's participant may come or go during the two runs.
    const room = 'twin-room';
    assert.equal((await admin(nodes.c.url, 'POST', '/admin/rooms', { name: room })).status, 200);
    const run = async (nodeUrl: string) => {
      const session: WsSession = await openSession(nodeUrl, await joinToken('twin', room));
      await session.request('join', { name: 'Twin' });
      const recv = await session.request('createWebRtcTransport', { direction: 'recv' });
      await session.sendRaw('not json at all');
      await session.sendRaw(JSON.stringify({ id: 'x', method: 'explode' }));
      await session.request('createWebRtcTransport', { direction: 'sideways' } as never);
      await session.request('restartIce', { transportId: recv.data.id });
      await session.request('consume', {
        transportId: recv.data.id,
        producerId: 'nope',
        rtpCapabilities: { codecs: [] },
      });
      await session.request('leave');
      const closed = await session.waitClosed();
      return { frames: session.frames.map((frame: Frame) => normalize(frame)), closed };
    };
    const direct = await run(nodes.c.url);
    const bridged = await run(nodes.b.url);
    assert.equal(direct.frames.length, 8);
    assert.deepEqual(bridged.frames, direct.frames);
    assert.deepEqual(bridged.closed, direct.closed);
    assert.deepEqual(direct.closed, { code: 1000, reason: 'left the room' });
  });

  it('lets a browser on node B see and hear what a browser on node A publishes in a room on node C, then tells B when node A dies', async () => {
    assert.ok(browser);
    const a = await openJoinPage(browser, nodes.a.url, await joinToken('alice'));
    const b = await openJoinPage(browser, nodes.b.url, await joinToken('bob'), '&publish=none');
    pageLogs.push(a.log, b.log);
    const why = () => `A: ${a.log.join(' | ')}\nB: ${b.log.join(' | ')}`;

    await waitFor(() => a.page.evaluate(() => lkc.joined && lkc.producers().length === 2), {
      timeoutMs: 20_000,
      what: `browser A publishing camera and microphone (${why()})`,
    });
    assert.equal(await a.page.evaluate(() => lkc.node), nodes.c.id);
    await waitFor(
      // Tracks can arrive while join() is still consuming; `joined` says the page has recorded its session.
      () =>
        b.page.evaluate(
          () => lkc.joined && lkc.remoteTracks().filter((t) => t.participant === 'alice').length === 2,
        ),
      {
        timeoutMs: 20_000,
        what: `browser B receiving alice's two tracks (${why()})`,
      },
    );
    assert.equal(await b.page.evaluate(() => lkc.node), nodes.c.id);
    assert.deepEqual(await b.page.evaluate(() => lkc.remoteParticipants), ['alice']);

    // Media flows: the consumer's own inbound-rtp (not the probation ssrc) decodes video frames and gets audio.
    const first = await stats(b.page);
    const video = first.inbound.find((s) => s.participant === 'alice' && s.kind === 'video');
    const audio = first.inbound.find((s) => s.participant === 'alice' && s.kind === 'audio');
    assert.ok(video && audio, JSON.stringify(first));
    const later = await waitFor(
      async () => {
        const now = await stats(b.page);
        const v = now.inbound.find((s) => s.consumerId === video.consumerId);
        const s = now.inbound.find((x) => x.consumerId === audio.consumerId);
        return v &&
          s &&
          v.framesDecoded >= video.framesDecoded + 20 &&
          s.packetsReceived >= audio.packetsReceived + 20
          ? now
          : undefined;
      },
      { timeoutMs: 15_000, what: `alice's video decoding and audio arriving on B (${why()})` },
    );
    // Straight from the room node: B's receive transport is connected to node C's UDP range, not to node B.
    const recv = later.transports.find((t) => t.direction === 'recv');
    assert.ok(recv?.remotePort, JSON.stringify(later.transports));
    assert.ok(
      recv.remotePort >= udpRange.c.start && recv.remotePort <= udpRange.c.end,
      `remote port ${recv.remotePort}`,
    );

    // Node A (alice's signal node) dies: the room node frees alice, B's video from her stops and B is told.
    nodes.a.child.kill('SIGKILL');
    await waitFor(
      () =>
        b.page.evaluate(
          () =>
            !lkc.remoteParticipants.includes('alice') &&
            lkc.remoteTracks().length === 0 &&
            lkc.events.some((e) => /^alice left/.test(e)),
        ),
      { timeoutMs: 15_000, what: `B told that alice left (${why()})` },
    );
    const events: string[] = await b.page.evaluate(() => lkc.events);
    // Whichever comes first: the relay's silence timeout, or the cluster sweeping node A's expired lease.
    const leftBecause = new RegExp(`alice left \\(signal node ${nodes.a.id} (stopped answering|died)`);
    assert.ok(
      events.some((e) => leftBecause.test(e)),
      events.join('\n'),
    );
    assert.ok(events.includes('stopped receiving video of alice'), events.join('\n'));
    const after = await stats(b.page);
    assert.equal(
      after.inbound.find((s) => s.consumerId === video.consumerId),
      undefined,
      'the video consumer is gone',
    );
    // Browser A learns its signalling socket died; B's session is untouched.
    await waitFor(() => a.page.evaluate(() => lkc.state === 'closed'), {
      what: 'browser A told its socket closed',
    });
    assert.equal(await b.page.evaluate(() => lkc.state), 'joined');
  });
});
