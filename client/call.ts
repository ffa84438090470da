/**
 * One participant's call: joins the room over the signalling socket, publishes camera and microphone through a
 * send transport, consumes every remote producer through a receive transport, and sends and receives the
 * room's data messages over a data producer and a data consumer.
 */

import type { types } from 'mediasoup-client';
import { Device } from 'mediasoup-client';
import { dataMessageProblem } from '../src/signal/data-message.js';
import {
  type AnswerDataMap,
  type ClientDataMessage,
  MAX_DATA_MESSAGE_BYTES,
  type NodeDataMessage,
  type NotificationDataMap,
  type NotificationMethod,
  type ParticipantInfo,
  type ProducerInfo,
} from '../src/signal/protocol.js';
import type { CloseInfo, SignalClient } from './signal-client.js';

export interface RemoteTrack {
  consumer: types.Consumer;
  producerId: string;
  participant: string;
  kind: 'audio' | 'video';
  source: string;
}

export interface CallEvents {
  participantsChanged(): void;
  trackAdded(track: RemoteTrack): void;
  trackRemoved(track: RemoteTrack): void;
  closed(info: CloseInfo): void;
  /** A data message from someone in the room (or from the room API: `from` null). */
  dataReceived(message: NodeDataMessage): void;
  log(line: string): void;
}

/** How a data message is sent: its topic, whom it is for (default everyone), and LiveKit's kind. */
export interface SendDataOptions {
  topic?: string;
  to?: string[];
  reliable?: boolean;
}

/** What the call can do with data messages: `error` says why it cannot send (e.g. the token forbids it). */
export interface DataState {
  receiving: boolean;
  sending: boolean;
  error: string | null;
}

/** The label of the data producer the page sends on. */
const DATA_LABEL = 'lkc';

export type PublishChoice = 'both' | 'video' | 'audio' | 'none';

export class Call {
  readonly device = new Device();
  joined?: AnswerDataMap['join'];
  readonly participants = new Map<string, ParticipantInfo>();
  readonly producers = new Map<string, types.Producer>();
  readonly tracks = new Map<string, RemoteTrack>();
  localStream?: MediaStream;
  closedWith?: CloseInfo;
  sendTransport?: types.Transport;
  recvTransport?: types.Transport;
  dataProducer?: types.DataProducer;
  dataConsumer?: types.DataConsumer;
  readonly data: DataState = { receiving: false, sending: false, error: null };
  private readonly consuming = new Set<string>();
  // Producers announced before the receive transport exists wait on this instead of being missed.
  private readonly recvReady: Promise<types.Transport>;
  private resolveRecv!: (transport: types.Transport) => void;

  constructor(
    private readonly signal: SignalClient,
    private readonly events: CallEvents,
  ) {
    this.recvReady = new Promise((resolve) => {
      this.resolveRecv = resolve;
    });
    signal.onNotification((method, data) => this.notified(method, data));
    signal.onClose((info) => {
      this.closedWith = info;
      for (const track of [...this.tracks.values()]) this.dropTrack(track);
      this.events.closed(info);
    });
  }

  /** Joins, sets up both transports, publishes what `publish` asks for and consumes everyone already there. */
  async join(options: { name?: string; publish: PublishChoice }): Promise<void> {
    const joined = await this.signal.request('join', options.name ? { name: options.name } : {});
    this.joined = joined;
    for (const participant of joined.participants) this.participants.set(participant.identity, participant);
    this.events.participantsChanged();
    this.events.log(
      `joined ${joined.room.name} on node ${joined.node.id} (${joined.node.region || 'no region'})`,
    );
    await this.device.load({
      routerRtpCapabilities: joined.routerRtpCapabilities as unknown as types.RtpCapabilities,
    });
    this.resolveRecv(await this.createRecvTransport());
    await Promise.all(joined.producers.map((producer) => this.consume(producer)));
    if (options.publish !== 'none') await this.publish(options.publish);
    await this.startData();
  }

  /** Sends one data message to the room (everyone else, or `options.to`). */
  async sendData(text: string, options: SendDataOptions = {}): Promise<void> {
    const producer = this.dataProducer;
    if (!producer) throw new Error(`cannot send data: ${this.data.error ?? 'not ready yet'}`);
    const message: ClientDataMessage = { data: text, ...options };
    const problem = dataMessageProblem(message);
    if (problem) throw new Error(`cannot send data: ${problem}`);
    const frame = JSON.stringify(message);
    if (new TextEncoder().encode(frame).byteLength > MAX_DATA_MESSAGE_BYTES)
      throw new Error(`cannot send data: messages are limited to ${MAX_DATA_MESSAGE_BYTES} bytes`);
    if (producer.readyState === 'connecting')
      await new Promise<void>((resolve) => producer.once('open', () => resolve()));
    producer.send(frame);
  }

  /** Leaves the room and closes the socket. */
  async leave(): Promise<void> {
    try {
      await this.signal.request('leave', {});
    } finally {
      this.signal.close();
    }
  }

  private async createRecvTransport(): Promise<types.Transport> {
    const params = await this.signal.request('createWebRtcTransport', { direction: 'recv' });
    const transport = this.device.createRecvTransport(params as unknown as types.TransportOptions);
    this.wireConnect(transport);
    this.recvTransport = transport;
    return transport;
  }

