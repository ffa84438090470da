import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisRouter } from '../../src/routing/redis-router.js';
import { testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { within } from '../helpers/wait.js';

// What a node and the CLI pass to ioredis (server/assemble.ts, src/routing/open.ts): both must fail in our words.
const SETUPS = [
  { who: 'a node', options: { commandTimeoutMs: 2_000 } },
  { who: 'the CLI', options: { commandTimeoutMs: 10_000, maxRetriesPerRequest: 1 } },
];

describe('a store call while Redis is down', { concurrency: true }, () => {
  let redis: TestRedis;
  const routers: RedisRouter[] = [];

  before(async () => {
    redis = await startRedis();
    const config = testConfig({ redis: { address: redis.address } });
    for (const setup of SETUPS) {
      const router = await RedisRouter.connect(config, setup.options);
      await router.registerNode(nodeRecord(`ND_${setup.who.replace(/\W/g, '')}`));
      routers.push(router);
    }
    await redis.kill();
  });

  after(async () => {
    await Promise.all(routers.map((r) => r.close()));
    await redis?.stop();
  });

  for (const [i, setup] of SETUPS.entries()) {
    it(`fails in the tool's words, naming the address, not ioredis' options (${setup.who})`, async () => {
      const router = routers[i]!;
      const calls = {
        placeRoom: () => router.placeRoom('r1'),
        getRoomNode: () => router.getRoomNode('r1'),
        listRoomNodes: () => router.listRoomNodes(),
        listNodes: () => router.listNodes(),
        getNode: () => router.getNode('ND_anode'),
      };
      for (const [name, call] of Object.entries(calls)) {
        const err = await within(
          call().then(
            () => new Error(`${name} succeeded with Redis down`),
            (e: unknown) => e as Error,
          ),
          15_000,
          `${name} to fail`,
        );
        assert.equal((err as { code?: string }).code, 'REDIS_UNAVAILABLE', `${name}: ${err.message}`);
        assert.match(
          err.message,
          new RegExp(`^cannot reach redis at 127\\.0\\.0\\.1:${redis.port}: .*; try again$`),
          name,
        );
        assert.doesNotMatch(err.message, /maxRetriesPerRequest|Refer to|max retries/i, name);
      }
    });
  }
});
