import type { LegRecord } from '../records.js';
import type { PreparedNodes } from '../selector/select.js';

/** How a leg claim ended (see lua/claim-leg.lua). */
export type LegClaimOutcome =
  | 'no_home'
  | 'home'
  | 'held'
  | 'none'
  | 'chosen_dead'
  | 'chosen_state'
  | 'claimed';

export interface LegClaim {
  outcome: LegClaimOutcome;
  /** The leg's node (held, claimed), the home (home), or the chosen node that was refused. */
  nodeId: string;
}

export interface LegClaimRequest {
  /** The node the selector chose for a new leg; '' only looks for an existing one. */
  chosen: string;
  /** The region the leg serves: an existing live leg there is returned instead of opening one. */
  region: string;
  /** Nodes whose leg must not be returned (they are full). */
  exclude?: readonly string[];
  reason: LegRecord['reason'];
  why: string;
}

/** What a join into a spanning room found: admitted (and where the identity was before), or the room is full. */
export interface MemberJoin {
  ok: boolean;
  /** The node the same identity was connected to before this join ('' = none). */
  before: string;
  /** Participants of the whole room after the join. */
  count: number;
}

/**
 * The cluster state of rooms that span nodes: which nodes hold legs of a room beside its home, and which node
 * each participant is connected to. Every change is one atomic script, like placement.
 */
export interface RoomSpanStore {
  /** The router's current view of the nodes, checked against the selector (brought up to date when old). */
  prepared(): Promise<PreparedNodes>;
  /** An existing live leg of the room in the region, else the chosen node recorded as one. */
  claimLeg(room: string, request: LegClaimRequest): Promise<LegClaim>;
  /** Records this node's leg again after the store lost it; resolves the home, or undefined (close the leg). */
  assertLeg(room: string, leg: LegRecord): Promise<string | undefined>;
  /** This node no longer holds a leg of the room. */
  releaseLeg(room: string, nodeId: string): Promise<void>;
  /** The legs recorded for a room (whether or not their nodes are alive). */
  listLegs(room: string): Promise<LegRecord[]>;
  /** The legs of every spanning room: room -> legs. */
  listAllLegs(): Promise<Map<string, LegRecord[]>>;
  /** The home `nodeId` leaves the room: a live leg becomes its home. Resolves the new home, if any. */
  handOver(room: string, nodeId: string): Promise<string | undefined>;
  /** Counts a participant into the whole room, refused over `maxParticipants` (0 = no limit). */
  joinMember(room: string, identity: string, nodeId: string, maxParticipants: number): Promise<MemberJoin>;
  /** The participant left through `nodeId` (kept when it has rejoined elsewhere since). */
  leaveMember(room: string, identity: string, nodeId: string): Promise<void>;
  /** identity -> node of every participant of a spanning room. */
  listMembers(room: string): Promise<Map<string, string>>;
}
