import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slowRoundTrip } from '../../server/node/lease.js';

describe("the lease's slow round trip warning", () => {
  it('says nothing up to a quarter of lease_ttl', () => {
    assert.equal(slowRoundTrip(300, 6), undefined);
    assert.equal(slowRoundTrip(1500, 6), undefined);
  });

  it('names the round trip and the lease past a quarter of it', () => {
    assert.equal(
      slowRoundTrip(1601.4, 6),
      'redis round trip 1601 ms is over a quarter of lease_ttl 6 s: the round trip approaches the lease, and a few slow reports in a row lose it (raise node_stats.lease_ttl, or bring Redis closer)',
    );
    assert.match(slowRoundTrip(400, 1.5)!, /round trip 400 ms .* lease_ttl 1.5 s/);
  });
});
