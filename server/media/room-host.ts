import type { NodeState } from '../../src/records.js';
import type { Placement, PlaceOptions } from '../../src/routing/types.js';
import type { Room } from './room.js';
import type { OpenRoomOptions, RoomRegistry } from './room-registry.js';

/**
 * What the services that serve rooms (signalling, the relay's room side, the Room API) need of the node: who it
 * is, its rooms, placing a room, and hosting one. The node implements it; the services never see the node.
 */
export interface RoomHost {
  readonly id: string;
  readonly region: string;
  readonly state: NodeState;
  readonly rooms: RoomRegistry;
  /** Places a room (finds its node, or chooses and claims one), timed and counted in /metrics. */
  placeRoom(room: string, options?: PlaceOptions): Promise<Placement>;
  /**
   * Opens `name` here, or returns it when it is open. `claimedFor` is the node a caller's placement already
   * claimed the room for, so that it is not claimed twice; without it the room is claimed for this node now.
   */
  hostRoom(name: string, options?: OpenRoomOptions, claimedFor?: string): Promise<Room>;
  /**
   * Opens a leg of the spanning room `name`, whose home is node `home`, here (its leg was claimed for this node),
   * or returns the room when it is open here.
   */
  hostLeg(name: string, home: string): Promise<Room>;
}

/** The node a placement mapped its room to just now; undefined when it found the room mapped already. */
export function claimedFor(placement: Placement): string | undefined {
  return placement.claimed ? placement.node.id : undefined;
}
