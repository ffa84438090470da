import type { types } from 'mediasoup';
import { CloseCode } from '../../src/signal/close-codes.js';
import {
  type AnswerDataMap,
  type IceCandidate,
  MAX_SCTP_STREAMS,
  type Method,
  type RequestDataMap,
  type SctpStreamParameters,
} from '../../src/signal/protocol.js';
import { notification, SignalRequestError } from '../../src/signal/responses.js';
import type { Participant } from '../media/participant.js';
import { permissionOf } from '../media/permission.js';
import { trackAppData } from '../media/track.js';
import { DataChannels } from './data-channel.js';
import { participantInfo, producerInfo } from './room-signals.js';
import type { HandlerSession } from './session-context.js';

type Handler<M extends Method> = (
  session: HandlerSession,
  data: RequestDataMap[M],
) => Promise<AnswerDataMap[M]>;

function joined(session: HandlerSession): Participant {
  const participant = session.participant;
  if (!participant || participant.closed) throw new SignalRequestError('not_joined', 'join the room first');
  return participant;
}

function transportOf(participant: Participant, id: string): types.WebRtcTransport {
  const transport = participant.transports.get(id);
  if (!transport) throw new SignalRequestError('not_found', `transport ${id} is not one of yours`);
  return transport;
}

/** One of the participant's transports, made for `direction` (data producers send, data consumers receive). */
function transportFor(
  participant: Participant,
  id: string,
  direction: 'send' | 'recv',
): types.WebRtcTransport {
  const transport = transportOf(participant, id);
  if (transport.appData.direction !== direction)
    throw new SignalRequestError('invalid_data', `transport ${id} is not a ${direction} transport`);
  return transport;
}

function ownProducer(participant: Participant, id: string): types.Producer {
  const producer = participant.producers.get(id);
  if (!producer) throw new SignalRequestError('not_found', `producer ${id} is not one of yours`);
  return producer;
}

const join: Handler<'join'> = async (session, data) => {
  if (session.participant && !session.participant.closed)
    throw new SignalRequestError('already_joined', 'this session has joined already');
  const { room, host, claims } = session.ctx;
  if (room.closed) throw new SignalRequestError('unavailable', `room ${room.name} is closed`);
  await room.admit(session.identity);
  // The newest session of an identity wins, as in LiveKit: the older one is told why it ends.
  const older = session.hub.sessions.get(session.identity);
  if (older && older !== session)
    older.transport.close(CloseCode.DUPLICATE_IDENTITY, 'the same identity joined again on another session');
  if (room.participants.has(session.identity))
    room.removeParticipant(session.identity, 'replaced by a new session', 'replaced');
  const participant = room.addParticipant(session.identity, {
    name: data.name ?? claims.name ?? '',
    metadata: data.metadata ?? claims.metadata ?? '',
    permission: permissionOf(claims),
  });
  session.participant = participant;
  session.hub.add(session);
  const others = [...room.participants.values()].filter((p) => p !== participant);
  return {
    room: { name: room.name, sid: room.sid },
    participant: participantInfo(participant),
    node: { id: host.id, region: host.region },
    routerRtpCapabilities: room.router
      .rtpCapabilities as unknown as AnswerDataMap['join']['routerRtpCapabilities'],
    participants: others.map(participantInfo),
    producers: others.flatMap((p) =>
      [...p.producers.values()].map((producer) => producerInfo(producer, p.identity)),
    ),
  };
};

/**
 * A client needs one transport each way (two per ICE restart gone wrong at most); each takes one of the worker's
 * few UDP ports, so a client asking for more would starve the room's other participants of ports.
 */
const MAX_TRANSPORTS = 4;
/** More tracks than any client publishes at once (camera, microphone, screen and its audio, with room to spare). */
const MAX_PRODUCERS = 16;

const createWebRtcTransport: Handler<'createWebRtcTransport'> = async (session, data) => {
  const participant = joined(session);
  if (participant.transports.size >= MAX_TRANSPORTS)
    throw new SignalRequestError('forbidden', `a participant has at most ${MAX_TRANSPORTS} transports`);
  const transport = await session.room.createWebRtcTransport(participant, {
    enableSctp: true,
    numSctpStreams: { OS: MAX_SCTP_STREAMS, MIS: MAX_SCTP_STREAMS },
    appData: { direction: data.direction },
  });
  return {
    id: transport.id,
    iceParameters:
      transport.iceParameters as unknown as AnswerDataMap['createWebRtcTransport']['iceParameters'],
    iceCandidates: transport.iceCandidates as unknown as IceCandidate[],
    dtlsParameters:
      transport.dtlsParameters as unknown as AnswerDataMap['createWebRtcTransport']['dtlsParameters'],
    sctpParameters:
      transport.sctpParameters as unknown as AnswerDataMap['createWebRtcTransport']['sctpParameters'],
  };
};

const connectWebRtcTransport: Handler<'connectWebRtcTransport'> = async (session, data) => {
  const transport = transportOf(joined(session), data.transportId);
  if (transport.appData.connected)
    throw new SignalRequestError('invalid_data', `transport ${data.transportId} is connected already`);
  await transport.connect({ dtlsParameters: data.dtlsParameters as unknown as types.DtlsParameters });
  transport.appData.connected = true;
  return {};
};

