import { isLkcError, LkcError } from '../errors.js';
import { checkName } from '../names.js';
import type { NodeView } from '../records.js';
import { checkRegionKnown, NoAvailableNodesError } from '../selector/errors.js';
import { explainPlacement, type PlacementOutcome } from '../selector/explain.js';
import type { PlacementExplanation } from '../selector/explanation.js';
import { type PreparedNodes, type Selection, selectFrom, selectPinned } from '../selector/select.js';
import type { Placement, PlaceOptions } from './types.js';

/** How a claim ended (see lua/claim.lua). */
export type ClaimOutcome = 'held' | 'claimed' | 'none' | 'chosen_dead' | 'chosen_state' | 'chosen_full';

export interface ClaimResult {
  outcome: ClaimOutcome;
  /** The node holding the room (held, claimed) or the chosen node that was refused. */
  nodeId: string;
  /** Rooms claimed on the node in the current window, after this claim. */
  recent: number;
  recentTtlMs: number;
}

/** What placement needs from a router: its view of the nodes and an atomic claim. */
export interface PlacementStore {
  /** The current view of the nodes, checked against the selector. */
  prepared(): PreparedNodes;
  /** Atomically: keep a live holder, else map the room to `chosen` if it is alive, serving and not full. */
  claim(room: string, chosen: string, allowance: number): Promise<ClaimResult>;
  /** A node by id (from the view when it knows the node). */
  node(nodeId: string): Promise<NodeView | undefined>;
  /** A claim told something the view did not know (a node died, drained, or filled up). */
  learn(result: ClaimResult): void;
  /** Brings the view up to date after a claim was refused. */
  refresh(): Promise<void>;
}

/** Rooms claimed on a node count against its load for this long: a few stats reports. */
export const RECENT_WINDOW_MS = 5_000;

/** How often a placement re-selects after the chosen node turned out dead, drained or full. */
export const MAX_CLAIM_ATTEMPTS = 5;

/** Rooms the node may still take under its max_rooms, counted against claims in the current window; -1 = no limit. */
export function roomAllowance(node: NodeView): number {
  const max = node.limits?.max_rooms ?? 0;
  return max > 0 ? Math.max(0, max - node.stats.rooms) : -1;
}

/** Validates a room name the way every entry point needs it. */
export function checkRoomName(room: string): void {
  if (typeof room !== 'string' || room.length === 0)
    throw new LkcError('BAD_INPUT', 'a room name must not be empty');
  checkName(room, 'a room name');
  if (room.length > 256)
    throw new LkcError('BAD_INPUT', `room name is ${room.length} characters long: at most 256`);
}

/**
 * Finds the room's node or chooses one and claims it atomically: select over the view, claim with one script,
 * and re-select (bounded) when the chosen node died, drained or filled up between the two.
 */
export async function placeRoomWith(
  store: PlacementStore,
  room: string,
  defaultOrigin: string,
  options: PlaceOptions = {},
): Promise<Placement> {
  checkRoomName(room);
  const origin = options.originRegion ?? defaultOrigin ?? null;
  const exclude = new Set<string>();
  let refreshed = false;
  let prepared = store.prepared();
  // regionaware refuses an origin outside its table itself; the other kinds ignore the origin, so say it is wrong.
  // The view may not have seen the region's nodes yet (a node's first placement): it is brought up to date
  // before a region is called unknown.
  if (options.originRegion && prepared.selector.kind !== 'regionaware') {
    try {
      checkRegionKnown(options.originRegion, prepared.selector.regions, prepared.nodes);
    } catch {
      refreshed = true;
      await store.refresh();
      prepared = store.prepared();
      checkRegionKnown(options.originRegion, prepared.selector.regions, prepared.nodes);
    }
  }
  const explain = (outcome: Omit<PlacementOutcome, 'origin' | 'exclude'>): PlacementExplanation => {
    if (options.explain) return explainPlacement(prepared, { ...outcome, origin, exclude });
    // Verdicts cost a pass over every node; a placement that was not asked to explain itself keeps the rule only.
    const { kind, sort_by, algorithm } = prepared.selector;
    return {
      origin_region: origin || null,
      selector: kind,
      sort_by,
      algorithm,
      rule: outcome.rule,
      nodes: [],
    };
  };
  const sticky = async (holderId: string): Promise<Placement> => {
    const node = await store.node(holderId);
    if (!node)
      throw new LkcError('INTERNAL', `room ${room} is held by node ${holderId}, whose record is gone`);
    const explanation = explain({ chosenId: holderId, sticky: true, rule: `sticky: already on ${holderId}` });
    return { room, node, claimed: false, sticky: true, explanation };
  };

  for (let claims = 0; claims < MAX_CLAIM_ATTEMPTS; ) {
    let selection: Selection | undefined;
    let refusal: unknown;
    try {
      selection = options.nodeId
        ? selectPinned(prepared, options.nodeId)
        : selectFrom(prepared, { origin, exclude });
    } catch (err) {
      // Only "no node can take it" may still end well: the room may already be on a live node.
      if (!isLkcError(err) || (err.code !== 'NO_AVAILABLE_NODES' && err.code !== 'UNAVAILABLE')) throw err;
      refusal = err;
    }
    if (refusal && !refreshed) {
      // Never refuse on a stale view: a node may have registered or recovered since it was taken.
      refreshed = true;
      await store.refresh();
      prepared = store.prepared();
      continue;
    }
    claims++;
    // Without a choice the claim only looks: a room already on a live node stays there even when no node is free.
    const chosen = selection && !options.dryRun ? selection.node : undefined;
    const result = await store.claim(room, chosen?.id ?? '', chosen ? roomAllowance(chosen) : -1);
    if (result.outcome === 'held') return sticky(result.nodeId);
    if (result.outcome === 'claimed') {
      store.learn(result);
      const node = selection!.node;
      const explanation = explain({ chosenId: node.id, sticky: false, rule: selection!.rule });
      return { room, node, claimed: true, sticky: false, explanation };
    }
    if (result.outcome === 'none') {
      if (selection) {
        // A dry run: the choice a claim would make.
        const explanation = explain({ chosenId: selection.node.id, sticky: false, rule: selection.rule });
        return { room, node: selection.node, claimed: false, sticky: false, explanation };
      }
      if (refusal instanceof NoAvailableNodesError && options.explain) {
        refusal.explanation = explain({ chosenId: null, sticky: false, rule: refusal.message });
      }
      throw refusal;
    }
    // The chosen node died, drained or filled up since the view was taken: learn it and choose again.
    store.learn(result);
    if (options.nodeId) {
      throw new LkcError(
        'UNAVAILABLE',
        `node ${options.nodeId} cannot take room ${room}: ${refusedWhy(result.outcome)}`,
      );
    }
    exclude.add(result.nodeId);
    refreshed = true;
    await store.refresh();
    prepared = store.prepared();
  }
  throw new LkcError(
    'UNAVAILABLE',
    `gave up placing room ${room} after ${MAX_CLAIM_ATTEMPTS} attempts: every chosen node died, drained or filled up before the claim`,
  );
}

function refusedWhy(outcome: ClaimOutcome): string {
  if (outcome === 'chosen_dead') return 'its lease expired';
  if (outcome === 'chosen_state') return 'it is not serving';
  return 'it is at max_rooms';
}
