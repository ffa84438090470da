import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertClusterSafePrefix, hashTag, routingKeys } from '../../src/routing/keys.js';
import {
  createRedisClient,
  describeRedis,
  parseAddress,
  reconnectDelay,
} from '../../src/routing/redis-connect.js';

describe('key names', () => {
  it('puts every key and channel under the prefix, so all share its hash tag', () => {
    const keys = routingKeys('{lkc}:');
    const names = [
      keys.nodes,
      keys.roomNode,
      keys.rooms,
      keys.nodeState,
      keys.alive('n1'),
      keys.recent,
      keys.nodeRooms('n1'),
      keys.channel('n1'),
    ];
    for (const name of names) assert.ok(name.startsWith('{lkc}:'), name);
    assert.equal(keys.alive('n1'), '{lkc}:alive:n1');
    assert.equal(keys.channel('n1'), '{lkc}:node:n1');
    assert.equal(hashTag('{lkc}:'), 'lkc');
    assert.equal(hashTag('lkc:'), undefined);
    assert.equal(hashTag('{}:'), undefined);
  });

  it('refuses a prefix without a hash tag for Redis Cluster, saying what to use', () => {
    assert.throws(() => assertClusterSafePrefix('lkc:'), /has no hash tag.*"\{lkc\}:"/);
    assert.throws(
      () => createRedisClient({ cluster_addresses: ['127.0.0.1:7000'], key_prefix: 'plain:' }),
      (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID',
    );
  });
});

describe('redis connection settings', () => {
  it('parses host:port, [v6]:port and a bare host', () => {
    assert.deepEqual(parseAddress('10.0.0.5:6380'), { host: '10.0.0.5', port: 6380 });
    assert.deepEqual(parseAddress('[::1]:6390'), { host: '::1', port: 6390 });
    assert.deepEqual(parseAddress('redis.internal'), { host: 'redis.internal', port: 6379 });
    assert.throws(() => parseAddress('host:notaport'), /no valid port/);
  });

  it('describes where it connects without ever naming a password', () => {
    const secret = 's3cret-value';
    const texts = [
      describeRedis({ address: '10.0.0.5:6379', password: secret, key_prefix: '{lkc}:' }),
      describeRedis({
        sentinel_master_name: 'm',
        sentinel_addresses: ['a:26379'],
        sentinel_password: secret,
        key_prefix: '{lkc}:',
      }),
      describeRedis({ cluster_addresses: ['a:7000', 'b:7000'], password: secret, key_prefix: '{lkc}:' }),
    ];
    assert.deepEqual(texts, [
      'redis at 10.0.0.5:6379',
      'redis sentinel master "m" via a:26379',
      'redis cluster a:7000, b:7000',
    ]);
  });

  it('backs off reconnection exponentially up to a cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt)),
      [100, 200, 400, 800, 1600, 2000, 2000],
    );
  });
});
