/** What a placement says of itself: the rule that chose, and every node's verdict. */
import type { NodeState } from '../records.js';

/** One node's line in a placement explanation. */
export interface NodeVerdict {
  id: string;
  region: string;
  /** Great-circle km from the origin region; null when either region is not in the table. */
  distance_km: number | null;
  state: NodeState;
  alive: boolean;
  lease_age_ms: number | null;
  sysload: number;
  cpu_load: number;
  rooms: number;
  /** Rooms claimed on the node in the last few seconds, counted against its load. */
  recent_placements: number;
  eligible: boolean;
  /** Why the node was or was not eligible, in an operator's words. */
  reason: string;
  chosen: boolean;
}

export interface PlacementExplanation {
  origin_region: string | null;
  selector: string;
  sort_by: string;
  algorithm: string;
  /** Which rule chose the winner, e.g. "sticky: already on node-a", "random among 2 in us-east". */
  rule: string;
  nodes: NodeVerdict[];
}
