import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The ICE a bot needs against a node: mediasoup's transports are ICE-lite, so the bot is the controlling agent and
 * nominates the node's one UDP candidate with a STUN Binding request (RFC 8445 7.1, RFC 5389), repeated as
 * consent (RFC 7675). This file writes those requests and recognises the answers.
 */

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const USERNAME = 0x0006;
const MESSAGE_INTEGRITY = 0x0008;
const PRIORITY = 0x0024;
const USE_CANDIDATE = 0x0025;
const ICE_CONTROLLING = 0x802a;
const FINGERPRINT = 0x8028;
const FINGERPRINT_XOR = 0x5354554e;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

/** A Binding request nominating the node's candidate, signed with the node's ICE password. */
export function bindingRequest(
  remote: { usernameFragment: string; password: string },
  localUfrag: string,
  tieBreaker: Buffer,
): { packet: Buffer; transactionId: Buffer } {
  const transactionId = randomBytes(12);
  const priority = Buffer.alloc(4);
  // A host candidate's priority (type preference 126), as a browser's.
  priority.writeUInt32BE(((126 << 24) | (65535 << 8) | 255) >>> 0);
  const body = Buffer.concat([
    attribute(USERNAME, Buffer.from(`${remote.usernameFragment}:${localUfrag}`)),
    attribute(PRIORITY, priority),
    attribute(ICE_CONTROLLING, tieBreaker),
    attribute(USE_CANDIDATE, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(BINDING_REQUEST, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  // MESSAGE-INTEGRITY covers the message with a length that already counts it (24 bytes).
  header.writeUInt16BE(body.length + 24, 2);
  const integrity = createHmac('sha1', remote.password).update(header).update(body).digest();
  const signed = Buffer.concat([header, body, attribute(MESSAGE_INTEGRITY, integrity)]);
  // FINGERPRINT likewise counts itself (8 bytes).
  signed.writeUInt16BE(body.length + 24 + 8, 2);
  const fingerprint = Buffer.alloc(4);
  fingerprint.writeUInt32BE((crc32(signed) ^ FINGERPRINT_XOR) >>> 0);
  return { packet: Buffer.concat([signed, attribute(FINGERPRINT, fingerprint)]), transactionId };
}

/** The transaction id of a Binding success response, or undefined for any other packet. */
export function bindingSuccess(packet: Buffer): Buffer | undefined {
  if (packet.length < 20 || packet.readUInt16BE(0) !== BINDING_SUCCESS) return undefined;
  if (packet.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  return packet.subarray(8, 20);
}
