import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeBus } from '../../server/bus/node-bus.js';
import { createLogger } from '../../server/logger.js';
import { RoomCallClient } from '../../server/twirp/bus-calls.js';
import type { Router } from '../../src/routing/types.js';
import { connectRouter } from '../helpers/cluster-bus.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'error', json: true });

describe('Room API calls between nodes over the bus', () => {
  let redis: TestRedis;
  let callerRouter: Router;
  let silentRouter: Router;
  let caller: NodeBus;
  let silent: NodeBus;
  let client: RoomCallClient;

  before(async () => {
    redis = await startRedis();
    [callerRouter, silentRouter] = await Promise.all([connectRouter(redis.port), connectRouter(redis.port)]);
    caller = new NodeBus(callerRouter, 'ND_caller', logger);
    // A node on the bus that does not serve the Room API (a different version, or one stuck mid-call).
    silent = new NodeBus(silentRouter, 'ND_silent', logger);
    await Promise.all([caller.start(), silent.start()]);
    client = new RoomCallClient(caller, 300);
  });

  after(async () => {
    await Promise.all([caller?.stop(), silent?.stop()]);
    await Promise.all([callerRouter?.close(), silentRouter?.close()]);
    await redis?.stop();
  });

  test('a room node that does not answer in time makes the call unavailable, naming the node', async () => {
    const started = Date.now();
    await assert.rejects(
      client.call('ND_silent', 'list_participants', { room: 'r' }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'UNAVAILABLE');
        assert.match(
          err.message,
          /node ND_silent did not answer the room API call list_participants within 300 ms/,
        );
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 2000, `gave up after ${elapsed} ms`);
  });

  test('a node nobody listens for times out the same way', async () => {
    await assert.rejects(client.call('ND_nobody', 'delete', { room: 'r' }), /node ND_nobody did not answer/);
  });

  test('closing the client fails the calls still waiting at once', async () => {
    const started = Date.now();
    const pending = client.call('ND_silent', 'get_participant', { room: 'r', identity: 'i' });
    client.close();
    await assert.rejects(pending, /shutting down/);
    assert.ok(Date.now() - started < 250);
  });
});
