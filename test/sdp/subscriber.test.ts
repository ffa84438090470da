import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { types } from 'mediasoup';
import { parse } from 'sdp-transform';
import { isLkcError } from '../../src/errors.js';
import { parsePublisherOffer } from '../../src/sdp/publisher-offer.js';
import { parseSubscriberAnswer } from '../../src/sdp/subscriber-answer.js';
import { buildSubscriberOffer, type OfferEntry } from '../../src/sdp/subscriber-offer.js';
import { createTransport, mediaOf, sdpFixture, sectionLines, startRouter } from './sdp-helpers.js';

// Chromium's offers produced on a real worker, consumed as the signalling session does (router capabilities,
// paused, mid of the m-line), written as the subscriber offer and read back.

let worker: types.Worker;
let router: types.Router;
let video: types.Consumer;
let audio: types.Consumer;
let subscriber: types.WebRtcTransport;

before(async () => {
  ({ worker, router } = await startRouter());
  const publisher = await createTransport(router);
  const offer = parsePublisherOffer(sdpFixture('vp8-simulcast-720p-opus-red.sdp'), router.rtpCapabilities);
  const producers = new Map<string, types.Producer>();
  for (const media of offer.media) {
    if (!media.rtpParameters) continue;
    const kind = media.kind as 'audio' | 'video';
    producers.set(kind, await publisher.produce({ kind, rtpParameters: media.rtpParameters }));
  }
  subscriber = await createTransport(router);
  const consume = (kind: string, mid: string) =>
    subscriber.consume({
      producerId: producers.get(kind)!.id,
      rtpCapabilities: router.rtpCapabilities,
      paused: true,
      mid,
    });
  video = await consume('video', '0');
  audio = await consume('audio', '1');
});
after(() => worker?.close());

function entries(): OfferEntry[] {
  return [
    { mid: '0', kind: 'video', rtpParameters: video.rtpParameters, streamId: 'PA_a|TR_v', trackId: 'TR_v' },
    { mid: '1', kind: 'audio', rtpParameters: audio.rtpParameters, streamId: 'PA_a|TR_a', trackId: 'TR_a' },
  ];
}

const options = () => ({
  sessionId: '4242',
  version: 1,
  withData: true,
  routerCapabilities: router.rtpCapabilities,
});

test('the offer: data first, then each consumer sendonly with its payload types, ssrcs, msid and RTX group', () => {
  assert.equal(video.type, 'simulcast');
  const sdp = buildSubscriberOffer(subscriber, entries(), options());
  const session = parse(sdp);
  assert.equal(session.icelite, 'ice-lite');
  assert.deepEqual(session.origin, {
    username: '-',
    sessionId: 4242,
    sessionVersion: 1,
    netType: 'IN',
    ipVer: 4,
    address: '127.0.0.1',
  });
  assert.deepEqual(session.groups, [{ type: 'BUNDLE', mids: 'data 0 1' }]);
  assert.deepEqual(
    session.media.map((media) => [media.type, String(media.mid), media.direction]),
    [
      ['application', 'data', undefined],
      ['video', '0', 'sendonly'],
      ['audio', '1', 'sendonly'],
    ],
  );
  for (const media of session.media) {
    assert.equal(media.setup, 'actpass');
    assert.equal(media.iceUfrag, subscriber.iceParameters.usernameFragment);
    assert.equal(media.candidates?.[0]?.port, subscriber.iceCandidates[0].port);
  }
  const data = mediaOf(sdp, 'data');
  assert.equal(data.sctpPort, 5000);
  assert.equal(data.maxMessageSize, subscriber.sctpParameters?.maxMessageSize);

  const v = mediaOf(sdp, '0');
  const [vp8, rtx] = video.rtpParameters.codecs;
  assert.equal(String(v.payloads), `${vp8.payloadType} ${rtx.payloadType}`);
  assert.deepEqual(v.rtp, [
    { payload: vp8.payloadType, codec: 'VP8', rate: 90000 },
    { payload: rtx.payloadType, codec: 'rtx', rate: 90000 },
  ]);
  assert.ok(
    v.fmtp.some((fmtp) => fmtp.payload === rtx.payloadType && fmtp.config === `apt=${vp8.payloadType}`),
  );
  const feedback = (v.rtcpFb ?? []).map((fb) => `${fb.type}${fb.subtype ? ` ${fb.subtype}` : ''}`);
  assert.ok(feedback.includes('transport-cc'), feedback.join());
  assert.ok(!feedback.includes('goog-remb'), feedback.join());
  assert.deepEqual(
    v.ext?.map((ext) => [ext.value, ext.uri]),
    video.rtpParameters.headerExtensions?.map((ext) => [ext.id, ext.uri]),
  );
  const { ssrc, rtx: repair } = video.rtpParameters.encodings![0];
  const cname = video.rtpParameters.rtcp?.cname;
  assert.ok(cname);
  assert.deepEqual(v.ssrcGroups, [{ semantics: 'FID', ssrcs: `${ssrc} ${repair?.ssrc}` }]);
  // sdp-transform's grammar stops at '|', so msid is checked in the text.
  const lines = sectionLines(sdp, '0');
  assert.ok(lines.includes('a=msid:PA_a|TR_v TR_v'), lines.join('\n'));
  for (const id of [ssrc, repair?.ssrc]) {
    assert.ok(lines.includes(`a=ssrc:${id} cname:${cname}`));
    assert.ok(lines.includes(`a=ssrc:${id} msid:PA_a|TR_v TR_v`));
  }

  const a = mediaOf(sdp, '1');
  assert.deepEqual(a.rtp, [
    { payload: audio.rtpParameters.codecs[0].payloadType, codec: 'opus', rate: 48000, encoding: 2 },
  ]);
  assert.deepEqual(
    a.ssrcs?.map((line) => line.id),
    [audio.rtpParameters.encodings![0].ssrc, audio.rtpParameters.encodings![0].ssrc],
  );
  assert.equal(a.ssrcGroups, undefined);
});

