import {
  ClientConfigSetting,
  ClientConfiguration,
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  MuteTrackRequest,
  ParticipantUpdate,
  Pong,
  RequestResponse_Reason,
  Room as RoomInfo,
  RoomMovedResponse,
  RoomUpdate,
  ServerInfo,
  ServerInfo_Edition,
  SpeakerInfo,
  SpeakersChanged,
  TrackPublishedResponse,
  TrackUnpublishedResponse,
} from '@livekit/protocol';
import type { types } from 'mediasoup';
import { isLkcError } from '../../src/errors.js';
import { CloseCode, describeCloseCode } from '../../src/signal/close-codes.js';
import type { SignalFrame, SignalTransport } from '../../src/signal/transport.js';
import type { Participant, ParticipantControl, RoomMove } from '../media/participant.js';
import { permissionOf } from '../media/permission.js';
import type { LeaveCause, Room, RoomEvents, Speaker } from '../media/room.js';
import { producerOfTrack } from '../media/track.js';
import { LIVEKIT_PROTOCOL, LIVEKIT_SERVER_VERSION, type LiveKitOptions } from '../signal/livekit-params.js';
import type { SessionContext } from '../signal/session-context.js';
import { DataLink } from './data-link.js';
import { participantInfo, roomInfo } from './livekit-info.js';
import { PublisherLink } from './publisher-link.js';
import {
  type ClientMessage,
  decodeRequest,
  encodeResponse,
  refusal,
  type ServerMessage,
} from './signal-frames.js';
import { SubscriberLink } from './subscriber-link.js';

/** LiveKit's defaults, in seconds: a client pings every 5 s and gives up after 15 s of silence. */
const PING_INTERVAL_S = 5;
const PING_TIMEOUT_S = 15;

/**
 * One LiveKit client's session (protocol 17: a publisher and a subscriber PeerConnection) on the node that hosts
 * its room, over its WebSocket or a relayed session alike. Joining happens on connect, as LiveKit's clients
 * expect: the first frame is the JoinResponse. Frames are handled one at a time in arrival order.
 */
export class LiveKitSession {
  private participant?: Participant;
  private publisher?: PublisherLink;
  private subscriber?: SubscriberLink;
  private data?: DataLink;
  private readonly transports: types.WebRtcTransport[] = [];
  private queue: Promise<void>;
  private readonly detach: (() => void)[] = [];
  private speaking = new Set<Participant>();

  constructor(
    private readonly transport: SignalTransport,
    private readonly ctx: SessionContext,
    private readonly options: LiveKitOptions,
  ) {
    this.queue = this.join().catch((err: unknown) => this.failed(err));
    transport.onFrame((frame) => {
      this.queue = this.queue
        .then(() => this.handle(frame))
        .catch((err: unknown) =>
          this.ctx.logger.error({ err, identity: ctx.identity }, 'livekit frame failed'),
        );
    });
    transport.onClose((code, reason) => this.ended(code, reason));
  }

  private get room(): Room {
    return this.ctx.room;
  }

  private send(message: ServerMessage): void {
    this.transport.send(encodeResponse(message));
  }

