import type { types } from 'mediasoup';
import { createToken } from '../../src/auth/token.js';
import { LkcError } from '../../src/errors.js';
import type { RoomRecord } from '../../src/records.js';
import type { Participant, RoomMove } from '../media/participant.js';
import type { Room } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';
import { trackOf } from '../media/track.js';
import type {
  CreateRoomParams,
  ParticipantChanges,
  ParticipantView,
  RoomApiData,
  TrackView,
} from './backend.js';

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
  mute_track: (params: {
    room: string;
    identity: string;
    track_sid: string;
    muted: boolean;
  }) => Promise<TrackView>;
  update_participant: (
    params: { room: string; identity: string } & ParticipantChanges,
  ) => Promise<ParticipantView>;
  update_subscriptions: (params: {
    room: string;
    identity: string;
    track_sids: string[];
    subscribe: boolean;
  }) => Promise<void>;
  send_data: (params: { room: string } & RoomApiData) => Promise<void>;
  /** `destination`: the destination room's record when it is open somewhere, else its name only. */
  move_participant: (params: {
    room: string;
    identity: string;
    destination: RoomMove['room'];
  }) => Promise<void>;
  /** ForwardParticipant: runs on the node the participant is connected to. */
  forward_participant: (params: { room: string; identity: string; destination: string }) => Promise<void>;
}

/** Forwards a participant connected here into another room (LiveKit's ForwardParticipant). */
export interface ParticipantForwarder {
  start(source: Room, participant: Participant, destination: string): Promise<void>;
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

function participantView(participant: Participant, localRegion: string): ParticipantView {
  // A participant of another node of a spanning room is in that node's region.
  const region = participant.origin?.region ?? localRegion;
  return {
    sid: participant.sid,
    identity: participant.identity,
    name: participant.name,
    metadata: participant.metadata,
    joined_at_ms: participant.joinedAt,
    is_publisher: participant.isPublisher,
    region,
    tracks: [...participant.producers.values()].map(trackView),
    attributes: { ...participant.attributes },
    permission: { ...participant.permission },
    version: participant.version,
    ...(participant.forwarded ? { forwarded_from: participant.forwarded.room } : {}),
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

/** Its session's Room API handle: a participant of our own protocol has none. */
function controlOf(participant: Participant, why: string) {
  const control = participant.control;
  if (!control) {
    throw new LkcError(
      'FAILED_PRECONDITION',
      `participant ${participant.identity} is connected with lk-cluster's own protocol: ${why}`,
    );
  }
  return control;
}

/** Who signs the tokens the node hands out (a moved participant's): the first configured key, as LiveKit does. */
function signingKey(keys: Record<string, string>): { apiKey: string; apiSecret: string } {
  const [entry] = Object.entries(keys);
  if (!entry) throw new LkcError('INTERNAL', 'no API key is configured to sign a token with');
  return { apiKey: entry[0], apiSecret: entry[1] };
}

/** Runs a call on another node: the node a participant of a spanning room is connected to. */
export type ForwardCall = <C extends RoomNodeCall>(
  nodeId: string,
  call: C,
  params: Parameters<RoomNodeCalls[C]>[0],
) => Promise<Awaited<ReturnType<RoomNodeCalls[C]>>>;

/**
 * The Room API calls as this node runs them on the rooms it hosts. A call about a participant connected to another
 * node of a spanning room (its session, its media) runs on that node: `forward` takes it there.
 */
export function roomNodeCalls(
  host: RoomHost,
  records: { putRoom(record: RoomRecord): Promise<void> },
  keys: Record<string, string> = {},
  forward?: ForwardCall,
  forwarder?: ParticipantForwarder,
): RoomNodeCalls {
  /** The node `participant` is connected to when that is another node, which runs calls about it. */
  const elsewhere = (participant: Participant): string | undefined =>
    forward && participant.origin ? participant.origin.node : undefined;
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
      await host.rooms.closeRoom(openRoom(host, room), 'deleted through the room API', { ended: true });
    },

    async list_participants({ room }) {
      return [...openRoom(host, room).participants.values()].map((p) => participantView(p, host.region));
    },

    async get_participant({ room, identity }) {
      return participantView(participantOf(openRoom(host, room), identity), host.region);
    },

    async remove_participant({ room, identity }) {
      const open = openRoom(host, room);
      const node = elsewhere(participantOf(open, identity));
      if (node) return forward!(node, 'remove_participant', { room, identity });
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

    async mute_track({ room, identity, track_sid, muted }) {
      const open = openRoom(host, room);
      const participant = participantOf(open, identity);
      const node = elsewhere(participant);
      if (node) return forward!(node, 'mute_track', { room, identity, track_sid, muted });
      return trackView(await open.setTrackMuted(participant, track_sid, muted));
    },

    async update_participant(params) {
      const { room, identity, name, metadata, attributes, permission } = params;
      const open = openRoom(host, room);
      const participant = participantOf(open, identity);
      const node = elsewhere(participant);
      if (node) return forward!(node, 'update_participant', params);
      open.updateParticipant(participant, { name, metadata, attributes, permission });
      return participantView(participant, host.region);
    },

    async update_subscriptions(params) {
      const { room, identity, track_sids, subscribe } = params;
      const participant = participantOf(openRoom(host, room), identity);
      const node = elsewhere(participant);
      if (node) return forward!(node, 'update_subscriptions', params);
      await controlOf(participant, 'its client chooses its own subscriptions').updateSubscriptions(
        track_sids,
        subscribe,
      );
    },

    async send_data({ room, packet_b64, reliable, destination_identities, destination_sids }) {
      const open = openRoom(host, room);
      const destinations = new Set(destination_identities);
      if (destination_sids.length > 0) {
        const sids = new Set(destination_sids);
        for (const participant of open.participants.values())
          if (sids.has(participant.sid)) destinations.add(participant.identity);
        // Sids that name nobody here: nobody gets it (an empty list would mean everyone).
        if (destinations.size === 0) return;
      }
      open.sendData({ destinations: [...destinations], reliable, packet: Buffer.from(packet_b64, 'base64') });
    },

    async forward_participant({ room, identity, destination }) {
      const open = openRoom(host, room);
      const participant = participantOf(open, identity);
      const node = elsewhere(participant);
      if (node) return forward!(node, 'forward_participant', { room, identity, destination });
      if (participant.forwarded)
        throw new LkcError(
          'FAILED_PRECONDITION',
          `participant ${identity} is forwarded from room ${participant.forwarded.room}: forward it from there`,
        );
      if (!forwarder) throw new LkcError('UNIMPLEMENTED', 'this node forwards no participant');
      await forwarder.start(open, participant, destination);
    },

    async move_participant({ room, identity, destination }) {
      const participant = participantOf(openRoom(host, room), identity);
      const node = elsewhere(participant);
      if (node) return forward!(node, 'move_participant', { room, identity, destination });
      const control = controlOf(participant, 'its client cannot follow a move');
      const { permission } = participant;
      const token = await createToken({
        ...signingKey(keys),
        identity: participant.identity,
        name: participant.name || undefined,
        metadata: participant.metadata || undefined,
        grant: {
          roomJoin: true,
          room: destination.name,
          canPublish: permission.canPublish,
          canSubscribe: permission.canSubscribe,
          canPublishData: permission.canPublishData,
          canUpdateOwnMetadata: permission.canUpdateMetadata,
          hidden: permission.hidden,
        },
      });
      control.moveTo({ room: destination, token });
    },
  };
}
