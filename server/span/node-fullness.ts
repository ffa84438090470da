import type { Config } from '../../src/config/types.js';
import type { NodeStats } from '../../src/records.js';
import { formatLoad } from '../../src/selector/available.js';
import { selectorKind } from '../../src/selector/select.js';
import type { Room } from '../media/room.js';

/**
 * Why this node takes no more participants into a room it holds (room.span: load then opens a leg on another
 * node), in the words the cluster's view uses: its own participants reached limit.max_participants_per_node, or
 * its last sampled load reached the selector's load limit. Undefined when it takes more.
 */
export function nodeIsFull(
  config: Config,
  rooms: { list(): Room[] },
  stats: NodeStats | undefined,
): string | undefined {
  const max = config.limit.max_participants_per_node;
  if (max > 0) {
    let participants = 0;
    for (const room of rooms.list()) participants += room.localParticipants;
    if (participants >= max)
      return `${participants} participants at or over max_participants_per_node ${max}`;
  }
  const limit = selectorKind(config.node_selector).loadLimit(config.node_selector);
  if (!stats || !limit || limit.limit <= 0 || stats[limit.metric] < limit.limit) return undefined;
  return `${limit.metric} ${formatLoad(stats[limit.metric])} at or over ${limit.option} ${limit.limit}`;
}
