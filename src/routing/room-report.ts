import { LkcError } from '../errors.js';
import type { NodeState, RoomRecord } from '../records.js';
import type { ClusterReader, NodeLiveness } from './types.js';

/** A room as `room list` and `room show` report it: where it is mapped, and its record when a node wrote one. */
export interface RoomListing {
  name: string;
  /** The node the room is mapped to; null when only a record is left. */
  node_id: string | null;
  /** Whether that node's lease is alive (a room on a dead node is re-placed on its next join). */
  node_alive: boolean;
  node_state: NodeState | null;
  /** The room record, once a node has opened the room. */
  record: RoomRecord | null;
}

/** Every room that is mapped to a node or has a record, by name. */
export async function listRoomReport(router: ClusterReader): Promise<RoomListing[]> {
  const [mapping, records, byNode] = await Promise.all([
    router.listRoomNodes(),
    router.listRooms(),
    router.listNodeStates
      ? router.listNodeStates()
      : router.listNodes().then((nodes) => new Map<string, NodeLiveness>(nodes.map((n) => [n.id, n]))),
  ]);
  const byName = new Map(records.map((r) => [r.name, r]));
  const names = [...new Set([...mapping.keys(), ...byName.keys()])].sort();
  return names.map((name) => {
    const nodeId = mapping.get(name) ?? null;
    const node = nodeId ? byNode.get(nodeId) : undefined;
    return {
      name,
      node_id: nodeId,
      node_alive: node?.alive ?? false,
      node_state: node?.state ?? null,
      record: byName.get(name) ?? null,
    };
  });
}

/** One room: its node and record; ROOM_NOT_FOUND when neither exists. */
export async function showRoom(router: ClusterReader, name: string): Promise<RoomListing> {
  const [nodeId, record] = await Promise.all([router.getRoomNode(name), router.getRoom(name)]);
  if (!nodeId && !record) {
    throw new LkcError(
      'ROOM_NOT_FOUND',
      `no room ${name}: it is placed on its first join, or with \`lk-cluster room place ${name}\``,
    );
  }
  const node = nodeId ? await router.getNode(nodeId) : undefined;
  return {
    name,
    node_id: nodeId ?? null,
    node_alive: node?.alive ?? false,
    node_state: node?.state ?? null,
    record: record ?? null,
  };
}

/** How a room's node reads in a table: "node-a", "node-a (dead)", "node-a (draining)". */
export function roomNodeText(room: RoomListing): string | null {
  if (!room.node_id) return null;
  if (!room.node_alive) return `${room.node_id} (dead)`;
  return room.node_state === 'serving' ? room.node_id : `${room.node_id} (${room.node_state})`;
}
