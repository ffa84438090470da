import {
  DataPacket,
  DataPacket_Kind,
  ParticipantInfo,
  ParticipantInfo_KindDetail,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  type SendDataRequest,
  TrackInfo,
  TrackSource,
  TrackType,
  UserPacket,
} from '@livekit/protocol';
import type { RoomRecord } from '../../src/records.js';
import type { ParticipantView, RoomApiData, TrackView } from './backend.js';

/** A room record as LiveKit's `Room` message. */
export function roomMessage(record: RoomRecord): Room {
  return new Room({
    sid: record.sid,
    name: record.name,
    emptyTimeout: record.empty_timeout,
    maxParticipants: record.max_participants,
    creationTime: BigInt(record.creation_time),
    creationTimeMs: BigInt(record.creation_time) * 1000n,
    metadata: record.metadata,
    numParticipants: record.num_participants,
    numPublishers: record.num_publishers,
  });
}

const SOURCES: Record<string, TrackSource> = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
};

export function trackMessage(track: TrackView): TrackInfo {
  return new TrackInfo({
    sid: track.sid,
    type: track.kind === 'audio' ? TrackType.AUDIO : TrackType.VIDEO,
    name: track.name,
    mimeType: track.mime_type,
    muted: track.muted,
    source: SOURCES[track.source.toLowerCase()] ?? TrackSource.UNKNOWN,
  });
}

/** A participant as LiveKit's `ParticipantInfo` message: a participant the room node holds is active. */
export function participantMessage(view: ParticipantView): ParticipantInfo {
  return new ParticipantInfo({
    sid: view.sid,
    identity: view.identity,
    name: view.name,
    metadata: view.metadata,
    state: ParticipantInfo_State.ACTIVE,
    joinedAt: BigInt(Math.floor(view.joined_at_ms / 1000)),
    joinedAtMs: BigInt(view.joined_at_ms),
    isPublisher: view.is_publisher,
    region: view.region,
    tracks: view.tracks.map(trackMessage),
    attributes: { ...view.attributes },
    version: view.version,
    kindDetails: view.forwarded_from ? [ParticipantInfo_KindDetail.FORWARDED] : [],
    permission: new ParticipantPermission({
      canPublish: view.permission.canPublish,
      canSubscribe: view.permission.canSubscribe,
      canPublishData: view.permission.canPublishData,
      canUpdateMetadata: view.permission.canUpdateMetadata,
      hidden: view.permission.hidden,
    }),
  });
}

/** A SendData request as the DataPacket LiveKit's server sends for it: a user packet with no sender. */
export function roomApiData(req: SendDataRequest): RoomApiData {
  const packet = new DataPacket({
    kind: req.kind,
    destinationIdentities: req.destinationIdentities,
    value: {
      case: 'user',
      value: new UserPacket({
        payload: req.data,
        destinationSids: req.destinationSids,
        destinationIdentities: req.destinationIdentities,
        topic: req.topic,
        nonce: req.nonce,
      }),
    },
  });
  return {
    packet_b64: Buffer.from(packet.toBinary()).toString('base64'),
    reliable: req.kind !== DataPacket_Kind.LOSSY,
    destination_identities: [...req.destinationIdentities],
    destination_sids: [...req.destinationSids],
  };
}
