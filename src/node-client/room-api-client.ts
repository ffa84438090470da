import {
  CreateRoomRequest,
  DataPacket_Kind,
  DeleteRoomRequest,
  ForwardParticipantRequest,
  ListParticipantsRequest,
  ListParticipantsResponse,
  MoveParticipantRequest,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  ParticipantInfo,
  ParticipantPermission,
  Room,
  RoomParticipantIdentity,
  SendDataRequest,
  type TrackInfo,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
} from '@livekit/protocol';
import { createToken, type VideoGrant } from '../auth/token.js';
import { type ErrorCode, LkcError } from '../errors.js';
import { callNode, type NodeAnswer } from './call-node.js';
import { pickTrack, type TrackPick } from './track-pick.js';

/** Where the Room API is and what to sign its tokens with. */
export interface RoomApiTarget {
  /** Base URL of any node, e.g. http://127.0.0.1:7880 */
  url: string;
  /** Other nodes of the same cluster, tried in turn when `url` does not answer (a node drained or died). */
  fallbackUrls?: string[];
  apiKey: string;
  apiSecret: string;
}

export interface CreateRoomOptions {
  /** Seconds an empty room lives; 0 = the node's default. */
  emptyTimeout?: number;
  /** 0 = the node's default. */
  maxParticipants?: number;
  metadata?: string;
  /** Ask for this node (used when it is serving). */
  nodeId?: string;
}

/** What `updateParticipant` changes; an absent field stays as it is. */
export interface ParticipantUpdate {
  name?: string;
  metadata?: string;
  /** An empty value deletes the attribute. */
  attributes?: Record<string, string>;
  /** Flags to change in the participant's current permission; the rest are kept. */
  permission?: Partial<
    Pick<
      ParticipantPermission,
      'canPublish' | 'canSubscribe' | 'canPublishData' | 'canUpdateMetadata' | 'hidden'
    >
  >;
}

export interface SendDataOptions {
  topic?: string;
  /** Identities to send to; none: everyone in the room. */
  to?: string[];
  /** LiveKit's LOSSY kind instead of RELIABLE. */
  lossy?: boolean;
}

/** A room as CreateRoom answers it, and the node it is on. */
export interface CreatedRoom {
  room: Room;
  /** From the node's x-lkc-node-id header; undefined when the server is not lk-cluster. */
  nodeId?: string;
}

const TOKEN_TTL_SECONDS = 300;
const TIMEOUT_MS = 15_000;

// The Twirp code a node answers with, as the lk-cluster error a user reads.
const LKC_CODE: Record<string, ErrorCode> = {
  unauthenticated: 'UNAUTHENTICATED',
  permission_denied: 'PERMISSION_DENIED',
  not_found: 'ROOM_NOT_FOUND',
  invalid_argument: 'BAD_INPUT',
  malformed: 'BAD_INPUT',
  already_exists: 'ALREADY_EXISTS',
  resource_exhausted: 'RESOURCE_EXHAUSTED',
  failed_precondition: 'FAILED_PRECONDITION',
  unimplemented: 'UNIMPLEMENTED',
  unavailable: 'UNAVAILABLE',
};

// Nothing answered at one URL: the next node of the cluster may.
class Unanswered extends LkcError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/** LiveKit's RoomService over Twirp JSON, as `lk room ...` calls it: one short-lived token per call. */
export class RoomApiClient {
  constructor(private readonly target: RoomApiTarget) {}

  /** Creates the room, or returns it when it exists already. */
  async createRoom(name: string, options: CreateRoomOptions = {}): Promise<CreatedRoom> {
    const body = new CreateRoomRequest({
      name,
      emptyTimeout: options.emptyTimeout ?? 0,
      maxParticipants: options.maxParticipants ?? 0,
      metadata: options.metadata ?? '',
      nodeId: options.nodeId ?? '',
    }).toJson();
    const { json, headers } = await this.call('CreateRoom', body, { roomCreate: true });
    const nodeId = headers['x-lkc-node-id'];
    return {
      room: Room.fromJson(json as never, { ignoreUnknownFields: true }),
      nodeId: typeof nodeId === 'string' ? nodeId : undefined,
    };
  }

  /** Closes the room on its node, disconnecting everyone in it. */
  async deleteRoom(name: string): Promise<void> {
    await this.call('DeleteRoom', new DeleteRoomRequest({ room: name }).toJson(), { roomCreate: true });
  }

  async listParticipants(room: string): Promise<ParticipantInfo[]> {
    const { json } = await this.call('ListParticipants', new ListParticipantsRequest({ room }).toJson(), {
      roomAdmin: true,
      room,
    });
    return ListParticipantsResponse.fromJson(json as never, { ignoreUnknownFields: true }).participants;
  }

  /** Mutes (or unmutes) a published track; its client is told and everyone sees it muted. */
  async mutePublishedTrack(
    room: string,
    identity: string,
    trackSid: string,
    muted: boolean,
  ): Promise<TrackInfo> {
    const body = new MuteRoomTrackRequest({ room, identity, trackSid, muted }).toJson();
    const { json } = await this.call('MutePublishedTrack', body, { roomAdmin: true, room });
    const track = MuteRoomTrackResponse.fromJson(json as never, { ignoreUnknownFields: true }).track;
    if (!track) throw new LkcError('INTERNAL', 'MutePublishedTrack answered no track');
    return track;
  }

  /**
   * Mutes (or unmutes) the participant's track that `pick` names: by sid, or the one track of a kind or source
   * (looked up with GetParticipant first, so that a user need not know sids).
   */
  async muteTrack(room: string, identity: string, pick: TrackPick, muted: boolean): Promise<TrackInfo> {
    const sid =
      'sid' in pick ? pick.sid : pickTrack(await this.getParticipant(room, identity), pick, room).sid;
    return this.mutePublishedTrack(room, identity, sid, muted);
  }

