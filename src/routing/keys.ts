import { DEFAULT_KEY_PREFIX } from '../config/defaults.js';
import { LkcError } from '../errors.js';

/** The names of every Redis key and channel lk-cluster uses, all under one prefix. */
export interface RoutingKeys {
  prefix: string;
  /** hash: node id -> JSON node record */
  nodes: string;
  /** hash: node id -> state; read by the Lua scripts without decoding JSON */
  nodeState: string;
  /** counter bumped by every node write, so a router can fetch only what changed since it last looked */
  nodeVersion: string;
  /** zset: node id -> node version of its last write */
  nodeUpdates: string;
  /** zset: node id -> node version at which it was unregistered (tombstones, pruned) */
  nodeRemoved: string;
  /** highest tombstone version pruned: a router that last looked before it must reload everything */
  nodeRemovedFloor: string;
  /** hash: room name -> node id, written only by the placement scripts */
  roomNode: string;
  /** hash: room name -> JSON room record */
  rooms: string;
  /** counter bumped by every claim */
  placementVersion: string;
  /** zset: node id -> placement version of its last claim */
  recentTouched: string;
  /** hash: node id -> "count:window end ms" of rooms claimed on it in its current window (Redis clock) */
  recent: string;
  /** string with PX TTL: the node's liveness lease */
  alive(nodeId: string): string;
  /** set: the rooms mapped to the node */
  nodeRooms(nodeId: string): string;
  /** pub/sub channel of one node */
  channel(nodeId: string): string;
  /** string with PX TTL: the dead-node sweeper's lock (token of its holder) */
  sweepLock: string;
  /** string with PX TTL: set by each sweep, so the cluster sweeps at most once per interval */
  swept: string;
  /** pub/sub channel every node listens on: cluster-wide events (a dead node swept) */
  events: string;
  /** hash: node id -> JSON leg record, the legs of a spanning room beside its home node */
  legs(room: string): string;
  /** set: the rooms the node holds a leg of */
  nodeLegs(nodeId: string): string;
  /** hash: identity -> node id, the participants of a spanning room and the node each is connected to */
  members(room: string): string;
  /** set: the rooms that have legs now */
  spanRooms: string;
}

/** Key names under `prefix`; the Lua scripts build the per-node names the same way from the prefix. */
export function routingKeys(prefix: string = DEFAULT_KEY_PREFIX): RoutingKeys {
  return {
    prefix,
    nodes: `${prefix}nodes`,
    nodeState: `${prefix}node_state`,
    nodeVersion: `${prefix}node_version`,
    nodeUpdates: `${prefix}node_updates`,
    nodeRemoved: `${prefix}node_removed`,
    nodeRemovedFloor: `${prefix}node_removed_floor`,
    roomNode: `${prefix}room_node`,
    rooms: `${prefix}rooms`,
    placementVersion: `${prefix}placement_version`,
    recentTouched: `${prefix}recent_touched`,
    recent: `${prefix}recent`,
    alive: (id) => `${prefix}alive:${id}`,
    nodeRooms: (id) => `${prefix}node_rooms:${id}`,
    channel: (id) => `${prefix}node:${id}`,
    sweepLock: `${prefix}sweep_lock`,
    swept: `${prefix}swept`,
    events: `${prefix}events`,
    legs: (room) => `${prefix}legs:${room}`,
    nodeLegs: (id) => `${prefix}node_legs:${id}`,
    members: (room) => `${prefix}members:${room}`,
    spanRooms: `${prefix}span_rooms`,
  };
}

/**
 * The keys that removing a node touches, in the order unregister.lua and sweep.lua take them (sweep.lua after its
 * lock and marker keys) and lua/lib/remove-node.lua reads them.
 */
export function nodeRemovalKeys(k: RoutingKeys): string[] {
  return [
    k.nodes,
    k.nodeState,
    k.nodeVersion,
    k.nodeUpdates,
    k.nodeRemoved,
    k.nodeRemovedFloor,
    k.roomNode,
    k.rooms,
    k.recentTouched,
    k.recent,
  ];
}

/** The hash tag of a prefix (`lkc` in `{lkc}:`), or undefined when it has none. */
export function hashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open < 0) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close <= open + 1) return undefined;
  return prefix.slice(open + 1, close);
}

/** Refuses a prefix without a hash tag when the keys must share one Redis Cluster slot. */
export function assertClusterSafePrefix(prefix: string): void {
  if (hashTag(prefix) === undefined) {
    throw new LkcError(
      'CONFIG_INVALID',
      `redis.key_prefix "${prefix}" has no hash tag: on Redis Cluster the placement scripts need every key in one slot; use a prefix like "{lkc}:"`,
    );
  }
}
