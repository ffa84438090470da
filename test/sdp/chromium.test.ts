import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { types } from 'mediasoup';
import type { Browser, Page } from 'playwright-core';
import { buildPublisherAnswer } from '../../src/sdp/publisher-answer.js';
import { parsePublisherOffer } from '../../src/sdp/publisher-offer.js';
import { parseSubscriberAnswer } from '../../src/sdp/subscriber-answer.js';
import { buildSubscriberOffer, type OfferEntry } from '../../src/sdp/subscriber-offer.js';
import { launchBrowser } from '../e2e/browser.js';
import { waitFor } from '../helpers/wait.js';
import { call, openRtcPage, servePage } from './rtc-page.js';
import { createTransport, startRouter } from './sdp-helpers.js';

// The real proof: headless Chromium publishes 720p simulcast, Opus/RED and data channels through SDP this
// library answers, and receives them back through offers this library writes, on one mediasoup worker.

interface PageStats {
  inbound: {
    kind: string;
    mid: string;
    packetsReceived: number;
    framesDecoded: number;
    frameWidth: number;
  }[];
  outbound: { rid: string; packetsSent: number; frameWidth: number }[];
  pub: string;
  sub: string;
  channels: string[];
  pubSctp: string;
  subSctp: string;
  tracks: { mid: string; kind: string; streams: string[] }[];
  subMids: string[];
}

let browser: Browser | undefined;
let worker: types.Worker | undefined;
let router: types.Router;
let server: Server | undefined;
let page: Page;
let log: string[] = [];

before(async () => {
  const served = await servePage();
  server = served.server;
  browser = await launchBrowser();
  ({ worker, router } = await startRouter());
  ({ page, log } = await openRtcPage(browser, served.url));
});
after(async () => {
  await browser?.close().catch(() => {});
  worker?.close();
  server?.close();
});

const stats = () => call<PageStats>(page, 'stats');
const inbound = (s: PageStats, mid: string) => s.inbound.find((entry) => entry.mid === mid);
const bounded = { timeoutMs: 20_000, intervalMs: 200 };

/** The page's stats once `ready` holds of them (bounded; the page's console is in the failure message). */
async function statsWhen(ready: (s: PageStats) => boolean, what: string): Promise<PageStats> {
  let last: PageStats | undefined;
  await waitFor(
    async () => {
      last = await stats();
      return ready(last);
    },
    { ...bounded, what: `${what} (page log: ${log.join(' | ')})` },
  );
  return last!;
}

