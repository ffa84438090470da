import { parseRequest } from '../../src/signal/parse.js';
import { METHODS } from '../../src/signal/protocol.js';
import { NASTY_NUMBERS, NASTY_STRINGS, type Random } from './random.js';

/** One malformed signalling frame: text, or bytes sent as a binary message. */
export type Frame = string | Buffer;

const GARBAGE = [
  '',
  ' ',
  '{',
  '}',
  '[',
  'null',
  'true',
  '"x"',
  '{"id":',
  '{"id":1,',
  "{'id':1}",
  'NaN',
  '{"id":1,"method":"join",}',
];

function anyJson(rnd: Random, depth = 0): unknown {
  switch (rnd.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return rnd.pick(NASTY_STRINGS).slice(0, 500);
    case 1:
      return rnd.pick(NASTY_NUMBERS);
    case 2:
      return rnd.chance(0.5) ? null : rnd.chance(0.5);
    case 3:
      return rnd.pick([{}, [], '', 0]);
    case 4:
      return Array.from({ length: rnd.int(0, 3) }, () => anyJson(rnd, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = rnd.int(0, 3); i > 0; i--)
        object[rnd.pick(['transportId', 'direction', 'kind', 'rtpParameters', 'x', '__proto__'])] = anyJson(
          rnd,
          depth + 1,
        );
      return object;
    }
  }
}

