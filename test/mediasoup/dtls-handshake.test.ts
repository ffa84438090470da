import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { spawnTracked, stopProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

// The install patches mediasoup's BIO callback (BIO_CB_RETURN tested with ==
// where a bit test is meant). Unpatched, Debian's kTLS-enabled libssl makes
// the worker die with SIGSEGV on the first DTLS handshake of any peer. Here a
// real DTLS client (the openssl CLI, with a certificate and use_srtp) does
// ICE with a hand-built STUN request, then the handshake, through a relay so
// both come from one UDP port as they would from a browser.

const scratch = mkdtempSync(path.join(os.tmpdir(), 'lkc-dtls-'));
const workers: types.Worker[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const worker of workers) worker.close();
  for (const socket of sockets) socket.close();
  rmSync(scratch, { recursive: true, force: true });
});

function stunAttribute(type: number, value: Buffer): Buffer {
  const attribute = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  attribute.writeUInt16BE(type, 0);
  attribute.writeUInt16BE(value.length, 2);
  value.copy(attribute, 4);
  return attribute;
}

/** An ICE connectivity check (RFC 8445): Binding request with USE-CANDIDATE, integrity and fingerprint. */
function bindingRequest(username: string, password: string): Buffer {
  const transactionId = randomBytes(12);
  const header = (length: number) => {
    const bytes = Buffer.alloc(20);
    bytes.writeUInt16BE(0x0001, 0);
    bytes.writeUInt16BE(length, 2);
    bytes.writeUInt32BE(0x2112a442, 4);
    transactionId.copy(bytes, 8);
    return bytes;
  };
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff);
  let attributes = Buffer.concat([
    stunAttribute(0x0006, Buffer.from(username)), // USERNAME
    stunAttribute(0x0024, priority), // PRIORITY
    stunAttribute(0x802a, randomBytes(8)), // ICE-CONTROLLING
    stunAttribute(0x0025, Buffer.alloc(0)), // USE-CANDIDATE
  ]);
  // MESSAGE-INTEGRITY covers the header with a length that already counts itself (24 bytes).
  const integrity = createHmac('sha1', password)
    .update(Buffer.concat([header(attributes.length + 24), attributes]))
    .digest();
  attributes = Buffer.concat([attributes, stunAttribute(0x0008, integrity)]);
  const fingerprint = Buffer.alloc(4);
  fingerprint.writeUInt32BE(
    (crc32(Buffer.concat([header(attributes.length + 8), attributes])) ^ 0x5354554e) >>> 0,
  );
  attributes = Buffer.concat([attributes, stunAttribute(0x8028, fingerprint)]);
  return Buffer.concat([header(attributes.length), attributes]);
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

test('a DTLS client with use_srtp completes its handshake with the worker, which stays alive', {
  skip: hasOpenssl ? false : 'the openssl command (Debian package openssl) is not installed',
}, async () => {
  const key = path.join(scratch, 'key.pem');
  const cert = path.join(scratch, 'cert.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-subj',
      '/CN=lk-cluster-test',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  const fingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;

  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  workers.push(worker);
  const router = await worker.createRouter({
    mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
  });
  const transport = await router.createWebRtcTransport({
    listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
  });
  const workerPort = transport.iceCandidates[0].port;
  await transport.connect({
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] },
  });

  // `peer` is the browser's one UDP port; `relay` is where the openssl client sends its DTLS.
  const peer = await udpSocket();
  const relay = await udpSocket();
  let client: RemoteInfo | undefined;
  relay.on('message', (message, from) => {
    client = from;
    peer.send(message, workerPort, '127.0.0.1');
  });
  peer.on('message', (message) => {
    // DTLS records start with a content type in 20..63 (RFC 7983); STUN answers stay here.
    if (client && message[0] >= 20 && message[0] <= 63) relay.send(message, client.port, client.address);
  });

  const { usernameFragment, password } = transport.iceParameters;
  peer.send(bindingRequest(`${usernameFragment}:lkcpeer`, password), workerPort, '127.0.0.1');
  await waitFor(() => transport.iceState === 'completed', { what: 'ICE to complete' });
  assert.equal(transport.iceSelectedTuple?.remotePort, peer.address().port);

  const dtlsClient = spawnTracked('openssl', [
    's_client',
    '-dtls1_2',
    '-connect',
    `127.0.0.1:${relay.address().port}`,
    '-cert',
    cert,
    '-key',
    key,
    '-use_srtp',
    'SRTP_AES128_CM_SHA1_80',
    '-quiet',
  ]);
  try {
    await waitFor(
      () => transport.dtlsState === 'connected' || transport.dtlsState === 'failed' || worker.died,
      {
        what: 'the DTLS handshake to finish',
      },
    );
    assert.equal(worker.died, false, 'the worker died during the DTLS handshake');
    assert.equal(transport.dtlsState, 'connected');
    assert.match(transport.dtlsRemoteCert ?? '', /BEGIN CERTIFICATE/);
    // The worker still answers after the handshake.
    assert.ok((await worker.getResourceUsage()).ru_maxrss > 0);
  } finally {
    await stopProcess(dtlsClient);
  }
});
