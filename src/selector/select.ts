import type { NodeSelectorConfig, SelectionAlgorithm, SelectorKind } from '../config/types.js';
import type { NodeView } from '../records.js';
import { anySelector } from './any.js';
import { type Exclusion, exclusionOf, formatLoad, type LoadLimit } from './available.js';
import { cpuloadSelector } from './cpuload.js';
import { NoAvailableNodesError, pinnedNodeUnavailable, unknownSelectorOption } from './errors.js';
import { LowestOrder, pickLowest } from './lowest.js';
import { regionawareSelector, regionDistances } from './regionaware.js';
import { projectedLoad, SORT_BY_OPTIONS } from './sort.js';
import { sysloadSelector } from './sysload.js';
import type { SelectorKindRule, Tier } from './tier.js';
import { pickTwoChoice } from './twochoice.js';

const KINDS: Record<SelectorKind, SelectorKindRule> = {
  any: anySelector,
  sysload: sysloadSelector,
  cpuload: cpuloadSelector,
  regionaware: regionawareSelector,
};
const ALGORITHMS: readonly SelectionAlgorithm[] = ['lowest', 'twochoice'];

/**
 * Nodes checked once against the selector's limits and grouped by region, so that each placement only ranks
 * the eligible nodes of the nearest tier. Build one per view of the cluster; placements reuse it.
 */
export interface PreparedNodes {
  readonly selector: NodeSelectorConfig;
  readonly nodes: readonly NodeView[];
  readonly loadLimit: LoadLimit | null;
  /** Why each ineligible node is out. */
  readonly exclusions: ReadonlyMap<string, Exclusion>;
  /** Eligible nodes by region. */
  readonly eligibleByRegion: ReadonlyMap<string, NodeView[]>;
  readonly eligibleCount: number;
  /** Tiers per origin region, computed on first use. */
  readonly tiersByOrigin: Map<string, Tier[]>;
}

export interface SelectRequest {
  /** The region the request came in through (regionaware's origin); null or '' for none. */
  origin: string | null;
  /** Nodes to pass over (they turned out dead, drained or full when claimed). */
  exclude?: ReadonlySet<string>;
  random?: () => number;
}

export interface Selection {
  node: NodeView;
  /** Which rule chose the node, e.g. "nearest region with an eligible node: us-east (...); random among 2". */
  rule: string;
}

/** The rule of a selector kind; refuses kinds, sorts and algorithms lk-cluster does not know. */
export function selectorKind(selector: NodeSelectorConfig): SelectorKindRule {
  const rule = KINDS[selector.kind];
  if (!rule) throw unknownSelectorOption('kind', selector.kind, Object.keys(KINDS));
  if (!SORT_BY_OPTIONS.includes(selector.sort_by))
    throw unknownSelectorOption('sort_by', selector.sort_by, SORT_BY_OPTIONS);
  if (!ALGORITHMS.includes(selector.algorithm))
    throw unknownSelectorOption('algorithm', selector.algorithm, ALGORITHMS);
  return rule;
}

/** Checks every node once against the selector's hard limits and groups the eligible ones by region. */
export function prepareNodes(nodes: readonly NodeView[], selector: NodeSelectorConfig): PreparedNodes {
  const loadLimit = selectorKind(selector).loadLimit(selector);
  const exclusions = new Map<string, Exclusion>();
  const eligibleByRegion = new Map<string, NodeView[]>();
  let eligibleCount = 0;
  for (const node of nodes) {
    const exclusion = exclusionOf(node, loadLimit);
    if (exclusion) {
      exclusions.set(node.id, exclusion);
      continue;
    }
    eligibleCount++;
    const group = eligibleByRegion.get(node.region);
    if (group) group.push(node);
    else eligibleByRegion.set(node.region, [node]);
  }
  return {
    selector,
    nodes,
    loadLimit,
    exclusions,
    eligibleByRegion,
    eligibleCount,
    tiersByOrigin: new Map(),
  };
}

/** The eligible nodes in order of preference from `origin` (memoized per origin). */
export function tiersFor(prepared: PreparedNodes, origin: string | null): Tier[] {
  const key = origin ?? '';
  let tiers = prepared.tiersByOrigin.get(key);
  if (!tiers) {
    tiers = selectorKind(prepared.selector).tiers(
      prepared.eligibleByRegion,
      origin || null,
      prepared.selector.regions,
    );
    prepared.tiersByOrigin.set(key, tiers);
  }
  return tiers;
}

