/**
 * The JSON signalling protocol spoken on `/rtc` between a client and the node that hosts its room (directly, or
 * through a bridge node that relays every frame unchanged). Browser-safe: no Node imports, so the client bundles
 * this file too. docs/signalling.md describes it for humans.
 */

/** Largest client frame (UTF-8 bytes) the room node parses; a larger one gets a `frame_too_large` error. */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * Hard cap for one WebSocket message. Frames between MAX_FRAME_BYTES and this still get an error response; a
 * bigger one makes the socket close with 1009 (message too big) before anything parses it.
 */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

/** Largest request id string accepted; numbers must be safe non-negative integers. */
export const MAX_REQUEST_ID_LENGTH = 64;

/** Any JSON object. */
export type JsonObject = { [key: string]: unknown };

/**
 * mediasoup's parameter objects travel as JSON. The protocol checks their outer shape; mediasoup checks the rest
 * and its refusals come back as `invalid_data` errors. Server and client cast them to their library's types.
 */
export type RtpCapabilities = JsonObject & { codecs: unknown[] };
export type RtpParameters = JsonObject & { codecs: unknown[] };
export type DtlsParameters = JsonObject & { fingerprints: { algorithm: string; value: string }[] };
export type IceParameters = JsonObject;
export type IceCandidate = JsonObject;
/** SCTP parameters of a transport (mediasoup's SctpParameters: port, OS, MIS, maxMessageSize). */
export type SctpParameters = JsonObject;
/**
 * One SCTP stream of a data producer or consumer (mediasoup's SctpStreamParameters): `streamId` below
 * MAX_SCTP_STREAMS; ordered, or unordered with at most one of maxPacketLifeTime and maxRetransmits.
 */
export interface SctpStreamParameters {
  streamId: number;
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
}

/** SCTP streams each way of every transport (mediasoup's numSctpStreams OS and MIS). */
export const MAX_SCTP_STREAMS = 1024;

export type MediaKind = 'audio' | 'video';
export type TransportDirection = 'send' | 'recv';
export type RequestId = number | string;

/** A participant as others see it. */
export interface ParticipantInfo {
  identity: string;
  /** Unique per join: a participant who leaves and joins again gets a new sid. */
  sid: string;
  name: string;
  metadata: string;
  /** Epoch milliseconds. */
  joinedAt: number;
}

/** A published track. */
export interface ProducerInfo {
  id: string;
  /** Identity of the publishing participant. */
  participant: string;
  kind: MediaKind;
  /** What the track carries, e.g. `camera`, `microphone`, `screen`. */
  source: string;
  paused: boolean;
}

/**
 * Every method, in the order a session usually calls them. The one list of methods: Method is read from it, and
 * RequestDataMap, AnswerDataMap, REQUEST_SPECS and the node's METHOD_HANDLERS must each have exactly these keys
 * or the build fails.
 */
export const METHODS = [
  'join',
  'createWebRtcTransport',
  'connectWebRtcTransport',
  'produce',
  'consume',
  'resumeConsumer',
  'pauseProducer',
  'resumeProducer',
  'closeProducer',
  'restartIce',
  'produceData',
  'consumeData',
  'leave',
] as const;

export type Method = (typeof METHODS)[number];

/** `true` when T's keys are exactly K; otherwise names the keys that are missing or extra. */
type KeysAre<T, K extends PropertyKey> = [Exclude<K, keyof T> | Exclude<keyof T, K>] extends [never]
  ? true
  : { missing: Exclude<K, keyof T>; extra: Exclude<keyof T, K> };
type Assert<T extends true> = T;

/** Compile-time checks (no runtime value): each data map has one entry per method, no more. */
export type RequestDataMapMatchesMethods = Assert<KeysAre<RequestDataMap, Method>>;
export type AnswerDataMapMatchesMethods = Assert<KeysAre<AnswerDataMap, Method>>;

/** The request data of each method. */
export interface RequestDataMap {
  join: { name?: string; metadata?: string };
  createWebRtcTransport: { direction: TransportDirection };
  connectWebRtcTransport: { transportId: string; dtlsParameters: DtlsParameters };
  produce: { transportId: string; kind: MediaKind; rtpParameters: RtpParameters; source?: string };
  consume: { transportId: string; producerId: string; rtpCapabilities: RtpCapabilities };
  resumeConsumer: { consumerId: string };
  pauseProducer: { producerId: string };
  resumeProducer: { producerId: string };
  closeProducer: { producerId: string };
  restartIce: { transportId: string };
  produceData: {
    transportId: string;
    sctpStreamParameters: SctpStreamParameters;
    label?: string;
    protocol?: string;
  };
  consumeData: { transportId: string };
  leave: Record<string, never>;
}

