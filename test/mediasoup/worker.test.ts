import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { waitFor, within } from '../helpers/wait.js';

const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

const workers: types.Worker[] = [];
after(() => {
  for (const worker of workers) worker.close();
  mediasoup.setLogEventListeners();
});

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test('a built worker routes Opus and VP8 over a WebRtcTransport on 127.0.0.1 and exits cleanly on close', async () => {
  // mediasoup reports how its child ended only in a debug log line.
  const closeLines: string[] = [];
  mediasoup.setLogEventListeners({
    ondebug: (_namespace, log) => {
      if (log.startsWith('worker process closed')) closeLines.push(log);
    },
  });

  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  workers.push(worker);
  let died: Error | undefined;
  worker.on('died', (error) => {
    died = error;
  });
  const subprocessClosed = new Promise<void>((resolve) => worker.once('subprocessclose', () => resolve()));
  assert.ok(worker.pid > 0);

  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const mimeTypes = router.rtpCapabilities.codecs?.map((codec) => codec.mimeType) ?? [];
  assert.ok(mimeTypes.includes('audio/opus'), `router codecs: ${mimeTypes.join(', ')}`);
  assert.ok(mimeTypes.includes('video/VP8'), `router codecs: ${mimeTypes.join(', ')}`);

  const transport = await router.createWebRtcTransport({
    listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
  });
  assert.equal(transport.iceCandidates.length, 1);
  const [candidate] = transport.iceCandidates;
  assert.equal(candidate.address, '127.0.0.1');
  assert.equal(candidate.protocol, 'udp');
  assert.ok(candidate.port > 0 && candidate.port < 65536, `candidate port ${candidate.port}`);
  assert.ok(transport.dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256'));
  assert.equal(transport.iceState, 'new');

  const usage = await worker.getResourceUsage();
  // ru_maxrss is in KiB: a live worker holds at least a megabyte and is not absurdly large.
  assert.ok(usage.ru_maxrss > 1024 && usage.ru_maxrss < 1024 * 1024, `ru_maxrss ${usage.ru_maxrss}`);
  assert.ok(usage.ru_utime >= 0 && usage.ru_stime >= 0);

  transport.close();
  router.close();
  assert.ok(transport.closed);
  assert.ok(router.closed);
  worker.close();
  assert.ok(worker.closed);

  await within(subprocessClosed, 10_000, `worker pid ${worker.pid} to close its subprocess`);
  await waitFor(() => processGone(worker.pid), { what: `worker pid ${worker.pid} to be gone` });
  assert.equal(died, undefined);
  assert.equal(worker.died, false);
  assert.deepEqual(closeLines, [`worker process closed [pid:${worker.pid}, code:0, signal:null]`]);
});
