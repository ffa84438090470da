// Captures the publisher offers of test/fixtures/sdp/ from Debian's Chromium, as LiveKit's JS client shapes
// them. Not a test: run it after a Chromium upgrade to see whether the offers changed, then rerun the tests.
//   npx tsc -p tsconfig.json && node dist/test/sdp/capture-fixtures.js
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../e2e/browser.js';
import { projectRoot } from '../helpers/paths.js';
import { call, openRtcPage, servePage } from './rtc-page.js';

const out = join(projectRoot, 'test', 'fixtures', 'sdp');
const { url, server } = await servePage();
const browser = await launchBrowser();
try {
  const capture = async (
    name: string,
    steps: (page: Awaited<ReturnType<typeof openRtcPage>>['page']) => Promise<string>,
  ) => {
    const { page } = await openRtcPage(browser, url);
    const sdp = await steps(page);
    writeFileSync(join(out, name), sdp);
    console.log(`${name}: ${sdp.split('\r\n').length} lines`);
    await page.close();
  };
  // LiveKit's first publisher offer: its data channels only.
  await capture('data-only.sdp', async (page) => {
    await call(page, 'addData');
    return call<string>(page, 'offer');
  });
  // Its next offer once a camera (3 layers at 720p) and a microphone with RED are published.
  await capture('vp8-simulcast-720p-opus-red.sdp', async (page) => {
    await call(page, 'media', 1280, 720);
    await call(page, 'addData');
    await call(page, 'offer');
    await call(page, 'addVideo', [
      ['q', 4],
      ['h', 2],
      ['f', 1],
    ]);
    await call(page, 'addAudio', true);
    return call<string>(page, 'offer');
  });
  // 360p: LiveKit sends two layers.
  await capture('vp8-simulcast-360p.sdp', async (page) => {
    await call(page, 'media', 640, 360);
    await call(page, 'addVideo', [
      ['q', 2],
      ['h', 1],
    ]);
    return call<string>(page, 'offer');
  });
  // What the Rust client offers beside its tracks: recvonly transceivers that carry nothing.
  await capture('recvonly-placeholder.sdp', async (page) => {
    await call(page, 'media', 640, 360);
    await call(page, 'addAudio', false);
    await call(page, 'addRecvonly', 'audio');
    await call(page, 'addRecvonly', 'video');
    return call<string>(page, 'offer');
  });
  // Legacy simulcast: ssrc-group:SIM, which Chromium writes once its local description was munged so.
  await capture('vp8-ssrc-sim.sdp', async (page) => {
    await call(page, 'media', 1280, 720);
    await call(page, 'addVideo', []);
    return call<string>(page, 'mungeSimulcast');
  });
} finally {
  await browser.close();
  server.close();
}
