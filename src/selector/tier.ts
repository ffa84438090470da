import type { NodeSelectorConfig, RegionConfig } from '../config/types.js';
import type { NodeView } from '../records.js';
import type { LoadLimit } from './available.js';
import type { LowestOrder } from './lowest.js';

/** A group of eligible nodes of equal preference; placement takes the first tier that has a node. */
export interface Tier {
  /** The region of every node in the tier; null when the tier spans regions. */
  region: string | null;
  /** Great-circle km from the origin region; null when unknown (no origin, or region not in the table). */
  distance_km: number | null;
  nodes: NodeView[];
  /** Why this tier was taken, for the placement's rule (computed on first use). */
  description?: string;
  /** The tier's nodes by load, built on the first `lowest` pick that needs it. */
  lowest?: LowestOrder;
}

/** What a selector kind decides: which load limit refuses nodes, and how eligible nodes are ranked in tiers. */
export interface SelectorKindRule {
  loadLimit(selector: NodeSelectorConfig): LoadLimit | null;
  /** Orders eligible nodes (grouped by region) into tiers, most preferred first. */
  tiers(
    byRegion: ReadonlyMap<string, NodeView[]>,
    origin: string | null,
    regions: readonly RegionConfig[],
  ): Tier[];
}

/** Every eligible node in one tier: the kinds that ignore regions. */
export function singleTier(byRegion: ReadonlyMap<string, NodeView[]>): Tier[] {
  const nodes: NodeView[] = [];
  for (const group of byRegion.values()) nodes.push(...group);
  return [{ region: null, distance_km: null, nodes }];
}
