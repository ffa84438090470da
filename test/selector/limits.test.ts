import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableNodes, exclusionOf } from '../../src/selector/available.js';
import { prepareNodes, selectNode } from '../../src/selector/select.js';
import { testConfig } from '../helpers/config.js';
import { nodeView } from '../helpers/node-records.js';

const sysload = { metric: 'sysload', option: 'sysload_limit', limit: 0.5 } as const;

describe('hard limits', () => {
  it('refuses a node at or over sysload_limit and keeps one just under it', () => {
    assert.equal(
      exclusionOf(nodeView('a', { sysload: 0.5 }), sysload)?.reason,
      'sysload 0.50 at or over sysload_limit 0.5',
    );
    assert.equal(exclusionOf(nodeView('b', { sysload: 0.7 }), sysload)?.code, 'sysload');
    assert.equal(exclusionOf(nodeView('c', { sysload: 0.49 }), sysload), null);
  });

  it('refuses a node at or over cpu_load_limit under the cpuload selector only', () => {
    const selector = testConfig({ node_selector: { kind: 'cpuload', cpu_load_limit: 0.8 } }).node_selector;
    const nodes = [
      nodeView('hot', { cpu_load: 0.8, sysload: 0.1 }),
      nodeView('cool', { cpu_load: 0.2, sysload: 5 }),
    ];
    assert.deepEqual(
      availableNodes(nodes, { metric: 'cpu_load', option: 'cpu_load_limit', limit: 0.8 }).map((n) => n.id),
      ['cool'],
    );
    assert.equal(selectNode(nodes, selector, { origin: null }).node.id, 'cool');
  });

  it('lets the any selector place on a loaded node but never over the node’s own limits', () => {
    const selector = testConfig().node_selector;
    const nodes = [
      nodeView('loaded', { sysload: 3, cpu_load: 1 }),
      nodeView('full', { rooms: 10, limits: { max_rooms: 10 } }),
    ];
    const prepared = prepareNodes(nodes, selector);
    assert.equal(prepared.eligibleCount, 1);
    assert.equal(selectNode(nodes, selector, { origin: null }).node.id, 'loaded');
  });

  it('counts rooms placed in the last few seconds against max_rooms', () => {
    assert.equal(exclusionOf(nodeView('a', { rooms: 7, recent: 2, limits: { max_rooms: 10 } }), null), null);
    const full = exclusionOf(nodeView('a', { rooms: 7, recent: 3, limits: { max_rooms: 10 } }), null);
    assert.equal(full?.code, 'max_rooms');
    assert.match(full!.reason, /at max_rooms 10 \(7 rooms \+ 3 placed in the last few seconds\)/);
  });

  it('refuses a node at its num_tracks or bytes_per_sec limit, and 0 means no limit', () => {
    assert.equal(
      exclusionOf(nodeView('a', { tracks: 40, limits: { num_tracks: 40 } }), null)?.code,
      'num_tracks',
    );
    assert.equal(exclusionOf(nodeView('a', { tracks: 39, limits: { num_tracks: 40 } }), null), null);
    assert.equal(
      exclusionOf(nodeView('a', { bytes: 1_000_000, limits: { bytes_per_sec: 1_000_000 } }), null)?.code,
      'bytes_per_sec',
    );
    assert.equal(exclusionOf(nodeView('a', { rooms: 10_000, tracks: 10_000, bytes: 10 ** 9 }), null), null);
  });

  it('refuses dead nodes and nodes that are not serving, saying which', () => {
    assert.match(exclusionOf(nodeView('a', { alive: false }), null)!.reason, /^dead: lease expired/);
    assert.equal(
      exclusionOf(nodeView('a', { state: 'draining' }), null)!.reason,
      'draining: keeps its rooms, takes no new ones',
    );
    assert.equal(exclusionOf(nodeView('a', { state: 'starting' }), null)!.code, 'state');
    assert.equal(exclusionOf(nodeView('a', { state: 'shutting_down' }), null)!.code, 'state');
  });
});

describe('refusal messages', () => {
  const selector = testConfig({ node_selector: { kind: 'sysload', sysload_limit: 0.5 } }).node_selector;
  const refusal = (nodes: ReturnType<typeof nodeView>[]) => {
    try {
      selectNode(nodes, selector, { origin: null });
    } catch (err) {
      return err as Error & { code: string };
    }
    assert.fail('selection should have been refused');
  };

  it('says every serving node is over sysload_limit', () => {
    const err = refusal([
      nodeView('a', { sysload: 0.6 }),
      nodeView('b', { sysload: 0.9 }),
      nodeView('c', { sysload: 0.5 }),
    ]);
    assert.equal(err.code, 'NO_AVAILABLE_NODES');
    assert.equal(err.message, 'no node under sysload_limit 0.5: 3 serving, all loaded');
  });

  it('says when no node is registered, none is alive, or none is serving', () => {
    assert.match(refusal([]).message, /^no nodes registered/);
    assert.equal(
      refusal([nodeView('a', { alive: false }), nodeView('b', { alive: false })]).message,
      'no live node: 2 registered, every lease expired',
    );
    assert.equal(
      refusal([
        nodeView('a', { state: 'draining' }),
        nodeView('b', { state: 'starting' }),
        nodeView('c', { state: 'draining' }),
      ]).message,
      'no serving node: 3 live, 2 draining, 1 starting',
    );
  });

  it('lists mixed reasons', () => {
    const err = refusal([
      nodeView('a', { sysload: 0.7 }),
      nodeView('b', { rooms: 5, limits: { max_rooms: 5 } }),
    ]);
    assert.equal(err.message, 'no available node: 2 serving: 1 over sysload_limit 0.5, 1 at max_rooms');
  });

  it('says all nodes are full when max_rooms is the only reason', () => {
    const err = refusal([
      nodeView('a', { rooms: 2, limits: { max_rooms: 2 } }),
      nodeView('b', { rooms: 1, recent: 1, limits: { max_rooms: 2 } }),
    ]);
    assert.equal(err.message, 'no node under its max_rooms: 2 serving, all full');
  });
});
