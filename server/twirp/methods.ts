import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ForwardParticipantRequest,
  ForwardParticipantResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MoveParticipantRequest,
  MoveParticipantResponse,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  type ParticipantPermission as PermissionMessage,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  SendDataRequest,
  SendDataResponse,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  UpdateSubscriptionsRequest,
  UpdateSubscriptionsResponse,
} from '@livekit/protocol';
import type { VideoGrant } from '../../src/auth/token.js';
import type { RoomRecord } from '../../src/records.js';
import type { ParticipantPermission } from '../media/participant.js';
import type { RoomServiceBackend } from './backend.js';
import type { EncodableMessage, MessageClass } from './codec.js';
import { TwirpError } from './errors.js';
import { participantMessage, roomApiData, roomMessage, trackMessage } from './livekit-messages.js';

/** The grant a call needs, and for roomAdmin the room it must name. */
export interface RequiredGrant {
  grant: keyof VideoGrant;
  room?: string;
  /** The destinationRoom the grant must name too (MoveParticipant, ForwardParticipant). */
  destinationRoom?: string;
}

/** Limits a method checks its request against. */
export interface MethodLimits {
  /** Bytes of room metadata accepted (LiveKit's room.max_metadata_size). */
  maxMetadataBytes: number;
}

/** A method's answer: the response message, and headers that say more than the message can. */
export interface MethodAnswer {
  message: EncodableMessage;
  headers?: Record<string, string>;
}

/** Names the node a room is on: LiveKit's Room message has no field for it. */
export const ROOM_NODE_HEADER = 'x-lkc-node-id';

/** One RoomService method: its request message, the grant it needs, and the call it makes on the backend. */
export interface MethodSpec<Req> {
  request: MessageClass<Req>;
  grant(request: Req): RequiredGrant;
  call(backend: RoomServiceBackend, request: Req, limits: MethodLimits): Promise<MethodAnswer>;
}

function withNode(record: RoomRecord): MethodAnswer {
  return { message: roomMessage(record), headers: { [ROOM_NODE_HEADER]: record.node_id } };
}

function required(value: string, field: string): string {
  if (value === '') throw new TwirpError('invalid_argument', `${field} is required`, { argument: field });
  return value;
}

function checkMetadata(metadata: string, limits: MethodLimits): void {
  const bytes = Buffer.byteLength(metadata);
  if (limits.maxMetadataBytes > 0 && bytes > limits.maxMetadataBytes) {
    throw new TwirpError(
      'invalid_argument',
      `metadata is ${bytes} bytes: at most ${limits.maxMetadataBytes} are accepted`,
      { argument: 'metadata' },
    );
  }
}

// LiveKit's attributes limit (limit.max_attributes_size): keys and values together.
const MAX_ATTRIBUTES_BYTES = 64_000;
// LiveKit's limit.max_participant_name_length.
const MAX_NAME_LENGTH = 256;

function checkParticipantUpdate(req: UpdateParticipantRequest, limits: MethodLimits): void {
  if (req.name.length > MAX_NAME_LENGTH) {
    throw new TwirpError('invalid_argument', `name is longer than ${MAX_NAME_LENGTH} characters`, {
      argument: 'name',
    });
  }
  checkMetadata(req.metadata, limits);
  let bytes = 0;
  for (const [key, value] of Object.entries(req.attributes)) bytes += Buffer.byteLength(key + value);
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    throw new TwirpError(
      'invalid_argument',
      `attributes are ${bytes} bytes: at most ${MAX_ATTRIBUTES_BYTES}`,
      {
        argument: 'attributes',
      },
    );
  }
}

// LiveKit's ParticipantPermission replaces the participant's as a whole; what we do not model is dropped.
function permissionOf(message: PermissionMessage): ParticipantPermission {
  return {
    canPublish: message.canPublish,
    canSubscribe: message.canSubscribe,
    canPublishData: message.canPublishData,
    canUpdateMetadata: message.canUpdateMetadata,
    hidden: message.hidden,
  };
}

function moveChecks(req: { room: string; identity: string; destinationRoom: string }): void {
  required(req.room, 'room');
  required(req.identity, 'identity');
  required(req.destinationRoom, 'destination_room');
  if (req.room === req.destinationRoom)
    throw new TwirpError('invalid_argument', 'destination room cannot be the same as source room');
}

function method<Req>(spec: MethodSpec<Req>): MethodSpec<unknown> {
  return spec as MethodSpec<unknown>;
}