/** Chooses a node for a new room: the first tier with an eligible node, then sort_by and algorithm within it. */
export function selectFrom(prepared: PreparedNodes, request: SelectRequest): Selection {
  const { selector } = prepared;
  const random = request.random ?? Math.random;
  const tiers = tiersFor(prepared, request.origin);
  for (const tier of tiers) {
    const nodes = request.exclude?.size ? tier.nodes.filter((n) => !request.exclude!.has(n.id)) : tier.nodes;
    if (nodes.length === 0) continue;
    let node: NodeView;
    let pick: string;
    if (selector.algorithm === 'twochoice' && nodes.length > 2) {
      const { winner, other } = pickTwoChoice(nodes, selector.sort_by, random);
      node = winner;
      pick =
        selector.sort_by === 'random'
          ? `twochoice: random of ${winner.id} and ${other!.id}`
          : `twochoice by ${selector.sort_by}: ${winner.id} (${loadText(winner, prepared)}) over ${other!.id} (${loadText(other!, prepared)})`;
    } else {
      if (selector.sort_by === 'random' || nodes !== tier.nodes) {
        node = pickLowest(nodes, selector.sort_by, random);
      } else {
        tier.lowest ??= new LowestOrder(tier.nodes, selector.sort_by, random);
        node = tier.lowest.pick();
      }
      pick =
        selector.sort_by === 'random'
          ? `random among ${nodes.length}`
          : `lowest ${selector.sort_by} among ${nodes.length} (${loadText(node, prepared)})`;
    }
    tier.description ??= describeTier(prepared, tier, request.origin);
    return { node, rule: `${tier.description}; ${pick}` };
  }
  throw noAvailableNodes(prepared, request.exclude);
}

/** One-shot selection over a list of nodes (prepares, then selects). */
export function selectNode(
  nodes: readonly NodeView[],
  selector: NodeSelectorConfig,
  request: SelectRequest,
): Selection {
  return selectFrom(prepareNodes(nodes, selector), request);
}

/** The node asked for by id (CreateRoom's node_id): it must be alive and serving; load limits do not apply. */
export function selectPinned(prepared: PreparedNodes, nodeId: string): Selection {
  const node = prepared.nodes.find((n) => n.id === nodeId);
  if (!node) throw pinnedNodeUnavailable(nodeId, 'no such node is registered');
  const exclusion = prepared.exclusions.get(nodeId);
  if (exclusion && (exclusion.code === 'dead' || exclusion.code === 'state')) {
    throw pinnedNodeUnavailable(nodeId, exclusion.reason);
  }
  return { node, rule: `pinned: node ${nodeId} was asked for` };
}

function loadText(node: NodeView, prepared: PreparedNodes): string {
  const value = projectedLoad(node, prepared.selector.sort_by);
  return Number.isInteger(value) ? String(value) : formatLoad(value);
}

function km(distance: number): string {
  return `${Math.round(distance).toLocaleString('en-US')} km`;
}

function limitText(prepared: PreparedNodes): string {
  const limit = prepared.loadLimit;
  return limit && limit.limit > 0 ? `under ${limit.option} ${limit.limit}` : 'live and serving';
}

function describeTier(prepared: PreparedNodes, tier: Tier, origin: string | null): string {
  const { selector } = prepared;
  if (selector.kind !== 'regionaware') return `${selector.kind}: nodes ${limitText(prepared)}`;
  if (!origin || selector.regions.length === 0)
    return `regionaware without an origin region: nodes ${limitText(prepared)} in any region`;
  const distances = regionDistances(origin, selector.regions);
  if (tier.region === null) {
    return `regionaware from ${origin}: no listed region has a node ${limitText(prepared)}; using regions outside node_selector.regions`;
  }
  const nearer = [...distances]
    .filter(([name, d]) => d < tier.distance_km! && name !== tier.region)
    .map(([name]) => name);
  const skipped =
    nearer.length > 0 ? `; nearer ${nearer.join(', ')} ${nearer.length === 1 ? 'has' : 'have'} none` : '';
  return `regionaware from ${origin}: nearest region with a node ${limitText(prepared)} is ${tier.region} (${km(tier.distance_km!)}${skipped})`;
}

/** The refusal when no node is eligible, saying why in one line. */
export function noAvailableNodes(
  prepared: PreparedNodes,
  exclude?: ReadonlySet<string>,
): NoAvailableNodesError {
  const { nodes } = prepared;
  if (nodes.length === 0) {
    return new NoAvailableNodesError(
      'no nodes registered: start one with `lk-cluster start` (is it pointed at this redis?)',
    );
  }
  const alive = nodes.filter((n) => n.alive);
  if (alive.length === 0) {
    return new NoAvailableNodesError(`no live node: ${nodes.length} registered, every lease expired`);
  }
  const serving = alive.filter((n) => n.state === 'serving');
  if (serving.length === 0) {
    return new NoAvailableNodesError(
      `no serving node: ${alive.length} live, ${countBy(alive, (n) => n.state)}`,
    );
  }
  const counts = new Map<string, number>();
  for (const node of serving) {
    const exclusion = prepared.exclusions.get(node.id);
    const label = exclusion
      ? exclusion.code === 'sysload' || exclusion.code === 'cpu_load'
        ? `over ${prepared.loadLimit!.option} ${prepared.loadLimit!.limit}`
        : `at ${exclusion.code}`
      : exclude?.has(node.id)
        ? 'gone or full when claimed'
        : 'eligible';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  if (counts.size === 1) {
    const [label] = counts.keys();
    if (label!.startsWith('over ')) {
      return new NoAvailableNodesError(
        `no node ${label!.replace('over', 'under')}: ${serving.length} serving, all loaded`,
      );
    }
    if (label === 'at max_rooms') {
      return new NoAvailableNodesError(`no node under its max_rooms: ${serving.length} serving, all full`);
    }
  }
  const detail = [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
  return new NoAvailableNodesError(`no available node: ${serving.length} serving: ${detail}`);
}

function countBy(nodes: readonly NodeView[], key: (n: NodeView) => string): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(key(node), (counts.get(key(node)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
