import {
  ParticipantInfo,
  ParticipantInfo_State,
  Room,
  TrackInfo,
  TrackSource,
  TrackType,
} from '@livekit/protocol';
import type { RoomRecord } from '../../src/records.js';
import type { ParticipantView, TrackView } from './backend.js';

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

function trackMessage(track: TrackView): TrackInfo {
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
  });
}