/** LiveKit's RoomService methods that lk-cluster serves, by Twirp method name, with LiveKit's grant rules. */
export const ROOM_SERVICE_METHODS: Record<string, MethodSpec<unknown>> = {
  CreateRoom: method({
    request: CreateRoomRequest,
    grant: () => ({ grant: 'roomCreate' }),
    async call(backend, req, limits) {
      checkMetadata(req.metadata, limits);
      const record = await backend.createRoom({
        name: required(req.name, 'name'),
        empty_timeout: req.emptyTimeout || undefined,
        max_participants: req.maxParticipants || undefined,
        metadata: req.metadata || undefined,
        node_id: req.nodeId || undefined,
      });
      return withNode(record);
    },
  }),

  ListRooms: method({
    request: ListRoomsRequest,
    grant: () => ({ grant: 'roomList' }),
    async call(backend, req) {
      const rooms = await backend.listRooms(req.names);
      return { message: new ListRoomsResponse({ rooms: rooms.map(roomMessage) }) };
    },
  }),

  DeleteRoom: method({
    request: DeleteRoomRequest,
    grant: () => ({ grant: 'roomCreate' }),
    async call(backend, req) {
      await backend.deleteRoom(required(req.room, 'room'));
      return { message: new DeleteRoomResponse() };
    },
  }),

  ListParticipants: method({
    request: ListParticipantsRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      const participants = await backend.listParticipants(required(req.room, 'room'));
      return {
        message: new ListParticipantsResponse({ participants: participants.map(participantMessage) }),
      };
    },
  }),

  GetParticipant: method({
    request: RoomParticipantIdentity,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      const view = await backend.getParticipant(
        required(req.room, 'room'),
        required(req.identity, 'identity'),
      );
      return { message: participantMessage(view) };
    },
  }),

  RemoveParticipant: method({
    request: RoomParticipantIdentity,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      await backend.removeParticipant(required(req.room, 'room'), required(req.identity, 'identity'));
      return { message: new RemoveParticipantResponse() };
    },
  }),

  UpdateRoomMetadata: method({
    request: UpdateRoomMetadataRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req, limits) {
      checkMetadata(req.metadata, limits);
      return withNode(await backend.updateRoomMetadata(required(req.room, 'room'), req.metadata));
    },
  }),

  MutePublishedTrack: method({
    request: MuteRoomTrackRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      const track = await backend.mutePublishedTrack(
        required(req.room, 'room'),
        required(req.identity, 'identity'),
        required(req.trackSid, 'track_sid'),
        req.muted,
      );
      return { message: new MuteRoomTrackResponse({ track: trackMessage(track) }) };
    },
  }),

  UpdateParticipant: method({
    request: UpdateParticipantRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req, limits) {
      checkParticipantUpdate(req, limits);
      // As LiveKit: an empty name or metadata leaves it as it is; an empty attribute value deletes that key.
      const view = await backend.updateParticipant(
        required(req.room, 'room'),
        required(req.identity, 'identity'),
        {
          name: req.name || undefined,
          metadata: req.metadata || undefined,
          attributes: Object.keys(req.attributes).length > 0 ? { ...req.attributes } : undefined,
          permission: req.permission ? permissionOf(req.permission) : undefined,
        },
      );
      return { message: participantMessage(view) };
    },
  }),

  UpdateSubscriptions: method({
    request: UpdateSubscriptionsRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      const sids = [...new Set([...req.trackSids, ...req.participantTracks.flatMap((p) => p.trackSids)])];
      await backend.updateSubscriptions(
        required(req.room, 'room'),
        required(req.identity, 'identity'),
        sids,
        req.subscribe,
      );
      return { message: new UpdateSubscriptionsResponse() };
    },
  }),

  SendData: method({
    request: SendDataRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room }),
    async call(backend, req) {
      const room = required(req.room, 'room');
      // LiveKit's rule: a nonce is absent or a 128-bit UUID.
      if (req.nonce.length !== 0 && req.nonce.length !== 16) {
        throw new TwirpError(
          'invalid_argument',
          `nonce should be 16-bytes or not present, got: ${req.nonce.length} bytes`,
        );
      }
      await backend.sendData(room, roomApiData(req));
      return { message: new SendDataResponse() };
    },
  }),

  MoveParticipant: method({
    request: MoveParticipantRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room, destinationRoom: req.destinationRoom }),
    async call(backend, req) {
      moveChecks(req);
      await backend.moveParticipant(req.room, req.identity, req.destinationRoom);
      return { message: new MoveParticipantResponse() };
    },
  }),

  ForwardParticipant: method({
    request: ForwardParticipantRequest,
    grant: (req) => ({ grant: 'roomAdmin', room: req.room, destinationRoom: req.destinationRoom }),
    async call(backend, req) {
      moveChecks(req);
      await backend.forwardParticipant(req.room, req.identity, req.destinationRoom);
      return { message: new ForwardParticipantResponse() };
    },
  }),
};
