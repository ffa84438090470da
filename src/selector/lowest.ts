import type { SortBy } from '../config/types.js';
import type { NodeView } from '../records.js';
import { compareLoad, projectedLoad } from './sort.js';

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

interface HeapEntry {
  node: NodeView;
  load: number;
  recent: number;
  /** Random tie-break, drawn again whenever the entry moves. */
  tie: number;
}

/**
 * The nodes of one tier kept in a min-heap by projected load, so `lowest` over thousands of nodes costs
 * O(log n) per placement instead of a scan. Loads change as rooms are claimed (recent placements rise); an
 * entry whose load rose is re-filed when it reaches the top. A load that fell (a placement window ended) is
 * seen when the heap is next rebuilt, with the view's next refresh.
 */
export class LowestOrder {
  private readonly heap: HeapEntry[];

  constructor(
    nodes: readonly NodeView[],
    private readonly sortBy: SortBy,
    private readonly random: () => number = Math.random,
  ) {
    this.heap = nodes.map((node) => this.entry(node));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The least loaded node now. */
  pick(): NodeView {
    if (this.heap.length === 0) throw new Error('LowestOrder needs at least one node');
    for (;;) {
      const top = this.heap[0]!;
      const load = projectedLoad(top.node, this.sortBy);
      const recent = top.node.stats.recent_placements ?? 0;
      if (load === top.load && recent === top.recent) return top.node;
      this.heap[0] = this.entry(top.node);
      this.down(0);
    }
  }

  private entry(node: NodeView): HeapEntry {
    return {
      node,
      load: projectedLoad(node, this.sortBy),
      recent: node.stats.recent_placements ?? 0,
      tie: this.random(),
    };
  }

  private less(a: HeapEntry, b: HeapEntry): boolean {
    return a.load !== b.load ? a.load < b.load : a.recent !== b.recent ? a.recent < b.recent : a.tie < b.tie;
  }

  private down(index: number): void {
    const heap = this.heap;
    for (let i = index; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
