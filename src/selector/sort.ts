import type { SortBy } from '../config/types.js';
import type { NodeView } from '../records.js';

/** Every sort_by option, as LiveKit names them. */
export const SORT_BY_OPTIONS: readonly SortBy[] = [
  'random',
  'sysload',
  'cpuload',
  'rooms',
  'clients',
  'tracks',
  'bytespersec',
];

// What one more room is assumed to add when a node has no rooms to average over.
const PER_ROOM_FLOOR: Record<SortBy, number> = {
  random: 0,
  sysload: 0.01,
  cpuload: 0.01,
  rooms: 1,
  clients: 1,
  tracks: 2,
  bytespersec: 0,
};

/** The node's figure for `sortBy` as it reported it. */
export function reportedLoad(node: NodeView, sortBy: SortBy): number {
  const s = node.stats;
  switch (sortBy) {
    case 'sysload':
      return s.sysload;
    case 'cpuload':
      return s.cpu_load;
    case 'rooms':
      return s.rooms;
    case 'clients':
      return s.clients;
    case 'tracks':
      return s.tracks_in + s.tracks_out;
    case 'bytespersec':
      return s.bytes_in_per_sec + s.bytes_out_per_sec;
    default:
      return 0;
  }
}

/**
 * The node's figure for `sortBy` with the rooms placed on it in the last few seconds counted in: each adds
 * the node's own average per room (or a small floor). Without this, a burst of placements lands on the node
 * that looked idlest at its last report, until its next report.
 */
export function projectedLoad(node: NodeView, sortBy: SortBy): number {
  const value = reportedLoad(node, sortBy);
  const recent = node.stats.recent_placements ?? 0;
  if (recent === 0) return value;
  if (sortBy === 'rooms') return value + recent;
  const perRoom =
    node.stats.rooms > 0
      ? Math.max(value / node.stats.rooms, PER_ROOM_FLOOR[sortBy])
      : PER_ROOM_FLOOR[sortBy];
  return value + recent * perRoom;
}

/** Orders two nodes by projected load, then by fewer recent placements. */
export function compareLoad(a: NodeView, b: NodeView, sortBy: SortBy): number {
  return (
    projectedLoad(a, sortBy) - projectedLoad(b, sortBy) ||
    (a.stats.recent_placements ?? 0) - (b.stats.recent_placements ?? 0)
  );
}

/** Nodes sorted by `sortBy`, least loaded first (a copy; `random` shuffles). */
export function sortNodes(
  nodes: readonly NodeView[],
  sortBy: SortBy,
  random: () => number = Math.random,
): NodeView[] {
  const copy = [...nodes];
  if (sortBy === 'random') {
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
  return copy.sort((a, b) => compareLoad(a, b, sortBy));
}