  /** The send transport, made on first use (for media, and for data when nothing else is published). */
  private async sendTransportReady(): Promise<types.Transport> {
    if (this.sendTransport) return this.sendTransport;
    const params = await this.signal.request('createWebRtcTransport', { direction: 'send' });
    const transport = this.device.createSendTransport(params as unknown as types.TransportOptions);
    this.wireConnect(transport);
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source =
        typeof appData.source === 'string' ? appData.source : kind === 'video' ? 'camera' : 'microphone';
      this.signal
        .request('produce', {
          transportId: transport.id,
          kind,
          rtpParameters: rtpParameters as never,
          source,
        })
        .then(({ id }) => callback({ id }))
        .catch(errback);
    });
    transport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
      this.signal
        .request('produceData', {
          transportId: transport.id,
          sctpStreamParameters: sctpStreamParameters as never,
          label,
          protocol,
        })
        .then(({ id }) => callback({ id }))
        .catch(errback);
    });
    this.sendTransport = transport;
    return transport;
  }

  /**
   * Receives the room's data messages on a data consumer of the receive transport, then opens a data producer
   * to send them. Either may be refused (a token without canPublishData cannot send): the call goes on.
   */
  private async startData(): Promise<void> {
    try {
      const recv = await this.recvReady;
      const answer = await this.signal.request('consumeData', { transportId: recv.id });
      const consumer = await recv.consumeData({
        id: answer.id,
        dataProducerId: answer.dataProducerId,
        sctpStreamParameters: answer.sctpStreamParameters as types.SctpStreamParameters,
        label: answer.label,
        protocol: answer.protocol,
      });
      consumer.on('message', (data: unknown) => {
        if (typeof data !== 'string') return;
        try {
          this.events.dataReceived(JSON.parse(data) as NodeDataMessage);
        } catch {
          this.events.log('dropped a data message that is not JSON');
        }
      });
      this.dataConsumer = consumer;
      this.data.receiving = true;
    } catch (err) {
      this.data.error = (err as Error).message;
      this.events.log(`cannot receive data: ${(err as Error).message}`);
    }
    try {
      const send = await this.sendTransportReady();
      this.dataProducer = await send.produceData({ ordered: true, label: DATA_LABEL });
      this.data.sending = true;
    } catch (err) {
      this.data.error = (err as Error).message;
      this.events.log(`cannot send data: ${(err as Error).message}`);
    }
  }

  private async publish(choice: PublishChoice): Promise<void> {
    const transport = await this.sendTransportReady();
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: choice === 'both' || choice === 'audio',
      video: choice === 'both' || choice === 'video' ? { width: 640, height: 480 } : false,
    });
    this.localStream = stream;
    for (const track of stream.getTracks()) {
      const source = track.kind === 'video' ? 'camera' : 'microphone';
      const producer = await transport.produce({ track, appData: { source } });
      this.producers.set(producer.id, producer);
      this.events.log(`publishing ${source} as ${producer.id}`);
    }
  }

  private wireConnect(transport: types.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signal
        .request('connectWebRtcTransport', {
          transportId: transport.id,
          dtlsParameters: dtlsParameters as never,
        })
        .then(() => callback())
        .catch(errback);
    });
    transport.on('connectionstatechange', (state) => {
      this.events.log(`${transport.direction} transport ${state}`);
      if (state === 'failed') {
        this.signal
          .request('restartIce', { transportId: transport.id })
          .then(({ iceParameters }) => transport.restartIce({ iceParameters: iceParameters as never }))
          .catch((err: Error) => this.events.log(`ICE restart failed: ${err.message}`));
      }
    });
  }

  private async consume(producer: ProducerInfo): Promise<void> {
    if (this.consuming.has(producer.id)) return;
    this.consuming.add(producer.id);
    try {
      const transport = await this.recvReady;
      const answer = await this.signal.request('consume', {
        transportId: transport.id,
        producerId: producer.id,
        rtpCapabilities: this.device.recvRtpCapabilities as never,
      });
      const consumer = await transport.consume({
        id: answer.id,
        producerId: answer.producerId,
        kind: answer.kind,
        rtpParameters: answer.rtpParameters as unknown as types.RtpParameters,
      });
      const track: RemoteTrack = {
        consumer,
        producerId: producer.id,
        participant: answer.participant,
        kind: answer.kind,
        source: producer.source,
      };
      this.tracks.set(consumer.id, track);
      this.events.trackAdded(track);
      await this.signal.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      this.consuming.delete(producer.id);
      this.events.log(`could not consume ${producer.id}: ${(err as Error).message}`);
    }
  }

  private dropTrack(track: RemoteTrack): void {
    if (!this.tracks.delete(track.consumer.id)) return;
    this.consuming.delete(track.producerId);
    if (!track.consumer.closed) track.consumer.close();
    this.events.trackRemoved(track);
  }

  private notified<N extends NotificationMethod>(method: N, data: NotificationDataMap[N]): void {
    switch (method) {
      case 'participantJoined': {
        const { participant } = data as NotificationDataMap['participantJoined'];
        this.participants.set(participant.identity, participant);
        this.events.participantsChanged();
        this.events.log(`${participant.identity} joined`);
        break;
      }
      case 'participantLeft': {
        const { identity, reason } = data as NotificationDataMap['participantLeft'];
        this.participants.delete(identity);
        for (const track of [...this.tracks.values()])
          if (track.participant === identity) this.dropTrack(track);
        this.events.participantsChanged();
        this.events.log(`${identity} left (${reason})`);
        break;
      }
      case 'newProducer':
        void this.consume((data as NotificationDataMap['newProducer']).producer);
        break;
      case 'producerClosed': {
        const { producerId } = data as NotificationDataMap['producerClosed'];
        for (const track of [...this.tracks.values()])
          if (track.producerId === producerId) this.dropTrack(track);
        break;
      }
      case 'consumerClosed': {
        const track = this.tracks.get((data as NotificationDataMap['consumerClosed']).consumerId);
        if (track) this.dropTrack(track);
        break;
      }
      case 'roomClosing': {
        const { code, reason } = data as NotificationDataMap['roomClosing'];
        this.events.log(`room closing: ${code} ${reason}`);
        break;
      }
    }
  }
}
