import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import type { RoomRecord } from '../../src/records.js';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';
import { trackOf } from '../media/track.js';
import type { CreateRoomParams, ParticipantView, TrackView } from './backend.js';

/**
 * What the node hosting a room does for the Room API: the calls that reach it over the bus (or directly when the
 * call came in here). Only this node touches the room's mediasoup objects.
 */
export interface RoomNodeCalls {
  /** `claimed_for`: the node the caller's placement mapped the room to just now (no second claim). */
  create: (params: CreateRoomParams & { claimed_for?: string }) => Promise<RoomRecord>;
  delete: (params: { room: string }) => Promise<void>;
  list_participants: (params: { room: string }) => Promise<ParticipantView[]>;
  get_participant: (params: { room: string; identity: string }) => Promise<ParticipantView>;
  remove_participant: (params: { room: string; identity: string }) => Promise<void>;
  update_metadata: (params: { room: string; metadata: string }) => Promise<RoomRecord>;
}

export type RoomNodeCall = keyof RoomNodeCalls;

function trackView(producer: types.Producer): TrackView {
  const track = trackOf(producer);
  return {
    sid: track.sid,
    kind: producer.kind,
    mime_type: track.mimeType,
    muted: producer.paused,
    source: track.source,
    name: track.name,
  };
}

function participantView(participant: Participant, region: string): ParticipantView {
  return {
    sid: participant.sid,
    identity: participant.identity,
    name: participant.name,
    metadata: participant.metadata,
    joined_at_ms: participant.joinedAt,
    is_publisher: participant.isPublisher,
    region,
    tracks: [...participant.producers.values()].map(trackView),
  };
}

function openRoom(host: RoomHost, name: string): Room {
  const room = host.rooms.get(name);
  if (!room) throw new LkcError('ROOM_NOT_FOUND', `room ${name} does not exist`);
  return room;
}

function participantOf(room: Room, identity: string): Participant {
  const participant = room.participants.get(identity);
  if (!participant) {
    throw new LkcError('PARTICIPANT_NOT_FOUND', `participant ${identity} is not in room ${room.name}`);
  }
  return participant;
}

/** The Room API calls as this node runs them on the rooms it hosts. */
export function roomNodeCalls(
  host: RoomHost,
  records: { putRoom(record: RoomRecord): Promise<void> },
): RoomNodeCalls {
  return {
    async create(params) {
      const room = await host.hostRoom(
        params.name,
        {
          emptyTimeout: params.empty_timeout,
          maxParticipants: params.max_participants,
          metadata: params.metadata,
        },
        params.claimed_for,
      );
      return room.record(host.id);
    },

    async delete({ room }) {
      await host.rooms.closeRoom(openRoom(host, room), 'deleted through the room API');
    },

    async list_participants({ room }) {
      return [...openRoom(host, room).participants.values()].map((p) => participantView(p, host.region));
    },

    async get_participant({ room, identity }) {
      return participantView(participantOf(openRoom(host, room), identity), host.region);
    },

    async remove_participant({ room, identity }) {
      const open = openRoom(host, room);
      participantOf(open, identity);
      open.removeParticipant(identity, 'removed through the room API', 'removed');
    },

    async update_metadata({ room, metadata }) {
      const open = openRoom(host, room);
      open.setMetadata(metadata);
      // Written before the answer, so that a ListRooms through any node right after sees the new metadata.
      const record = open.record(host.id);
      await records.putRoom(record);
      return record;
    },
  };
}