/** The answer data of each method. */
export interface AnswerDataMap {
  join: {
    room: { name: string; sid: string };
    /** The joining participant itself. */
    participant: ParticipantInfo;
    /** The node hosting the room: the same whichever node the client's socket landed on. */
    node: { id: string; region: string };
    routerRtpCapabilities: RtpCapabilities;
    /** Everyone else already in the room. */
    participants: ParticipantInfo[];
    /** Every producer already published by someone else. */
    producers: ProducerInfo[];
  };
  createWebRtcTransport: {
    id: string;
    iceParameters: IceParameters;
    /** Candidates carry the room node's announced address (rtc.node_ip) and its UDP ports. */
    iceCandidates: IceCandidate[];
    dtlsParameters: DtlsParameters;
    /** For data messages: mediasoup-client's transport takes them as they are. */
    sctpParameters?: SctpParameters;
  };
  connectWebRtcTransport: Record<string, never>;
  produce: { id: string };
  consume: {
    id: string;
    producerId: string;
    /** Identity of the publishing participant. */
    participant: string;
    kind: MediaKind;
    rtpParameters: RtpParameters;
    /** Always true: consumers start paused, the client resumes them once its side is ready. */
    paused: boolean;
    producerPaused: boolean;
  };
  resumeConsumer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  closeProducer: Record<string, never>;
  restartIce: { iceParameters: IceParameters };
  /** The data producer's id. */
  produceData: { id: string };
  /** The arguments of mediasoup-client's `recvTransport.consumeData()`. */
  consumeData: {
    id: string;
    dataProducerId: string;
    sctpStreamParameters: SctpStreamParameters;
    label: string;
    protocol: string;
  };
  leave: Record<string, never>;
}

/** Largest data message a client sends over its data producer: UTF-8 bytes of the JSON text. */
export const MAX_DATA_MESSAGE_BYTES = 64 * 1024;
/** Longest topic of a data message. */
export const MAX_DATA_TOPIC_LENGTH = 256;
/** Most identities a data message may be addressed to. */
export const MAX_DATA_DESTINATIONS = 64;

/**
 * A data message a client sends, as JSON text over its data producer (`produceData`). The node makes it a
 * LiveKit DataPacket (a user packet, the sender stamped) for everyone in the room, whatever protocol they speak.
 * A message that is not this shape, or is over MAX_DATA_MESSAGE_BYTES, is dropped.
 */
export interface ClientDataMessage {
  /** At most MAX_DATA_TOPIC_LENGTH characters. */
  topic?: string;
  /** The payload: LiveKit clients receive its UTF-8 bytes. */
  data: string;
  /** Identities it is for (at most MAX_DATA_DESTINATIONS); absent or empty: everyone else in the room. */
  to?: string[];
  /** Default true; false sends it as LiveKit's LOSSY kind. */
  reliable?: boolean;
}

/** A data message the node delivers, as JSON text over the client's data consumer (`consumeData`). */
export interface NodeDataMessage {
  /** The sender's identity; null when the room API sent it. */
  from: string | null;
  topic?: string;
  /** The payload as text, or base64 when `binary` (it was not UTF-8). */
  data: string;
  binary?: true;
  reliable: boolean;
}

/** The notification data of each server-initiated message. */
export interface NotificationDataMap {
  participantJoined: { participant: ParticipantInfo };
  participantLeft: { identity: string; sid: string; reason: string };
  newProducer: { producer: ProducerInfo };
  producerClosed: { producerId: string; participant: string };
  consumerClosed: { consumerId: string; producerId: string; reason: string };
  /** Sent just before the room node closes the session with `code`. */
  roomClosing: { code: number; reason: string };
}

export type NotificationMethod = keyof NotificationDataMap;

export const NOTIFICATION_METHODS: readonly NotificationMethod[] = [
  'participantJoined',
  'participantLeft',
  'newProducer',
  'producerClosed',
  'consumerClosed',
  'roomClosing',
];

/** A validated request: `method` narrows `data`. */
export type SignalRequest = { [M in Method]: { id: RequestId; method: M; data: RequestDataMap[M] } }[Method];

export type RequestOf<M extends Method> = Extract<SignalRequest, { method: M }>;

/**
 * Why a request failed. The first five come from the parser (the frame itself is wrong); the others from the
 * room node handling a well-formed request.
 */
export type SignalErrorCode =
  | 'bad_json'
  | 'bad_request'
  | 'frame_too_large'
  | 'unknown_method'
  | 'invalid_data'
  | 'not_joined'
  | 'already_joined'
  | 'not_found'
  | 'room_full'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export interface SignalError {
  code: SignalErrorCode;
  message: string;
}

export interface OkResponse<M extends Method = Method> {
  id: RequestId;
  ok: true;
  data: AnswerDataMap[M];
}

export interface ErrorResponse {
  /** null when the frame was too broken to carry a usable id. */
  id: RequestId | null;
  ok: false;
  error: SignalError;
}

export type SignalResponse = OkResponse | ErrorResponse;

export type SignalNotification = {
  [N in NotificationMethod]: { notification: true; method: N; data: NotificationDataMap[N] };
}[NotificationMethod];

/** Anything the room node sends to a client. */
export type ServerMessage = SignalResponse | SignalNotification;

/** True when `method` names a request method. */
export function isMethod(method: string): method is Method {
  return (METHODS as readonly string[]).includes(method);
}

/** True when `method` names a notification. */
export function isNotificationMethod(method: string): method is NotificationMethod {
  return (NOTIFICATION_METHODS as readonly string[]).includes(method);
}
