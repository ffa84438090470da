import type { NodeVerdict, PlacementExplanation } from './explanation.js';
import { regionDistances } from './regionaware.js';
import { type PreparedNodes, tiersFor } from './select.js';

/** How a placement ended, for the explanation. */
export interface PlacementOutcome {
  origin: string | null;
  /** The node that holds the room afterwards, if any. */
  chosenId: string | null;
  /** True when the room stayed on the node that already held it. */
  sticky: boolean;
  rule: string;
  /** Nodes passed over because they were dead, drained or full when claimed. */
  exclude?: ReadonlySet<string>;
}

/** Every node's verdict (eligible or why not, distance, load) and the rule that chose the winner. */
export function explainPlacement(prepared: PreparedNodes, outcome: PlacementOutcome): PlacementExplanation {
  const { selector } = prepared;
  const origin = outcome.origin || null;
  let distances = new Map<string, number>();
  try {
    distances = regionDistances(origin, selector.regions);
  } catch {
    // An origin outside the table has no distances; the selection already said so.
  }
  const tierOf = new Map<string, number>();
  let winningTier = -1;
  try {
    tiersFor(prepared, origin).forEach((tier, index) => {
      for (const node of tier.nodes) tierOf.set(node.id, index);
    });
  } catch {
    // as above
  }
  if (outcome.chosenId !== null && !outcome.sticky) winningTier = tierOf.get(outcome.chosenId) ?? -1;
  const winnerRegion = prepared.nodes.find((n) => n.id === outcome.chosenId)?.region;

  const nodes: NodeVerdict[] = prepared.nodes.map((node) => {
    const exclusion = prepared.exclusions.get(node.id);
    const chosen = node.id === outcome.chosenId;
    const passedOver = outcome.exclude?.has(node.id) ?? false;
    let reason: string;
    if (chosen) reason = outcome.sticky ? 'holds the room (sticky)' : 'chosen';
    else if (exclusion) reason = exclusion.reason;
    else if (passedOver) reason = 'looked eligible, but was dead, drained or full when claimed';
    else if (winningTier >= 0 && (tierOf.get(node.id) ?? -1) > winningTier) {
      reason = winnerRegion ? `eligible, but ${winnerRegion} is nearer` : 'eligible, in a later tier';
    } else reason = outcome.sticky ? 'eligible (the room was already placed)' : 'eligible, not picked';
    const distance = distances.get(node.region);
    return {
      id: node.id,
      region: node.region,
      distance_km: distance === undefined ? null : Math.round(distance),
      state: node.state,
      alive: node.alive,
      lease_age_ms: node.lease_age_ms,
      sysload: node.stats.sysload,
      cpu_load: node.stats.cpu_load,
      rooms: node.stats.rooms,
      recent_placements: node.stats.recent_placements ?? 0,
      eligible: !exclusion && !passedOver,
      reason,
      chosen,
    };
  });
  nodes.sort(
    (a, b) =>
      Number(b.chosen) - Number(a.chosen) ||
      (a.distance_km ?? Number.POSITIVE_INFINITY) - (b.distance_km ?? Number.POSITIVE_INFINITY) ||
      a.id.localeCompare(b.id),
  );
  return {
    origin_region: origin,
    selector: selector.kind,
    sort_by: selector.sort_by,
    algorithm: selector.algorithm,
    rule: outcome.rule,
    nodes,
  };
}
