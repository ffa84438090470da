import type { Clip } from './clip.js';
import { nowMs } from './receive-stats.js';
import { opusPacket, rtpTimestamp, type SendStream, vp8Packets } from './rtp.js';

/** Where a track's packets go: a PeerConnection's track (SRTP, then UDP). False: not sent. */
export interface PacketSink {
  send(packet: Buffer): boolean;
}

/** One layer of a video track (the only one without simulcast), or an audio track: a clip and its RTP stream. */
export interface SendLayer {
  clip: Clip;
  stream: SendStream;
  /** Index of the next frame to send; a key frame request sets it back to 0 (the clip's key frame). */
  next: number;
  lastKeyAt: number;
}

/** A track a publisher sends: its layers share a frame rate and a send time. */
export interface SendTrack {
  kind: 'audio' | 'video';
  sink: PacketSink;
  layers: SendLayer[];
  clockRate: number;
  /** When its next frame is due (epoch ms). */
  dueAt: number;
  packets: number;
  bytes: number;
}

/** How often the clock looks for due frames; frames are sent at their own rate (30/s video, 50/s audio). */
const TICK_MS = 5;
/** A clock that fell this far behind (a busy process) skips ahead instead of sending a burst. */
const MAX_LAG_MS = 200;
/** The key frame requests of several subscribers within this time get one key frame. */
const KEY_FRAME_HOLDOFF_MS = 300;
/** The audio level the bots speak at (dBov): above the node's -70 dB threshold, so they count as speakers. */
const SPEAKING_DBOV = -30;

/**
 * Sends the frames of every track of the process's publishers on one timer: no timer per bot, and no encoding,
 * only packetization of frames read once.
 */
export class SendClock {
  private readonly tracks: SendTrack[] = [];
  private timer?: NodeJS.Timeout;

  add(track: SendTrack): void {
    track.dueAt = nowMs();
    this.tracks.push(track);
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  /** A subscriber asked for a key frame of `ssrc` (through the node): that layer restarts its clip. */
  keyFrameWanted(layer: SendLayer): void {
    if (nowMs() - layer.lastKeyAt >= KEY_FRAME_HOLDOFF_MS) layer.next = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.tracks.length = 0;
  }

  /** Packets and bytes sent so far, per kind. */
  sent(kind: 'audio' | 'video'): { tracks: number; packets: number; bytes: number } {
    const sum = { tracks: 0, packets: 0, bytes: 0 };
    for (const track of this.tracks) {
      if (track.kind !== kind) continue;
      sum.tracks++;
      sum.packets += track.packets;
      sum.bytes += track.bytes;
    }
    return sum;
  }

  private tick(): void {
    const now = nowMs();
    for (const track of this.tracks) {
      if (track.dueAt > now) continue;
      if (now - track.dueAt > MAX_LAG_MS) track.dueAt = now;
      const timestamp = rtpTimestamp(now, track.clockRate);
      for (const layer of track.layers) this.sendFrame(track, layer, timestamp, now);
      track.dueAt += 1000 / track.layers[0]!.clip.fps;
    }
  }

  private sendFrame(track: SendTrack, layer: SendLayer, timestamp: number, now: number): void {
    const frame = layer.clip.frames[layer.next]!;
    layer.next = (layer.next + 1) % layer.clip.frames.length;
    if (frame.key) layer.lastKeyAt = now;
    const packets =
      track.kind === 'video'
        ? vp8Packets(layer.stream, frame.data, timestamp)
        : [opusPacket(layer.stream, frame.data, timestamp, SPEAKING_DBOV)];
    for (const packet of packets) {
      if (!track.sink.send(packet)) continue;
      track.packets++;
      track.bytes += packet.length;
    }
  }
}
