import type { SortBy } from '../config/types.js';
import type { NodeView } from '../routing/types.js';
import { compareLoad } from './sort.js';

/**
 * `lowest`: the least loaded node by `sortBy` (any node at random for `random`). Ties go to a random one of
 * them, so routers that see the same figures do not all pick the same node.
 */
export function pickLowest(
  nodes: readonly NodeView[],
  sortBy: SortBy,
  random: () => number = Math.random,
): NodeView {
  if (nodes.length === 0) throw new Error('pickLowest needs at least one node');
  if (sortBy === 'random') return nodes[Math.floor(random() * nodes.length)]!;
  let best: NodeView[] = [nodes[0]!];
  for (let i = 1; i < nodes.length; i++) {
    const node = nodes[i]!;
    const order = compareLoad(node, best[0]!, sortBy);
    if (order < 0) best = [node];
    else if (order === 0) best.push(node);
  }
  return best.length === 1 ? best[0]! : best[Math.floor(random() * best.length)]!;
}
