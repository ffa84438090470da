/**
 * RTP as the bots write and read it: VP8 (RFC 7741) and Opus packets made from a clip's frames, with the send time
 * as RTP timestamp, and the RTCP a publisher must answer (a key frame request). No encoding, no decoding.
 */

/** Largest payload of one video packet: a browser's, leaving room for SRTP and the headers under a 1,200-byte MTU. */
export const MAX_VIDEO_PAYLOAD = 1100;
/** The one-byte header extension id the bots give ssrc-audio-level (RFC 6464) in their Opus producers. */
export const AUDIO_LEVEL_EXTENSION_ID = 10;

/** The sending state of one RTP stream (one track, or one simulcast layer). */
export interface SendStream {
  ssrc: number;
  payloadType: number;
  /** The next sequence number, 16 bits. */
  seq: number;
  /** VP8's 15-bit picture id and 8-bit TL0PICIDX: they rise per frame, as a browser's do. */
  pictureId: number;
  tl0PicIdx: number;
}

/** A new stream with random starting numbers, as RFC 3550 asks. */
export function sendStream(ssrc: number, payloadType: number): SendStream {
  return {
    ssrc,
    payloadType,
    seq: Math.floor(Math.random() * 0x10000),
    pictureId: Math.floor(Math.random() * 0x8000),
    tl0PicIdx: Math.floor(Math.random() * 0x100),
  };
}

/**
 * The RTP timestamp of `atMs` (epoch milliseconds) at `clockRate`: every bot of every process on this machine
 * stamps with the same clock, so a subscriber reads a packet's age from its timestamp, which mediasoup forwards as
 * it came (a simulcast consumer shifts it when it switches layers).
 */
export function rtpTimestamp(atMs: number, clockRate: number): number {
  return Math.floor((atMs * clockRate) / 1000) % 0x1_0000_0000;
}

function header(
  stream: SendStream,
  timestamp: number,
  marker: boolean,
  payloadBytes: number,
  extension = 0,
): Buffer {
  const packet = Buffer.allocUnsafe(12 + extension + payloadBytes);
  packet[0] = extension ? 0x90 : 0x80;
  packet[1] = (marker ? 0x80 : 0) | stream.payloadType;
  packet.writeUInt16BE(stream.seq, 2);
  packet.writeUInt32BE(timestamp, 4);
  packet.writeUInt32BE(stream.ssrc, 8);
  stream.seq = (stream.seq + 1) & 0xffff;
  return packet;
}

/** The VP8 payload descriptor: X=1, S on the first packet, partition 0; I (15-bit picture id), L, T (TID 0, Y). */
const VP8_DESCRIPTOR = 6;

/** One VP8 frame as RTP packets: the descriptor's S bit on the first, the marker on the last. */
export function vp8Packets(stream: SendStream, frame: Buffer, timestamp: number): Buffer[] {
  const count = Math.max(1, Math.ceil(frame.length / MAX_VIDEO_PAYLOAD));
  const size = Math.ceil(frame.length / count);
  const packets: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = frame.subarray(i * size, Math.min(frame.length, (i + 1) * size));
    const packet = header(stream, timestamp, i === count - 1, VP8_DESCRIPTOR + chunk.length);
    packet[12] = i === 0 ? 0x90 : 0x80;
    packet[13] = 0xe0;
    packet[14] = 0x80 | (stream.pictureId >> 8);
    packet[15] = stream.pictureId & 0xff;
    packet[16] = stream.tl0PicIdx;
    packet[17] = 0x20;
    chunk.copy(packet, 12 + VP8_DESCRIPTOR);
    packets.push(packet);
  }
  stream.pictureId = (stream.pictureId + 1) & 0x7fff;
  stream.tl0PicIdx = (stream.tl0PicIdx + 1) & 0xff;
  return packets;
}

/**
 * One Opus frame as an RTP packet with its audio level (RFC 6464: the V bit, then -dBov), which the node's active
 * speaker observer reads.
 */
export function opusPacket(stream: SendStream, frame: Buffer, timestamp: number, levelDbov: number): Buffer {
  const packet = header(stream, timestamp, false, frame.length, 8);
  packet.writeUInt16BE(0xbede, 12);
  packet.writeUInt16BE(1, 14);
  packet[16] = AUDIO_LEVEL_EXTENSION_ID << 4;
  packet[17] = 0x80 | Math.min(127, Math.max(0, Math.round(-levelDbov)));
  packet[18] = 0;
  packet[19] = 0;
  frame.copy(packet, 20);
  return packet;
}

/** True for an RTCP packet on a multiplexed port (RFC 5761: payload types 192-223). */
export function isRtcp(packet: Buffer): boolean {
  const type = packet[1]!;
  return type >= 192 && type <= 223;
}

/** The SSRCs a compound RTCP packet asks a key frame of (PLI, or FIR's entries). */
export function keyFrameRequests(packet: Buffer): number[] {
  const asked: number[] = [];
  for (let at = 0; at + 12 <= packet.length; ) {
    const length = (packet.readUInt16BE(at + 2) + 1) * 4;
    const fmt = packet[at]! & 0x1f;
    if (packet[at + 1] === 206 && fmt === 1) asked.push(packet.readUInt32BE(at + 8));
    if (packet[at + 1] === 206 && fmt === 4) {
      for (let entry = at + 12; entry + 8 <= at + length; entry += 8) asked.push(packet.readUInt32BE(entry));
    }
    at += length;
  }
  return asked;
}