test('a gone consumer leaves its m-line in place, inactive, with the router codec; mids keep their order', async () => {
  const [v, a] = entries();
  const again = await subscriber.consume({
    producerId: video.producerId,
    rtpCapabilities: router.rtpCapabilities,
    paused: true,
    mid: '2',
  });
  const sdp = buildSubscriberOffer(
    subscriber,
    [
      { ...v, rtpParameters: undefined },
      a,
      { mid: '2', kind: 'video', rtpParameters: again.rtpParameters, streamId: 'PA_a|TR_w', trackId: 'TR_w' },
    ],
    { ...options(), version: 2 },
  );
  const session = parse(sdp);
  assert.equal(session.origin.sessionVersion, 2);
  assert.deepEqual(session.groups, [{ type: 'BUNDLE', mids: 'data 0 1 2' }]);
  const gone = mediaOf(sdp, '0');
  assert.equal(gone.direction, 'inactive');
  assert.equal(gone.port, 9);
  const vp8 = router.rtpCapabilities.codecs?.find((codec) => codec.mimeType === 'video/VP8');
  assert.equal(String(gone.payloads), String(vp8?.preferredPayloadType));
  assert.equal(gone.ssrcs, undefined);
  assert.ok(!sectionLines(sdp, '0').some((line) => line.startsWith('a=msid')));
  assert.equal(mediaOf(sdp, '2').direction, 'sendonly');
});

test('the answer: DTLS role from a=setup, rejected mids from port 0', () => {
  const offer = buildSubscriberOffer(subscriber, entries(), options());
  // A client's answer, shaped from the offer: its own fingerprint, active, mid 1 refused.
  const answer = offer
    .replace(/a=setup:actpass/g, 'a=setup:active')
    .replace(/a=fingerprint:sha-256 \S+/g, 'a=fingerprint:sha-256 AB:CD:EF')
    .replace(/^m=audio 9 /m, 'm=audio 0 ');
  assert.deepEqual(parseSubscriberAnswer(answer), {
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD:EF' }] },
    rejectedMids: ['1'],
  });
  assert.equal(
    parseSubscriberAnswer(answer.replace(/a=setup:active/g, 'a=setup:passive')).dtlsParameters.role,
    'server',
  );
});

function assertBadInput(run: () => unknown, pattern: RegExp) {
  assert.throws(run, (err: unknown) => {
    assert.ok(isLkcError(err), `not an LkcError: ${err}`);
    assert.equal(err.code, 'BAD_INPUT');
    assert.match(err.message, pattern);
    return true;
  });
}

test('bad answers and bad entries throw BAD_INPUT', () => {
  const offer = buildSubscriberOffer(subscriber, entries(), options());
  assertBadInput(() => parseSubscriberAnswer(offer), /setup:actpass/);
  assertBadInput(() => parseSubscriberAnswer('garbage'), /v=0/);
  assertBadInput(() => parseSubscriberAnswer(offer.replace(/^a=fingerprint.*\r\n/gm, '')), /fingerprint/);
  const [v, a] = entries();
  // mediasoup writes the consumer's mid into the RTP mid extension: it must be the m-line's.
  assertBadInput(
    () => buildSubscriberOffer(subscriber, [{ ...v, mid: '5' }, a], options()),
    /consume with \{ mid \}/,
  );
  assertBadInput(() => buildSubscriberOffer(subscriber, [v, { ...a, mid: '0' }], options()), /mid 0/);
  assertBadInput(() => buildSubscriberOffer(subscriber, [{ ...v, mid: 'data' }], options()), /mid data/);
  assertBadInput(() => buildSubscriberOffer(subscriber, [{ ...v, trackId: 'a b' }], options()), /msid/);
  assertBadInput(() => buildSubscriberOffer(subscriber, [v], { ...options(), sessionId: 'x' }), /session id/);
});
