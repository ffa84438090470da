import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SortBy } from '../../src/config/types.js';
import { LowestOrder, pickLowest } from '../../src/selector/lowest.js';
import { selectNode } from '../../src/selector/select.js';
import { projectedLoad, sortNodes } from '../../src/selector/sort.js';
import { pickTwoChoice } from '../../src/selector/twochoice.js';
import { testConfig } from '../helpers/config.js';
import { nodeView } from '../helpers/node-records.js';

// Three nodes, each the least loaded on some figures and the most loaded on others.
const a = nodeView('a', { sysload: 0.1, cpu_load: 0.7, rooms: 9, clients: 2, tracks: 50, bytes: 100 });
const b = nodeView('b', { sysload: 0.4, cpu_load: 0.1, rooms: 5, clients: 30, tracks: 10, bytes: 900 });
const c = nodeView('c', { sysload: 0.3, cpu_load: 0.4, rooms: 1, clients: 10, tracks: 30, bytes: 50 });

const LOWEST: Record<Exclude<SortBy, 'random'>, string> = {
  sysload: 'a',
  cpuload: 'b',
  rooms: 'c',
  clients: 'a',
  tracks: 'b',
  bytespersec: 'c',
};

describe('sort_by', () => {
  for (const [sortBy, expected] of Object.entries(LOWEST) as Array<[SortBy, string]>) {
    it(`lowest by ${sortBy} picks the node with the least ${sortBy}`, () => {
      assert.equal(pickLowest([a, b, c], sortBy).id, expected);
      assert.equal(sortNodes([a, b, c], sortBy)[0]!.id, expected);
      const selector = testConfig({
        node_selector: { kind: 'any', sort_by: sortBy, algorithm: 'lowest' },
      }).node_selector;
      const selection = selectNode([a, b, c], selector, { origin: null });
      assert.equal(selection.node.id, expected);
      assert.match(selection.rule, new RegExp(`lowest ${sortBy} among 3`));
    });
  }

  it('random reaches every eligible node', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(pickLowest([a, b, c], 'random').id);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  it('breaks ties at random rather than always taking the first node', () => {
    const twins = [nodeView('x', { sysload: 0.2 }), nodeView('y', { sysload: 0.2 })];
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(pickLowest(twins, 'sysload').id);
    assert.equal(seen.size, 2);
  });
});

describe('twochoice', () => {
  it('compares two distinct random nodes and keeps the less loaded', () => {
    // random() = 0 picks index 0 first, then index 1 of the remaining (skipping 0): a vs b.
    assert.deepEqual(
      [
        pickTwoChoice([a, b, c], 'rooms', () => 0).winner.id,
        pickTwoChoice([a, b, c], 'rooms', () => 0).other!.id,
      ],
      ['b', 'a'],
    );
  });

  it('never picks the most loaded of three or more nodes', () => {
    const nodes = [1, 2, 3, 4, 5].map((rooms) => nodeView(`n${rooms}`, { rooms }));
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(pickTwoChoice(nodes, 'rooms').winner.id);
    assert.ok(!seen.has('n5'));
    assert.ok(seen.size >= 3, `twochoice should spread, saw ${[...seen]}`);
  });

  it('is named in the rule of a selection', () => {
    const selector = testConfig({
      node_selector: { kind: 'sysload', sort_by: 'rooms', algorithm: 'twochoice' },
    }).node_selector;
    assert.match(
      selectNode([a, b, c], selector, { origin: null }).rule,
      /^sysload: nodes under sysload_limit 0\.9; twochoice by rooms: \w \(\d+\) over \w \(\d+\)$/,
    );
  });
});

describe('recent placements', () => {
  it('count against a node’s load so a burst spreads instead of herding onto the idlest node', () => {
    const idle = nodeView('idle', { sysload: 0.05 });
    const busy = nodeView('busy', { sysload: 0.1, rooms: 10 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const chosen = pickLowest([idle, busy], 'sysload');
      counts.set(chosen.id, (counts.get(chosen.id) ?? 0) + 1);
      chosen.stats.recent_placements = (chosen.stats.recent_placements ?? 0) + 1;
    }
    // Each placement counts a room's worth of load (0.01 here): the idle node takes the first five, which bring
    // it level with the busy one, and the two then alternate. So the busy node gets 17 or 18 of the 40, and
    // after the burst their projected loads are within one room of each other.
    const busyRooms = counts.get('busy') ?? 0;
    assert.ok(busyRooms >= 17 && busyRooms <= 18, `the busy node took ${busyRooms} of 40: ${[...counts]}`);
    assert.equal((counts.get('idle') ?? 0) + busyRooms, 40);
    const gap = Math.abs(projectedLoad(idle, 'sysload') - projectedLoad(busy, 'sysload'));
    assert.ok(gap <= 0.01 + 1e-9, `projected loads ${gap.toFixed(3)} apart after the burst`);
  });

  it('adds each recent room to the rooms count', () => {
    assert.equal(projectedLoad(nodeView('n', { rooms: 4, recent: 3 }), 'rooms'), 7);
  });
});

describe('lowest over a large tier', () => {
  it('keeps picking the least loaded node as placements add up, like a full scan would', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      nodeView(`n${i}`, { sysload: ((i * 7919) % 1000) / 1000, rooms: i % 13 }),
    );
    const order = new LowestOrder(nodes, 'sysload');
    const picked = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const node = order.pick();
      const least = Math.min(...nodes.map((n) => projectedLoad(n, 'sysload')));
      assert.equal(projectedLoad(node, 'sysload'), least);
      node.stats.recent_placements = (node.stats.recent_placements ?? 0) + 1;
      picked.add(node.id);
    }
    assert.ok(picked.size > 50, `a burst spread over ${picked.size} nodes`);
  });
});