const produce: Handler<'produce'> = async (session, data) => {
  const participant = joined(session);
  if (!participant.permission.canPublish)
    throw new SignalRequestError('forbidden', 'your token does not allow publishing');
  if (participant.producers.size >= MAX_PRODUCERS)
    throw new SignalRequestError('forbidden', `a participant publishes at most ${MAX_PRODUCERS} tracks`);
  const transport = transportOf(participant, data.transportId);
  const rtpParameters = data.rtpParameters as unknown as types.RtpParameters;
  const producer = await transport.produce({
    kind: data.kind,
    rtpParameters,
    appData: trackAppData(data.kind, {
      participant: participant.identity,
      source: data.source,
      mimeType: rtpParameters.codecs[0]?.mimeType ?? '',
      mid: rtpParameters.mid,
    }),
  });
  // The room tells everyone (both protocols' sessions) from here on.
  session.room.addProducer(participant, producer);
  return { id: producer.id };
};

const consume: Handler<'consume'> = async (session, data) => {
  const participant = joined(session);
  if (!participant.permission.canSubscribe)
    throw new SignalRequestError('forbidden', 'your token does not allow subscribing');
  const transport = transportOf(participant, data.transportId);
  let owner: Participant | undefined;
  for (const p of session.room.participants.values()) if (p.producers.has(data.producerId)) owner = p;
  if (!owner) throw new SignalRequestError('not_found', `producer ${data.producerId} is not in the room`);
  const rtpCapabilities = data.rtpCapabilities as unknown as types.RtpCapabilities;
  const router = session.room.routerOf(participant);
  await session.room.bringTo(data.producerId, router);
  if (!router.canConsume({ producerId: data.producerId, rtpCapabilities })) {
    throw new SignalRequestError(
      'invalid_data',
      `your rtpCapabilities cannot receive producer ${data.producerId}`,
    );
  }
  const consumer = await transport.consume({
    producerId: data.producerId,
    rtpCapabilities,
    paused: true,
    appData: { participant: participant.identity, producerOwner: owner.identity },
  });
  participant.addConsumer(consumer);
  consumer.on('producerclose', () => {
    session.send(
      notification('consumerClosed', {
        consumerId: consumer.id,
        producerId: consumer.producerId,
        reason: 'producer closed',
      }),
    );
  });
  return {
    id: consumer.id,
    producerId: consumer.producerId,
    participant: owner.identity,
    kind: consumer.kind,
    rtpParameters: consumer.rtpParameters as unknown as AnswerDataMap['consume']['rtpParameters'],
    paused: consumer.paused,
    producerPaused: consumer.producerPaused,
  };
};

const resumeConsumer: Handler<'resumeConsumer'> = async (session, data) => {
  const consumer = joined(session).consumers.get(data.consumerId);
  if (!consumer || consumer.closed)
    throw new SignalRequestError('not_found', `consumer ${data.consumerId} is not one of yours`);
  await consumer.resume();
  return {};
};

const pauseProducer: Handler<'pauseProducer'> = async (session, data) => {
  await ownProducer(joined(session), data.producerId).pause();
  return {};
};

const resumeProducer: Handler<'resumeProducer'> = async (session, data) => {
  await ownProducer(joined(session), data.producerId).resume();
  return {};
};

const closeProducer: Handler<'closeProducer'> = async (session, data) => {
  ownProducer(joined(session), data.producerId).close();
  return {};
};

const restartIce: Handler<'restartIce'> = async (session, data) => {
  const iceParameters = await transportOf(joined(session), data.transportId).restartIce();
  return { iceParameters: iceParameters as unknown as AnswerDataMap['restartIce']['iceParameters'] };
};

const produceData: Handler<'produceData'> = async (session, data) => {
  const participant = joined(session);
  if (!participant.permission.canPublishData)
    throw new SignalRequestError('forbidden', 'your token does not allow publishing data');
  const transport = transportFor(participant, data.transportId, 'send');
  const producer = await DataChannels.of(session.room, participant, session.ctx.logger).produce(transport, {
    sctpStreamParameters: data.sctpStreamParameters as types.SctpStreamParameters,
    label: data.label,
    protocol: data.protocol,
  });
  return { id: producer.id };
};

const consumeData: Handler<'consumeData'> = async (session, data) => {
  const participant = joined(session);
  const transport = transportFor(participant, data.transportId, 'recv');
  const consumer = await DataChannels.of(session.room, participant, session.ctx.logger).consume(transport);
  return {
    id: consumer.id,
    dataProducerId: consumer.dataProducerId,
    sctpStreamParameters: consumer.sctpStreamParameters as SctpStreamParameters,
    label: consumer.label,
    protocol: consumer.protocol,
  };
};

// The session closes the socket with 1000 once this answer is out.
const leave: Handler<'leave'> = async () => ({});

/** Every method's handler: small functions over the session's room. */
export const METHOD_HANDLERS: { [M in Method]: Handler<M> } = {
  join,
  createWebRtcTransport,
  connectWebRtcTransport,
  produce,
  consume,
  resumeConsumer,
  pauseProducer,
  resumeProducer,
  closeProducer,
  restartIce,
  produceData,
  consumeData,
  leave,
};