  private async join(): Promise<void> {
    const { room, host, claims, identity } = this.ctx;
    if (room.closed) {
      this.leave(DisconnectReason.ROOM_CLOSED, CloseCode.ROOM_CLOSED, `room ${room.name} is closed`);
      return;
    }
    if (this.options.reconnect) {
      // No session state outlives its socket here: the client is told to join again from the start.
      const text = 'sessions are not resumed: join again';
      this.leave(DisconnectReason.STATE_MISMATCH, CloseCode.ROOM_MOVED, text, LeaveRequest_Action.RECONNECT);
      return;
    }
    await room.admit(identity);
    if (this.transport.closed) return;
    // The newest session of an identity wins, as in LiveKit.
    if (room.participants.has(identity))
      room.removeParticipant(identity, 'replaced by a new session', 'replaced');
    const participant = room.addParticipant(identity, {
      name: claims.name ?? '',
      metadata: claims.metadata ?? '',
      permission: permissionOf(claims),
      protocol: 'livekit',
    });
    this.participant = participant;
    const publish = await room.createWebRtcTransport(participant, {
      enableSctp: true,
      appData: { direction: 'send' },
    });
    const receive = await room.createWebRtcTransport(participant, {
      enableSctp: true,
      appData: { direction: 'recv' },
    });
    this.transports.push(publish, receive);
    const log = this.ctx.logger.child({ identity });
    this.publisher = new PublisherLink(publish, room, participant, log);
    const router = room.routerOf(participant);
    this.subscriber = new SubscriberLink(
      receive,
      router,
      (producerId) => room.bringTo(producerId, router),
      participant,
      (offer) => this.send({ case: 'offer', value: offer }),
      log,
    );
    this.data = new DataLink(room, participant, log);
    await this.data.start(publish, receive);
    if (this.transport.closed || participant.closed) return;

    const others = [...room.participants.values()].filter((p) => p !== participant);
    this.send({
      case: 'join',
      value: new JoinResponse({
        room: roomInfo(room),
        participant: participantInfo(participant, host.region),
        otherParticipants: others
          .filter((p) => !p.permission.hidden)
          .map((p) => participantInfo(p, host.region)),
        serverVersion: LIVEKIT_SERVER_VERSION,
        serverRegion: host.region,
        serverInfo: new ServerInfo({
          edition: ServerInfo_Edition.Standard,
          version: LIVEKIT_SERVER_VERSION,
          protocol: LIVEKIT_PROTOCOL,
          region: host.region,
          nodeId: host.id,
        }),
        iceServers: [],
        subscriberPrimary: false,
        pingInterval: PING_INTERVAL_S,
        pingTimeout: PING_TIMEOUT_S,
        // A resume would need the session state kept across sockets; a failed connection rejoins in full instead.
        clientConfiguration: new ClientConfiguration({ resumeConnection: ClientConfigSetting.DISABLED }),
      }),
    });
    this.listen();
    participant.control = this.control();
    let subscribing = 0;
    if (this.options.autoSubscribe && participant.permission.canSubscribe) {
      for (const other of others)
        for (const producer of other.producers.values()) {
          subscribing++;
          void this.subscribe(other, producer);
        }
    }
    // The node's data channels ride the subscriber PeerConnection: with no track to offer yet, it is offered
    // now with data alone, or the client would get no data until someone published.
    if (subscribing === 0) this.subscriber.offerData();
  }

  /** Follows the room: others' joins, changes, tracks and data, and the room's own end. */
  private listen(): void {
    const room = this.room;
    const on = <E extends keyof RoomEvents>(event: E, handler: (...args: RoomEvents[E]) => void) => {
      // EventEmitter's typed overloads do not narrow a generic event name; the handler matches RoomEvents[E].
      room.on(event, handler as never);
      this.detach.push(() => room.off(event, handler as never));
    };
    on('participantJoined', (p) => this.update(p));
    on('participantChanged', (p) => this.update(p));
    on('participantLeft', (p, reason, cause) => this.left(p, reason, cause));
    on('trackPublished', (p, producer) => {
      this.update(p);
      const self = this.participant;
      if (p !== self && this.options.autoSubscribe && self?.permission.canSubscribe)
        void this.subscribe(p, producer);
    });
    on('trackUnpublished', (p) => this.update(p));
    on('roomUpdated', () =>
      this.send({ case: 'roomUpdate', value: new RoomUpdate({ room: roomInfo(room) }) }),
    );
    on('data', (message) => this.data?.deliver(message));
    on('speakers', (speakers) => this.speakers(speakers));
    on('closed', () => this.roomClosed());
  }

  /** What the Room API asks of this client, as LiveKit's server tells its own clients. */
  private control(): ParticipantControl {
    return {
      trackMuted: (sid, muted) => this.send({ case: 'mute', value: new MuteTrackRequest({ sid, muted }) }),
      trackUnpublished: (trackSid) =>
        this.send({ case: 'trackUnpublished', value: new TrackUnpublishedResponse({ trackSid }) }),
      updateSubscriptions: (sids, subscribe) => this.subscription(sids, subscribe, []),
      moveTo: (move) => this.moveTo(move),
    };
  }

