import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateRoomRequest, Room } from '@livekit/protocol';
import { AccessToken, RoomServiceClient, type TwirpError } from 'livekit-server-sdk';
import { createToken, type VideoGrant } from '../../src/auth/token.js';
import {
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';

const SERVICE = '/twirp/livekit.RoomService';

interface TwirpAnswer {
  status: number;
  contentType: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: Twirp answers of many shapes; the assertions check them
  body: any;
}

function token(grant: VideoGrant, options: { secret?: string; ttlSeconds?: number; apiKey?: string } = {}) {
  return createToken({
    apiKey: options.apiKey ?? TEST_KEY,
    apiSecret: options.secret ?? TEST_SECRET,
    identity: 'twirp-test',
    grant,
    ttlSeconds: options.ttlSeconds ?? 600,
    // An expired token must also be past its not-before, or it would be refused for that instead.
    notBefore: Math.floor(Date.now() / 1000) - 3600,
  });
}

describe('Room API over Twirp on a single node', () => {
  let node: TestNode;
  let dir: string;
  let sdk: RoomServiceClient;

  async function call(
    method: string,
    body: unknown,
    options: { grant?: VideoGrant; auth?: string | null; contentType?: string; httpMethod?: string } = {},
  ): Promise<TwirpAnswer> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
    if (options.auth !== null) {
      headers.authorization =
        options.auth ?? `Bearer ${await token(options.grant ?? { roomCreate: true, roomList: true })}`;
    }
    const response = await fetch(`${node.url}${SERVICE}/${method}`, {
      method: options.httpMethod ?? 'POST',
      headers,
      body: options.httpMethod === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: text ? JSON.parse(text) : undefined,
    };
  }

  function assertTwirpError(answer: TwirpAnswer, status: number, code: string, msg?: RegExp): void {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    // The SDKs compare the content type verbatim before they read code and msg.
    assert.equal(answer.contentType, 'application/json');
    assert.equal(answer.body.code, code);
    assert.equal(typeof answer.body.msg, 'string');
    if (msg) assert.match(answer.body.msg, msg);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-twirp-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port })), port);
    sdk = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
  });

  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the official SDK creates, lists, updates and deletes a room; a second CreateRoom returns the same sid', async () => {
    const created = await sdk.createRoom({
      name: 'sdk-room',
      emptyTimeout: 120,
      maxParticipants: 7,
      metadata: 'm1',
    });
    assert.match(created.sid, /^RM_/);
    assert.equal(created.name, 'sdk-room');
    assert.equal(created.emptyTimeout, 120);
    assert.equal(created.maxParticipants, 7);
    assert.equal(created.metadata, 'm1');
    assert.ok(created.creationTime > 0n);

    const again = await sdk.createRoom({ name: 'sdk-room' });
    assert.equal(again.sid, created.sid);

    const listed = await sdk.listRooms();
    assert.deepEqual(
      listed.filter((room) => room.name === 'sdk-room').map((room) => room.sid),
      [created.sid],
    );
    assert.deepEqual(
      (await sdk.listRooms(['sdk-room', 'no-such-room'])).map((room) => room.name),
      ['sdk-room'],
    );
    assert.deepEqual(await sdk.listParticipants('sdk-room'), []);

    const updated = await sdk.updateRoomMetadata('sdk-room', 'm2');
    assert.equal(updated.metadata, 'm2');
    assert.equal((await sdk.listRooms(['sdk-room']))[0]?.metadata, 'm2');

    await sdk.deleteRoom('sdk-room');
    assert.deepEqual(await sdk.listRooms(['sdk-room']), []);
    await assert.rejects(sdk.deleteRoom('sdk-room'), (err: TwirpError) => {
      assert.equal(err.status, 404);
      assert.equal(err.code, 'not_found');
      return true;
    });
  });

  test('reads snake_case and camelCase request fields alike and answers with proto field names', async () => {
    const snake = await call('CreateRoom', {
      name: 'snake',
      empty_timeout: 41,
      max_participants: 3,
      node_id: '',
    });
    assert.equal(snake.status, 200);
    assert.equal(snake.contentType, 'application/json');
    assert.equal(snake.body.empty_timeout, 41);
    assert.equal(snake.body.max_participants, 3);
    // Twirp's Go server writes every field, 64-bit integers as strings.
    assert.equal(snake.body.num_participants, 0);
    assert.match(snake.body.creation_time, /^\d+$/);

    const camel = await call('CreateRoom', { name: 'camel', emptyTimeout: 42, maxParticipants: 4 });
    assert.equal(camel.status, 200);
    assert.equal(camel.body.empty_timeout, 42);
    assert.equal(camel.body.max_participants, 4);

    const listed = await call('ListRooms', { names: ['snake', 'camel'] });
    assert.deepEqual(listed.body.rooms.map((room: { name: string }) => room.name).sort(), ['camel', 'snake']);
  });

  test('ignores request fields it does not know, as Twirp does', async () => {
    const answer = await call('CreateRoom', {
      name: 'unknown-fields',
      some_future_field: { x: 1 },
      alsoNew: true,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'unknown-fields');
  });

  test('answers a binary protobuf request with protobuf', async () => {
    const body = new CreateRoomRequest({ name: 'binary', emptyTimeout: 33 }).toBinary();
    const response = await fetch(`${node.url}${SERVICE}/CreateRoom`, {
      method: 'POST',
      headers: {
        'content-type': 'application/protobuf',
        authorization: `Bearer ${await token({ roomCreate: true })}`,
      },
      body,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/protobuf');
    const room = Room.fromBinary(new Uint8Array(await response.arrayBuffer()));
    assert.equal(room.name, 'binary');
    assert.equal(room.emptyTimeout, 33);
    assert.match(room.sid, /^RM_/);
  });

  test('refuses a wrong secret, an expired token, an unknown key and a malformed header with unauthenticated', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['wrong secret', `Bearer ${await token({ roomList: true }, { secret: 'x'.repeat(40) })}`, /signature/],
      ['expired', `Bearer ${await token({ roomList: true }, { ttlSeconds: -600 })}`, /expired/],
      ['unknown key', `Bearer ${await token({ roomList: true }, { apiKey: 'nokey' })}`, /unknown API key/],
      ['not a JWT', 'Bearer not-a-jwt', /malformed/],
      ['not Bearer', `Basic ${Buffer.from('a:b').toString('base64')}`, /Bearer/],
    ];
    for (const [what, auth, msg] of cases) {
      const answer = await call('ListRooms', {}, { auth });
      assert.equal(answer.status, 401, what);
      assertTwirpError(answer, 401, 'unauthenticated', msg);
    }
    assertTwirpError(await call('ListRooms', {}, { auth: null }), 401, 'unauthenticated', /missing/);
  });

  test('the SDK sees a wrong secret and an expired token as unauthenticated', async () => {
    const wrong = new RoomServiceClient(node.url, TEST_KEY, 'y'.repeat(40));
    await assert.rejects(
      wrong.listRooms(),
      (err: TwirpError) => err.status === 401 && err.code === 'unauthenticated',
    );
    const expired = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET, {
      token: await token({ roomList: true }, { ttlSeconds: -600 }),
    });
    await assert.rejects(
      expired.listRooms(),
      (err: TwirpError) =>
        err.status === 401 && err.code === 'unauthenticated' && /expired/.test(err.message),
    );
  });

  test('refuses a token without the grant a method needs with unauthenticated, as LiveKit does', async () => {
    await call('CreateRoom', { name: 'granted' });
    const cases: Array<[string, unknown, VideoGrant]> = [
      ['CreateRoom', { name: 'x' }, { roomList: true, roomAdmin: true, room: 'x' }],
      ['DeleteRoom', { room: 'granted' }, { roomList: true, roomAdmin: true, room: 'granted' }],
      ['ListRooms', {}, { roomCreate: true, roomAdmin: true }],
      ['ListParticipants', { room: 'granted' }, { roomCreate: true, roomList: true }],
      ['ListParticipants', { room: 'granted' }, { roomAdmin: true, room: 'another-room' }],
      ['ListParticipants', { room: 'granted' }, { roomAdmin: true }],
      ['GetParticipant', { room: 'granted', identity: 'a' }, { roomAdmin: true, room: 'another-room' }],
      ['RemoveParticipant', { room: 'granted', identity: 'a' }, { roomJoin: true, room: 'granted' }],
      ['UpdateRoomMetadata', { room: 'granted', metadata: 'x' }, { roomCreate: true }],
    ];
    for (const [method, body, grant] of cases) {
      const answer = await call(method, body, { grant });
      assert.equal(answer.status, 401, `${method} with ${JSON.stringify(grant)}`);
      assertTwirpError(answer, 401, 'unauthenticated', /permissions denied/);
    }
    // The room is untouched by the refused DeleteRoom.
    assert.equal((await call('ListRooms', { names: ['granted'] })).body.rooms.length, 1);
  });

  test('roomAdmin for the room is enough for the calls about that room', async () => {
    await call('CreateRoom', { name: 'admin-room' });
    const grant = { roomAdmin: true, room: 'admin-room' };
    assert.deepEqual((await call('ListParticipants', { room: 'admin-room' }, { grant })).body, {
      participants: [],
    });
    const updated = await call('UpdateRoomMetadata', { room: 'admin-room', metadata: 'hello' }, { grant });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.metadata, 'hello');
    assertTwirpError(
      await call('GetParticipant', { room: 'admin-room', identity: 'nobody' }, { grant }),
      404,
      'not_found',
      /nobody/,
    );
    assertTwirpError(
      await call('RemoveParticipant', { room: 'admin-room', identity: 'nobody' }, { grant }),
      404,
      'not_found',
    );
  });

  test('accepts the token as an access_token query parameter', async () => {
    const response = await fetch(
      `${node.url}${SERVICE}/ListRooms?access_token=${await token({ roomList: true })}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    );
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(((await response.json()) as { rooms: unknown[] }).rooms));
  });

  test('routes only POST to a known method; anything else is bad_route 404', async () => {
    assertTwirpError(await call('ListRooms', {}, { httpMethod: 'GET' }), 404, 'bad_route', /POST/);
    assertTwirpError(await call('ListRooms', {}, { httpMethod: 'PUT' }), 404, 'bad_route', /POST/);
    assertTwirpError(await call('NoSuchMethod', {}), 404, 'bad_route', /NoSuchMethod/);
    const otherService = await fetch(`${node.url}/twirp/livekit.Egress/ListEgress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(otherService.status, 404);
    assert.equal(((await otherService.json()) as { code: string }).code, 'bad_route');
  });

  test('refuses a Content-Type other than JSON or protobuf with bad_route', async () => {
    assertTwirpError(
      await call('ListRooms', 'names=a', { contentType: 'application/x-www-form-urlencoded' }),
      404,
      'bad_route',
      /Content-Type/,
    );
    // Parameters of the type are allowed, as the SDK sends them.
    assert.equal(
      (await call('ListRooms', {}, { contentType: 'application/json;charset=UTF-8' })).status,
      200,
    );
  });

  test('answers JSON that does not decode with malformed 400', async () => {
    assertTwirpError(await call('CreateRoom', '{"name": '), 400, 'malformed', /not valid JSON/);
    assertTwirpError(await call('CreateRoom', { name: 5 }), 400, 'malformed', /name/);
    assertTwirpError(
      await call('CreateRoom', { name: 'x', empty_timeout: -1 }),
      400,
      'malformed',
      /empty_timeout/,
    );
    assertTwirpError(await call('CreateRoom', [1, 2]), 400, 'malformed');
  });

  test('answers missing or oversized arguments with invalid_argument and missing rooms with not_found', async () => {
    assertTwirpError(await call('CreateRoom', {}), 400, 'invalid_argument', /name is required/);
    assertTwirpError(await call('CreateRoom', { name: 'r'.repeat(300) }), 400, 'invalid_argument', /256/);
    assertTwirpError(await call('DeleteRoom', {}), 400, 'invalid_argument', /room is required/);
    assertTwirpError(
      await call('CreateRoom', { name: 'big-metadata', metadata: 'm'.repeat(64_001) }),
      400,
      'invalid_argument',
      /metadata/,
    );
    assertTwirpError(await call('DeleteRoom', { room: 'never-created' }), 404, 'not_found', /never-created/);
    assertTwirpError(
      await call(
        'ListParticipants',
        { room: 'never-created' },
        { grant: { roomAdmin: true, room: 'never-created' } },
      ),
      404,
      'not_found',
    );
  });

  test('refuses a body over the limit without falling over', async () => {
    const huge = JSON.stringify({ name: 'huge', metadata: 'x'.repeat(2 * 1024 * 1024) });
    assertTwirpError(await call('CreateRoom', huge), 400, 'invalid_argument', /larger than/);
    // Streamed without a declared length, the limit holds too.
    const chunks = (async function* () {
      for (let i = 0; i < 40; i++) yield new Uint8Array(64 * 1024).fill(0x61);
    })();
    const streamed = await fetch(`${node.url}${SERVICE}/CreateRoom`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await token({ roomCreate: true })}`,
      },
      body: ReadableStream.from(chunks),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 400);
    assert.equal(((await streamed.json()) as { code: string }).code, 'invalid_argument');
    assert.equal((await call('ListRooms', {})).status, 200);
  });

  test('tokens from the SDK AccessToken work as bearer tokens of raw calls', async () => {
    const at = new AccessToken(TEST_KEY, TEST_SECRET, { ttl: '5m' });
    at.addGrant({ roomList: true });
    const answer = await call('ListRooms', {}, { auth: `Bearer ${await at.toJwt()}` });
    assert.equal(answer.status, 200);
  });

  test('GET /settings/regions names this node for its region, needs a token, and may be cached', async () => {
    const refused = await fetch(`${node.url}/settings/regions`);
    assert.equal(refused.status, 401);
    const response = await fetch(`${node.url}/settings/regions`, {
      headers: { authorization: `Bearer ${await token({ roomList: true })}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control') ?? '', /max-age=\d+/);
    assert.deepEqual(await response.json(), {
      regions: [{ region: 'us-west-2', url: node.url, distance: '0' }],
    });
  });
});
