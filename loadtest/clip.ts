import { readFileSync } from 'node:fs';

/** One encoded frame of a clip: what a publisher sends as the payload of one or more RTP packets. */
export interface ClipFrame {
  data: Buffer;
  /** A VP8 key frame (the P bit of its first byte is 0); always false for audio. */
  key: boolean;
}

/** A clip read once and replayed in a loop by every publisher of a process. */
export interface Clip {
  frames: ClipFrame[];
  /** Frames per second it was encoded at. */
  fps: number;
  width: number;
  height: number;
}

/** The frames of an IVF file (libvpx's container: a 32-byte header, then a 12-byte header per frame). */
export function readIvf(file: string): Clip {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 0, 4) !== 'DKIF') throw new Error(`${file}: not an IVF file`);
  const headerLength = bytes.readUInt16LE(6);
  const width = bytes.readUInt16LE(12);
  const height = bytes.readUInt16LE(14);
  const rate = bytes.readUInt32LE(16);
  const scale = bytes.readUInt32LE(20);
  const frames: ClipFrame[] = [];
  const pts: number[] = [];
  for (let at = headerLength; at + 12 <= bytes.length; ) {
    const size = bytes.readUInt32LE(at);
    pts.push(Number(bytes.readBigUInt64LE(at + 4)));
    const data = bytes.subarray(at + 12, at + 12 + size);
    // RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame.
    frames.push({ data, key: (data[0]! & 0x01) === 0 });
    at += 12 + size;
  }
  if (frames.length === 0 || !frames[0]!.key)
    throw new Error(`${file}: the clip must start with a key frame`);
  // The header's time base (rate/scale ticks per second) is often 1/1000: the frame rate is in the timestamps.
  const ticksPerFrame = frames.length > 1 ? (pts[pts.length - 1]! - pts[0]!) / (frames.length - 1) : 1;
  // Millisecond timestamps make 30 fps read as 30.01: clips are made at whole frame rates.
  return { frames, fps: Math.round(rate / scale / ticksPerFrame), width, height };
}

/** The Opus packets of an Ogg Opus file (RFC 7845), minus its two header packets. */
export function readOggOpus(file: string): Clip {
  const bytes = readFileSync(file);
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  for (let at = 0; at + 27 <= bytes.length; ) {
    if (bytes.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`${file}: bad Ogg page at ${at}`);
    const segments = bytes[at + 26]!;
    const lacing = bytes.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const size of lacing) {
      pending.push(bytes.subarray(body, body + size));
      body += size;
      // A lacing value under 255 ends a packet.
      if (size < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    at = body;
  }
  const audio = packets.slice(2);
  if (audio.length === 0) throw new Error(`${file}: no Opus packets`);
  return { frames: audio.map((data) => ({ data, key: false })), fps: 50, width: 0, height: 0 };
}
