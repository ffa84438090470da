import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { types } from 'mediasoup';
import { parse } from 'sdp-transform';
import { isLkcError } from '../../src/errors.js';
import { buildPublisherAnswer } from '../../src/sdp/publisher-answer.js';
import { type OfferedMedia, parsePublisherOffer } from '../../src/sdp/publisher-offer.js';
import { createTransport, mediaOf, sdpFixture, startRouter } from './sdp-helpers.js';

// Publisher offers as Debian's Chromium writes them for LiveKit's JS client (test/fixtures/sdp/), read into
// mediasoup parameters, produced on a real worker, and answered.

let worker: types.Worker;
let router: types.Router;
before(async () => {
  ({ worker, router } = await startRouter());
});
after(() => worker?.close());

const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** Produces every media the offer sends on a fresh transport: mediasoup itself judges the parameters. */
async function produceAll(offer: ReturnType<typeof parsePublisherOffer>): Promise<types.Producer[]> {
  const transport = await createTransport(router);
  const producers: types.Producer[] = [];
  for (const media of offer.media) {
    if (!media.rtpParameters) continue;
    producers.push(
      await transport.produce({ kind: media.kind as 'audio' | 'video', rtpParameters: media.rtpParameters }),
    );
  }
  return producers;
}

function sending(offer: ReturnType<typeof parsePublisherOffer>, mid: string): OfferedMedia {
  const media = offer.media.find((candidate) => candidate.mid === mid);
  assert.ok(media, `mid ${mid}`);
  return media;
}

test('720p simulcast + Opus/RED: VP8 with RTX, rids q h f in order, Opus without RED, data on 5000', async () => {
  const sdp = sdpFixture('vp8-simulcast-720p-opus-red.sdp');
  const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
  assert.deepEqual(offer.dtlsParameters, {
    role: 'client',
    fingerprints: [
      {
        algorithm: 'sha-256',
        value:
          'C1:D0:D1:17:F9:55:6F:FA:70:15:34:83:9E:78:63:4B:9B:D9:36:BF:9A:2A:2A:C3:5F:0F:D0:02:6E:55:03:C2',
      },
    ],
  });
  assert.deepEqual(
    offer.media.map((media) => [media.mid, media.kind, media.direction]),
    [
      ['0', 'application', 'sendrecv'],
      ['1', 'video', 'sendonly'],
      ['2', 'audio', 'sendonly'],
    ],
  );
  assert.deepEqual(offer.sctp, { port: 5000, maxMessageSize: 262144 });

  const video = sending(offer, '1');
  assert.equal(video.streamId, '737e1bb2-d097-4770-a8a2-5b4020ae612d');
  assert.equal(video.trackId, 'b716d6f5-e7da-45e4-8108-45a96bf91300');
  assert.deepEqual(video.rtpParameters, {
    mid: '1',
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        // From the router's codec: libwebrtc starts its estimate there.
        parameters: { 'x-google-start-bitrate': 1000 },
        // goog-remb is gone: transport-cc is negotiated, and one congestion feedback is what libwebrtc wants.
        rtcpFeedback: [
          { type: 'transport-cc' },
          { type: 'ccm', parameter: 'fir' },
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
        ],
      },
      { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 }, rtcpFeedback: [] },
    ],
    headerExtensions: [
      { uri: 'urn:ietf:params:rtp-hdrext:toffset', id: 1 },
      { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', id: 2 },
      { uri: 'urn:3gpp:video-orientation', id: 3 },
      { uri: TRANSPORT_CC, id: 4 },
      { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay', id: 5 },
      { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 9 },
      { uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 10 },
      { uri: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id', id: 11 },
      {
        uri: 'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension',
        id: 13,
      },
    ],
    encodings: [
      { rid: 'q', scalabilityMode: 'L1T3' },
      { rid: 'h', scalabilityMode: 'L1T3' },
      { rid: 'f', scalabilityMode: 'L1T3' },
    ],
    // rid simulcast carries no a=ssrc, so no cname: mediasoup makes one up for the transport.
    rtcp: { reducedSize: true },
  });

  const audio = sending(offer, '2');
  assert.equal(audio.trackId, 'b4d813d4-e301-4c6a-87b1-301a3e28418d');
  assert.deepEqual(audio.rtpParameters, {
    mid: '2',
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: 111,
        clockRate: 48000,
        channels: 2,
        parameters: { minptime: 10, useinbandfec: 1 },
        rtcpFeedback: [{ type: 'transport-cc' }],
      },
    ],
    headerExtensions: [
      { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 12 },
      { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', id: 2 },
      { uri: TRANSPORT_CC, id: 4 },
      { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 9 },
    ],
    encodings: [{ ssrc: 3553165022 }],
    rtcp: { cname: 'T6EtA/HmCakyc9j5', reducedSize: true },
  });

  const [videoProducer, audioProducer] = await produceAll(offer);
  assert.equal(videoProducer.type, 'simulcast');
  assert.equal(audioProducer.type, 'simple');
});

