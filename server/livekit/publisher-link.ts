import { type AddTrackRequest, SessionDescription, TrackInfo, TrackType } from '@livekit/protocol';
import type { types } from 'mediasoup';
import { randomId } from '../../src/ids.js';
import { buildPublisherAnswer } from '../../src/sdp/publisher-answer.js';
import { type OfferedMedia, parsePublisherOffer } from '../../src/sdp/publisher-offer.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import { producerOfTrack, type TrackLayer, trackAppData } from '../media/track.js';
import { sourceName } from './livekit-info.js';

/** A track the client announced with AddTrack and has not sent yet. */
interface PendingTrack {
  sid: string;
  request: AddTrackRequest;
}

/**
 * The publisher PeerConnection of a LiveKit session: the client offers, the server answers. An AddTrack comes
 * first and gets the track's sid; the offer that follows carries the track on an m-line whose msid names the
 * AddTrack's cid, and that m-line becomes a producer. An m-line that stops sending closes its producer (LiveKit
 * has no unpublish message).
 */
export class PublisherLink {
  private readonly pending = new Map<string, PendingTrack>();
  private readonly byMid = new Map<string, types.Producer>();
  private connected = false;

  constructor(
    private readonly transport: types.WebRtcTransport,
    private readonly room: Room,
    private readonly participant: Participant,
    private readonly logger: Logger,
  ) {}

  /** Notes an announced track and returns the TrackInfo of the TrackPublished answer. */
  addTrack(request: AddTrackRequest): TrackInfo {
    const sid = randomId('TR_');
    this.pending.set(request.cid, { sid, request });
    return new TrackInfo({
      sid,
      type: request.type,
      name: request.name,
      muted: request.muted,
      width: request.width,
      height: request.height,
      simulcast: request.layers.length > 1,
      disableDtx: request.disableDtx,
      source: request.source,
      layers: request.layers,
      stereo: request.stereo,
      disableRed: request.disableRed,
    });
  }

  /** Answers a publisher offer, producing what it newly sends and closing what it stopped sending. */
  async offer(description: SessionDescription): Promise<SessionDescription> {
    const offer = parsePublisherOffer(description.sdp, this.room.router.rtpCapabilities);
    if (!this.connected) {
      await this.transport.connect({ dtlsParameters: offer.dtlsParameters });
      this.connected = true;
    }
    for (const media of offer.media) {
      if (media.kind === 'application') continue;
      const producer = this.byMid.get(media.mid);
      const sending =
        (media.direction === 'sendonly' || media.direction === 'sendrecv') && media.rtpParameters;
      if (producer && (!sending || (media.trackId && trackIdOf(producer) !== media.trackId))) {
        producer.close();
        this.byMid.delete(media.mid);
      }
      if (sending && !this.byMid.has(media.mid))
        await this.produce(media, description.midToTrackId[media.mid]);
    }
    const sdp = buildPublisherAnswer(
      description.sdp,
      offer,
      {
        iceParameters: this.transport.iceParameters,
        iceCandidates: this.transport.iceCandidates,
        dtlsParameters: this.transport.dtlsParameters,
        sctpParameters: this.transport.sctpParameters,
      },
      (media) => media.kind === 'application' || this.byMid.has(media.mid),
    );
    return new SessionDescription({ type: 'answer', sdp, id: description.id });
  }

  /** The producer of the track `sid`, if this client publishes it. */
  producerOf(sid: string): types.Producer | undefined {
    return producerOfTrack(this.byMid.values(), sid);
  }

  private async produce(media: OfferedMedia, mappedTrackId?: string): Promise<void> {
    const cid = mappedTrackId || media.trackId || '';
    let pending = this.pending.get(cid);
    // A client whose msid is not its AddTrack cid still publishes tracks in order: take the oldest of the kind.
    if (!pending) {
      const type = media.kind === 'video' ? TrackType.VIDEO : TrackType.AUDIO;
      pending = [...this.pending.values()].find((track) => track.request.type === type);
    }
    if (!pending || !media.rtpParameters) {
      this.logger.info({ mid: media.mid, cid }, 'offered m-line matches no announced track: left inactive');
      return;
    }
    this.pending.delete(pending.request.cid);
    const kind = media.kind as types.MediaKind;
    const request = pending.request;
    try {
      const producer = await this.transport.produce({
        kind,
        rtpParameters: media.rtpParameters,
        paused: request.muted,
        appData: {
          ...trackAppData(kind, {
            sid: pending.sid,
            participant: this.participant.identity,
            cid: request.cid,
            source: sourceName(request.source, kind),
            name: request.name,
            width: request.width,
            height: request.height,
            layers: request.layers.map(
              (layer): TrackLayer => ({
                quality: layer.quality,
                width: layer.width,
                height: layer.height,
                bitrate: layer.bitrate,
                rid: layer.rid || undefined,
              }),
            ),
            mimeType: media.rtpParameters.codecs[0]?.mimeType ?? '',
            mid: media.mid,
            disableDtx: request.disableDtx,
            stereo: request.stereo,
          }),
          msidTrack: media.trackId,
        },
      });
      this.byMid.set(media.mid, producer);
      this.room.addProducer(this.participant, producer);
    } catch (err) {
      // mediasoup refused the parameters: the m-line is answered inactive and the session goes on.
      this.logger.warn({ err, mid: media.mid }, 'could not produce an offered track');
    }
  }
}

function trackIdOf(producer: types.Producer): string | undefined {
  return producer.appData.msidTrack as string | undefined;
}
