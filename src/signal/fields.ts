/**
 * Small field checkers for request data. Each returns a problem phrase ("must be a string") or undefined; the
 * object checker names the field. Browser-safe.
 */
import { type JsonObject, MAX_SCTP_STREAMS } from './protocol.js';

export type FieldCheck = (value: unknown) => string | undefined;

export interface FieldSpec {
  check: FieldCheck;
  optional?: boolean;
}

export type ObjectSpec = Record<string, FieldSpec>;

const MAX_ID_LENGTH = 128;

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mediasoup or session id: a non-empty string of bounded length. */
export const id: FieldCheck = (value) => {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  return undefined;
};

/** A free-text string of at most `max` characters. */
export function text(max: number): FieldCheck {
  return (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (value.length > max) return `must be at most ${max} characters`;
    return undefined;
  };
}

/** One of a fixed set of strings. */
export function oneOf(...allowed: string[]): FieldCheck {
  const phrase = allowed.map((a) => `"${a}"`).join(' or ');
  return (value) => (typeof value === 'string' && allowed.includes(value) ? undefined : `must be ${phrase}`);
}

/** An object with a non-empty (or any) `codecs` array of objects: the outer shape of RTP parameters. */
function withCodecs(nonEmpty: boolean): FieldCheck {
  return (value) => {
    if (!isObject(value)) return 'must be an object';
    const codecs = value['codecs'];
    if (!Array.isArray(codecs)) return 'must have a codecs array';
    if (nonEmpty && codecs.length === 0) return 'must have at least one codec';
    if (!codecs.every(isObject)) return 'must have codecs that are objects';
    const encodings = value['encodings'];
    if (encodings !== undefined && (!Array.isArray(encodings) || !encodings.every(isObject))) {
      return 'must have encodings that are objects';
    }
    return undefined;
  };
}

export const rtpParameters: FieldCheck = withCodecs(true);
export const rtpCapabilities: FieldCheck = withCodecs(false);

/** DTLS parameters: fingerprints (algorithm, value) and an optional role. */
export const dtlsParameters: FieldCheck = (value) => {
  if (!isObject(value)) return 'must be an object';
  const fingerprints = value['fingerprints'];
  if (!Array.isArray(fingerprints) || fingerprints.length === 0)
    return 'must have a non-empty fingerprints array';
  for (const fp of fingerprints) {
    if (!isObject(fp) || typeof fp['algorithm'] !== 'string' || typeof fp['value'] !== 'string') {
      return 'must have fingerprints with string algorithm and value';
    }
  }
  const role = value['role'];
  if (role !== undefined && role !== 'auto' && role !== 'client' && role !== 'server') {
    return 'must have role "auto", "client" or "server"';
  }
  return undefined;
};

function isCount(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * SCTP stream parameters as mediasoup-client's `producedata` event gives them: a stream id below the transport's
 * MAX_SCTP_STREAMS, and either ordered delivery or one of maxPacketLifeTime (ms) and maxRetransmits.
 */
export const sctpStreamParameters: FieldCheck = (value) => {
  if (!isObject(value)) return 'must be an object';
  if (!isCount(value['streamId'], MAX_SCTP_STREAMS - 1))
    return `must have a streamId from 0 to ${MAX_SCTP_STREAMS - 1}`;
  const { ordered, maxPacketLifeTime, maxRetransmits } = value;
  if (ordered !== undefined && typeof ordered !== 'boolean') return 'must have a boolean ordered';
  for (const [name, limit] of [
    ['maxPacketLifeTime', maxPacketLifeTime],
    ['maxRetransmits', maxRetransmits],
  ] as const) {
    if (limit !== undefined && !isCount(limit, 65535)) return `must have ${name} from 0 to 65535`;
  }
  if (maxPacketLifeTime !== undefined && maxRetransmits !== undefined)
    return 'must not have both maxPacketLifeTime and maxRetransmits';
  if (ordered === true && (maxPacketLifeTime !== undefined || maxRetransmits !== undefined))
    return 'must not be ordered with maxPacketLifeTime or maxRetransmits';
  return undefined;
};

/**
 * Checks `data` against `spec` and returns a fresh object holding only the specified fields, so that unknown
 * keys (and anything like `__proto__`) never reach the room.
 */
export function checkObject(
  data: unknown,
  spec: ObjectSpec,
): { ok: true; value: JsonObject } | { ok: false; problem: string } {
  if (!isObject(data)) return { ok: false, problem: 'data must be an object' };
  const value: JsonObject = {};
  for (const [name, field] of Object.entries(spec)) {
    const present = Object.hasOwn(data, name) && data[name] !== undefined;
    if (!present) {
      if (field.optional) continue;
      return { ok: false, problem: `data.${name} is required` };
    }
    const problem = field.check(data[name]);
    if (problem) return { ok: false, problem: `data.${name} ${problem}` };
    value[name] = data[name];
  }
  return { ok: true, value };
}
