import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InboundSequencer } from '../../src/relay/sequencer.js';

describe('inbound sequencer', () => {
  it('delivers frames that arrive in order at once', () => {
    const seq = new InboundSequencer<string>(4);
    assert.deepEqual(seq.push(1, 'a'), { status: 'deliver', items: ['a'] });
    assert.deepEqual(seq.push(2, 'b'), { status: 'deliver', items: ['b'] });
    assert.equal(seq.expected, 3);
    assert.equal(seq.hasGap, false);
  });

  it('holds frames behind a missing one and releases them in send order when it arrives', () => {
    const seq = new InboundSequencer<string>(4);
    assert.deepEqual(seq.push(3, 'c'), { status: 'deliver', items: [] });
    assert.deepEqual(seq.push(2, 'b'), { status: 'deliver', items: [] });
    assert.equal(seq.hasGap, true);
    assert.equal(seq.held, 2);
    assert.deepEqual(seq.push(1, 'a'), { status: 'deliver', items: ['a', 'b', 'c'] });
    assert.equal(seq.hasGap, false);
    assert.equal(seq.expected, 4);
  });

  it('ignores a frame it already delivered or already holds', () => {
    const seq = new InboundSequencer<string>(4);
    seq.push(1, 'a');
    seq.push(3, 'c');
    assert.deepEqual(seq.push(1, 'a again'), { status: 'duplicate' });
    assert.deepEqual(seq.push(3, 'c again'), { status: 'duplicate' });
    assert.deepEqual(seq.push(2, 'b'), { status: 'deliver', items: ['b', 'c'] });
  });

  it('reports the missing frame when the gap outgrows the window instead of skipping it', () => {
    const seq = new InboundSequencer<string>(3);
    seq.push(1, 'a');
    assert.deepEqual(seq.push(6, 'f'), { status: 'overflow', missing: 2 });
    seq.push(3, 'c');
    seq.push(4, 'd');
    seq.push(5, 'e');
    assert.deepEqual(seq.push(7, 'g'), { status: 'overflow', missing: 2 });
    assert.equal(seq.expected, 2);
  });

  it('delivers a long shuffled stream exactly once and in order', () => {
    const seq = new InboundSequencer<number>(8);
    const delivered: number[] = [];
    // Swap neighbours in blocks of 4 so that every frame is at most 3 places early.
    const order: number[] = [];
    for (let base = 1; base <= 1000; base += 4) order.push(base + 3, base + 1, base + 2, base);
    for (const n of order) {
      const result = seq.push(n, n);
      assert.equal(result.status, 'deliver');
      if (result.status === 'deliver') delivered.push(...result.items);
    }
    assert.deepEqual(
      delivered,
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
  });
});
