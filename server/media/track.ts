import type { types } from 'mediasoup';
import { randomId } from '../../src/ids.js';

/** One simulcast layer as the publisher announced it (LiveKit's VideoLayer). */
export interface TrackLayer {
  /** 0 low, 1 medium, 2 high. */
  quality: number;
  width: number;
  height: number;
  bitrate: number;
  rid?: string;
}

/**
 * What a room knows of a published track beyond mediasoup's producer, kept in the producer's appData so that it
 * lives and dies with it. Both signalling protocols read it; LiveKit's clients need all of it.
 */
export interface TrackMeta {
  /** `TR_...`: the track's id as LiveKit's clients and Room API see it. */
  sid: string;
  participant: string;
  source: string;
  name: string;
  width: number;
  height: number;
  layers: TrackLayer[];
  /** The mime type the publisher sends, e.g. video/VP8. */
  mimeType: string;
  /** The publisher's client-side id for it (LiveKit's AddTrack cid). */
  cid?: string;
  /** The m-line it arrives on (LiveKit's TrackInfo.mid). */
  mid?: string;
  disableDtx?: boolean;
  stereo?: boolean;
}

export type TrackMetaInit = Omit<TrackMeta, 'sid' | 'source' | 'name' | 'width' | 'height' | 'layers'> &
  Partial<TrackMeta>;

/** The appData a producer is created with. */
export function trackAppData(kind: types.MediaKind, init: TrackMetaInit): { track: TrackMeta } {
  // The defaults go last: a field given as undefined (a client that sent no source) must not erase them.
  return {
    track: {
      ...init,
      sid: init.sid ?? randomId('TR_'),
      source: init.source ?? (kind === 'video' ? 'camera' : 'microphone'),
      name: init.name ?? '',
      width: init.width ?? 0,
      height: init.height ?? 0,
      layers: init.layers ?? [],
    },
  };
}

/** The producer among `producers` that carries the track `sid` (LiveKit's TR_ id), if any. */
export function producerOfTrack(
  producers: Iterable<types.Producer>,
  sid: string,
): types.Producer | undefined {
  for (const producer of producers) if (trackOf(producer).sid === sid) return producer;
  return undefined;
}

/** The track a producer carries (made by `trackAppData`). */
export function trackOf(producer: types.Producer): TrackMeta {
  const meta = (producer.appData as { track?: TrackMeta }).track;
  if (meta) return meta;
  // Every producer of a room is made with trackAppData; this keeps a foreign one readable instead of throwing.
  const made = trackAppData(producer.kind, {
    participant: '',
    mimeType: producer.rtpParameters.codecs[0]?.mimeType ?? '',
  });
  (producer.appData as { track?: TrackMeta }).track = made.track;
  return made.track;
}
