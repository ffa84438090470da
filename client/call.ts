/**
 * One participant's call: joins the room over the signalling socket, publishes camera and microphone through a
 * send transport, and consumes every remote producer through a receive transport.
 */

import type { types } from 'mediasoup-client';
import { Device } from 'mediasoup-client';
import type {
  AnswerDataMap,
  NotificationDataMap,
  NotificationMethod,
  ParticipantInfo,
  ProducerInfo,
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
  log(line: string): void;
}

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

  private async publish(choice: PublishChoice): Promise<void> {
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
    this.sendTransport = transport;
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
