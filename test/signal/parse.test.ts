import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeReason, MAX_CLOSE_REASON_BYTES, utf8Length } from '../../src/signal/close-codes.js';
import { parseRequest, parseServerMessage } from '../../src/signal/parse.js';
import { MAX_FRAME_BYTES, METHODS, type SignalErrorCode } from '../../src/signal/protocol.js';

const dtls = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] };
const rtp = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
  encodings: [{ ssrc: 1 }],
};

/** A well-formed example of every method's data. */
const EXAMPLES: Record<string, unknown> = {
  join: { name: 'Alice', metadata: '{"x":1}' },
  createWebRtcTransport: { direction: 'send' },
  connectWebRtcTransport: { transportId: 't1', dtlsParameters: dtls },
  produce: { transportId: 't1', kind: 'video', rtpParameters: rtp, source: 'camera' },
  consume: { transportId: 't2', producerId: 'p1', rtpCapabilities: { codecs: [] } },
  resumeConsumer: { consumerId: 'c1' },
  pauseProducer: { producerId: 'p1' },
  resumeProducer: { producerId: 'p1' },
  closeProducer: { producerId: 'p1' },
  restartIce: { transportId: 't1' },
  produceData: { transportId: 't1', sctpStreamParameters: { streamId: 0, ordered: true }, label: 'lkc' },
  consumeData: { transportId: 't2' },
  leave: {},
};

function refusal(frame: string | Uint8Array): { id: unknown; code: SignalErrorCode; message: string } {
  const result = parseRequest(frame);
  assert.equal(result.ok, false, `expected a refusal of ${String(frame).slice(0, 80)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.response.ok, false);
  return { id: result.response.id, ...result.response.error };
}

describe('signalling frame parser', () => {
  it('accepts a well-formed request of every method and keeps its id, method and data', () => {
    for (const method of METHODS) {
      const data = EXAMPLES[method];
      const result = parseRequest(JSON.stringify({ id: 7, method, data }));
      assert.ok(result.ok, `${method}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.request, { id: 7, method, data });
    }
  });

  it('accepts string ids and bytes as well as text', () => {
    const frame = new TextEncoder().encode(
      JSON.stringify({ id: 'req-1', method: 'restartIce', data: { transportId: 'x' } }),
    );
    const result = parseRequest(frame);
    assert.ok(result.ok);
    assert.equal(result.request.id, 'req-1');
  });

  it('reads a missing data of join and leave as an empty object', () => {
    for (const method of ['join', 'leave']) {
      const result = parseRequest(JSON.stringify({ id: 1, method }));
      assert.ok(result.ok);
      assert.deepEqual(result.request.data, {});
    }
  });

  it('drops unknown fields, including __proto__, before the data reaches the room', () => {
    const result = parseRequest(
      '{"id":1,"method":"resumeConsumer","data":{"consumerId":"c","extra":1,"__proto__":{"polluted":true}}}',
    );
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(result.request.data), ['consumerId']);
    assert.equal(Object.getPrototypeOf(result.request.data), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('answers a frame that is not JSON with bad_json and no id', () => {
    const error = refusal('{"id": 1, "method": ');
    assert.equal(error.code, 'bad_json');
    assert.equal(error.id, null);
    assert.match(error.message, /not JSON/);
  });

  it('answers bytes that are not UTF-8 with bad_json', () => {
    assert.equal(refusal(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])).code, 'bad_json');
  });

  it('answers JSON that is not an object with bad_request', () => {
    for (const frame of ['[]', '42', 'null', '"join"', 'true']) {
      const error = refusal(frame);
      assert.equal(error.code, 'bad_request', frame);
      assert.equal(error.id, null);
    }
  });

  it('refuses a missing, negative, fractional or oversized id', () => {
    for (const id of [undefined, -1, 1.5, '', 'x'.repeat(65), {}, null]) {
      const error = refusal(JSON.stringify({ id, method: 'leave' }));
      assert.equal(error.code, 'bad_request', JSON.stringify(id));
      assert.match(error.message, /id must be/);
    }
  });

  it('answers an unknown method with unknown_method and the request id', () => {
    const error = refusal(JSON.stringify({ id: 9, method: 'launchRockets', data: {} }));
    assert.deepEqual(error, { id: 9, code: 'unknown_method', message: 'unknown method "launchRockets"' });
  });

  it('answers a method that is not a string with bad_request and the request id', () => {
    const error = refusal(JSON.stringify({ id: 3, method: 12 }));
    assert.equal(error.code, 'bad_request');
    assert.equal(error.id, 3);
  });

  it('names the missing field of an incomplete request', () => {
    const error = refusal(
      JSON.stringify({ id: 4, method: 'connectWebRtcTransport', data: { transportId: 't' } }),
    );
    assert.deepEqual(error, { id: 4, code: 'invalid_data', message: 'data.dtlsParameters is required' });
    assert.equal(refusal(JSON.stringify({ id: 5, method: 'produce' })).message, 'data is required');
  });

  it('names the ill-typed field and what it must be', () => {
    const cases: [string, unknown, RegExp][] = [
      ['createWebRtcTransport', { direction: 'sideways' }, /data\.direction must be "send" or "recv"/],
      [
        'produce',
        { ...(EXAMPLES['produce'] as object), kind: 'smell' },
        /data\.kind must be "audio" or "video"/,
      ],
      [
        'produce',
        { ...(EXAMPLES['produce'] as object), rtpParameters: { codecs: [] } },
        /at least one codec/,
      ],
      [
        'produce',
        { ...(EXAMPLES['produce'] as object), rtpParameters: { codecs: [1] } },
        /codecs that are objects/,
      ],
      ['connectWebRtcTransport', { transportId: 't', dtlsParameters: { fingerprints: [] } }, /fingerprints/],
      ['connectWebRtcTransport', { transportId: 't', dtlsParameters: { ...dtls, role: 'boss' } }, /role/],
      [
        'consume',
        { transportId: 't', producerId: 'p', rtpCapabilities: 'all' },
        /rtpCapabilities must be an object/,
      ],
      ['resumeConsumer', { consumerId: '' }, /consumerId must be a non-empty string/],
      [
        'produceData',
        { transportId: 't', sctpStreamParameters: { streamId: 1024 } },
        /streamId from 0 to 1023/,
      ],
      ['produceData', { transportId: 't', sctpStreamParameters: { streamId: 1.5 } }, /streamId/],
      [
        'produceData',
        { transportId: 't', sctpStreamParameters: { streamId: 1, maxRetransmits: 1, maxPacketLifeTime: 1 } },
        /not have both/,
      ],
      [
        'produceData',
        { transportId: 't', sctpStreamParameters: { streamId: 1, ordered: true, maxRetransmits: 0 } },
        /not be ordered/,
      ],
      [
        'produceData',
        { transportId: 't', sctpStreamParameters: { streamId: 1 }, label: 'x'.repeat(65) },
        /label/,
      ],
      ['consumeData', { transportId: 7 }, /transportId must be a non-empty string/],
      ['pauseProducer', { producerId: 'p'.repeat(200) }, /at most 128/],
      ['join', { name: 42 }, /data\.name must be a string/],
      ['leave', [], /data must be an object/],
    ];
    for (const [method, data, pattern] of cases) {
      const error = refusal(JSON.stringify({ id: 1, method, data }));
      assert.equal(error.code, 'invalid_data', `${method} ${JSON.stringify(data)}`);
      assert.match(error.message, pattern);
    }
  });

  it('refuses a frame over the size limit before parsing it, counting UTF-8 bytes', () => {
    const big = JSON.stringify({ id: 1, method: 'join', data: { metadata: 'x'.repeat(MAX_FRAME_BYTES) } });
    assert.equal(refusal(big).code, 'frame_too_large');
    // 100,000 three-byte characters are under the limit in characters but over it in bytes.
    const wide = JSON.stringify({ id: 1, method: 'join', data: { metadata: '€'.repeat(100_000) } });
    assert.ok(wide.length < MAX_FRAME_BYTES);
    assert.equal(refusal(wide).code, 'frame_too_large');
    assert.equal(refusal(new Uint8Array(MAX_FRAME_BYTES + 1)).code, 'frame_too_large');
  });

  it('never throws, whatever bytes arrive', () => {
    // A fixed-seed generator keeps the run reproducible.
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"id":',
      '"method":',
      '"data":',
      '"join"',
      '"produce"',
      '1',
      '-1',
      ',',
      ':',
      'null',
      '"',
      '\\',
      '\u0000',
      '€',
      '{"transportId":"t"}',
    ];
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      let frame = '';
      const length = Math.floor(random() * 12);
      for (let j = 0; j < length; j++) frame += pieces[Math.floor(random() * pieces.length)];
      const result = parseRequest(frame);
      if (!result.ok) {
        refused++;
        assert.equal(typeof result.response.error.message, 'string');
      }
    }
    assert.ok(refused > 4000, `expected most random frames refused, got ${refused}`);
  });
});

