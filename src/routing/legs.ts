import type { RoomSpan } from '../config/types.js';
import { isLkcError, LkcError } from '../errors.js';
import type { LegReason, NodeView } from '../records.js';
import { exclusionOf } from '../selector/available.js';
import { type PreparedNodes, selectFrom } from '../selector/select.js';
import type { LegClaim, RoomSpanStore } from './span-store.js';

/** Where a participant of a spanning room joins: the room's home, or a leg of it. */
export interface LegDecision {
  nodeId: string;
  /** True when `nodeId` holds a leg of the room (not its home). */
  leg: boolean;
  /** This call opened the leg (false: it existed, or a dry run that would open it). */
  claimed: boolean;
  reason?: LegReason;
  /** Why, in an operator's words: what `room place --explain` prints. */
  why: string;
}

export interface LegRequest {
  span: Exclude<RoomSpan, 'off'>;
  room: string;
  /** The room's home node, as its placement found it. */
  home: NodeView;
  /** The region the participant came in through (its signal node's). */
  region: string;
  /** Look and choose, but record nothing. */
  dryRun?: boolean;
  /**
   * Why the home is full, when the caller knows better than the cluster's view (the home itself, asking: its
   * own count is exact, the view's is up to a report old); null: it is not.
   */
  homeFull?: string | null;
}

/** How often a leg claim re-selects after the chosen node turned out dead or not serving. */
const MAX_LEG_ATTEMPTS = 4;

/** Why a node cannot take more participants, or null: its load limit or max_participants_per_node. */
function fullness(node: NodeView, prepared: PreparedNodes): string | null {
  const exclusion = exclusionOf(node, prepared.loadLimit);
  if (!exclusion) return null;
  return exclusion.code === 'participants' || exclusion.code === prepared.loadLimit?.metric
    ? exclusion.reason
    : null;
}

/**
 * Decides where a participant of a spanning room joins, and opens a leg when one is needed (one atomic claim, so
 * that joins from one region at once open one leg there). `region`: a participant from another region than the
 * home's gets a leg of the room on a node of its own region, chosen by the cluster's selector. `load`: also, when
 * the node it would join is at max_participants_per_node or its load limit, a leg on another node of that region.
 */
export async function chooseLeg(store: RoomSpanStore, request: LegRequest): Promise<LegDecision> {
  const { region, span } = request;
  const prepared = await store.prepared();
  // The view is newer than the placement's answer, which a sticky placement may have read from a cache.
  const home = prepared.nodes.find((n) => n.id === request.home.id) ?? request.home;
  const atHome = (why: string): LegDecision => ({ nodeId: home.id, leg: false, claimed: false, why });
  if (!region || region === home.region) {
    const full =
      span !== 'load' ? null : request.homeFull !== undefined ? request.homeFull : fullness(home, prepared);
    if (!full)
      return atHome(`home node ${home.id} is in the participant's region${region ? ` ${region}` : ''}`);
    const decision = await claimIn(
      store,
      prepared,
      request,
      home.region,
      'load',
      `home node ${home.id} is full: ${full}`,
    );
    return (
      decision ??
      atHome(`home node ${home.id} is full (${full}) and no other node of ${home.region} can take a leg`)
    );
  }
  const decision = await claimIn(
    store,
    prepared,
    request,
    region,
    'region',
    `${region} is not the home's region (${home.region})`,
  );
  return decision ?? atHome(`no node of ${region} can take a leg: joining the home in ${home.region}`);
}

/** Finds or opens a leg in `region`; undefined when no node there can take one. */
async function claimIn(
  store: RoomSpanStore,
  initial: PreparedNodes,
  request: LegRequest,
  region: string,
  reason: LegReason,
  why: string,
): Promise<LegDecision | undefined> {
  let prepared = initial;
  const refused = new Set<string>();
  for (let attempt = 0; attempt < MAX_LEG_ATTEMPTS; attempt++) {
    // Legs on full nodes are passed over under `load`; under `region` a region's leg is its leg.
    const full =
      request.span === 'load'
        ? prepared.nodes.filter((n) => n.region === region && fullness(n, prepared)).map((n) => n.id)
        : [];
    const exclude = new Set([...refused, ...full]);
    if (reason === 'load') exclude.add(request.home.id);
    let chosen: NodeView | undefined;
    try {
      const selection = selectFrom(prepared, { origin: region, exclude });
      // The selector may go to the nearest other region; a leg serves its own region or none.
      if (selection.node.region === region) chosen = selection.node;
    } catch (err) {
      if (!isLkcError(err) || err.code !== 'NO_AVAILABLE_NODES') throw err;
    }
    const claim: LegClaim = await store.claimLeg(request.room, {
      chosen: request.dryRun ? '' : (chosen?.id ?? ''),
      region,
      exclude: full,
      reason,
      why,
    });
    switch (claim.outcome) {
      case 'held':
        return {
          nodeId: claim.nodeId,
          leg: true,
          claimed: false,
          reason,
          why: `${why}: its leg there is on ${claim.nodeId}`,
        };
      case 'claimed':
        return {
          nodeId: claim.nodeId,
          leg: true,
          claimed: true,
          reason,
          why: `${why}: opened a leg on ${claim.nodeId}`,
        };
      case 'home':
        return {
          nodeId: claim.nodeId,
          leg: false,
          claimed: false,
          why: `${why}, but the selector chose the home`,
        };
      case 'none':
        if (request.dryRun && chosen)
          return {
            nodeId: chosen.id,
            leg: true,
            claimed: false,
            reason,
            why: `${why}: would open a leg on ${chosen.id}`,
          };
        return undefined;
      case 'no_home':
        throw new LkcError('UNAVAILABLE', `room ${request.room} has no live home node right now; try again`);
      default:
        refused.add(claim.nodeId);
        prepared = await store.prepared();
    }
  }
  return undefined;
}
