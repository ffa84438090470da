import type { RegionConfig } from '../config/types.js';
import { haversineKm } from '../geo/haversine.js';
import type { NodeView } from '../records.js';
import { unknownOriginRegion } from './errors.js';
import { sysloadLimit } from './sysload.js';
import { type SelectorKindRule, singleTier, type Tier } from './tier.js';

/** Great-circle km from `origin` to every region of the table; empty when the origin is not given. */
export function regionDistances(
  origin: string | null,
  regions: readonly RegionConfig[],
): Map<string, number> {
  const distances = new Map<string, number>();
  if (!origin || regions.length === 0) return distances;
  const from = regions.find((r) => r.name === origin);
  if (!from) throw unknownOriginRegion(origin, [...regions]);
  for (const region of regions) distances.set(region.name, haversineKm(from, region));
  return distances;
}

/**
 * `regionaware`: nodes under sysload_limit, one tier per region, nearest to the origin region first (the
 * region of the node that took the request). Regions missing from the table come after every listed one, as
 * one tier: their distance is unknown.
 */
export const regionawareSelector: SelectorKindRule = {
  loadLimit: sysloadLimit,
  tiers(byRegion, origin, regions) {
    const distances = regionDistances(origin, regions);
    if (distances.size === 0) return singleTier(byRegion);
    const listed: Tier[] = [];
    const unlisted: NodeView[] = [];
    for (const [region, nodes] of byRegion) {
      const distance = distances.get(region);
      if (distance === undefined) unlisted.push(...nodes);
      else listed.push({ region, distance_km: distance, nodes });
    }
    // Equal distances (two names for one place) fall back to name order, so every router ranks alike.
    listed.sort((a, b) => a.distance_km! - b.distance_km! || a.region!.localeCompare(b.region!));
    if (unlisted.length > 0) listed.push({ region: null, distance_km: null, nodes: unlisted });
    return listed;
  },
};