describe('server message parser', () => {
  it('recognises responses and notifications and rejects anything else', () => {
    assert.deepEqual(parseServerMessage('{"id":1,"ok":true,"data":{}}'), { id: 1, ok: true, data: {} });
    const refusal = parseServerMessage('{"id":1,"ok":false,"error":{"code":"internal","message":"x"}}');
    assert.ok(refusal && 'ok' in refusal && refusal.ok === false);
    const note = parseServerMessage(
      '{"notification":true,"method":"participantLeft","data":{"identity":"a"}}',
    );
    assert.ok(note && 'notification' in note && note.method === 'participantLeft');
    for (const frame of [
      'nope',
      '[]',
      '{"id":1}',
      '{"notification":true,"method":"boom","data":{}}',
      '{"ok":true}',
    ]) {
      assert.equal(parseServerMessage(frame), undefined, frame);
    }
  });
});

describe('close reasons', () => {
  it('cut a long reason to what a close frame carries, on a character boundary', () => {
    assert.equal(closeReason('room node gone'), 'room node gone');
    const cut = closeReason('é'.repeat(200));
    assert.ok(utf8Length(cut) <= MAX_CLOSE_REASON_BYTES);
    assert.ok(cut.endsWith('...'));
    assert.equal(utf8Length('a€😀'), 1 + 3 + 4);
    assert.equal(utf8Length('😀'), Buffer.byteLength('😀'));
  });
});