  /**
   * LiveKit's clients follow a RoomMoved on the same PeerConnections; a room here may live on another node, so
   * the client is sent the destination and its token, then told to reconnect: it rejoins in full with that token,
   * through its node, into the destination room.
   */
  private moveTo({ room, token }: RoomMove): void {
    const self = this.participant;
    if (!self || this.transport.closed) return;
    this.send({
      case: 'roomMoved',
      value: new RoomMovedResponse({
        room: new RoomInfo({
          name: room.name,
          sid: room.sid ?? '',
          metadata: room.metadata ?? '',
          emptyTimeout: room.empty_timeout ?? 0,
          maxParticipants: room.max_participants ?? 0,
        }),
        token,
        participant: participantInfo(self, this.ctx.host.region),
        otherParticipants: [],
      }),
    });
    this.leave(
      DisconnectReason.MIGRATION,
      CloseCode.ROOM_MOVED,
      `moved to room ${room.name}`,
      LeaveRequest_Action.RECONNECT,
    );
  }

  private update(participant: Participant, left = false): void {
    if (participant.permission.hidden && participant !== this.participant) return;
    this.send({
      case: 'update',
      value: new ParticipantUpdate({
        participants: [participantInfo(participant, this.ctx.host.region, left)],
      }),
    });
  }

  private async subscribe(owner: Participant, producer: types.Producer): Promise<void> {
    try {
      await this.subscriber?.subscribe(owner, producer);
    } catch (err) {
      if (!producer.closed)
        this.ctx.logger.warn({ err, producer: producer.id }, 'could not subscribe a LiveKit client');
    }
  }

  private speakers(speakers: Speaker[]): void {
    const now = new Set(speakers.map((s) => s.participant));
    const infos = speakers.map(
      (s) => new SpeakerInfo({ sid: s.participant.sid, level: s.level, active: true }),
    );
    for (const before of this.speaking)
      if (!now.has(before)) infos.push(new SpeakerInfo({ sid: before.sid, level: 0, active: false }));
    this.speaking = now;
    if (infos.length > 0)
      this.send({ case: 'speakersChanged', value: new SpeakersChanged({ speakers: infos }) });
  }

  private left(participant: Participant, reason: string, cause: LeaveCause): void {
    if (participant !== this.participant) {
      this.speaking.delete(participant);
      this.update(participant, true);
      return;
    }
    if (this.transport.closed) return;
    // Removed while still connected: by the room API, or by a newer session of the same identity.
    if (cause === 'replaced')
      this.leave(DisconnectReason.DUPLICATE_IDENTITY, CloseCode.DUPLICATE_IDENTITY, reason);
    else this.leave(DisconnectReason.PARTICIPANT_REMOVED, CloseCode.KICKED, reason);
  }

  private roomClosed(): void {
    const { host } = this.ctx;
    const moving = host.state !== 'serving' || this.room.moved;
    if (moving) {
      this.leave(
        DisconnectReason.MIGRATION,
        CloseCode.ROOM_MOVED,
        `room moved: node ${host.id} is ${host.state}`,
        LeaveRequest_Action.RECONNECT,
      );
    } else {
      this.leave(DisconnectReason.ROOM_DELETED, CloseCode.ROOM_CLOSED, `room ${this.room.name} closed`);
    }
  }

  /** Tells the client why the session ends (LiveKit's `leave`), then closes its socket with our close code. */
  private leave(
    reason: DisconnectReason,
    code: number,
    text: string,
    action = LeaveRequest_Action.DISCONNECT,
  ): void {
    if (this.transport.closed) return;
    this.send({
      case: 'leave',
      value: new LeaveRequest({ reason, action, canReconnect: action !== LeaveRequest_Action.DISCONNECT }),
    });
    this.transport.close(code, text);
  }

