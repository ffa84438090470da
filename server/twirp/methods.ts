import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  UpdateRoomMetadataRequest,
} from '@livekit/protocol';
import type { VideoGrant } from '../../src/auth/token.js';
import type { RoomRecord } from '../../src/records.js';
import type { RoomServiceBackend } from './backend.js';
import type { EncodableMessage, MessageClass } from './codec.js';
import { TwirpError } from './errors.js';
import { participantMessage, roomMessage } from './livekit-messages.js';

/** The grant a call needs, and for roomAdmin the room it must name. */
export interface RequiredGrant {
  grant: keyof VideoGrant;
  room?: string;
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
};
