import type { types } from 'mediasoup';
import type { Participant, ParticipantPermission, SignalProtocol } from '../media/participant.js';
import type { RoomRole } from '../media/room.js';
import type { TrackMeta } from '../media/track.js';

/** One end of a pipe between two nodes' parts of a room: where its PipeTransport listens, and its SRTP keys. */
export interface PipeEnd {
  ip: string;
  port: number;
  srtp?: types.SrtpParameters;
}

/** A participant as the node it is connected to describes it to the room's other nodes. */
export interface ParticipantWire {
  identity: string;
  sid: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  permission: ParticipantPermission;
  protocol: SignalProtocol;
  version: number;
  joined_at: number;
}

/** A track the sending node pipes to the receiver: the pipe consumer's parameters become the receiver's producer. */
export interface TrackWire {
  /** The producer's id on its own node; the pipe producer on the receiver keeps it. */
  producer_id: string;
  participant_sid: string;
  kind: types.MediaKind;
  rtp_parameters: types.RtpParameters;
  /** The publisher muted it. */
  paused: boolean;
  meta: TrackMeta;
}

/**
 * What the nodes of a spanning room tell each other over the bus (each on the receiver's channel, `from` set by
 * the bus). Messages of one room from one node are handled in the order they were sent.
 */
export type SpanMessage =
  /** Opens a pipe: the sender's end; the receiver connects to it and answers with its own. */
  | { type: 'span.hello'; room: string; role: RoomRole; region: string; end: PipeEnd }
  | { type: 'span.welcome'; room: string; role: RoomRole; region: string; end: PipeEnd }
  /** The receiver of a hello has no part of the room (it closed): the sender drops the pipe. */
  | { type: 'span.refuse'; room: string; reason: string }
  | { type: 'span.participant'; room: string; participant: ParticipantWire }
  | { type: 'span.left'; room: string; identity: string; sid: string; reason: string }
  | { type: 'span.track'; room: string; track: TrackWire }
  /** Every participant and track the sender had when the pipe connected has been told. */
  | { type: 'span.synced'; room: string }
  | { type: 'span.track_paused'; room: string; producer_id: string; paused: boolean }
  | { type: 'span.track_closed'; room: string; producer_id: string }
  /** The receiver's consumers on this node want the track (video is piped on demand), or no longer do. */
  | { type: 'span.want'; room: string; producer_id: string; want: boolean }
  | {
      type: 'span.data';
      room: string;
      /** Absent when the Room API sent it. */
      from_identity?: string;
      destinations: string[];
      reliable: boolean;
      /** LiveKit's DataPacket, base64. */
      packet: string;
    }
  | { type: 'span.room'; room: string; metadata: string }
  /** The sender no longer holds a part of the room: the pipe and its participants go. */
  | { type: 'span.bye'; room: string; reason: string }
  /** The room ended (deleted, or empty for its empty_timeout): every leg closes. */
  | { type: 'span.ended'; room: string; reason: string }
  /** The home left and this node is the room's home now (or, for the others, that one is). */
  | { type: 'span.home'; room: string; home: string }
  /** The identity joined again through the sender's node: its session here ends, replaced. */
  | { type: 'span.replace'; room: string; identity: string };

export type SpanMessageType = SpanMessage['type'];

export const SPAN_MESSAGE_TYPES: readonly SpanMessageType[] = [
  'span.hello',
  'span.welcome',
  'span.refuse',
  'span.participant',
  'span.left',
  'span.track',
  'span.track_paused',
  'span.track_closed',
  'span.want',
  'span.data',
  'span.room',
  'span.bye',
  'span.ended',
  'span.home',
  'span.replace',
];

/** The participant as the room's other nodes see it. */
export function participantWire(participant: Participant): ParticipantWire {
  return {
    identity: participant.identity,
    sid: participant.sid,
    name: participant.name,
    metadata: participant.metadata,
    attributes: { ...participant.attributes },
    permission: { ...participant.permission },
    protocol: participant.protocol,
    version: participant.version,
    joined_at: participant.joinedAt,
  };
}
