import type { SortBy } from '../config/types.js';
import type { NodeView } from '../records.js';
import { pickLowest } from './lowest.js';
import { compareLoad } from './sort.js';

/** The two nodes a power-of-two-choices pick compared, and the winner. */
export interface TwoChoice {
  winner: NodeView;
  other: NodeView | null;
}

/**
 * `twochoice`: two distinct nodes at random, the less loaded of them wins (power of two random choices):
 * nearly as even as `lowest`, without every router piling onto the same least-loaded node.
 */
export function pickTwoChoice(
  nodes: readonly NodeView[],
  sortBy: SortBy,
  random: () => number = Math.random,
): TwoChoice {
  if (nodes.length <= 2) {
    const winner = pickLowest(nodes, sortBy, random);
    return { winner, other: nodes.find((n) => n !== winner) ?? null };
  }
  const i = Math.floor(random() * nodes.length);
  let j = Math.floor(random() * (nodes.length - 1));
  if (j >= i) j++;
  const a = nodes[i]!;
  const b = nodes[j]!;
  return compareLoad(b, a, sortBy) < 0 ? { winner: b, other: a } : { winner: a, other: b };
}
