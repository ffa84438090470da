import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * SRTP with the AES_CM_128_HMAC_SHA1_80 profile (RFC 3711), the one every WebRTC stack offers and the one the bots
 * offer in DTLS: node:crypto does the AES and the HMAC (OpenSSL's, with the CPU's AES instructions). The RTP header
 * stays in the clear, so a subscriber counts packets by their headers and checks the authentication tag of a sample.
 */

export const AUTH_TAG_BYTES = 10;
const SRTCP_INDEX_BYTES = 4;

/** The session keys of one direction, derived from the DTLS-exported master key and salt. */
export interface SrtpKeys {
  rtpKey: Buffer;
  rtpAuth: Buffer;
  rtpSalt: Buffer;
  rtcpKey: Buffer;
  rtcpAuth: Buffer;
  rtcpSalt: Buffer;
}

/** RFC 3711 4.3.1 with a key derivation rate of 0: AES-CM over the master salt with the label in byte 7. */
function derive(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  iv[7]! ^= label;
  return createCipheriv('aes-128-ctr', masterKey, iv).update(Buffer.alloc(length));
}

export function srtpKeys(masterKey: Buffer, masterSalt: Buffer): SrtpKeys {
  return {
    rtpKey: derive(masterKey, masterSalt, 0, 16),
    rtpAuth: derive(masterKey, masterSalt, 1, 20),
    rtpSalt: derive(masterKey, masterSalt, 2, 14),
    rtcpKey: derive(masterKey, masterSalt, 3, 16),
    rtcpAuth: derive(masterKey, masterSalt, 4, 20),
    rtcpSalt: derive(masterKey, masterSalt, 5, 14),
  };
}

/** AES-CM's IV for a packet: the salt XOR the SSRC (at byte 4) XOR the 48-bit index (at byte 8). */
function counterIv(salt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv, 0, 0, 14);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const high = Math.floor(index / 0x1_0000_0000);
  iv.writeUInt16BE(iv.readUInt16BE(8) ^ high, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ (index >>> 0)) >>> 0, 10);
  return iv;
}

/** Where an RTP packet's payload starts: after the fixed header, the CSRCs and the header extension. */
function payloadOffset(packet: Buffer): number {
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return offset;
}

function rocBytes(roc: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(roc >>> 0);
  return bytes;
}

/** Encrypts and authenticates an RTP packet whose sequence number has wrapped `roc` times. */
export function protectRtp(keys: SrtpKeys, packet: Buffer, roc: number): Buffer {
  const offset = payloadOffset(packet);
  const seq = packet.readUInt16BE(2);
  const iv = counterIv(keys.rtpSalt, packet.readUInt32BE(8), roc * 0x10000 + seq);
  const out = Buffer.allocUnsafe(packet.length + AUTH_TAG_BYTES);
  packet.copy(out, 0, 0, offset);
  createCipheriv('aes-128-ctr', keys.rtpKey, iv).update(packet.subarray(offset)).copy(out, offset);
  const body = out.subarray(0, packet.length);
  createHmac('sha1', keys.rtpAuth)
    .update(body)
    .update(rocBytes(roc))
    .digest()
    .copy(out, packet.length, 0, AUTH_TAG_BYTES);
  return out;
}

/** True when an SRTP packet's authentication tag is right for `roc`. */
export function rtpAuthentic(keys: SrtpKeys, packet: Buffer, roc: number): boolean {
  if (packet.length < 12 + AUTH_TAG_BYTES) return false;
  const body = packet.subarray(0, packet.length - AUTH_TAG_BYTES);
  const tag = createHmac('sha1', keys.rtpAuth)
    .update(body)
    .update(rocBytes(roc))
    .digest()
    .subarray(0, AUTH_TAG_BYTES);
  return timingSafeEqual(tag, packet.subarray(packet.length - AUTH_TAG_BYTES));
}

/** The clear RTCP of an SRTCP packet, or undefined when its tag is wrong. */
export function unprotectRtcp(keys: SrtpKeys, packet: Buffer): Buffer | undefined {
  if (packet.length < 8 + SRTCP_INDEX_BYTES + AUTH_TAG_BYTES) return undefined;
  const authenticated = packet.subarray(0, packet.length - AUTH_TAG_BYTES);
  const tag = createHmac('sha1', keys.rtcpAuth).update(authenticated).digest().subarray(0, AUTH_TAG_BYTES);
  if (!timingSafeEqual(tag, packet.subarray(packet.length - AUTH_TAG_BYTES))) return undefined;
  const indexAt = packet.length - AUTH_TAG_BYTES - SRTCP_INDEX_BYTES;
  const word = packet.readUInt32BE(indexAt);
  const clear = Buffer.from(packet.subarray(0, indexAt));
  // The E bit: is the part after the first 8 bytes encrypted?
  if (word & 0x8000_0000) {
    const iv = counterIv(keys.rtcpSalt, packet.readUInt32BE(4), word & 0x7fff_ffff);
    createCipheriv('aes-128-ctr', keys.rtcpKey, iv).update(packet.subarray(8, indexAt)).copy(clear, 8);
  }
  return clear;
}
