import type { NodeView } from '../records.js';

/** Why a node cannot take a new room. */
export type ExclusionCode =
  | 'dead'
  | 'state'
  | 'sysload'
  | 'cpu_load'
  | 'max_rooms'
  | 'num_tracks'
  | 'bytes_per_sec'
  | 'participants';

export interface Exclusion {
  code: ExclusionCode;
  /** In an operator's words, e.g. "sysload 0.72 at or over sysload_limit 0.5". */
  reason: string;
}

/** The load figure a selector kind refuses nodes on, and its limit. */
export interface LoadLimit {
  metric: 'sysload' | 'cpu_load';
  /** The config key, for messages. */
  option: 'sysload_limit' | 'cpu_load_limit';
  limit: number;
}

const STATE_REASONS: Record<string, string> = {
  starting: 'starting: not serving yet',
  draining: 'draining: keeps its rooms, takes no new ones',
  shutting_down: 'shutting down: leaving the cluster',
};

/** Formats a load figure the way every table and message shows it. */
export function formatLoad(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : String(value);
}

/** Rooms on the node plus the rooms claimed on it in the last few seconds (not yet in its stats). */
export function projectedRooms(node: NodeView): number {
  return node.stats.rooms + (node.stats.recent_placements ?? 0);
}

/** Why `node` may not take a new room under `loadLimit` and its own limits, or null when it may. */
export function exclusionOf(node: NodeView, loadLimit: LoadLimit | null): Exclusion | null {
  if (!node.alive) {
    const ago = Math.max(0, Date.now() - node.stats.updated_at) / 1000;
    return { code: 'dead', reason: `dead: lease expired (last report ${ago.toFixed(1)} s ago)` };
  }
  if (node.state !== 'serving') {
    return { code: 'state', reason: STATE_REASONS[node.state] ?? `${node.state}: not serving` };
  }
  if (loadLimit && loadLimit.limit > 0) {
    const value = node.stats[loadLimit.metric];
    if (value >= loadLimit.limit) {
      return {
        code: loadLimit.metric,
        reason: `${loadLimit.metric} ${formatLoad(value)} at or over ${loadLimit.option} ${loadLimit.limit}`,
      };
    }
  }
  const limits = node.limits;
  if (limits?.max_rooms > 0 && projectedRooms(node) >= limits.max_rooms) {
    const recent = node.stats.recent_placements ?? 0;
    const detail =
      recent > 0 ? ` (${node.stats.rooms} rooms + ${recent} placed in the last few seconds)` : '';
    return { code: 'max_rooms', reason: `at max_rooms ${limits.max_rooms}${detail}` };
  }
  const perNode = limits?.max_participants_per_node ?? 0;
  if (perNode > 0 && node.stats.clients >= perNode) {
    return {
      code: 'participants',
      reason: `${node.stats.clients} participants at or over max_participants_per_node ${perNode}`,
    };
  }
  const tracks = node.stats.tracks_in + node.stats.tracks_out;
  if (limits?.num_tracks > 0 && tracks >= limits.num_tracks) {
    return { code: 'num_tracks', reason: `${tracks} tracks at or over num_tracks ${limits.num_tracks}` };
  }
  const bytes = node.stats.bytes_in_per_sec + node.stats.bytes_out_per_sec;
  if (limits?.bytes_per_sec > 0 && bytes >= limits.bytes_per_sec) {
    return {
      code: 'bytes_per_sec',
      reason: `${bytes} bytes/s at or over bytes_per_sec ${limits.bytes_per_sec}`,
    };
  }
  return null;
}

/** The nodes that may take a new room: alive, serving, under the load limit and under their own limits. */
export function availableNodes(nodes: readonly NodeView[], loadLimit: LoadLimit | null): NodeView[] {
  return nodes.filter((node) => exclusionOf(node, loadLimit) === null);
}
