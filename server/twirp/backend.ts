import type { RoomRecord } from '../../src/records.js';

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
}
