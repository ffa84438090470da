import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { RedisConfig } from '../../src/config/types.js';
import { DeadNodeSweeper, listenClusterEvents } from '../../src/routing/dead-node-sweeper.js';
import { RedisRouter } from '../../src/routing/redis-router.js';
import type { ClusterEvent } from '../../src/routing/types.js';
import { testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { startCluster } from '../helpers/redis-cluster.js';
import { startRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/** Six sweepers remove 40 dead nodes in well under a second; this long means they stopped making progress. */
const SWEEP_ALL_MS = 30_000;

/** Where the suite's Redis is: the redis section of a config, and how to stop it. */
interface Target {
  redis: Omit<RedisConfig, 'key_prefix'>;
  stop(): Promise<void>;
}

// The sweeper library against real Redis (standalone and Cluster): nodes are registered with a long lease, and a
// node "dies" when its lease key goes, exactly what its expiry does, so each test decides who is dead and when.
function sweeperSuite(label: string, start: () => Promise<Target>): void {
  describe(`dead-node sweeper on ${label}`, () => {
    let target: Target;
    let tag = 0;
    const open: Array<() => Promise<unknown>> = [];

    before(async () => {
      target = await start();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((close) => close()));
    });
    after(async () => {
      await target?.stop();
    });

    /** A router on its own key prefix (one per test), with leases that outlive the test unless killed. */
    async function cluster() {
      const prefix = `{sweep${++tag}}:`;
      const config = testConfig({
        redis: { ...target.redis, key_prefix: prefix },
        node_stats: { update_interval: 0.5, lease_ttl: 60 },
      });
      const router = await RedisRouter.connect(config);
      open.push(() => router.close());
      const sweeper = (nodeId: string, intervalMs = 500, lockTtlMs?: number, maxPerSweep?: number) =>
        new DeadNodeSweeper(router.client, router.keys, { nodeId, intervalMs, lockTtlMs, maxPerSweep });
      const kill = (id: string) => router.client.del(router.keys.alive(id));
      const events: ClusterEvent[] = [];
      const stop = await listenClusterEvents(router.client, router.keys, 'test redis', (e) => events.push(e));
      open.push(stop);
      const register = async (...ids: string[]) => {
        for (const id of ids) await router.registerNode(nodeRecord(id));
      };
      return { router, sweeper, kill, events, register, config };
    }

    it('removes a node whose lease expired and clears only the room mappings it still holds, telling every node', async () => {
      const { router, sweeper, kill, events, register } = await cluster();
      await register('live-1', 'live-2', 'dead-1');
      for (const [room, node] of [
        ['r1', 'dead-1'],
        ['r2', 'dead-1'],
        ['r3', 'live-1'],
      ] as const) {
        assert.equal((await router.placeRoom(room, { nodeId: node })).node.id, node);
        await router.putRoom({
          sid: `RM_${room}`,
          name: room,
          node_id: node,
          empty_timeout: 300,
          max_participants: 0,
          creation_time: 0,
          metadata: '',
          num_participants: 0,
          num_publishers: 0,
        });
      }
      await kill('dead-1');
      // Before any sweep, a join re-places r2 on a live node: the sweep must leave that mapping alone.
      assert.equal((await router.placeRoom('r2', { nodeId: 'live-2' })).node.id, 'live-2');

      const outcome = await sweeper('live-1').sweepOnce();
      assert.deepEqual(outcome, { status: 'swept', nodes: [{ node: 'dead-1', rooms: 1 }] });
      assert.equal(await router.getRoomNode('r1'), undefined, 'r1 is free');
      assert.equal(await router.getRoom('r1'), undefined, 'its record is gone with its node');
      assert.equal(await router.getRoomNode('r2'), 'live-2', 'a room claimed since stays where it went');
      assert.equal(await router.getRoomNode('r3'), 'live-1', 'a live node keeps its rooms');
      assert.deepEqual(await router.listNodeRooms('dead-1'), []);
      assert.equal(await router.getNode('dead-1'), undefined, 'the registry forgot the dead node');
      assert.deepEqual(
        (await router.listNodes()).map((n) => n.id),
        ['live-1', 'live-2'],
        'a cached view sees the removal',
      );
      await waitFor(() => events.length === 1, { what: 'the swept event' });
      assert.deepEqual(events[0], {
        type: 'node.swept',
        node: 'dead-1',
        rooms: ['r1'],
        promoted: {},
        by: 'live-1',
      });
      const again = await router.placeRoom('r1');
      assert.equal(again.claimed, true, 'the dead node’s room can be placed again at once');
      assert.ok(['live-1', 'live-2'].includes(again.node.id));
    });

    it('lets one node sweep at a time: a held lock turns the others away, and its holder alone releases it', async () => {
      const { router, sweeper, kill, register } = await cluster();
      await register('a', 'b', 'gone');
      await kill('gone');
      const first = sweeper('a');
      const token = await first.acquire();
      assert.ok(token, 'the lock was free');
      assert.deepEqual(await sweeper('b').sweepOnce(), { status: 'busy' });
      assert.ok(await router.getNode('gone'), 'nothing was swept while a held the lock');
      assert.equal(await sweeper('b').release(`b:${token}`), false, 'another token cannot release it');
      assert.equal(await first.release(token), true);
      assert.equal(await first.release(token), false, 'released once');
      const outcome = await sweeper('b').sweepOnce();
      assert.deepEqual(outcome, { status: 'swept', nodes: [{ node: 'gone', rooms: 0 }] });
      assert.equal(await router.client.exists(router.keys.sweepLock), 0, 'the sweep released its lock');
    });

    it('sweeps nothing when the check made once the lock is taken says no (a tick queued through an outage)', async () => {
      const { router, sweeper, kill, register } = await cluster();
      await register('a', 'gone');
      await kill('gone');
      let asked = 0;
      const outcome = await sweeper('a').sweepOnce(() => {
        asked++;
        return false;
      });
      assert.deepEqual(outcome, { status: 'declined' });
      assert.equal(asked, 1);
      assert.ok(await router.getNode('gone'), 'nothing was swept');
      assert.equal(await router.client.exists(router.keys.sweepLock), 0, 'the lock was released');
      const later = await sweeper('a').sweepOnce(() => true);
      assert.deepEqual(later, { status: 'swept', nodes: [{ node: 'gone', rooms: 0 }] });
    });

    it('refuses to sweep for a holder whose lock ran out (a paused node wakes up)', async () => {
      const { router, sweeper, kill, register } = await cluster();
      await register('a', 'gone');
      const paused = sweeper('a', 500, 100);
      const token = await paused.acquire();
      assert.ok(token);
      await waitFor(async () => (await router.client.exists(router.keys.sweepLock)) === 0, {
        what: 'the lock to run out',
      });
      await kill('gone');
      assert.deepEqual(await paused.sweepWith(token), { status: 'lost_lock' });
      assert.ok(await router.getNode('gone'), 'the late holder removed nothing');
    });

    it('sweeps the cluster at most once per half interval, however many nodes try', async () => {
      const { sweeper, kill, register } = await cluster();
      await register('a', 'b', 'c');
      assert.deepEqual(await sweeper('a', 60_000).sweepOnce(), { status: 'swept', nodes: [] });
      await kill('c');
      assert.deepEqual(await sweeper('b', 60_000).sweepOnce(), { status: 'recent' });
    });

    it('never sweeps a live node, nor the sweeping node itself while its own lease is out', async () => {
      const { router, sweeper, kill, register } = await cluster();
      await register('me', 'peer');
      await kill('me');
      assert.deepEqual(await sweeper('me').sweepOnce(), { status: 'swept', nodes: [] });
      assert.ok(await router.getNode('me'), 'a node never declares itself dead');
      assert.ok(await router.getNode('peer'));
    });

    it('finds dead nodes behind live ones that have not reported since', async () => {
      const { router, sweeper, kill, register } = await cluster();
      // Registered first, so they sit below the dead ones in write order, as slow reporters would.
      await register('slow-1', 'slow-2', 'slow-3', 'd1', 'd2', 'fast');
      await kill('d1');
      await kill('d2');
      const outcome = await sweeper('fast').sweepOnce();
      assert.equal(outcome.status, 'swept');
      assert.deepEqual(outcome.status === 'swept' ? outcome.nodes.map((n) => n.node).sort() : [], [
        'd1',
        'd2',
      ]);
      assert.deepEqual(
        (await router.listNodes()).map((n) => n.id),
        ['fast', 'slow-1', 'slow-2', 'slow-3'],
      );
    });

    it('sweeps each of 40 dead nodes exactly once when six nodes sweep at the same time', async () => {
      const { router, sweeper, kill, events, register } = await cluster();
      const live = ['s0', 's1', 's2', 's3', 's4', 's5'];
      const dead = Array.from({ length: 40 }, (_, i) => `dead-${i}`);
      await register(...live, ...dead);
      for (const [i, id] of dead.entries()) {
        await router.placeRoom(`room-${i}`, { nodeId: id });
        await kill(id);
      }
      const swept: string[] = [];
      // A tiny interval and three nodes per sweep, so that the sweepers race for the lock again and again. They
      // share a deadline: sweeps that stop removing nodes fail the test instead of spinning on.
      const deadline = Date.now() + SWEEP_ALL_MS;
      await Promise.all(
        live.map(async (id) => {
          const mine = sweeper(id, 2, undefined, 3);
          for (;;) {
            const left = (await router.client.hlen(router.keys.nodes)) - live.length;
            if (left <= 0) break;
            if (Date.now() > deadline)
              throw new Error(
                `timed out after ${SWEEP_ALL_MS} ms waiting for the sweepers to remove every dead node (${left} left)`,
              );
            const outcome = await mine.sweepOnce();
            if (outcome.status === 'swept') swept.push(...outcome.nodes.map((n) => n.node));
          }
        }),
      );
      assert.deepEqual(swept.sort(), [...dead].sort(), 'every dead node swept, none twice');
      await waitFor(() => events.length === dead.length, { what: 'one event per dead node' });
      assert.deepEqual(events.map((e) => e.node).sort(), [...dead].sort());
      assert.equal((await router.listRoomNodes()).size, 0, 'every mapping of a dead node cleared');
    });
  });
}

sweeperSuite('a standalone redis-server', async () => {
  const redis = await startRedis();
  return { redis: { address: redis.address }, stop: () => redis.stop() };
});

sweeperSuite('a Redis Cluster of three masters', async () => {
  const cluster = await startCluster(3);
  return { redis: { cluster_addresses: cluster.addresses }, stop: () => cluster.stop() };
});
