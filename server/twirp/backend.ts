import type { RoomRecord } from '../../src/records.js';
import type { ParticipantPermission } from '../media/participant.js';

/** A published track of a participant, in the room node's terms. */
export interface TrackView {
  sid: string;
  kind: 'audio' | 'video';
  mime_type: string;
  muted: boolean;
  /** camera, microphone, screen_share, screen_share_audio; empty when the client did not say. */
  source: string;
  name: string;
}

/** A participant of a room as the room node sees it. */
export interface ParticipantView {
  sid: string;
  identity: string;
  name: string;
  metadata: string;
  /** Epoch milliseconds. */
  joined_at_ms: number;
  is_publisher: boolean;
  /** Region of the node that hosts the participant's media. */
  region: string;
  tracks: TrackView[];
  attributes: Record<string, string>;
  permission: ParticipantPermission;
  /** Rises with every change its room tells of. */
  version: number;
  /** Set when it is a copy of a participant of another room (ForwardParticipant): that room. */
  forwarded_from?: string;
}

/** What UpdateParticipant changes; an absent field is left as it is. */
export interface ParticipantChanges {
  name?: string;
  metadata?: string;
  /** An empty value deletes the attribute. */
  attributes?: Record<string, string>;
  /** Replaces the participant's permission as a whole. */
  permission?: ParticipantPermission;
}

/** A data message of the Room API, already encoded as LiveKit's DataPacket with no sender. */
export interface RoomApiData {
  /** The DataPacket, base64: it crosses the bus as JSON. */
  packet_b64: string;
  reliable: boolean;
  /** Whom it is for, by identity or by sid; both empty: everyone in the room. */
  destination_identities: string[];
  destination_sids: string[];
}

/** What CreateRoom may set. Zero or absent values take the node's room defaults. */
export interface CreateRoomParams {
  name: string;
  /** Seconds. */
  empty_timeout?: number;
  max_participants?: number;
  metadata?: string;
  /** Pin the room to this node when it is live and serving. */
  node_id?: string;
}

/**
 * The cluster behind the Room API. The Twirp layer knows HTTP and protobuf; an implementation knows where rooms
 * live. Failures are LkcErrors (ROOM_NOT_FOUND, PARTICIPANT_NOT_FOUND, UNAVAILABLE, ...), which the layer turns
 * into Twirp codes.
 */
export interface RoomServiceBackend {
  /** Places and opens the room, or returns it when it exists already (same sid). */
  createRoom(params: CreateRoomParams): Promise<RoomRecord>;
  /** Every open room of the cluster, or those named in `names`. */
  listRooms(names: string[]): Promise<RoomRecord[]>;
  /** Closes the room on its node, disconnecting everyone in it. */
  deleteRoom(room: string): Promise<void>;
  listParticipants(room: string): Promise<ParticipantView[]>;
  getParticipant(room: string, identity: string): Promise<ParticipantView>;
  removeParticipant(room: string, identity: string): Promise<void>;
  updateRoomMetadata(room: string, metadata: string): Promise<RoomRecord>;
  /** Pauses or resumes the track and tells the participant's client; answers the track as it is now. */
  mutePublishedTrack(room: string, identity: string, trackSid: string, muted: boolean): Promise<TrackView>;
  updateParticipant(room: string, identity: string, changes: ParticipantChanges): Promise<ParticipantView>;
  /** Subscribes the participant to (or unsubscribes it from) the tracks `trackSids` of others. */
  updateSubscriptions(room: string, identity: string, trackSids: string[], subscribe: boolean): Promise<void>;
  sendData(room: string, data: RoomApiData): Promise<void>;
  /** Sends the participant to `destination`, a room on any node (opened when the client rejoins there). */
  moveParticipant(room: string, identity: string, destination: string): Promise<void>;
  /** ForwardParticipant: the participant appears in the destination room too, with its tracks, until it leaves. */
  forwardParticipant(room: string, identity: string, destination: string): Promise<void>;
}