test('360p simulcast: two rids, q then h', async () => {
  const offer = parsePublisherOffer(sdpFixture('vp8-simulcast-360p.sdp'), router.rtpCapabilities);
  const video = sending(offer, '0');
  assert.deepEqual(
    video.rtpParameters?.encodings?.map((encoding) => encoding.rid),
    ['q', 'h'],
  );
  assert.equal(offer.sctp, undefined);
  const [producer] = await produceAll(offer);
  assert.equal(producer.type, 'simulcast');
});

test('ssrc-group:SIM: one encoding per ssrc in SIM order, each with its FID repair ssrc', async () => {
  const offer = parsePublisherOffer(sdpFixture('vp8-ssrc-sim.sdp'), router.rtpCapabilities);
  const video = sending(offer, '0');
  assert.deepEqual(video.rtpParameters?.encodings, [
    { ssrc: 1300932992, rtx: { ssrc: 1972674842 }, scalabilityMode: 'L1T3' },
    { ssrc: 1300932994, rtx: { ssrc: 1972674844 }, scalabilityMode: 'L1T3' },
    { ssrc: 1300932996, rtx: { ssrc: 1972674846 }, scalabilityMode: 'L1T3' },
  ]);
  assert.deepEqual(video.rtpParameters?.rtcp, { cname: 'UAPqWO8+VGcsPR1p', reducedSize: true });
  const [producer] = await produceAll(offer);
  assert.equal(producer.type, 'simulcast');
});

test('recvonly placeholders have no rtpParameters and are answered inactive, never port 0, all in BUNDLE', async () => {
  const sdp = sdpFixture('recvonly-placeholder.sdp');
  const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
  assert.deepEqual(
    offer.media.map((media) => [media.mid, media.kind, media.direction, Boolean(media.rtpParameters)]),
    [
      ['0', 'audio', 'sendonly', true],
      ['1', 'audio', 'recvonly', false],
      ['2', 'video', 'recvonly', false],
    ],
  );
  const transport = await createTransport(router);
  const answer = buildPublisherAnswer(sdp, offer, transport, (media) => Boolean(media.rtpParameters));
  const parsed = parse(answer);
  assert.deepEqual(parsed.groups, [{ type: 'BUNDLE', mids: '0 1 2' }]);
  assert.deepEqual(
    parsed.media.map((media) => [String(media.mid), media.port, media.direction, String(media.payloads)]),
    [
      ['0', 9, 'recvonly', '111'],
      ['1', 9, 'inactive', '111'],
      ['2', 9, 'inactive', '96'],
    ],
  );
});

test('a refused track is answered inactive with its negotiated codec', async () => {
  const sdp = sdpFixture('vp8-simulcast-720p-opus-red.sdp');
  const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
  const transport = await createTransport(router);
  const answer = buildPublisherAnswer(sdp, offer, transport, (media) => media.kind !== 'video');
  const video = mediaOf(answer, '1');
  assert.equal(video.direction, 'inactive');
  assert.equal(video.port, 9);
  assert.equal(video.payloads, '96 97');
  assert.equal(video.simulcast, undefined);
  assert.equal(mediaOf(answer, '2').direction, 'recvonly');
});

