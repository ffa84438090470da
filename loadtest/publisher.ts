import { randomInt } from 'node:crypto';
import type { BotSpec } from '../src/loadtest/bot-contract.js';
import type { RtpParameters } from '../src/signal/protocol.js';
import type { Clip } from './clip.js';
import { RtcLink, type TransportParameters } from './rtc-link.js';
import { AUDIO_LEVEL_EXTENSION_ID, keyFrameRequests, sendStream } from './rtp.js';
import type { SendClock, SendLayer, SendTrack } from './send-clock.js';
import { SignalClient } from './signal-client.js';

const VIDEO_PT = 96;
const AUDIO_PT = 111;

/** The clips a publisher sends, read once per process. */
export interface PublishMedia {
  video: Clip[];
  audio?: Clip;
}

function layer(clip: Clip, payloadType: number): SendLayer {
  return { clip, stream: sendStream(randomInt(1, 0xffff_ffff), payloadType), next: 0, lastAnsweredAt: 0 };
}

/** What the node is told the bot sends: a browser's VP8 (NACK, PLI, FIR) and Opus with its audio level. */
function rtpParameters(kind: 'audio' | 'video', layers: SendLayer[], cname: string): RtpParameters {
  const codec =
    kind === 'video'
      ? {
          mimeType: 'video/VP8',
          payloadType: VIDEO_PT,
          clockRate: 90000,
          parameters: {},
          rtcpFeedback: [
            { type: 'nack' },
            { type: 'nack', parameter: 'pli' },
            { type: 'ccm', parameter: 'fir' },
          ],
        }
      : {
          mimeType: 'audio/opus',
          payloadType: AUDIO_PT,
          clockRate: 48000,
          channels: 2,
          parameters: { useinbandfec: 1 },
          rtcpFeedback: [],
        };
  return {
    mid: kind === 'video' ? '0' : '1',
    codecs: [codec],
    headerExtensions:
      kind === 'audio'
        ? [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXTENSION_ID }]
        : [],
    // Simulcast: one encoding per layer, lowest first, told apart by SSRC.
    encodings: layers.map((l) => ({ ssrc: l.stream.ssrc })),
    rtcp: { cname, reducedSize: true },
  };
}

/**
 * A bot that joins and publishes a video track (with simulcast, one stream per layer) and/or an audio track from
 * clips, on one send transport, and answers the node's key frame requests.
 */
export class Publisher {
  private constructor(
    readonly identity: string,
    private readonly signal: SignalClient,
    private readonly link: RtcLink,
  ) {}

  static async join(url: string, bot: BotSpec, media: PublishMedia, clock: SendClock): Promise<Publisher> {
    const signal = await SignalClient.open(url, bot.token);
    let link: RtcLink | undefined;
    try {
      await signal.request('join', {});
      const transport = (await signal.request('createWebRtcTransport', {
        direction: 'send',
      })) as unknown as TransportParameters;
      link = await RtcLink.connect(transport, signal);
      const tracks: SendTrack[] = [];
      if (media.video.length > 0)
        tracks.push(
          sendTrack(
            'video',
            media.video.map((c) => layer(c, VIDEO_PT)),
            link,
          ),
        );
      if (media.audio) tracks.push(sendTrack('audio', [layer(media.audio, AUDIO_PT)], link));
      const bySsrc = new Map(tracks.flatMap((t) => t.layers.map((l) => [l.stream.ssrc, l] as const)));
      link.onRtcp = (rtcp) => {
        for (const ssrc of keyFrameRequests(rtcp)) {
          const asked = bySsrc.get(ssrc);
          if (asked) clock.keyFrameWanted(asked);
        }
      };
      for (const track of tracks) {
        await signal.request('produce', {
          transportId: transport.id,
          kind: track.kind,
          rtpParameters: rtpParameters(track.kind, track.layers, bot.identity),
        });
        clock.add(track);
      }
      return new Publisher(bot.identity, signal, link);
    } catch (err) {
      link?.close();
      signal.close();
      throw err;
    }
  }

  close(): void {
    this.signal.close();
    this.link.close();
  }
}

function sendTrack(kind: 'audio' | 'video', layers: SendLayer[], link: RtcLink): SendTrack {
  return {
    kind,
    layers,
    clockRate: kind === 'video' ? 90000 : 48000,
    dueAt: 0,
    packets: 0,
    bytes: 0,
    sink: { send: (packet) => link.sendRtp(packet) },
  };
}
