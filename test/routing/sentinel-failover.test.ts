import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisRouter } from '../../src/routing/redis-router.js';
import { testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { startSentinel, type TestSentinel } from '../helpers/redis-sentinel.js';
import { waitFor } from '../helpers/wait.js';

describe('redis router across a sentinel failover', () => {
  let sentinel: TestSentinel;
  let router: RedisRouter | undefined;
  before(async () => {
    sentinel = await startSentinel();
  });
  after(async () => {
    await router?.close();
    await sentinel?.stop();
  });

  it('keeps its rooms and places new ones after the replica is promoted', async () => {
    const config = testConfig({
      redis: { sentinel_master_name: sentinel.masterName, sentinel_addresses: [sentinel.sentinelAddress] },
      node_stats: { lease_ttl: 120 },
    });
    router = await RedisRouter.connect(config);
    await router.registerNode(nodeRecord('n1'));
    await router.registerNode(nodeRecord('n2'));
    const before = await router.placeRoom('survives');
    // Replication is asynchronous: wait until the replica has everything before the master dies.
    assert.equal(await router.client.call('WAIT', '1', '5000'), 1);
    await sentinel.master.kill();
    await waitFor(async () => (await sentinel.masterAddress()) === sentinel.replica.address, {
      what: 'the sentinel to promote the replica',
      timeoutMs: 30_000,
    });
    const after = await waitFor(() => router!.placeRoom('survives').catch(() => undefined), {
      what: 'the router to reach the new master',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    assert.equal(after.node.id, before.node.id);
    assert.equal(after.sticky, true);
    assert.ok(['n1', 'n2'].includes((await router.placeRoom('born-after')).node.id));
  });
});