test('the answer: ice-lite, passive, the transport candidates and fingerprint, simulcast recv, sctp', async () => {
  const sdp = sdpFixture('vp8-simulcast-720p-opus-red.sdp');
  const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
  const transport = await createTransport(router);
  const answer = buildPublisherAnswer(sdp, offer, transport, (media) => Boolean(media.rtpParameters));
  const parsed = parse(answer);
  assert.equal(parsed.icelite, 'ice-lite');
  assert.deepEqual(parsed.groups, [{ type: 'BUNDLE', mids: '0 1 2' }]);
  // The answer's version follows the offer's, so each answer of the PC is newer than the last.
  assert.equal(parsed.origin.sessionVersion, 3);
  const sha256 = transport.dtlsParameters.fingerprints.find((fp) => fp.algorithm === 'sha-256');
  const candidate = transport.iceCandidates[0];
  for (const media of parsed.media) {
    assert.equal(media.setup, 'passive');
    assert.equal(media.iceUfrag, transport.iceParameters.usernameFragment);
    assert.equal(media.icePwd, transport.iceParameters.password);
    assert.deepEqual(media.fingerprint, { type: 'sha-256', hash: sha256?.value });
    assert.equal(media.candidates?.length, 1);
    assert.equal(media.candidates?.[0].ip, candidate.address);
    assert.equal(media.candidates?.[0].port, candidate.port);
    assert.equal(media.endOfCandidates, 'end-of-candidates');
  }
  const data = mediaOf(answer, '0');
  assert.equal(data.payloads, 'webrtc-datachannel');
  assert.equal(data.sctpPort, transport.sctpParameters?.port);
  assert.equal(data.maxMessageSize, transport.sctpParameters?.maxMessageSize);
  const video = mediaOf(answer, '1');
  assert.equal(video.direction, 'recvonly');
  assert.deepEqual(video.simulcast, { dir1: 'recv', list1: 'q;h;f' });
  assert.deepEqual(video.rids, [
    { id: 'q', direction: 'recv' },
    { id: 'h', direction: 'recv' },
    { id: 'f', direction: 'recv' },
  ]);
  assert.deepEqual(
    video.ext?.map((ext) => ext.value),
    [1, 2, 3, 4, 5, 9, 10, 11, 13],
  );
  assert.ok(!video.rtcpFb?.some((fb) => fb.type === 'goog-remb'));
  const audio = mediaOf(answer, '2');
  assert.equal(String(audio.payloads), '111');
  assert.deepEqual(audio.rtp, [{ payload: 111, codec: 'opus', rate: 48000, encoding: 2 }]);
});

test('data-only offer: m=application answered with the transport SCTP parameters', async () => {
  const sdp = sdpFixture('data-only.sdp');
  const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
  assert.deepEqual(offer.media, [{ mid: '0', kind: 'application', direction: 'sendrecv' }]);
  assert.deepEqual(offer.sctp, { port: 5000, maxMessageSize: 262144 });
  const transport = await createTransport(router);
  const answer = parse(buildPublisherAnswer(sdp, offer, transport, () => true));
  assert.equal(answer.media.length, 1);
  assert.equal(answer.media[0].sctpPort, 5000);
  assert.equal(answer.media[0].protocol, 'UDP/DTLS/SCTP');
});

/** The video m-line of the 720p offer with its payload types reordered. */
function withVideoOrder(order: string): string {
  return sdpFixture('vp8-simulcast-720p-opus-red.sdp').replace(
    /^m=video 9 UDP\/TLS\/RTP\/SAVPF .*$/m,
    `m=video 9 UDP/TLS/RTP/SAVPF ${order}`,
  );
}

