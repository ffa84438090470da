import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { createToken, type VideoGrant } from '../../src/auth/token.js';
import { type FaultCluster, rtcRefusal, startFaultCluster } from '../helpers/fault-cluster.js';
import { admin, TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';

const OTHER_SECRET = 'another-secret-of-at-least-32-characters-long';

/** The ways a token can be wrong, each beside the grant a call needs (a good token of that grant passes). */
type Forgery = 'other secret' | 'alg none' | 'expired' | 'not yet valid' | 'HS512' | 'unknown key';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function forge(kind: Forgery, grant: VideoGrant, identity = 'mallory'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: TEST_KEY, sub: identity, nbf: now, exp: now + 600, video: grant };
  const sign = (payload: object, alg = 'HS256', secret = TEST_SECRET) =>
    new SignJWT({ ...payload })
      .setProtectedHeader({ alg, typ: 'JWT' })
      .sign(new TextEncoder().encode(secret));
  switch (kind) {
    case 'other secret':
      return sign(claims, 'HS256', OTHER_SECRET);
    case 'alg none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    case 'expired':
      return sign({ ...claims, nbf: now - 3600, exp: now - 60 });
    case 'not yet valid':
      return sign({ ...claims, nbf: now + 3600, exp: now + 7200 });
    case 'HS512':
      return sign(claims, 'HS512');
    case 'unknown key':
      return sign({ ...claims, iss: 'APInotakey' });
  }
}

const FORGERIES: Forgery[] = ['other secret', 'alg none', 'expired', 'not yet valid', 'HS512', 'unknown key'];

const good = (grant: VideoGrant, identity = 'alice') =>
  createToken({ apiKey: TEST_KEY, apiSecret: TEST_SECRET, identity, grant, ttlSeconds: 600 });

describe('tokens: the admin API, Twirp and /rtc refuse forged, expired and wrong-room tokens', () => {
  let cluster: FaultCluster;
  let a: TestNode;
  let b: TestNode;

  before(async () => {
    cluster = await startFaultCluster(2, 'tokens');
    [a, b] = cluster.nodes as [TestNode, TestNode];
    for (const room of ['alpha', 'beta']) {
      const created = await admin(a.url, 'POST', '/admin/rooms', { name: room });
      assert.equal(created.status, 200);
    }
  });

  after(async () => {
    await cluster?.stop();
  });

  it('admin API: 401 for every forged or expired token, 403 for a token scoped to a room', async () => {
    const call = async (token: string, method = 'GET', path = '/admin/node') =>
      (await fetch(`${a.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } })).status;
    assert.equal(await call(await good({ roomAdmin: true })), 200, 'a good token passes');
    for (const kind of FORGERIES)
      assert.equal(await call(await forge(kind, { roomAdmin: true })), 401, `${kind} is refused`);
    // A moderator of beta may not close alpha, nor drain the node.
    const betaAdmin = await good({ roomAdmin: true, room: 'beta' });
    assert.equal(await call(betaAdmin, 'DELETE', '/admin/rooms/alpha'), 403);
    assert.equal(await call(betaAdmin, 'POST', '/admin/drain'), 403);
    assert.equal(await call(betaAdmin), 403);
    assert.deepEqual(await cluster.hosted(a), ['alpha', 'beta'], 'nothing was closed');
    assert.equal((await admin(a.url, 'GET', '/admin/node')).body.node.state, 'serving', 'nor drained');
  });

  it('Twirp: unauthenticated for every forged or expired token and for a token of another room, on every node', async () => {
    const call = async (node: TestNode, token: string, method: string, body: object) => {
      const response = await fetch(`${node.url}/twirp/livekit.RoomService/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { code?: string; msg?: string } };
    };
    for (const node of [a, b]) {
      const ok = await call(node, await good({ roomAdmin: true, room: 'alpha' }), 'ListParticipants', {
        room: 'alpha',
      });
      assert.equal(ok.status, 200, 'a good token passes');
      for (const kind of FORGERIES) {
        for (const [method, grant, body] of [
          ['ListParticipants', { roomAdmin: true, room: 'alpha' }, { room: 'alpha' }],
          ['DeleteRoom', { roomCreate: true }, { room: 'alpha' }],
          ['ListRooms', { roomList: true }, {}],
        ] as const) {
          const refused = await call(node, await forge(kind, grant), method, body);
          assert.equal(refused.status, 401, `${method} with ${kind}`);
          assert.equal(refused.body.code, 'unauthenticated');
        }
      }
      const otherRoom = await call(node, await good({ roomAdmin: true, room: 'beta' }), 'RemoveParticipant', {
        room: 'alpha',
        identity: 'someone',
      });
      assert.equal(otherRoom.status, 401, 'a token for beta cannot act on alpha');
      assert.match(otherRoom.body.msg ?? '', /room "beta", not "alpha"/);
    }
    assert.deepEqual(await cluster.hosted(a), ['alpha', 'beta'], 'no refused DeleteRoom went through');
  });

  it('/rtc: 401 before the upgrade for every forged or expired token and for a token of another room', async () => {
    for (const node of [a, b]) {
      const token = await good({ roomJoin: true, room: 'alpha' }, `ok-${node.id}`);
      const socket = new WebSocket(`${node.url.replace(/^http/, 'ws')}/rtc?access_token=${token}`, {
        handshakeTimeout: 10_000,
      });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.terminate();
      for (const kind of FORGERIES) {
        const refused = await rtcRefusal(node.url, await forge(kind, { roomJoin: true, room: 'alpha' }));
        assert.equal(refused.status, 401, `${kind} on ${node.url}`);
      }
      const beta = await good({ roomJoin: true, room: 'beta' }, 'bob');
      const otherRoom = await rtcRefusal(node.url, beta, '&room=alpha');
      assert.equal(otherRoom.status, 401);
      assert.match(otherRoom.body, /for room beta, not alpha/);
      const noJoin = await rtcRefusal(node.url, await good({ roomAdmin: true, room: 'alpha' }));
      assert.equal(noJoin.status, 401, 'roomAdmin alone does not join');
    }
  });
});
