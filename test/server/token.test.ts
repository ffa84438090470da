import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import { bearerToken, createToken, requireGrant, verifyToken } from '../../src/auth/token.js';

const KEY = 'APIexamplekey';
const SECRET = 'a-secret-of-at-least-32-characters-long-for-tokens';
const KEYS = { [KEY]: SECRET };

describe('access tokens', () => {
  it("accepts a token made by LiveKit's server SDK, with its identity and video grant", async () => {
    const token = new AccessToken(KEY, SECRET, { identity: 'alice', name: 'Alice', ttl: '10m' });
    token.addGrant({ roomJoin: true, room: 'standup', canPublish: true });
    const claims = await verifyToken(await token.toJwt(), KEYS);
    assert.equal(claims.apiKey, KEY);
    assert.equal(claims.identity, 'alice');
    assert.equal(claims.name, 'Alice');
    assert.equal(claims.video.roomJoin, true);
    assert.equal(claims.video.room, 'standup');
    assert.ok(claims.expiresAt > Date.now() / 1000);
  });

  it("makes tokens that LiveKit's server SDK verifies", async () => {
    const token = await createToken({
      apiKey: KEY,
      apiSecret: SECRET,
      identity: 'bob',
      grant: { roomAdmin: true, room: 'r1' },
    });
    const grants = await new TokenVerifier(KEY, SECRET).verify(token);
    assert.equal(grants.sub, 'bob');
    assert.equal(grants.video?.roomAdmin, true);
    assert.equal(grants.video?.room, 'r1');
  });

  it('refuses missing, malformed, unsigned, wrongly signed, expired, not-yet-valid and unknown-key tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /missing access token/],
      ['not.a.token', /malformed/],
      [
        `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: KEY, exp: now + 60, video: { roomAdmin: true } })}.`,
        /algorithm none/,
      ],
      [await createToken({ apiKey: KEY, apiSecret: `${SECRET}-other`, grant: {} }), /signature is invalid/],
      [await createToken({ apiKey: KEY, apiSecret: SECRET, grant: {}, ttlSeconds: -60 }), /expired/],
      [
        await createToken({
          apiKey: KEY,
          apiSecret: SECRET,
          grant: {},
          notBefore: now + 3600,
          ttlSeconds: 7200,
        }),
        /not valid/,
      ],
      [await createToken({ apiKey: 'APIunknown', apiSecret: SECRET, grant: {} }), /unknown API key/],
    ];
    for (const [token, reason] of cases) {
      await assert.rejects(verifyToken(token, KEYS), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'UNAUTHENTICATED');
        assert.match(err.message, reason);
        assert.ok(!err.message.includes(SECRET), 'no secret in the message');
        return true;
      });
    }
  });

  it('checks grants the way LiveKit does: roomAdmin for a room needs that room in the grant', async () => {
    const claims = await verifyToken(
      await createToken({ apiKey: KEY, apiSecret: SECRET, grant: { roomAdmin: true, room: 'r1' } }),
      KEYS,
    );
    assert.doesNotThrow(() => requireGrant(claims, 'roomAdmin'));
    assert.doesNotThrow(() => requireGrant(claims, 'roomAdmin', 'r1'));
    assert.throws(() => requireGrant(claims, 'roomAdmin', 'r2'), /for room r1, not r2/);
    assert.throws(() => requireGrant(claims, 'roomCreate'), /lacks the roomCreate grant/);
  });

  it('reads the token of an Authorization: Bearer header', () => {
    assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