function deep(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const BAD_IDS: unknown[] = [-1, 1.5, 2 ** 60, '', 'x'.repeat(65), {}, [], true, null, Number.NaN];

/**
 * A frame no room node may accept: never a well-formed join or leave (they would change the session), anything
 * else any shape. Each must still get exactly one error answer.
 */
export function malformedFrame(rnd: Random): Frame {
  for (;;) {
    const frame = candidate(rnd);
    // Read as the node's socket reads a binary message: UTF-8 with replacement characters.
    const parsed = parseRequest(typeof frame === 'string' ? frame : frame.toString('utf8'));
    if (!parsed.ok) return frame;
    // Parsed: fine only for methods that need a joined session (this one never joins), so they are refused.
    if (parsed.request.method !== 'join' && parsed.request.method !== 'leave') return frame;
  }
}

function candidate(rnd: Random): Frame {
  const id = rnd.int(1, 1_000_000);
  switch (rnd.int(0, 9)) {
    case 0:
      return rnd.pick(GARBAGE) + rnd.pick(NASTY_STRINGS).slice(0, 100);
    case 1:
      return JSON.stringify(anyJson(rnd));
    case 2:
      return JSON.stringify({ id: rnd.pick(BAD_IDS), method: rnd.pick(METHODS), data: {} });
    case 3:
      return JSON.stringify({
        id,
        method: rnd.chance(0.5) ? rnd.int(0, 9) : rnd.pick(NASTY_STRINGS).slice(0, 200),
      });
    case 4:
      return JSON.stringify({ id, method: rnd.pick(METHODS), data: anyJson(rnd) });
    case 5:
      return JSON.stringify({ id, method: rnd.pick(METHODS), data: rnd.pick([5, 'x', [1], null, true]) });
    case 6:
      return `{"id":${id},"method":"${rnd.pick(METHODS)}","data":{"transportId":${deep(rnd.int(10, 3000))}}}`;
    case 7: {
      // Invalid UTF-8 in a binary message.
      const bytes = Buffer.from(
        JSON.stringify({ id, method: 'createWebRtcTransport', data: { direction: 'send' } }),
      );
      bytes[rnd.int(0, bytes.length - 1)] = rnd.pick([0xff, 0xc0, 0xed, 0x80]);
      return bytes;
    }
    case 8: {
      const text = JSON.stringify({ id, method: rnd.pick(METHODS), data: anyJson(rnd) });
      return text.slice(0, rnd.int(0, text.length - 1));
    }
    default:
      return JSON.stringify({
        id,
        method: 'createWebRtcTransport',
        data: { direction: rnd.pick(['send', 'recv', 'up', 5]) },
      });
  }
}

/** The RoomService methods, and names that route nowhere. */
const TWIRP_METHODS = [
  'CreateRoom',
  'ListRooms',
  'DeleteRoom',
  'ListParticipants',
  'GetParticipant',
  'RemoveParticipant',
  'UpdateRoomMetadata',
];

/** The fields of each RoomService request, for JSON bodies that name them with the wrong type. */
const TWIRP_FIELDS: Record<string, string[]> = {
  CreateRoom: ['name', 'emptyTimeout', 'empty_timeout', 'maxParticipants', 'metadata', 'nodeId'],
  ListRooms: ['names'],
  DeleteRoom: ['room'],
  ListParticipants: ['room'],
  GetParticipant: ['room', 'identity'],
  RemoveParticipant: ['room', 'identity'],
  UpdateRoomMetadata: ['room', 'metadata'],
};

const WRONG_TYPED: Record<string, unknown[]> = {
  name: [{}, [1], true],
  room: [{}, ['x'], 5.5],
  names: ['x', { a: 1 }, [{}], [[1]]],
  identity: [{}, [], false],
  emptyTimeout: ['abc', -1, 1e20, 1.5, {}],
  empty_timeout: ['abc', -1, 4294967296, []],
  maxParticipants: [-5, 'many', 2 ** 40, {}],
  metadata: [{}, [1, 2], 7],
  nodeId: [{}, [null], 3],
};

/** One malformed Twirp call: the path, headers and body; none can succeed. */
export interface TwirpCall {
  method: 'POST' | 'GET' | 'PUT';
  path: string;
  contentType?: string;
  body?: Buffer;
  /** 'good' = a valid roomCreate/roomList/roomAdmin token; the others are refused. */
  auth: 'good' | 'none' | 'garbage' | 'alg-none' | 'wrong-secret';
}

function jsonBody(rnd: Random, method: string): Buffer {
  const fields = TWIRP_FIELDS[method]!;
  switch (rnd.int(0, 4)) {
    case 0:
      // Never blank: Twirp reads an empty JSON body as an empty message, a valid ListRooms.
      return Buffer.from(
        rnd.pick(GARBAGE.filter((g) => g.trim() !== '')) + rnd.pick(NASTY_STRINGS).slice(0, 100),
      );
    case 1:
      return Buffer.from(JSON.stringify(rnd.pick([5, 'x', [], [1, 2], null, true, -0.5])));
    case 2: {
      const field = rnd.pick(fields);
      return Buffer.from(JSON.stringify({ [field]: rnd.pick(WRONG_TYPED[field]!) }));
    }
    case 3:
      return Buffer.from(`{"${rnd.pick(fields)}":${deep(rnd.int(10, 3000))}}`);
    default: {
      const text = JSON.stringify({
        name: 'x',
        emptyTimeout: 10,
        metadata: rnd.pick(NASTY_STRINGS).slice(0, 50),
      });
      return Buffer.from(text.slice(0, rnd.int(1, text.length - 1)));
    }
  }
}

/** Protobuf that cannot decode: a wire type that does not exist, a length past the end, a varint cut short. */
function protobufBody(rnd: Random): Buffer {
  const noise = Buffer.from(Array.from({ length: rnd.int(0, 40) }, () => rnd.int(0, 255)));
  switch (rnd.int(0, 2)) {
    case 0:
      return Buffer.concat([Buffer.from([(rnd.int(1, 15) << 3) | rnd.pick([6, 7])]), noise]);
    case 1:
      return Buffer.concat([Buffer.from([0x0a, 0xff, 0x7f]), noise.subarray(0, 10)]);
    default:
      return Buffer.from([0x08, 0xff, 0xff, 0xff]);
  }
}

/** A Twirp call that must be answered with an error: a bad route, bad auth, or a body that does not decode. */
export function malformedTwirpCall(rnd: Random): TwirpCall {
  const auth = rnd.chance(0.85) ? 'good' : rnd.pick(['none', 'garbage', 'alg-none', 'wrong-secret'] as const);
  const route = rnd.int(0, 19);
  if (route === 0)
    return {
      method: 'POST',
      path: `/twirp/livekit.RoomService/${encodeURIComponent(Buffer.from(rnd.pick(NASTY_STRINGS).slice(0, 30)).toString())}Nope`,
      auth,
    };
  if (route === 1)
    return { method: 'GET', path: `/twirp/livekit.RoomService/${rnd.pick(TWIRP_METHODS)}`, auth };
  if (route === 2)
    return {
      method: 'POST',
      path: `/twirp/livekit.RoomService/${rnd.pick(TWIRP_METHODS)}`,
      contentType: rnd.pick(['text/plain', 'application/xml', 'multipart/form-data']),
      body: Buffer.from('x'),
      auth,
    };
  const protobuf = rnd.chance(0.4);
  const method = rnd.pick(TWIRP_METHODS);
  return {
    method: 'POST',
    path: `/twirp/livekit.RoomService/${method}`,
    contentType: protobuf ? 'application/protobuf' : 'application/json',
    body: protobuf ? protobufBody(rnd) : jsonBody(rnd, method),
    auth,
  };
}
