import {
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_KindDetail,
  ParticipantInfo_State,
  ParticipantPermission,
  Room as RoomInfo,
  SimulcastCodecInfo,
  TrackInfo,
  TrackSource,
  TrackType,
  VideoLayer,
  type VideoQuality,
} from '@livekit/protocol';
import type { types } from 'mediasoup';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import { type TrackMeta, trackOf } from '../media/track.js';

/**
 * How lk-cluster's rooms, participants and tracks look in LiveKit's messages. Both protocols' participants are
 * shown the same way, so a LiveKit client sees a participant of the built-in page as any other.
 */

const SOURCES: Record<string, TrackSource> = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen: TrackSource.SCREEN_SHARE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
};

/** Our source name for LiveKit's TrackSource. */
export function sourceName(source: TrackSource, kind: types.MediaKind): string {
  switch (source) {
    case TrackSource.CAMERA:
      return 'camera';
    case TrackSource.MICROPHONE:
      return 'microphone';
    case TrackSource.SCREEN_SHARE:
      return 'screen_share';
    case TrackSource.SCREEN_SHARE_AUDIO:
      return 'screen_share_audio';
    default:
      return kind === 'video' ? 'camera' : 'microphone';
  }
}

function layers(meta: TrackMeta): VideoLayer[] {
  return meta.layers.map(
    (layer) =>
      new VideoLayer({
        quality: layer.quality as VideoQuality,
        width: layer.width,
        height: layer.height,
        bitrate: layer.bitrate,
        rid: layer.rid ?? '',
      }),
  );
}

/** A published track as LiveKit's TrackInfo. */
export function trackInfo(producer: types.Producer): TrackInfo {
  const meta = trackOf(producer);
  const video = producer.kind === 'video';
  return new TrackInfo({
    sid: meta.sid,
    type: video ? TrackType.VIDEO : TrackType.AUDIO,
    name: meta.name,
    muted: producer.paused,
    width: meta.width,
    height: meta.height,
    simulcast: producer.rtpParameters.encodings !== undefined && producer.rtpParameters.encodings.length > 1,
    disableDtx: meta.disableDtx ?? false,
    stereo: meta.stereo ?? false,
    source: SOURCES[meta.source] ?? TrackSource.UNKNOWN,
    layers: layers(meta),
    mimeType: meta.mimeType,
    mid: meta.mid ?? '',
    codecs: [
      new SimulcastCodecInfo({
        mimeType: meta.mimeType,
        mid: meta.mid ?? '',
        cid: meta.cid ?? '',
        layers: layers(meta),
      }),
    ],
  });
}

/** A participant as LiveKit's ParticipantInfo; `left` shows it DISCONNECTED, which makes clients remove it. */
export function participantInfo(participant: Participant, region: string, left = false): ParticipantInfo {
  const permission = participant.permission;
  return new ParticipantInfo({
    sid: participant.sid,
    identity: participant.identity,
    state: left ? ParticipantInfo_State.DISCONNECTED : ParticipantInfo_State.ACTIVE,
    tracks: [...participant.producers.values()].map(trackInfo),
    metadata: participant.metadata,
    joinedAt: BigInt(Math.floor(participant.joinedAt / 1000)),
    joinedAtMs: BigInt(participant.joinedAt),
    name: participant.name,
    version: participant.version,
    permission: new ParticipantPermission({
      canPublish: permission.canPublish,
      canSubscribe: permission.canSubscribe,
      canPublishData: permission.canPublishData,
      canUpdateMetadata: permission.canUpdateMetadata,
      hidden: permission.hidden,
    }),
    // A participant of another node of a spanning room is in that node's region.
    region: participant.origin?.region ?? region,
    isPublisher: participant.isPublisher,
    kind: ParticipantInfo_Kind.STANDARD,
    // A copy of a participant of another room (ForwardParticipant), as LiveKit marks it.
    kindDetails: participant.forwarded ? [ParticipantInfo_KindDetail.FORWARDED] : [],
    attributes: { ...participant.attributes },
  });
}

/** A room as LiveKit's Room message. */
export function roomInfo(room: Room): RoomInfo {
  return new RoomInfo({
    sid: room.sid,
    name: room.name,
    emptyTimeout: room.emptyTimeout,
    maxParticipants: room.maxParticipants,
    creationTime: BigInt(room.creationTime),
    creationTimeMs: BigInt(room.creationTime * 1000),
    metadata: room.metadata,
    numParticipants: room.participants.size,
    numPublishers: room.numPublishers,
  });
}
