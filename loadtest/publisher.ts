import { randomInt } from 'node:crypto';
import nodeDataChannel from 'node-datachannel';
import type { BotSpec, PublishSpec } from '../src/loadtest/bot-contract.js';
import type { RtpParameters } from '../src/signal/protocol.js';
import type { Clip } from './clip.js';
import { connected, negotiate, newPeerConnection, type PeerConnection } from './peer.js';
import type { MediaRtpParameters, RemoteMedia, TransportParameters } from './remote-sdp.js';
import { AUDIO_LEVEL_EXTENSION_ID, isRtcp, keyFrameRequests, sendStream } from './rtp.js';
import type { SendClock, SendLayer, SendTrack } from './send-clock.js';
import { SignalClient } from './signal-client.js';

const { Audio, Video } = nodeDataChannel;

const VIDEO_PT = 96;
const AUDIO_PT = 111;

const VIDEO_RTP: MediaRtpParameters['codecs'][number] = {
  mimeType: 'video/VP8',
  payloadType: VIDEO_PT,
  clockRate: 90000,
  parameters: {},
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
};
const AUDIO_RTP: MediaRtpParameters['codecs'][number] = {
  mimeType: 'audio/opus',
  payloadType: AUDIO_PT,
  clockRate: 48000,
  channels: 2,
  parameters: { useinbandfec: 1 },
  rtcpFeedback: [],
};

/** The clips a publisher sends, read once per process. */
export interface PublishMedia {
  video: Clip[];
  audio?: Clip;
}

/**
 * A bot that joins, publishes a video track (simulcast: one stream per layer) and/or an audio track from clips,
 * and answers the node's key frame requests.
 */
export class Publisher {
  private constructor(
    readonly identity: string,
    private readonly signal: SignalClient,
    private readonly pc: PeerConnection,
  ) {}

  static async join(
    url: string,
    bot: BotSpec,
    spec: PublishSpec,
    media: PublishMedia,
    clock: SendClock,
  ): Promise<Publisher> {
    const signal = await SignalClient.open(url, bot.token);
    const pc = newPeerConnection(bot.identity);
    try {
      await signal.request('join', {});
      const transport = (await signal.request('createWebRtcTransport', {
        direction: 'send',
      })) as unknown as TransportParameters;
      const cname = bot.identity;
      const tracks: { send: SendTrack; rtp: MediaRtpParameters; remote: RemoteMedia }[] = [];
      if (media.video.length > 0) {
        const layers = media.video.map((clip) => layer(clip, VIDEO_PT));
        const description = new Video('0', 'SendOnly');
        description.addVP8Codec(VIDEO_PT);
        for (const l of layers) description.addSSRC(l.stream.ssrc, cname, cname, 'video');
        const rtp: MediaRtpParameters = {
          mid: '0',
          codecs: [VIDEO_RTP],
          headerExtensions: [],
          encodings: layers.map((l) => ({ ssrc: l.stream.ssrc })),
          rtcp: { cname },
        };
        tracks.push({
          send: sendTrack('video', pc.addTrack(description), layers, 90000, clock),
          rtp,
          remote: { mid: '0', kind: 'video', direction: 'recvonly', rtp: { ...rtp, encodings: [] } },
        });
      }
      if (media.audio) {
        const layers = [layer(media.audio, AUDIO_PT)];
        const description = new Audio('1', 'SendOnly');
        description.addOpusCodec(AUDIO_PT);
        description.addSSRC(layers[0]!.stream.ssrc, cname, cname, 'audio');
        const rtp: MediaRtpParameters = {
          mid: '1',
          codecs: [AUDIO_RTP],
          headerExtensions: [
            { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXTENSION_ID },
          ],
          encodings: [{ ssrc: layers[0]!.stream.ssrc }],
          rtcp: { cname },
        };
        tracks.push({
          send: sendTrack('audio', pc.addTrack(description), layers, 48000, clock),
          rtp,
          remote: { mid: '1', kind: 'audio', direction: 'recvonly', rtp: { ...rtp, encodings: [] } },
        });
      }
      pc.setLocalDescription('offer');
      const up = connected(pc);
      await negotiate(
        pc,
        signal,
        transport,
        tracks.map((t) => t.remote),
        { version: 0, connected: false },
      );
      await up;
      for (const { send, rtp } of tracks) {
        await signal.request('produce', {
          transportId: transport.id,
          kind: send.kind,
          rtpParameters: rtp as unknown as RtpParameters,
        });
        clock.add(send);
      }
      if (!spec.audio && spec.videoLayers.length === 0)
        throw new Error('a publisher with nothing to publish');
      return new Publisher(bot.identity, signal, pc);
    } catch (err) {
      pc.close();
      signal.close();
      throw err;
    }
  }

  close(): void {
    this.signal.close();
    this.pc.close();
  }
}

function layer(clip: Clip, payloadType: number): SendLayer {
  return { clip, stream: sendStream(randomInt(1, 0xffff_ffff), payloadType), next: 0, lastKeyAt: 0 };
}

function sendTrack(
  kind: 'audio' | 'video',
  track: ReturnType<PeerConnection['addTrack']>,
  layers: SendLayer[],
  clockRate: number,
  clock: SendClock,
): SendTrack {
  const bySsrc = new Map(layers.map((l) => [l.stream.ssrc, l]));
  track.onMessage((packet) => {
    if (!isRtcp(packet)) return;
    for (const ssrc of keyFrameRequests(packet)) {
      const asked = bySsrc.get(ssrc);
      if (asked) clock.keyFrameWanted(asked);
    }
  });
  return {
    kind,
    layers,
    clockRate,
    dueAt: 0,
    packets: 0,
    bytes: 0,
    sink: {
      send(packet) {
        try {
          return track.sendMessageBinary(packet);
        } catch {
          return false;
        }
      },
    },
  };
}
