import type { Config } from '../config/types.js';
import { LkcError } from '../errors.js';
import type { NodeState, NodeView } from '../records.js';
import { checkRegionKnown } from '../selector/errors.js';
import type { ClusterReader } from './types.js';

/** A node as `nodes list` and `nodes show` report it: the record, its lease, and what an operator should notice. */
export interface NodeListing extends NodeView {
  /** Where clients and the CLI reach the node. */
  address: string;
  /** Milliseconds since the node's last stats report. */
  stats_age_ms: number;
  /** The lease expired: the cluster treats the node as gone, whatever its record says. */
  dead: boolean;
  /** Alive, but its stats are older than two report intervals: its load figures may be out of date. */
  stale: boolean;
}

export interface NodeFilter {
  region?: string;
  /** A node state, or `dead` for nodes whose lease expired. */
  state?: NodeState | 'dead';
}

/** Adds the address, stats age and dead/stale marks to a node view. */
export function nodeListing(node: NodeView, config: Config, now = Date.now()): NodeListing {
  const statsAge = Math.max(0, now - node.stats.updated_at);
  const staleAfterMs = 2 * config.node_stats.update_interval * 1000;
  // Object.assign rather than spread: see ClusterView.viewOf.
  return Object.assign({}, node, {
    address: node.url || `${node.ip}:${node.http_port}`,
    stats_age_ms: statsAge,
    dead: !node.alive,
    stale: node.alive && statsAge > staleAfterMs,
  });
}

/** Every registered node (dead ones too, marked), filtered by region and state. */
export async function listNodeReport(
  router: ClusterReader,
  config: Config,
  filter: NodeFilter = {},
): Promise<NodeListing[]> {
  const now = Date.now();
  const nodes = await router.listNodes();
  if (filter.region) checkRegionKnown(filter.region, config.node_selector.regions, nodes);
  return nodes
    .map((node) => nodeListing(node, config, now))
    .filter((node) => !filter.region || node.region === filter.region)
    .filter(
      (node) =>
        !filter.state || (filter.state === 'dead' ? node.dead : !node.dead && node.state === filter.state),
    );
}

/** One node by id (or a unique id prefix), with the rooms mapped to it. */
export async function showNode(
  router: ClusterReader,
  config: Config,
  id: string,
): Promise<{ node: NodeListing; rooms: string[] }> {
  let node = await router.getNode(id);
  if (!node) {
    const matches = (await router.listNodes()).filter((n) => n.id.startsWith(id));
    if (matches.length > 1) {
      throw new LkcError(
        'BAD_INPUT',
        `${id} matches ${matches.length} nodes (${matches.map((n) => n.id).join(', ')}); give more of the id`,
      );
    }
    node = matches[0];
  }
  if (!node)
    throw new LkcError('NODE_NOT_FOUND', `no node ${id} in the cluster; see \`lk-cluster nodes list\``);
  return { node: nodeListing(node, config), rooms: await router.listNodeRooms(node.id) };
}

// "serving", "serving (stale)", "dead (was draining)".
/** How a node's state reads in a table. */
export function stateText(node: NodeListing): string {
  if (node.dead) return `dead (was ${node.state})`;
  return node.stale ? `${node.state} (stale)` : node.state;
}

/** A duration as a table shows it: seconds with one decimal, minutes past one. */
export function ageText(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`;
}
