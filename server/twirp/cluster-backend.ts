import { isLkcError, LkcError } from '../../src/errors.js';
import type { RoomRecord } from '../../src/records.js';
import type { Router as ClusterRouter } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';
import { claimedFor, type RoomHost } from '../media/room-host.js';
import type {
  CreateRoomParams,
  ParticipantChanges,
  ParticipantView,
  RoomApiData,
  RoomServiceBackend,
  TrackView,
} from './backend.js';
import type { CallParams, CallResult, RoomCallClient } from './bus-calls.js';
import type { RoomNodeCall, RoomNodeCalls } from './room-node-calls.js';

/**
 * The Room API over the cluster: any node takes any call. CreateRoom places the room and asks its node to open
 * it; ListRooms reads the room records; every call about one room goes to the node that hosts it.
 */
export class ClusterRoomBackend implements RoomServiceBackend {
  constructor(
    private readonly host: RoomHost,
    private readonly cluster: ClusterRouter,
    private readonly local: RoomNodeCalls,
    private readonly remote: RoomCallClient,
    private readonly logger: Logger,
  ) {}

  /** Runs a room node call here when this node hosts the room, else on its node over the bus. */
  private call<C extends RoomNodeCall>(
    nodeId: string,
    call: C,
    params: CallParams<C>,
  ): Promise<CallResult<C>> {
    if (nodeId !== this.host.id) return this.remote.call(nodeId, call, params);
    return (this.local[call] as (p: CallParams<C>) => Promise<CallResult<C>>)(params);
  }

  async createRoom(params: CreateRoomParams): Promise<RoomRecord> {
    const cluster = this.cluster;
    // LiveKit's node_id pins a room only to a node that can take it; otherwise the selector chooses.
    let pin: string | undefined;
    if (params.node_id) {
      const pinned = await cluster.getNode(params.node_id);
      if (pinned?.alive && pinned.state === 'serving') pin = pinned.id;
      else
        this.logger.info(
          { room: params.name, node: params.node_id },
          'CreateRoom node_id is not serving: placing',
        );
    }
    const placement = await this.host.placeRoom(params.name, { nodeId: pin, originRegion: this.host.region });
    try {
      return await this.call(placement.node.id, 'create', { ...params, claimed_for: claimedFor(placement) });
    } catch (err) {
      // The chosen node lost the room between the claim and the call (it died or drained and another node took
      // it): ask the node that holds it now, once.
      if (!isLkcError(err) || err.code !== 'ALREADY_EXISTS') throw err;
      const holder = await cluster.getRoomNode(params.name);
      if (!holder || holder === placement.node.id) throw err;
      return this.call(holder, 'create', params);
    }
  }

  async listRooms(names: string[]): Promise<RoomRecord[]> {
    const cluster = this.cluster;
    const [records, mapping, nodes] = await Promise.all([
      cluster.listRooms(),
      cluster.listRoomNodes(),
      cluster.listNodes(),
    ]);
    const alive = new Set(nodes.filter((n) => n.alive).map((n) => n.id));
    const wanted = names.length > 0 ? new Set(names) : undefined;
    // A record counts only while its node holds the room and lives: a node killed outright leaves records behind.
    return records.filter(
      (r) => (!wanted || wanted.has(r.name)) && mapping.get(r.name) === r.node_id && alive.has(r.node_id),
    );
  }

  async deleteRoom(room: string): Promise<void> {
    const cluster = this.cluster;
    const holder = await cluster.getRoomNode(room);
    if (!holder) throw notFound(room);
    const node = await cluster.getNode(holder);
    if (node?.alive) return this.call(holder, 'delete', { room });
    // Its node is gone without closing it: clear what it left (both compare-and-delete on that node).
    const record = await cluster.getRoom(room);
    await cluster.deleteRoom(room, holder);
    await cluster.releaseRoom(room, holder);
    if (!record) throw notFound(room);
  }

  async listParticipants(room: string): Promise<ParticipantView[]> {
    return this.call(await this.roomNode(room), 'list_participants', { room });
  }

  async getParticipant(room: string, identity: string): Promise<ParticipantView> {
    return this.call(await this.roomNode(room), 'get_participant', { room, identity });
  }

  async removeParticipant(room: string, identity: string): Promise<void> {
    return this.call(await this.roomNode(room), 'remove_participant', { room, identity });
  }

  async updateRoomMetadata(room: string, metadata: string): Promise<RoomRecord> {
    return this.call(await this.roomNode(room), 'update_metadata', { room, metadata });
  }

  async mutePublishedTrack(
    room: string,
    identity: string,
    trackSid: string,
    muted: boolean,
  ): Promise<TrackView> {
    return this.call(await this.roomNode(room), 'mute_track', { room, identity, track_sid: trackSid, muted });
  }

  async updateParticipant(
    room: string,
    identity: string,
    changes: ParticipantChanges,
  ): Promise<ParticipantView> {
    return this.call(await this.roomNode(room), 'update_participant', { room, identity, ...changes });
  }

  async updateSubscriptions(
    room: string,
    identity: string,
    trackSids: string[],
    subscribe: boolean,
  ): Promise<void> {
    return this.call(await this.roomNode(room), 'update_subscriptions', {
      room,
      identity,
      track_sids: trackSids,
      subscribe,
    });
  }

  async sendData(room: string, data: RoomApiData): Promise<void> {
    return this.call(await this.roomNode(room), 'send_data', { room, ...data });
  }

  async moveParticipant(room: string, identity: string, destination: string): Promise<void> {
    const node = await this.roomNode(room);
    // The destination as the cluster knows it when it is open (its sid and metadata for the client's RoomMoved);
    // a room not open yet opens when the participant rejoins into it, on whichever node placement picks.
    const [open] = await this.listRooms([destination]);
    const target = open
      ? {
          name: open.name,
          sid: open.sid,
          metadata: open.metadata,
          empty_timeout: open.empty_timeout,
          max_participants: open.max_participants,
        }
      : { name: destination };
    return this.call(node, 'move_participant', { room, identity, destination: target });
  }

  async forwardParticipant(room: string, identity: string, destination: string): Promise<void> {
    await this.call(await this.roomNode(room), 'forward_participant', { room, identity, destination });
  }

  /** The live node hosting `room`; ROOM_NOT_FOUND when it is on none. */
  private async roomNode(room: string): Promise<string> {
    const cluster = this.cluster;
    const holder = await cluster.getRoomNode(room);
    if (!holder) throw notFound(room);
    const node = await cluster.getNode(holder);
    if (!node?.alive)
      throw new LkcError('ROOM_NOT_FOUND', `room ${room} was on node ${holder}, which is gone`);
    return holder;
  }
}

function notFound(room: string): LkcError {
  return new LkcError('ROOM_NOT_FOUND', `room ${room} does not exist`);
}
