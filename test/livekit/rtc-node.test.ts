import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  dispose,
  LocalVideoTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../e2e/browser.js';
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
import { type AppPage, openApp, serveApp } from './livekit-page.js';

const ROOM = 'rtc-node-room';
const WIDTH = 320;
const HEIGHT = 240;

async function token(identity: string): Promise<string> {
  const grant = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  grant.addGrant({ roomJoin: true, room: ROOM });
  return grant.toJwt();
}

/** A moving test pattern, so the encoder has something to send every frame. */
function pattern(frame: number): VideoFrame {
  const data = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 4;
      data[i] = (x + frame * 4) & 0xff;
      data[i + 1] = (y + frame * 2) & 0xff;
      data[i + 2] = 128;
      data[i + 3] = 255;
    }
  return new VideoFrame(data, WIDTH, HEIGHT, VideoBufferType.RGBA);
}

describe("LiveKit's Node SDK (@livekit/rtc-node) with a browser participant", () => {
  let redis: TestRedis;
  let dir: string;
  const nodes: TestNode[] = [];
  let browser: Browser | undefined;
  let site: { url: string; close(): Promise<void> } | undefined;
  let page: AppPage;
  const room = new Room();
  let sender: NodeJS.Timeout | undefined;
  const received: { text: string; from?: string; topic?: string }[] = [];
  let framesIn = 0;
  let frameSize = '';

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-rtc-node-'));
    for (const name of ['a', 'b']) {
      const port = await freePort();
      nodes.push(
        await startNode(writeConfig(dir, `${name}.yaml`, nodeConfig({ port, redis: redis.address })), port),
      );
    }
    const created = await admin(nodes[0]!.url, 'POST', '/admin/rooms', { name: ROOM });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    browser = await launchBrowser();
    site = await serveApp();
  });

  after(async () => {
    if (sender) clearInterval(sender);
    await room.disconnect().catch(() => undefined);
    await dispose().catch(() => undefined);
    await browser?.close();
    await site?.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('joins through a bridge node with a Bearer token and sees the browser participant', async () => {
    assert.ok(browser && site);
    page = await openApp(browser, site.url);
    await page.page.evaluate(([url, t]) => app.connect(url!, t!), [nodes[0]!.url, await token('browser')]);
    await page.page.evaluate(() => app.publish());
    room.on(RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
      received.push({ text: new TextDecoder().decode(payload), from: participant?.identity, topic });
    });
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
      if (track.kind !== TrackKind.KIND_VIDEO) return;
      void (async () => {
        for await (const event of new VideoStream(track)) {
          framesIn++;
          frameSize = `${event.frame.width}x${event.frame.height}`;
        }
      })();
    });
    // The Rust client sends its token only as `Authorization: Bearer`; node B bridges to the room's node A.
    await room.connect(nodes[1]!.url, await token('agent'), { autoSubscribe: true, dynacast: false });
    await waitFor(() => room.remoteParticipants.has('browser'), {
      what: 'the SDK to see the browser participant',
    });
  });

  it('publishes a VideoSource track that the browser decodes', async () => {
    const source = new VideoSource(WIDTH, HEIGHT);
    const track = LocalVideoTrack.createVideoTrack('pattern', source);
    let n = 0;
    sender = setInterval(() => source.captureFrame(pattern(n++)), 33);
    const options = new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA, simulcast: false });
    await room.localParticipant!.publishTrack(track, options);
    const first = await waitFor(
      async () => {
        const inbound = await page.page.evaluate(() => app.inbound('agent'));
        return inbound.video > 10 ? inbound : undefined;
      },
      {
        timeoutMs: 20_000,
        what: () => `the browser to decode the SDK's video\n${page.log.slice(-10).join('\n')}`,
      },
    );
    assert.equal(first.width, WIDTH);
  });

  it("receives the browser's video frames through VideoStream", async () => {
    await waitFor(() => framesIn > 20, {
      timeoutMs: 20_000,
      what: "the SDK to receive the browser's frames",
    });
    assert.match(frameSize, /^\d+x\d+$/);
  });

  it('carries data both ways', async () => {
    await room.localParticipant!.publishData(new TextEncoder().encode('from the agent'), {
      reliable: true,
      topic: 'sdk',
    });
    await waitFor(
      async () => (await page.page.evaluate(() => app.data)).some((d) => d.text === 'from the agent'),
      {
        what: "the browser to receive the SDK's data",
      },
    );
    const got = (await page.page.evaluate(() => app.data)).find((d) => d.text === 'from the agent');
    assert.deepEqual([got?.from, got?.topic], ['agent', 'sdk']);
    await page.page.evaluate(() => app.send('from the browser', { reliable: true, topic: 'page' }));
    await waitFor(() => received.some((d) => d.text === 'from the browser'), {
      what: "the SDK to receive the browser's data",
    });
    assert.deepEqual(
      received.filter((d) => d.text === 'from the browser').map((d) => [d.from, d.topic]),
      [['browser', 'page']],
    );
  });
});