  private async handle(frame: SignalFrame): Promise<void> {
    if (this.transport.closed) return;
    const decoded = decodeRequest(frame);
    if (!decoded.ok) {
      this.send(refusal(RequestResponse_Reason.UNSUPPORTED_TYPE, decoded.reason));
      return;
    }
    try {
      await this.dispatch(decoded.message);
    } catch (err) {
      const message = isLkcError(err) || err instanceof TypeError ? err.message : 'internal error';
      if (!isLkcError(err))
        this.ctx.logger.error({ err, request: decoded.message.case }, 'livekit request failed');
      this.send(refusal(RequestResponse_Reason.UNCLASSIFIED_ERROR, `${decoded.message.case}: ${message}`));
    }
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    const participant = this.participant;
    if (!participant || participant.closed) return;
    switch (message.case) {
      case 'offer':
        if (this.publisher) this.send({ case: 'answer', value: await this.publisher.offer(message.value) });
        return;
      case 'answer':
        await this.subscriber?.answer(message.value);
        return;
      case 'addTrack': {
        if (!participant.permission.canPublish) {
          this.send(refusal(RequestResponse_Reason.NOT_ALLOWED, 'your token does not allow publishing'));
          return;
        }
        const track = this.publisher?.addTrack(message.value);
        if (track)
          this.send({
            case: 'trackPublished',
            value: new TrackPublishedResponse({ cid: message.value.cid, track }),
          });
        return;
      }
      case 'mute': {
        const producer = this.publisher?.producerOf(message.value.sid);
        if (!producer) return;
        if (message.value.muted) await producer.pause();
        else await producer.resume();
        return;
      }
      case 'subscription':
        return this.subscription(
          message.value.trackSids,
          message.value.subscribe,
          message.value.participantTracks,
        );
      case 'trackSetting':
        for (const sid of message.value.trackSids) await this.subscriber?.configure(sid, message.value);
        return;
      case 'leave':
        this.transport.close(CloseCode.NORMAL, 'left the room');
        return;
      case 'ping':
        this.send({ case: 'pong', value: BigInt(Date.now()) });
        return;
      case 'pingReq':
        this.send({
          case: 'pongResp',
          value: new Pong({ lastPingTimestamp: message.value.timestamp, timestamp: BigInt(Date.now()) }),
        });
        return;
      case 'updateMetadata': {
        const { metadata, name, attributes, requestId } = message.value;
        if (!participant.permission.canUpdateMetadata) {
          this.send(
            refusal(
              RequestResponse_Reason.NOT_ALLOWED,
              'your token does not allow updating your metadata',
              requestId,
            ),
          );
          return;
        }
        this.room.updateParticipant(participant, { metadata, name: name || undefined, attributes });
        return;
      }
      // ICE candidates: mediasoup is ICE-lite and its candidates are in every answer and offer.
      case 'trickle':
      case 'subscriptionPermission':
      case 'syncState':
      case 'updateLayers':
      case 'simulate':
        return;
      default:
        this.send(
          refusal(RequestResponse_Reason.UNSUPPORTED_TYPE, `${message.case} is not supported by lk-cluster`),
        );
    }
  }

  private async subscription(
    trackSids: string[],
    subscribe: boolean,
    participantTracks: { trackSids: string[] }[],
  ): Promise<void> {
    const sids = new Set([...trackSids, ...participantTracks.flatMap((p) => p.trackSids)]);
    for (const sid of sids) {
      if (!subscribe) {
        this.subscriber?.unsubscribe(sid);
        continue;
      }
      if (!this.participant?.permission.canSubscribe) return;
      for (const other of this.room.participants.values()) {
        if (other === this.participant) continue;
        const producer = producerOfTrack(other.producers.values(), sid);
        if (producer) await this.subscribe(other, producer);
      }
    }
  }

  private failed(err: unknown): void {
    const message = isLkcError(err) ? err.message : 'could not join';
    if (!isLkcError(err)) this.ctx.logger.error({ err, identity: this.ctx.identity }, 'livekit join failed');
    this.leave(DisconnectReason.JOIN_FAILURE, CloseCode.UNAVAILABLE, message);
  }

  private ended(code: number, reason: string): void {
    for (const off of this.detach.splice(0)) off();
    if (this.participant) this.participant.control = undefined;
    this.subscriber?.close();
    this.data?.close();
    const participant = this.participant;
    if (participant && this.room.participants.get(participant.identity) === participant) {
      this.room.removeParticipant(
        participant.identity,
        reason || `socket closed (${code} ${describeCloseCode(code)})`,
      );
    } else {
      for (const transport of this.transports) transport.close();
    }
  }
}
