/**
 * One system of bench/srtp: a bare mediasoup worker (the binary in $LKC_MEDIASOUP_WORKER_BIN, in a session of its
 * own as a node's is) with one Router, one PlainTransport receiving a VP8 producer, and `--fanout` PlainTransports
 * each consuming it: the floor's set-up of issue 18 item 4, with SRTP on every transport or on none (`--srtp off`).
 * The first consumer sends to `--sink` (bench/srtp.ts counts it by sequence number), the others to `--drop`, a
 * loopback port nobody listens on, so that the worker pays a send per consumer and nothing reads in JS. Its
 * receiving socket has a 4 MiB buffer (below), the consumers' sockets mediasoup's defaults.
 * It tells its parent (IPC) the worker's pid, its receiving port and what the counted consumer sends, then answers
 * `stats` with the packets every consumer has sent, until its parent goes away.
 */
import { randomBytes } from 'node:crypto';
import { createWorker, type types } from 'mediasoup';

const option = (name: string) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`srtp-host needs ${name}`);
  return process.argv[i + 1]!;
};
const srtp = option('--srtp') === 'on';
const fanout = Number(option('--fanout'));
const sinkPort = Number(option('--sink'));
const dropPort = Number(option('--drop'));
/** What the sender encrypts with (30 bytes: the master key, then the master salt). */
const ingressKey = option('--key');

const CRYPTO_SUITE = 'AES_CM_128_HMAC_SHA1_80';
const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

const worker = await createWorker({ logLevel: 'warn' });
const router = await worker.createRouter({
  mediaCodecs: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }],
});
const ingress = await router.createPlainTransport({
  listenInfo,
  rtcpMux: true,
  comedia: true,
  enableSrtp: srtp,
});
await ingress.connect(srtp ? { srtpParameters: { cryptoSuite: CRYPTO_SUITE, keyBase64: ingressKey } } : {});
const producer = await ingress.produce({
  kind: 'video',
  rtpParameters: {
    codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
    encodings: [{ ssrc: 0x5157_0001 }],
  },
});

const consumers: types.Consumer[] = [];
let counted: { ssrc: number; keyBase64?: string } | undefined;
for (let i = 0; i < fanout; i++) {
  const transport = await router.createPlainTransport({ listenInfo, rtcpMux: true, enableSrtp: srtp });
  // Nothing is sent to these transports; SRTP still needs a receiving key.
  const remoteKey = { cryptoSuite: CRYPTO_SUITE, keyBase64: randomBytes(30).toString('base64') } as const;
  await transport.connect({
    ip: '127.0.0.1',
    port: i === 0 ? sinkPort : dropPort,
    ...(srtp ? { srtpParameters: remoteKey } : {}),
  });
  const consumer = await transport.consume({
    producerId: producer.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  consumers.push(consumer);
  if (i === 0)
    counted = {
      ssrc: consumer.rtpParameters.encodings![0]!.ssrc!,
      keyBase64: transport.srtpParameters?.keyBase64,
    };
}

process.send!({ ready: { workerPid: worker.pid, port: ingress.tuple.localPort, counted } });

process.on('message', async (message: { stats?: number }) => {
  if (message.stats === undefined) return;
  let sent = 0;
  for (const consumer of consumers) {
    for (const stat of await consumer.getStats()) if (stat.type === 'outbound-rtp') sent += stat.packetCount;
  }
  process.send!({ stats: message.stats, sent });
});
// Closing the worker first lets this process reap it.
process.on('disconnect', () => {
  worker.close();
  setTimeout(() => process.exit(0), 100);
});