test('H.264: packetization-mode 0 and the baseline profile are skipped for 42e01f mode 1', async () => {
  const offer = parsePublisherOffer(withVideoOrder('104 107 102 103 108 109 96 97'), router.rtpCapabilities);
  const codecs = sending(offer, '1').rtpParameters?.codecs;
  assert.deepEqual(
    codecs?.map((codec) => [codec.mimeType, codec.payloadType, codec.parameters]),
    [
      [
        'video/H264',
        108,
        { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' },
      ],
      ['video/rtx', 109, { apt: 108 }],
    ],
  );
  await produceAll(offer);
});

test('VP9: profile-id 0 is skipped for the router profile 2; with simulcast VP9 is skipped for VP8', async () => {
  const single = sdpFixture('vp8-ssrc-sim.sdp')
    .replace(/^m=video 9 UDP\/TLS\/RTP\/SAVPF .*$/m, 'm=video 9 UDP/TLS/RTP/SAVPF 98 99 100 101 96 97')
    .replace(/^a=ssrc-group:SIM .*\r\n/m, '');
  const offer = parsePublisherOffer(single, router.rtpCapabilities);
  assert.deepEqual(
    sending(offer, '0').rtpParameters?.codecs?.map((codec) => [codec.mimeType, codec.payloadType]),
    [
      ['video/VP9', 100],
      ['video/rtx', 101],
    ],
  );
  assert.deepEqual(sending(offer, '0').rtpParameters?.encodings, [
    { ssrc: 1300932994, rtx: { ssrc: 1972674844 } },
  ]);
  await produceAll(offer);
  // mediasoup forwards simulcast only for VP8 and H.264.
  const simulcast = parsePublisherOffer(withVideoOrder('98 99 100 101 96 97'), router.rtpCapabilities);
  assert.deepEqual(
    sending(simulcast, '1').rtpParameters?.codecs?.map((codec) => [codec.mimeType, codec.payloadType]),
    [
      ['video/VP8', 96],
      ['video/rtx', 97],
    ],
  );
});

test('an m-line with no codec the router has gets no rtpParameters (answered inactive)', async () => {
  const offer = parsePublisherOffer(withVideoOrder('45 46'), router.rtpCapabilities);
  assert.equal(sending(offer, '1').rtpParameters, undefined);
});

function assertBadInput(run: () => unknown, pattern: RegExp) {
  assert.throws(run, (err: unknown) => {
    assert.ok(isLkcError(err), `not an LkcError: ${err}`);
    assert.equal(err.code, 'BAD_INPUT');
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('bad offers throw BAD_INPUT with one line naming what is wrong', () => {
  const caps = router.rtpCapabilities;
  const good = sdpFixture('vp8-simulcast-720p-opus-red.sdp');
  assertBadInput(() => parsePublisherOffer('', caps), /empty/);
  assertBadInput(() => parsePublisherOffer(undefined as unknown as string, caps), /empty/);
  assertBadInput(() => parsePublisherOffer('hello', caps), /v=0/);
  assertBadInput(() => parsePublisherOffer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n', caps), /no m-line/);
  assertBadInput(() => parsePublisherOffer(good.replace(/^a=fingerprint:.*\r\n/gm, ''), caps), /fingerprint/);
  assertBadInput(
    () => parsePublisherOffer(good.replace(/^a=setup:actpass/gm, 'a=setup:passive'), caps),
    /setup/,
  );
  assertBadInput(() => parsePublisherOffer(good.replace('a=mid:1\r\n', ''), caps), /no a=mid/);
  assertBadInput(
    () => parsePublisherOffer(good.replace('a=mid:2', 'a=mid:1'), caps),
    /two m-lines with mid 1/,
  );
  assertBadInput(() => parsePublisherOffer(good.replace('a=rid:h send', 'a=rid:h recv'), caps), /rid h/);
  assertBadInput(() => parsePublisherOffer(good.replace('a=sctp-port:5000\r\n', ''), caps), /sctp-port/);
  assertBadInput(
    () => parsePublisherOffer(good.replace(/sha-256 C1:D0/g, 'sha-256 ZZ:D0'), caps),
    /malformed fingerprint/,
  );
});

test('an offer missing any one line parses or throws BAD_INPUT, never anything else', async () => {
  const transport = await createTransport(router);
  for (const name of ['vp8-simulcast-720p-opus-red.sdp', 'vp8-ssrc-sim.sdp', 'recvonly-placeholder.sdp']) {
    const lines = sdpFixture(name).split('\r\n');
    for (let drop = 0; drop < lines.length; drop++) {
      const sdp = [...lines.slice(0, drop), ...lines.slice(drop + 1)].join('\r\n');
      try {
        const offer = parsePublisherOffer(sdp, router.rtpCapabilities);
        buildPublisherAnswer(sdp, offer, transport, () => true);
      } catch (err) {
        assert.ok(
          isLkcError(err) && err.code === 'BAD_INPUT',
          `${name} without line ${drop} (${lines[drop]}): ${err}`,
        );
      }
    }
  }
});
