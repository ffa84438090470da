import { RoomEndReason, WebhookEvent } from '@livekit/protocol';
import type { types } from 'mediasoup';
import { randomId } from '../../src/ids.js';
import { participantInfo, roomInfo, trackInfo } from '../livekit/livekit-info.js';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';

/** The events lk-cluster sends, named as LiveKit names them. */
export type WebhookEventName =
  | 'room_started'
  | 'room_finished'
  | 'participant_joined'
  | 'participant_left'
  | 'track_published'
  | 'track_unpublished';

export interface WebhookSubject {
  room: Room;
  participant?: Participant;
  /** Shown DISCONNECTED (participant_left). */
  left?: boolean;
  producer?: types.Producer;
  /** room_finished only. */
  endReason?: RoomEndReason;
}

/**
 * One event as LiveKit's `WebhookEvent`, a snapshot taken now: a unique `EV_` id, `createdAt` in epoch seconds, the
 * room, and the participant and track as LiveKit's messages show them (built by `livekit-info.ts`, as clients see
 * them).
 */
export function webhookEvent(event: WebhookEventName, subject: WebhookSubject, region: string): WebhookEvent {
  const { room, participant, producer } = subject;
  return new WebhookEvent({
    event,
    id: randomId('EV_'),
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
    room: roomInfo(room),
    participant: participant ? participantInfo(participant, region, subject.left ?? false) : undefined,
    track: producer ? trackInfo(producer) : undefined,
    roomEndReason: subject.endReason ?? RoomEndReason.ROOM_END_UNKNOWN,
  });
}

/** Why a room ended, as room_finished's `roomEndReason` says it. */
export function endReason(room: Room, reason: string, shuttingDown: boolean): RoomEndReason {
  if (room.moved) return RoomEndReason.ROOM_END_SUPERSEDED;
  if (shuttingDown) return RoomEndReason.ROOM_END_SERVER_SHUTDOWN;
  if (/^empty for /.test(reason)) return RoomEndReason.ROOM_END_IDLE_TIMEOUT;
  if (/^deleted /.test(reason)) return RoomEndReason.ROOM_END_API_DELETE;
  return RoomEndReason.ROOM_END_UNKNOWN;
}
