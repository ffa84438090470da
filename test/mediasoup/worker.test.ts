import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
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

test('a built worker offers Opus and VP8 on a WebRtcTransport on 127.0.0.1 and exits cleanly on close', async () => {
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

/** One RTP packet: version 2, the payload type, sequence number, timestamp and SSRC, then `payload`. */
function rtpPacket(payloadType: number, seq: number, ssrc: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = payloadType & 0x7f;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 960) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

test('a built worker forwards Opus and VP8 RTP from a producer to a consumer, packet by packet', async () => {
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  workers.push(worker);
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const sender = await boundSocket();
  const receiver = await boundSocket();
  const received = new Map<number, number[]>();
  receiver.on('message', (packet) => {
    if (packet.length < 12 || packet[1]! >= 200) return; // RTCP rides the same port (rtcpMux)
    const payloadType = packet[1]! & 0x7f;
    received.set(payloadType, [...(received.get(payloadType) ?? []), packet.readUInt16BE(2)]);
  });
  try {
    // In: the test sends to a PlainTransport that learns its address from the first packet (comedia).
    const input = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    // Out: a PlainTransport connected to the test's receiving socket.
    const output = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
    });
    await output.connect({ ip: '127.0.0.1', port: receiver.address().port });
    const tracks = [
      {
        kind: 'audio' as const,
        codec: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
        ssrc: 1111,
      },
      {
        kind: 'video' as const,
        codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 },
        ssrc: 2222,
      },
    ];
    const consumers: types.Consumer[] = [];
    for (const track of tracks) {
      const producer = await input.produce({
        kind: track.kind,
        rtpParameters: { codecs: [track.codec], encodings: [{ ssrc: track.ssrc }] },
      });
      const consumer = await output.consume({
        producerId: producer.id,
        rtpCapabilities: router.rtpCapabilities,
      });
      consumers.push(consumer);
    }
    const payloadTypeOf = (kind: string) =>
      consumers.find((c) => c.kind === kind)!.rtpParameters.codecs[0]!.payloadType;
    // VP8: a payload descriptor marking a key frame start, then bytes; Opus: any bytes.
    const vp8 = Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a, ...Array(40).fill(7)]);
    const opus = Buffer.from(Array(40).fill(3));
    for (let seq = 1; seq <= 50; seq++) {
      sender.send(rtpPacket(100, seq, 1111, opus), input.tuple.localPort, '127.0.0.1');
      sender.send(rtpPacket(101, seq, 2222, vp8), input.tuple.localPort, '127.0.0.1');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const audioPt = payloadTypeOf('audio');
    const videoPt = payloadTypeOf('video');
    await waitFor(
      () => (received.get(audioPt)?.length ?? 0) >= 45 && (received.get(videoPt)?.length ?? 0) >= 45,
      {
        what: () =>
          `the consumers to forward the packets (got ${[...received].map(([pt, seqs]) => `${pt}: ${seqs.length}`).join(', ') || 'none'})`,
      },
    );
    // In order, each stream with its own (rewritten) sequence numbers, one apart.
    for (const pt of [audioPt, videoPt]) {
      const seqs = received.get(pt)!;
      for (let i = 1; i < seqs.length; i++)
        assert.equal((seqs[i]! - seqs[i - 1]! + 65536) % 65536, 1, `payload type ${pt} in order`);
    }
    const stats = await consumers[0]!.getStats();
    assert.ok(
      stats.some((s) => s.type === 'outbound-rtp' && s.packetCount >= 45),
      JSON.stringify(stats),
    );
  } finally {
    sender.close();
    receiver.close();
    router.close();
  }
});