  /** Disconnects the participant from the room (its client is told it was removed). */
  async removeParticipant(room: string, identity: string): Promise<void> {
    const body = new RoomParticipantIdentity({ room, identity }).toJson();
    await this.call('RemoveParticipant', body, { roomAdmin: true, room });
  }

  /** Replaces the room's metadata; everyone in it sees the change. */
  async updateRoomMetadata(room: string, metadata: string): Promise<Room> {
    const body = new UpdateRoomMetadataRequest({ room, metadata }).toJson();
    const { json } = await this.call('UpdateRoomMetadata', body, { roomAdmin: true, room });
    return Room.fromJson(json as never, { ignoreUnknownFields: true });
  }

  /**
   * Changes a participant's name, metadata, attributes or permission. LiveKit replaces a permission as a whole,
   * so a partial one is completed from the participant's current permission first.
   */
  async updateParticipant(
    room: string,
    identity: string,
    update: ParticipantUpdate,
  ): Promise<ParticipantInfo> {
    const request = new UpdateParticipantRequest({
      room,
      identity,
      name: update.name ?? '',
      metadata: update.metadata ?? '',
      attributes: update.attributes ?? {},
    });
    if (update.permission && Object.keys(update.permission).length > 0) {
      const current = await this.getParticipant(room, identity);
      request.permission = new ParticipantPermission({
        ...(current.permission ?? new ParticipantPermission()),
        ...update.permission,
      });
    }
    const { json } = await this.call('UpdateParticipant', request.toJson(), { roomAdmin: true, room });
    return ParticipantInfo.fromJson(json as never, { ignoreUnknownFields: true });
  }

  async getParticipant(room: string, identity: string): Promise<ParticipantInfo> {
    const body = new RoomParticipantIdentity({ room, identity }).toJson();
    const { json } = await this.call('GetParticipant', body, { roomAdmin: true, room });
    return ParticipantInfo.fromJson(json as never, { ignoreUnknownFields: true });
  }

  /** Sends a data message from the server (no sender) to the room, or to the identities in `to`. */
  async sendData(room: string, data: Uint8Array, options: SendDataOptions = {}): Promise<void> {
    const body = new SendDataRequest({
      room,
      data,
      kind: options.lossy ? DataPacket_Kind.LOSSY : DataPacket_Kind.RELIABLE,
      destinationIdentities: options.to ?? [],
      topic: options.topic,
    }).toJson();
    await this.call('SendData', body, { roomAdmin: true, room });
  }

  /** Moves a participant to another room (on any node); its client rejoins there. */
  async moveParticipant(room: string, identity: string, destinationRoom: string): Promise<void> {
    const body = new MoveParticipantRequest({ room, identity, destinationRoom }).toJson();
    await this.call('MoveParticipant', body, { roomAdmin: true, room, destinationRoom });
  }

  /**
   * Forwards a participant into another room (on any node): it stays where it is and also appears there, with its
   * tracks, until it leaves.
   */
  async forwardParticipant(room: string, identity: string, destinationRoom: string): Promise<void> {
    const body = new ForwardParticipantRequest({ room, identity, destinationRoom }).toJson();
    await this.call('ForwardParticipant', body, { roomAdmin: true, room, destinationRoom });
  }

  private async call(method: string, body: unknown, grant: VideoGrant): Promise<Omit<NodeAnswer, 'status'>> {
    const token = await createToken({
      apiKey: this.target.apiKey,
      apiSecret: this.target.apiSecret,
      identity: 'lk-cluster-cli',
      grant,
      ttlSeconds: TOKEN_TTL_SECONDS,
    });
    const urls = [this.target.url, ...(this.target.fallbackUrls ?? [])];
    let answer: (NodeAnswer & { url: string }) | undefined;
    const unanswered: string[] = [];
    for (const url of urls) {
      try {
        answer = { ...(await this.callAt(url, method, token, body)), url };
        break;
      } catch (err) {
        if (!(err instanceof Unanswered)) throw err;
        unanswered.push(`${url} (${err.message})`);
      }
    }
    if (!answer) {
      throw new LkcError(
        'UNAVAILABLE',
        `no node answers at ${unanswered.join(', ')}: start one with \`lk-cluster start\` or pass --url`,
      );
    }
    const { status, json, headers, url } = answer;
    if (status >= 400) throw twirpFailure(json, status, url, this.target.apiKey);
    return { json, headers };
  }

  private callAt(url: string, method: string, token: string, body: unknown): Promise<NodeAnswer> {
    return callNode({
      url: new URL(`/twirp/livekit.RoomService/${method}`, url),
      method: 'POST',
      token,
      body,
      timeoutMs: TIMEOUT_MS,
      unreachable: (err) => new Unanswered(err.message),
      notJson: (statusCode) =>
        new LkcError(
          'UNAVAILABLE',
          `${url} answered ${statusCode} with something that is not JSON: is it an lk-cluster or LiveKit node?`,
        ),
    });
  }
}

function twirpFailure(json: unknown, status: number, url: string, apiKey: string): LkcError {
  const { code, msg } = (json ?? {}) as { code?: string; msg?: string };
  const message = msg ?? `HTTP ${status}`;
  if (code === 'unauthenticated') {
    return new LkcError(
      'UNAUTHENTICATED',
      `${url} refused API key ${apiKey}: ${message}. Use a key the nodes have (config keys, or LKC_API_KEY and LKC_API_SECRET)`,
    );
  }
  if (code === 'bad_route') {
    return new LkcError('UNAVAILABLE', `${url} does not serve the Room API (${message}): check --url`);
  }
  return new LkcError(LKC_CODE[code ?? ''] ?? 'INTERNAL', message);
}
