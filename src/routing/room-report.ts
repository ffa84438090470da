import { LkcError } from '../errors.js';
import type { LegRecord, NodeState, RoomRecord } from '../records.js';
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
  /** The legs of a room that spans nodes (room.span), beside its home; empty for a room on one node. */
  legs: LegListing[];
}

/** A leg of a spanning room and whether its node lives. */
export interface LegListing extends LegRecord {
  node_alive: boolean;
  node_state: NodeState | null;
}

function legListing(leg: LegRecord, byNode: Map<string, NodeLiveness>): LegListing {
  const node = byNode.get(leg.node_id);
  return { ...leg, node_alive: node?.alive ?? false, node_state: node?.state ?? null };
}

/** Every room that is mapped to a node or has a record, by name. */
export async function listRoomReport(router: ClusterReader): Promise<RoomListing[]> {
  const [mapping, records, byNode, legs] = await Promise.all([
    router.listRoomNodes(),
    router.listRooms(),
    nodeStates(router),
    router.span ? router.span.listAllLegs() : new Map<string, LegRecord[]>(),
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
      legs: (legs.get(name) ?? []).map((leg) => legListing(leg, byNode)),
    };
  });
}

function nodeStates(router: ClusterReader): Promise<Map<string, NodeLiveness>> {
  return router.listNodeStates
    ? router.listNodeStates()
    : router.listNodes().then((nodes) => new Map<string, NodeLiveness>(nodes.map((n) => [n.id, n])));
}

/** One room: its node and record; ROOM_NOT_FOUND when neither exists. */
export async function showRoom(router: ClusterReader, name: string): Promise<RoomListing> {
  const [nodeId, record, legs] = await Promise.all([
    router.getRoomNode(name),
    router.getRoom(name),
    router.span ? router.span.listLegs(name) : [],
  ]);
  if (!nodeId && !record) {
    throw new LkcError(
      'ROOM_NOT_FOUND',
      `no room ${name}: it is placed on its first join, or with \`lk-cluster room place ${name}\``,
    );
  }
  const node = nodeId ? await router.getNode(nodeId) : undefined;
  const byNode = legs.length > 0 ? await nodeStates(router) : new Map<string, NodeLiveness>();
  return {
    name,
    node_id: nodeId ?? null,
    node_alive: node?.alive ?? false,
    node_state: node?.state ?? null,
    record: record ?? null,
    legs: legs.map((leg) => legListing(leg, byNode)),
  };
}

/** How a leg reads in a table: "node-b (eu-central-1)", "node-b (eu-central-1, dead)". */
export function legText(leg: LegListing): string {
  const state = !leg.node_alive ? ', dead' : leg.node_state !== 'serving' ? `, ${leg.node_state}` : '';
  return `${leg.node_id} (${leg.region}${state})`;
}

/** How a room's node reads in a table: "node-a", "node-a (dead)", "node-a (draining)". */
export function roomNodeText(room: RoomListing): string | null {
  if (!room.node_id) return null;
  if (!room.node_alive) return `${room.node_id} (dead)`;
  return room.node_state === 'serving' ? room.node_id : `${room.node_id} (${room.node_state})`;
}