test('Chromium publishes and subscribes through this SDP, and accepts a renegotiated subscriber offer', async () => {
  const publisher = await createTransport(router);
  const subscriber = await createTransport(router);
  try {
    // Publisher PC: the page offers (data channels as LiveKit makes them, 720p in three layers, Opus with RED,
    // and a recvonly placeholder as the Rust client adds), the server answers.
    await call(page, 'media', 1280, 720);
    await call(page, 'addData');
    await call(page, 'addVideo', [
      ['q', 4],
      ['h', 2],
      ['f', 1],
    ]);
    await call(page, 'addAudio', true);
    await call(page, 'addRecvonly', 'video');
    const offerSdp = await call<string>(page, 'offer');
    const offer = parsePublisherOffer(offerSdp, router.rtpCapabilities);
    await publisher.connect({ dtlsParameters: offer.dtlsParameters });
    const producers = new Map<string, types.Producer>();
    for (const media of offer.media) {
      if (!media.rtpParameters) continue;
      const kind = media.kind as 'audio' | 'video';
      producers.set(kind, await publisher.produce({ kind, rtpParameters: media.rtpParameters }));
    }
    assert.deepEqual([...producers.keys()].sort(), ['audio', 'video']);
    await call(
      page,
      'answer',
      buildPublisherAnswer(offerSdp, offer, publisher, (media) => !!media.rtpParameters),
    );
    await waitFor(
      async () => {
        const s = await stats();
        return s.pub === 'connected' && s.channels.every((channel) => channel.endsWith(':open'));
      },
      { ...bounded, what: 'the publisher PC connected with its data channels open' },
    );

    // Subscriber PC: consumers made before the client's capabilities are known, offered, answered, resumed.
    const video = producers.get('video')!;
    const audio = producers.get('audio')!;
    const consume = (producer: types.Producer, mid: string) =>
      subscriber.consume({
        producerId: producer.id,
        rtpCapabilities: router.rtpCapabilities,
        paused: true,
        mid,
      });
    const videoConsumer = await consume(video, '0');
    const audioConsumer = await consume(audio, '1');
    const entries: OfferEntry[] = [
      {
        mid: '0',
        kind: 'video',
        rtpParameters: videoConsumer.rtpParameters,
        streamId: 'PA_p|TR_v',
        trackId: 'TR_v',
      },
      {
        mid: '1',
        kind: 'audio',
        rtpParameters: audioConsumer.rtpParameters,
        streamId: 'PA_p|TR_a',
        trackId: 'TR_a',
      },
    ];
    const options = { sessionId: '7001', withData: true, routerCapabilities: router.rtpCapabilities };
    const firstOffer = buildSubscriberOffer(subscriber, entries, { ...options, version: 1 });
    const firstAnswer = parseSubscriberAnswer(await call<string>(page, 'subscribe', firstOffer));
    assert.deepEqual(firstAnswer.rejectedMids, []);
    assert.equal(firstAnswer.dtlsParameters.role, 'client');
    await subscriber.connect({ dtlsParameters: firstAnswer.dtlsParameters });
    await videoConsumer.resume();
    await audioConsumer.resume();

    const decoding = await statsWhen(
      (s) =>
        s.sub === 'connected' &&
        (inbound(s, '0')?.framesDecoded ?? 0) > 10 &&
        (inbound(s, '1')?.packetsReceived ?? 0) > 0,
      'subscriber video frames decoded',
    );
    const audioBefore = inbound(decoding, '1')!.packetsReceived;
    await waitFor(async () => (inbound(await stats(), '1')?.packetsReceived ?? 0) > audioBefore, {
      ...bounded,
      what: 'subscriber audio packets growing',
    });
    assert.deepEqual(
      decoding.tracks.map((track) => [track.mid, track.kind, track.streams.join()]),
      [
        ['0', 'video', 'PA_p|TR_v'],
        ['1', 'audio', 'PA_p|TR_a'],
      ],
    );
    await waitFor(async () => (await stats()).subSctp === 'connected', {
      ...bounded,
      what: 'subscriber SCTP',
    });

    // Layers: the producer receives several rids at once.
    let layers: types.RtpStreamRecvStats[] = [];
    await waitFor(
      async () => {
        layers = (await video.getStats()).filter((entry) => entry.packetCount > 0 && entry.rid);
        return layers.length >= 2;
      },
      { ...bounded, what: 'at least two simulcast layers at the producer' },
    );
    const layerFigures = layers.map((entry) => `${entry.rid}:${entry.packetCount}`).join(' ');

    // Renegotiation: the video consumer goes (unpublish: its m-line goes inactive), a new one takes a new
    // m-line, then a third takes the freed mid 0 again; mids never move.
    videoConsumer.close();
    const second = await consume(video, '2');
    entries[0] = { ...entries[0], rtpParameters: undefined };
    entries.push({
      mid: '2',
      kind: 'video',
      rtpParameters: second.rtpParameters,
      streamId: 'PA_p|TR_w',
      trackId: 'TR_w',
    });
    const secondAnswer = parseSubscriberAnswer(
      await call<string>(
        page,
        'subscribe',
        buildSubscriberOffer(subscriber, entries, { ...options, version: 2 }),
      ),
    );
    assert.deepEqual(secondAnswer.rejectedMids, []);
    await second.resume();
    const renegotiated = await statsWhen(
      (s) => (inbound(s, '2')?.framesDecoded ?? 0) > 10,
      'frames decoded on the new m-line 2',
    );
    assert.deepEqual(renegotiated.subMids, ['0:inactive', '1:recvonly', '2:recvonly']);

    const third = await consume(video, '0');
    entries[0] = {
      ...entries[0],
      rtpParameters: third.rtpParameters,
      streamId: 'PA_p|TR_x',
      trackId: 'TR_x',
    };
    const thirdAnswer = parseSubscriberAnswer(
      await call<string>(
        page,
        'subscribe',
        buildSubscriberOffer(subscriber, entries, { ...options, version: 3 }),
      ),
    );
    assert.deepEqual(thirdAnswer.rejectedMids, []);
    const decodedBefore = inbound(renegotiated, '0')?.framesDecoded ?? 0;
    await third.resume();
    const reused = await statsWhen(
      (s) => (inbound(s, '0')?.framesDecoded ?? 0) > decodedBefore + 10,
      'frames decoded on the reused mid 0',
    );
    assert.deepEqual(reused.subMids, ['0:recvonly', '1:recvonly', '2:recvonly']);
    // All three: 'f' comes once the sender's bandwidth estimate allows 720p (seconds, sooner with the
    // router's x-google-start-bitrate in the answer).
    await waitFor(
      async () => {
        layers = (await video.getStats()).filter((entry) => entry.packetCount > 0 && entry.rid);
        return layers.length === 3;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `all three simulcast layers (have ${layerFigures})` },
    );
    const allLayers = layers
      .map((entry) => `${entry.rid}:${entry.packetCount}`)
      .sort()
      .join(' ');
    const widest = Math.max(...(await stats()).inbound.map((entry) => entry.frameWidth));
    console.log(
      `chromium: video frames decoded ${inbound(decoding, '0')?.framesDecoded} at first check` +
        ` (width ${inbound(decoding, '0')?.frameWidth}), audio packets ${audioBefore}; producer layers ${layerFigures};` +
        ` after renegotiation mid 2 ${inbound(renegotiated, '2')?.framesDecoded} frames,` +
        ` reused mid 0 ${inbound(reused, '0')?.framesDecoded} frames; sender layers ` +
        reused.outbound.map((entry) => `${entry.rid}:${entry.frameWidth}`).join(' ') +
        `; then all layers ${allLayers}, widest received ${widest}`,
    );
  } finally {
    await call(page, 'close').catch(() => {});
    publisher.close();
    subscriber.close();
  }
});
