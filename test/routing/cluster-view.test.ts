import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisRouter } from '../../src/routing/redis-router.js';
import { testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

describe('a placing router’s cached view of the nodes', () => {
  let redis: TestRedis;
  const routers: RedisRouter[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.close()));
    await redis?.stop();
  });
  async function router(prefix: string, keepTombstones?: number): Promise<RedisRouter> {
    const config = testConfig({
      redis: { address: redis.address, key_prefix: prefix },
      node_stats: { lease_ttl: 60 },
    });
    const r = await RedisRouter.connect(config, {
      keepTombstones,
      viewRefreshMs: 60_000,
      maxViewAgeMs: 60_000,
    });
    routers.push(r);
    return r;
  }

  it('reloads everything when the removals it missed were pruned', async () => {
    const writer = await router('{view1}:', 2);
    const reader = await router('{view1}:');
    for (let i = 0; i < 6; i++) await writer.registerNode(nodeRecord(`n${i}`));
    assert.equal((await reader.listNodes()).length, 6);
    for (let i = 1; i < 6; i++) await writer.unregisterNode(`n${i}`);
    // Only the last two tombstones are kept: the reader cannot see three of the removals, and must notice.
    assert.deepEqual(
      (await reader.listNodes()).map((n) => n.id),
      ['n0'],
    );
    for (let i = 0; i < 20; i++) assert.equal((await reader.placeRoom(`r${i}`)).node.id, 'n0');
  });

  it('catches up after redis restarts empty and the nodes register again', async () => {
    const writer = await router('{view2}:');
    const reader = await router('{view2}:');
    for (const id of ['a', 'b', 'c']) await writer.registerNode(nodeRecord(id));
    await reader.placeRoom('before');
    await redis.kill();
    await redis.restart();
    await waitFor(
      async () => {
        await writer.registerNode(nodeRecord('d'));
        return true;
      },
      { what: 'the writer to reconnect', timeoutMs: 15_000 },
    );
    // The reader's versions are ahead of the new, empty Redis: it must drop a, b and c, not keep them.
    await waitFor(async () => (await reader.listNodes()).map((n) => n.id).join() === 'd', {
      what: 'the reader to see only d',
      timeoutMs: 15_000,
    });
    assert.equal((await reader.placeRoom('after')).node.id, 'd');
    assert.equal((await reader.placeRoom('before')).node.id, 'd');
  });
});
