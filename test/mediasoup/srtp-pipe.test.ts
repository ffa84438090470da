import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, test } from 'node:test';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { waitFor } from '../helpers/wait.js';

// The worker is built against libsrtp 2.5 (Debian's source, on OpenSSL) through
// a libsrtp 3 shim (scripts/mediasoup-worker/subprojects/libsrtp3/include/srtp.h).
// A pipe with SRTP on encrypts in one worker and decrypts in the other: if either
// half of the shim were wrong, no packet would come out.

const OPUS: types.RouterRtpCodecCapability = {
  kind: 'audio',
  mimeType: 'audio/opus',
  clockRate: 48000,
  channels: 2,
};
const PAYLOAD_TYPE = 100;
const SSRC = 0x1234abcd;
const PACKETS = 50;

const workers: types.Worker[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const worker of workers) worker.close();
  for (const socket of sockets) socket.close();
});

function rtpPacket(index: number): Buffer {
  const packet = Buffer.alloc(12 + 40);
  packet[0] = 0x80; // version 2, no padding, no extension, no CSRC
  packet[1] = PAYLOAD_TYPE;
  packet.writeUInt16BE(index, 2);
  packet.writeUInt32BE(index * 960, 4);
  packet.writeUInt32BE(SSRC, 8);
  packet.write(`lk-cluster srtp pipe packet ${String(index).padStart(4, '0')}`, 12, 'ascii');
  return packet;
}

// The SFU rewrites the header (SSRC, sequence, its own header extensions): compare payloads only.
function rtpPayload(packet: Buffer): Buffer {
  let offset = 12 + (packet[0] & 0x0f) * 4;
  if (packet[0] & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return packet.subarray(offset);
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

test('forwards Opus RTP between two workers over an SRTP-encrypted pipe, every payload intact', async () => {
  const workerA = await mediasoup.createWorker({ logLevel: 'warn' });
  const workerB = await mediasoup.createWorker({ logLevel: 'warn' });
  workers.push(workerA, workerB);
  const routerA = await workerA.createRouter({ mediaCodecs: [OPUS] });
  const routerB = await workerB.createRouter({ mediaCodecs: [OPUS] });
  const pipeTransports: types.Transport[] = [];
  routerA.observer.on('newtransport', (transport) => pipeTransports.push(transport));
  routerB.observer.on('newtransport', (transport) => pipeTransports.push(transport));

  const ingest = await routerA.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: true,
  });
  const producer = await ingest.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: PAYLOAD_TYPE, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: SSRC }],
    },
  });
  pipeTransports.length = 0;
  await routerA.pipeToRouter({
    producerId: producer.id,
    router: routerB,
    enableSrtp: true,
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
  });
  assert.equal(pipeTransports.length, 2);
  for (const pipe of pipeTransports as types.PipeTransport[]) {
    assert.ok(pipe.srtpParameters, 'pipe transport has SRTP parameters');
  }

  const receiver = await udpSocket();
  const payloads = new Set<string>();
  const egress = await routerB.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
  });
  await egress.connect({ ip: '127.0.0.1', port: receiver.address().port });
  const consumer = await egress.consume({
    producerId: producer.id,
    rtpCapabilities: routerB.rtpCapabilities,
  });
  const consumerSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
  receiver.on('message', (message) => {
    // RTCP shares the port (rtcp-mux): keep RTP packets of the consumer's stream only.
    const rtcp = message[1] >= 192 && message[1] <= 223;
    if (!rtcp && message.length > 12 && message.readUInt32BE(8) === consumerSsrc) {
      payloads.add(rtpPayload(message).toString('ascii'));
    }
  });

  const sender = await udpSocket();
  for (let index = 1; index <= PACKETS; index++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(rtpPacket(index), ingest.tuple.localPort, '127.0.0.1', (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  await waitFor(() => payloads.size >= PACKETS, { what: `${PACKETS} packets through the SRTP pipe` });
  for (let index = 1; index <= PACKETS; index++) {
    assert.ok(payloads.has(rtpPayload(rtpPacket(index)).toString('ascii')), `payload of packet ${index}`);
  }
  assert.equal(workerA.died || workerB.died, false);
});
