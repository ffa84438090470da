import { METHODS, type Method } from '../../src/signal/protocol.js';
import { NASTY_NUMBERS, NASTY_STRINGS, type Random } from './random.js';

/** One signalling frame: text, or bytes sent as a binary message. */
export type Frame = string | Buffer;

/** What a joined session has for a request to aim at: its own and another session's ids, and real capabilities. */
export interface Targets {
  sendTransport: string;
  recvTransport: string;
  /** Producers of this session and of another one in the room (for consume). */
  ownProducers: string[];
  otherProducers: string[];
  consumers: string[];
  rtpCapabilities: unknown;
}

/** Methods the fuzz sends; `leave` ends the session, so it is sent only at the end, on purpose. */
export const FUZZ_METHODS = METHODS.filter((method) => method !== 'leave');

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

/** A request each handler would take from a correct client of this session (what mutations start from). */
function wellFormed(rnd: Random, method: Method, t: Targets): Record<string, unknown> {
  const transport = () => rnd.pick([t.sendTransport, t.recvTransport]);
  switch (method) {
    case 'join':
      return { name: rnd.pick(['fuzz', '', 'x'.repeat(10)]), metadata: '{}' };
    case 'createWebRtcTransport':
      return { direction: rnd.pick(['send', 'recv']) };
    case 'connectWebRtcTransport':
      return {
        transportId: transport(),
        dtlsParameters: {
          role: rnd.pick(['client', 'server', 'auto']),
          fingerprints: [{ algorithm: 'sha-256', value: FINGERPRINT }],
        },
      };
    case 'produce': {
      const audio = rnd.chance(0.5);
      return {
        transportId: t.sendTransport,
        kind: audio ? 'audio' : 'video',
        rtpParameters: {
          codecs: [
            audio
              ? { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }
              : { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 },
          ],
          encodings: [{ ssrc: rnd.int(1, 2 ** 32 - 1) }],
          headerExtensions: [],
          rtcp: { cname: 'fuzz' },
        },
        source: rnd.pick(['camera', 'microphone', 'screen']),
      };
    }
    case 'consume':
      return {
        transportId: t.recvTransport,
        producerId: rnd.pick([...t.otherProducers, ...t.ownProducers, 'nope']),
        rtpCapabilities: t.rtpCapabilities,
      };
    case 'resumeConsumer':
      return { consumerId: rnd.pick([...t.consumers, 'nope']) };
    case 'pauseProducer':
    case 'resumeProducer':
    case 'closeProducer':
      return { producerId: rnd.pick([...t.ownProducers, ...t.otherProducers, 'nope']) };
    case 'restartIce':
      return { transportId: transport() };
    case 'produceData': {
      // Ordered, or one of the two partial-reliability limits, as mediasoup-client's produceData() gives them.
      const sctpStreamParameters = rnd.pick([
        { streamId: rnd.int(0, 1023), ordered: true },
        { streamId: rnd.int(0, 1023), ordered: false, maxRetransmits: rnd.int(0, 10) },
        { streamId: rnd.int(0, 1023), ordered: false, maxPacketLifeTime: rnd.int(0, 3000) },
      ]);
      return {
        transportId: transport(),
        sctpStreamParameters,
        label: rnd.pick(['lkc', '', 'chat']),
        protocol: '',
      };
    }
    case 'consumeData':
      return { transportId: transport() };
    case 'leave':
      return {};
  }
}

function nasty(rnd: Random, depth = 0): unknown {
  switch (rnd.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return rnd.pick(NASTY_STRINGS).slice(0, 300);
    case 1:
      return rnd.pick(NASTY_NUMBERS);
    case 2:
      return rnd.pick([null, true, false]);
    case 3:
      return rnd.pick([{}, [], '', 0, -1]);
    case 4:
      return Array.from({ length: rnd.int(0, 3) }, () => nasty(rnd, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rnd.int(0, 3) }, () => [
          rnd.pick(['x', '__proto__', 'constructor', 'ssrc', 'codecs']),
          nasty(rnd, depth + 1),
        ]),
      );
  }
}

/** Changes one value somewhere in `value`, at any depth: replaced, removed, or added beside. */
function mutate(rnd: Random, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 4 || rnd.chance(0.25)) return nasty(rnd);
  if (Array.isArray(value)) {
    if (value.length === 0 || rnd.chance(0.2)) return [...value, nasty(rnd)];
    const copy = [...value];
    const i = rnd.int(0, copy.length - 1);
    if (rnd.chance(0.2)) copy.splice(i, 1);
    else copy[i] = mutate(rnd, copy[i], depth + 1);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rnd.chance(0.15)) {
    copy[rnd.pick(['extra', 'transportId', 'kind', '__proto__'])] = nasty(rnd);
    return copy;
  }
  const key = rnd.pick(keys);
  if (rnd.chance(0.2)) delete copy[key];
  else copy[key] = mutate(rnd, copy[key], depth + 1);
  return copy;
}

/** Breaks the frame itself: cut short, bytes that are not UTF-8, or not JSON at all. */
function broken(rnd: Random, text: string): Frame {
  switch (rnd.int(0, 3)) {
    case 0:
      return text.slice(0, rnd.int(0, text.length - 1));
    case 1: {
      const bytes = Buffer.from(text);
      bytes[rnd.int(0, bytes.length - 1)] = rnd.pick([0xff, 0xc0, 0xed, 0x80]);
      return bytes;
    }
    case 2:
      return `${text.slice(0, rnd.int(0, text.length))}${rnd.pick([',', '}', ']', '"', '\\'])}`;
    default:
      return rnd.pick(['', ' ', 'null', '[]', '"x"', 'NaN', `{"id":${'['.repeat(rnd.int(10, 2000))}`]);
  }
}

/**
 * A frame for a joined session, made without the parser under test: a correct request of any method aimed at the
 * session's real transports and producers, then changed 0 to 3 times (a value replaced at any depth, a field
 * dropped or added, the id or method bent), and sometimes the frame itself broken. Many reach a handler and
 * succeed or fail there; none may make a handler throw (an `internal` answer).
 */
export function sessionFrame(rnd: Random, id: number, targets: Targets): { frame: Frame; method: Method } {
  const method = rnd.pick(FUZZ_METHODS);
  let request: Record<string, unknown> = { id, method, data: wellFormed(rnd, method, targets) };
  for (let n = rnd.pick([0, 0, 1, 1, 2, 3]); n > 0; n--) {
    // A mutation may have made the whole request something else than an object: nothing more to bend then.
    if (typeof request !== 'object' || request === null || Array.isArray(request)) break;
    const part = rnd.int(0, 9);
    if (part === 0) request.id = rnd.pick([-1, 1.5, 2 ** 60, '', 'x'.repeat(65), {}, [], true, null]);
    else if (part === 1)
      request.method = rnd.pick([...FUZZ_METHODS.map((m) => m.toUpperCase()), 'teleport', 5, null]);
    else if (part === 2) request = mutate(rnd, request, 0) as Record<string, unknown>;
    else request.data = mutate(rnd, request.data);
  }
  const text = JSON.stringify(request) ?? 'null';
  return { frame: rnd.chance(0.1) ? broken(rnd, text) : text, method };
}
