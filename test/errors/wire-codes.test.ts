import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpSurface } from '../../server/http/http-surface.js';
import { TWIRP_STATUS, toTwirpError } from '../../server/twirp/errors.js';
import { ERROR_WIRE, type ErrorCode, errorWire, LkcError } from '../../src/errors.js';

/** An error that isLkcError() accepts by shape, with a code this copy of the module does not know. */
function foreignLkcError(code: string, message = 'from another copy of lk-cluster'): Error {
  const err = new Error(message);
  err.name = 'LkcError';
  return Object.assign(err, { code });
}

describe('ErrorCode on each wire', () => {
  it('answers ROOM_NOT_FOUND as not found everywhere but in a signalling request', () => {
    assert.deepEqual(ERROR_WIRE.ROOM_NOT_FOUND, {
      twirp: 'not_found',
      rtc: [404, 'not_found'],
      signal: 'unavailable',
      http: 404,
    });
  });

  it('refuses /rtc for PERMISSION_DENIED as unauthenticated, while Twirp and HTTP say permission denied', () => {
    assert.deepEqual(ERROR_WIRE.PERMISSION_DENIED, {
      twirp: 'permission_denied',
      rtc: [401, 'unauthenticated'],
      signal: 'forbidden',
      http: 403,
    });
  });

  it('refuses /rtc for BAD_INPUT (a token for a room no node may host) as a bad request, not an internal error', () => {
    assert.deepEqual(errorWire('BAD_INPUT').rtc, [400, 'bad_request']);
  });

  it('answers INTERNAL, and codes no wire knows better, as internal / 500', () => {
    const internal = { twirp: 'internal', rtc: [500, 'internal'], signal: 'internal', http: 500 };
    for (const code of ['INTERNAL', 'CONFIG_INVALID', 'MISSING_SYSTEM_PACKAGE'] satisfies ErrorCode[]) {
      assert.deepEqual(errorWire(code), internal, code);
    }
  });

  it('reads a code outside ErrorCode, prototype names included, as INTERNAL', () => {
    for (const code of ['NOT_A_CODE', '', 'constructor', 'toString', '__proto__']) {
      assert.equal(errorWire(code), ERROR_WIRE.INTERNAL, JSON.stringify(code));
    }
  });

  it('maps every code to a Twirp code that has an HTTP status', () => {
    for (const [code, wire] of Object.entries(ERROR_WIRE)) {
      assert.equal(typeof TWIRP_STATUS[wire.twirp], 'number', `${code} -> ${wire.twirp}`);
    }
  });

  it('turns an LkcError into its Twirp error, and a foreign code into internal', () => {
    const notFound = toTwirpError(new LkcError('ROOM_NOT_FOUND', 'room r does not exist'));
    assert.equal(notFound.code, 'not_found');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.message, 'room r does not exist');
    const region = toTwirpError(new LkcError('REGION_NOT_FOUND', 'no region mars'));
    assert.equal(region.code, 'invalid_argument');
    const foreign = toTwirpError(foreignLkcError('SOMETHING_NEW'));
    assert.equal(foreign.code, 'internal');
    assert.equal(foreign.status, 500);
  });
});

describe('the node HTTP API answers an LkcError with the status of its code', () => {
  const surface = new HttpSurface(pino({ level: 'silent' }));
  let base = '';

  before(async () => {
    surface.route('GET', '/throw/:code', ({ params }) => {
      const code = params['code']!;
      const message = `failed with ${code}`;
      throw code === 'FOREIGN' ? foreignLkcError(code, message) : new LkcError(code as ErrorCode, message);
    });
    await surface.listen(0, ['127.0.0.1']);
    base = `http://127.0.0.1:${surface.port}`;
  });

  after(() => surface.close());

  const cases: [code: string, status: number][] = [
    ['ROOM_NOT_FOUND', 404],
    ['BAD_INPUT', 400],
    ['RESOURCE_EXHAUSTED', 429],
    ['REDIS_UNAVAILABLE', 503],
    ['PARTICIPANT_NOT_FOUND', 500],
    ['INTERNAL', 500],
    ['FOREIGN', 500],
  ];
  for (const [code, status] of cases) {
    it(`${code} -> ${status}, with the code itself in the body`, async () => {
      const res = await fetch(`${base}/throw/${code}`);
      assert.equal(res.status, status);
      assert.deepEqual(await res.json(), { error: { code, message: `failed with ${code}` } });
    });
  }
});
