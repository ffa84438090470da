import type { NodeListing } from './node-report.js';

/** The orders `nodes top` can show its nodes in, by flag name. */
export const TOP_SORTS = [
  'load',
  'rooms',
  'clients',
  'name',
  'state',
  'region',
  'in',
  'out',
  'lease',
] as const;
export type TopSort = (typeof TOP_SORTS)[number];

/** The key that picks each order in the live view. */
export const TOP_SORT_KEYS: Record<string, TopSort> = {
  l: 'load',
  r: 'rooms',
  c: 'clients',
  n: 'name',
  s: 'state',
  g: 'region',
  i: 'in',
  o: 'out',
  m: 'lease',
};

// The busiest first for figures (what an operator looks for), the nearest to dying first for the lease, and
// alphabetical for names.
const ORDERS: Record<TopSort, (a: NodeListing, b: NodeListing) => number> = {
  load: (a, b) => b.stats.sysload - a.stats.sysload,
  rooms: (a, b) => b.stats.rooms - a.stats.rooms,
  clients: (a, b) => b.stats.clients - a.stats.clients,
  name: (a, b) => a.id.localeCompare(b.id),
  state: (a, b) => stateRank(a) - stateRank(b),
  region: (a, b) => a.region.localeCompare(b.region),
  in: (a, b) => b.stats.bytes_in_per_sec - a.stats.bytes_in_per_sec,
  out: (a, b) => b.stats.bytes_out_per_sec - a.stats.bytes_out_per_sec,
  lease: (a, b) => a.lease_ms_left - b.lease_ms_left,
};

// Dead nodes first in a state sort: they are the ones to look at.
function stateRank(node: NodeListing): number {
  if (node.dead) return 0;
  return ['starting', 'serving', 'draining', 'shutting_down'].indexOf(node.state) + 1;
}

/** The nodes in `sort` order (reversed on request); ties by id, so rows do not jump between refreshes. */
export function sortNodes(nodes: NodeListing[], sort: TopSort, reverse = false): NodeListing[] {
  const order = ORDERS[sort];
  return [...nodes].sort((a, b) => {
    const byKey = reverse ? order(b, a) : order(a, b);
    return byKey !== 0 ? byKey : a.id.localeCompare(b.id);
  });
}

/** Bytes per second as a bit rate: `0 b/s`, `950 kb/s`, `12.3 Mb/s`. */
export function bitrateText(bytesPerSec: number): string {
  const bits = Math.max(0, bytesPerSec) * 8;
  if (bits < 1000) return `${Math.round(bits)} b/s`;
  const units = ['kb/s', 'Mb/s', 'Gb/s'];
  let value = bits / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Time until the node's lease runs out, or `expired` once the cluster counts it dead. */
export function leaseMarginText(node: NodeListing): string {
  return node.dead ? 'expired' : `${(node.lease_ms_left / 1000).toFixed(1)}s`;
}

/** The cluster in one line of figures, for the top of the live view. */
export function clusterSummary(nodes: NodeListing[]): string {
  const states = new Map<string, number>();
  for (const node of nodes) {
    const state = node.dead ? 'dead' : node.state;
    states.set(state, (states.get(state) ?? 0) + 1);
  }
  const alive = nodes.filter((n) => !n.dead);
  const sum = (pick: (n: NodeListing) => number) => alive.reduce((total, n) => total + pick(n), 0);
  const counts = [...states].map(([state, count]) => `${count} ${state}`).join(', ');
  return [
    `${nodes.length} node${nodes.length === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}`,
    `${new Set(nodes.map((n) => n.region)).size} regions`,
    `${sum((n) => n.stats.rooms)} rooms`,
    `${sum((n) => n.stats.clients)} clients`,
    `in ${bitrateText(sum((n) => n.stats.bytes_in_per_sec))}`,
    `out ${bitrateText(sum((n) => n.stats.bytes_out_per_sec))}`,
  ].join(' · ');
}
