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
  /** When a key frame request last restarted the clip (epoch ms). */
  lastAnsweredAt: number;
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

/** A clock that fell this far behind (a busy process) skips ahead instead of sending a burst. */
const MAX_LAG_MS = 200;
/** Frames due this close together go out on one wake-up. */
const COALESCE_MS = 1;
/**
 * The key frame requests of several subscribers within this time get one key frame. Counted from the last request
 * answered, as libwebrtc's minimum key frame send interval is: from the clip's own key frame, a request that came
 * just after it (from a consumer that missed it, as a pipe resumed) went unanswered, and mediasoup asks again only
 * after a second.
 */
const KEY_FRAME_HOLDOFF_MS = 300;
/** The audio level the bots speak at (dBov): above the node's -70 dB threshold, so they count as speakers. */
const SPEAKING_DBOV = -30;

/**
 * Sends the frames of every track of the process's publishers from one timer that wakes when the next frame is
 * due: no timer per bot, and no encoding, only packetization of frames read once. Every track of a frame rate runs
 * on the same grid (multiples of its frame interval), so a hundred publishers wake the process as often as one:
 * a wake-up costs more than a packet on a virtual machine.
 */
export class SendClock {
  private readonly tracks: SendTrack[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  add(track: SendTrack): void {
    const interval = 1000 / track.layers[0]!.clip.fps;
    track.dueAt = (Math.floor(nowMs() / interval) + 1) * interval;
    this.tracks.push(track);
    this.schedule();
  }

  /** A subscriber asked for a key frame of `ssrc` (through the node): that layer restarts its clip. */
  keyFrameWanted(layer: SendLayer): void {
    const now = nowMs();
    if (now - layer.lastAnsweredAt < KEY_FRAME_HOLDOFF_MS) return;
    layer.lastAnsweredAt = now;
    layer.next = 0;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
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

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let next = Number.POSITIVE_INFINITY;
    for (const track of this.tracks) next = Math.min(next, track.dueAt);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - nowMs()));
  }

  private tick(): void {
    const now = nowMs();
    for (const track of this.tracks) {
      if (track.dueAt > now + COALESCE_MS) continue;
      const interval = 1000 / track.layers[0]!.clip.fps;
      const timestamp = rtpTimestamp(now, track.clockRate);
      for (const layer of track.layers) this.sendFrame(track, layer, timestamp);
      track.dueAt += interval;
      // Behind (a busy process): back on the grid at the next slot rather than a burst of late frames.
      if (now - track.dueAt > MAX_LAG_MS) track.dueAt = (Math.floor(now / interval) + 1) * interval;
    }
    this.schedule();
  }

  private sendFrame(track: SendTrack, layer: SendLayer, timestamp: number): void {
    const frame = layer.clip.frames[layer.next]!;
    layer.next = (layer.next + 1) % layer.clip.frames.length;
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
