import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Config, RedisConfig } from '../../src/config/types.js';
import type { RoomRecord } from '../../src/records.js';
import { RedisRouter, type RedisRouterOptions } from '../../src/routing/redis-router.js';
import { SEED_REGIONS, testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { waitFor } from '../helpers/wait.js';
import { placeFromProcesses } from './concurrent-placement.js';

/** Where the suite's Redis is: the redis section of a config, and how to stop it. */
export interface RedisTarget {
  redis: Omit<RedisConfig, 'key_prefix'>;
  stop(): Promise<void>;
}

type Overrides = Parameters<typeof testConfig>[0];

/**
 * The router's behaviour against one kind of Redis (standalone, Sentinel, Cluster): the same tests, so every
 * setup an operator can configure is held to the same promises.
 */
export function routerSuite(label: string, start: () => Promise<RedisTarget>): void {
  describe(`redis router on ${label}`, () => {
    let target: RedisTarget;
    const open: RedisRouter[] = [];

    before(async () => {
      target = await start();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((r) => r.close()));
    });
    after(async () => {
      await target?.stop();
    });

    // Each test gets its own hash tag, so tests never see each other's keys (and still stay in one slot).
    function configFor(prefix: string, overrides: Overrides = {}): Config {
      return testConfig({ ...overrides, redis: { ...target.redis, key_prefix: prefix } });
    }
    function freshPrefix(): string {
      return `{t${randomUUID().slice(0, 8)}}:`;
    }
    async function router(config: Config, options: RedisRouterOptions = {}): Promise<RedisRouter> {
      const r = await RedisRouter.connect(config, { connectTimeoutMs: 10_000, ...options });
      open.push(r);
      return r;
    }

    it('registers a node and lists it alive with its lease and every reported figure', async () => {
      const r = await router(configFor(freshPrefix()));
      const record = nodeRecord('node-a', { sysload: 0.3, rooms: 2, clients: 5, tracks: 6, bytes: 1000 });
      await r.registerNode(record);
      const [node] = await r.listNodes();
      assert.equal(node!.id, 'node-a');
      assert.equal(node!.alive, true);
      assert.ok(node!.lease_ms_left > 0 && node!.lease_ms_left <= 6000);
      assert.ok(node!.lease_age_ms !== null && node!.lease_age_ms >= 0);
      assert.deepEqual(
        { ...node!.stats, recent_placements: undefined },
        { ...record.stats, recent_placements: undefined },
      );
      assert.equal((await r.getNode('node-a'))!.url, record.url);
      const renewal = await r.heartbeat({ ...record, state: 'draining' });
      assert.equal(renewal.held, true);
      // The margin: what was left of the lease just registered, a few milliseconds old.
      const leaseMs = configFor('x').node_stats.lease_ttl * 1000;
      assert.ok(renewal.msLeft > leaseMs - 2000 && renewal.msLeft <= leaseMs, `margin ${renewal.msLeft} ms`);
      assert.equal((await r.getNode('node-a'))!.state, 'draining');
    });

    it('treats a node whose lease expired as dead, and its next heartbeat says so', async () => {
      const config = configFor(freshPrefix(), { node_stats: { lease_ttl: 0.3 } });
      const r = await router(config);
      const record = nodeRecord('short-lived');
      await r.registerNode(record);
      assert.equal((await r.getNode('short-lived'))!.alive, true);
      await waitFor(async () => (await r.getNode('short-lived'))?.alive === false, {
        what: 'the lease to expire',
      });
      const [listed] = await r.listNodes();
      assert.equal(listed!.alive, false);
      assert.equal(listed!.state, 'serving', 'the record still says serving; the lease decides');
      assert.deepEqual(await r.heartbeat(record), { held: false, msLeft: 0 });
      assert.equal((await r.heartbeat(record)).held, true);
    });

    it('forgets a node whose process is gone: refused while its lease lives unless forced, and tells the cluster', async () => {
      const config = configFor(freshPrefix(), { node_stats: { lease_ttl: 60 } });
      const r = await router(config);
      await r.registerNode(nodeRecord('gone'));
      await r.registerNode(nodeRecord('staying'));
      await r.placeRoom('r1', { nodeId: 'gone' });
      await r.putRoom(roomRecord('r1', 'gone'));
      const heard: unknown[] = [];
      const watch = await r.watchDeadNodes({
        nodeId: 'staying',
        intervalMs: 60_000,
        onEvent: (e) => heard.push(e),
      });
      try {
        const refused = await r.forgetNode('gone', { by: 'test', why: 'its process exited' });
        assert.equal(refused.status, 'alive');
        assert.ok(refused.status === 'alive' && refused.msLeft > 50_000, 'the lease is alive');
        assert.equal(await r.getRoomNode('r1'), 'gone');
        const forgotten = await r.forgetNode('gone', { force: true, by: 'test', why: 'its process exited' });
        assert.deepEqual(forgotten, { status: 'forgotten', rooms: ['r1'] });
        assert.equal(await r.getNode('gone'), undefined);
        assert.equal(await r.getRoom('r1'), undefined);
        assert.equal((await r.placeRoom('r1')).node.id, 'staying');
        assert.deepEqual(await r.forgetNode('gone', { force: true, by: 'test', why: 'again' }), {
          status: 'unknown',
        });
        await waitFor(() => heard.length > 0, { what: 'the node.swept event' });
        assert.deepEqual(heard, [
          {
            type: 'node.swept',
            node: 'gone',
            rooms: ['r1'],
            promoted: {},
            by: 'test',
            why: 'its process exited',
          },
        ]);
      } finally {
        await watch.stop();
      }
    });

    it('reads leases from their value: ttl and deadline, a lease in the old form, and a deleted lease', async () => {
      const config = configFor(freshPrefix());
      const writer = await router(config);
      for (const id of ['fresh', 'old-form', 'killed', 'draining']) await writer.registerNode(nodeRecord(id));
      await writer.heartbeat({ ...nodeRecord('draining'), state: 'draining' });
      const leaseMs = config.node_stats.lease_ttl * 1000;
      const [ttl, deadline] = String(await writer.client.get(writer.keys.alive('fresh'))).split(':');
      assert.equal(Number(ttl), leaseMs);
      assert.ok(Number(deadline) > Date.now() - 60_000, 'the deadline is a time on the Redis clock');
      // A lease an older node wrote holds its ttl alone; a lease deleted under the record is a dead node.
      await writer.client.set(writer.keys.alive('old-form'), '6000', 'PX', 4000);
      await writer.client.del(writer.keys.alive('killed'));
      const reader = await router(config);
      const nodes = new Map((await reader.listNodes()).map((n) => [n.id, n]));
      assert.equal(nodes.get('fresh')!.alive, true);
      const fresh = nodes.get('fresh')!.lease_ms_left;
      assert.ok(fresh > leaseMs - 1000 && fresh <= leaseMs, `${fresh} ms left of ${leaseMs}`);
      assert.equal(nodes.get('old-form')!.alive, true);
      assert.ok(nodes.get('old-form')!.lease_ms_left <= 4000);
      assert.ok(nodes.get('old-form')!.lease_age_ms! >= 2000, 'age is the ttl less the time left');
      assert.equal(nodes.get('killed')!.alive, false);
      assert.equal((await reader.getNode('fresh'))!.lease_ms_left <= leaseMs, true);
      assert.equal((await reader.getNode('fresh'))!.lease_age_ms! >= 0, true);
      assert.deepEqual(
        [...(await reader.listNodeStates()).entries()].sort(([a], [b]) => a.localeCompare(b)),
        [
          ['draining', { state: 'draining', alive: true }],
          ['fresh', { state: 'serving', alive: true }],
          ['killed', { state: 'serving', alive: false }],
          ['old-form', { state: 'serving', alive: true }],
        ],
      );
    });

    it('unregisters a node with its lease and every room it held', async () => {
      const r = await router(configFor(freshPrefix()));
      await r.registerNode(nodeRecord('leaving'));
      await r.registerNode(nodeRecord('staying'));
      const placed = await r.placeRoom('r1', { nodeId: 'leaving' });
      assert.equal(placed.node.id, 'leaving');
      await r.putRoom(roomRecord('r1', 'leaving'));
      await r.unregisterNode('leaving');
      assert.equal(await r.getNode('leaving'), undefined);
      assert.equal(await r.getRoomNode('r1'), undefined);
      assert.equal(await r.getRoom('r1'), undefined);
      assert.deepEqual(
        (await r.listNodes()).map((n) => n.id),
        ['staying'],
      );
      assert.equal((await r.placeRoom('r1')).node.id, 'staying');
    });

    it('keeps a placed room on its node: placing it again, from another router, is sticky', async () => {
      const config = configFor(freshPrefix());
      const a = await router(config);
      const b = await router(config);
      for (const id of ['n1', 'n2', 'n3']) await a.registerNode(nodeRecord(id));
      const first = await a.placeRoom('standup');
      assert.equal(first.claimed, true);
      assert.equal(first.sticky, false);
      for (const r of [a, b, a]) {
        const again = await r.placeRoom('standup');
        assert.equal(again.node.id, first.node.id);
        assert.equal(again.sticky, true);
        assert.equal(again.explanation.rule, `sticky: already on ${first.node.id}`);
      }
      assert.equal(await b.getRoomNode('standup'), first.node.id);
      assert.deepEqual(await b.listNodeRooms(first.node.id), ['standup']);
    });

    it('lets a draining node keep its rooms while it takes no new ones', async () => {
      const r = await router(configFor(freshPrefix()));
      await r.registerNode(nodeRecord('old'));
      const kept = await r.placeRoom('kept');
      assert.equal(kept.node.id, 'old');
      await r.heartbeat(nodeRecord('old', { state: 'draining' }));
      await r.registerNode(nodeRecord('new'));
      assert.equal((await r.placeRoom('kept')).node.id, 'old');
      for (let i = 0; i < 10; i++) assert.equal((await r.placeRoom(`fresh-${i}`)).node.id, 'new');
      await r.unregisterNode('new');
      await assert.rejects(r.placeRoom('another'), /no serving node: 1 live, 1 draining/);
      assert.equal((await r.placeRoom('kept')).node.id, 'old');
    });

    it('re-places the room of a dead node on a live one', async () => {
      const config = configFor(freshPrefix(), { node_stats: { lease_ttl: 0.4 } });
      const r = await router(config);
      await r.registerNode(nodeRecord('doomed'));
      assert.equal((await r.placeRoom('orphan')).node.id, 'doomed');
      // A second router with a long lease keeps `survivor` alive while `doomed` stops reporting.
      const keeper = await router(configFor(config.redis!.key_prefix, { node_stats: { lease_ttl: 60 } }));
      await keeper.registerNode(nodeRecord('survivor'));
      await waitFor(async () => (await r.getNode('doomed'))?.alive === false, { what: 'doomed to die' });
      const moved = await r.placeRoom('orphan');
      assert.equal(moved.node.id, 'survivor');
      assert.equal(moved.claimed, true);
      assert.deepEqual(await r.listNodeRooms('doomed'), []);
      assert.deepEqual(await r.listNodeRooms('survivor'), ['orphan']);
    });

    it('clears a mapping only for the node that holds it', async () => {
      const r = await router(configFor(freshPrefix()));
      await r.registerNode(nodeRecord('holder'));
      await r.placeRoom('room');
      assert.equal(await r.releaseRoom('room', 'someone-else'), false);
      assert.equal(await r.getRoomNode('room'), 'holder');
      assert.equal(await r.releaseRoom('room', 'holder'), true);
      assert.equal(await r.getRoomNode('room'), undefined);
      assert.equal(await r.releaseRoom('room', 'holder'), false);
    });

    it('re-asserts a mapping only where no other live node holds the room', async () => {
      const config = configFor(freshPrefix(), { node_stats: { lease_ttl: 0.4 } });
      const r = await router(config);
      const keeper = await router(configFor(config.redis!.key_prefix, { node_stats: { lease_ttl: 60 } }));
      await keeper.registerNode(nodeRecord('live'));
      await r.registerNode(nodeRecord('ghost'));
      assert.equal(await r.assertRoom('contested', 'live'), 'live');
      assert.equal(await r.assertRoom('contested', 'ghost'), 'live', 'a live holder keeps the room');
      assert.equal(await r.assertRoom('free', 'ghost'), 'ghost');
      await waitFor(async () => (await r.getNode('ghost'))?.alive === false, { what: 'ghost to die' });
      assert.equal(await r.assertRoom('free', 'live'), 'live', 'a dead holder loses the room');
      assert.deepEqual(await r.listNodeRooms('live'), ['contested', 'free']);
    });

    it('stores room records and deletes one only for the node that holds the room', async () => {
      const r = await router(configFor(freshPrefix()));
      await r.registerNode(nodeRecord('host'));
      await r.placeRoom('b-room');
      await r.placeRoom('a-room');
      await r.putRoom(roomRecord('b-room', 'host'));
      await r.putRoom(roomRecord('a-room', 'host'));
      assert.deepEqual((await r.getRoom('b-room'))!.sid, 'RM_b-room');
      assert.deepEqual(
        (await r.listRooms()).map((room) => room.name),
        ['a-room', 'b-room'],
      );
      assert.deepEqual(
        [...(await r.listRoomNodes())],
        [
          ['a-room', 'host'],
          ['b-room', 'host'],
        ],
      );
      await r.deleteRoom('b-room', 'intruder');
      assert.ok(await r.getRoom('b-room'));
      await r.deleteRoom('b-room', 'host');
      assert.equal(await r.getRoom('b-room'), undefined);
    });

    it('delivers a message to the addressed node’s channel only, until it unsubscribes', async () => {
      const config = configFor(freshPrefix());
      const a = await router(config);
      const b = await router(config);
      const gotA: string[] = [];
      const gotB: string[] = [];
      const stopA = await a.subscribe('node-a', (m) => gotA.push(m));
      await b.subscribe('node-b', (m) => gotB.push(m));
      await b.publish('node-a', 'hello a');
      await a.publish('node-b', 'hello b');
      await waitFor(() => gotA.length === 1 && gotB.length === 1, { what: 'both messages' });
      assert.deepEqual([gotA, gotB], [['hello a'], ['hello b']]);
      await stopA();
      const unheard = await b.publish('node-a', 'unheard');
      const heard = await b.publish('node-b', 'heard');
      // The relay holds a frame nobody heard; a store that cannot count (Redis Cluster) says so with undefined.
      if (unheard !== undefined) assert.deepEqual([unheard, heard], [0, 1]);
      await waitFor(() => gotB.length === 2, { what: 'the second message' });
      assert.deepEqual(gotA, ['hello a']);
    });

    it('places in the nearest region under the sysload limit, seeing nodes another router registered', async () => {
      const prefix = freshPrefix();
      const selector = { kind: 'regionaware' as const, sysload_limit: 0.5, regions: SEED_REGIONS };
      const registry = await router(configFor(prefix, { region: 'us-east', node_selector: selector }));
      const placer = await router(configFor(prefix, { region: 'us-west-2', node_selector: selector }));
      await registry.registerNode(nodeRecord('west-hot', { region: 'us-west-2', sysload: 0.7 }));
      await registry.registerNode(nodeRecord('west-ok', { region: 'us-west-2', sysload: 0.2 }));
      await registry.registerNode(nodeRecord('east-ok', { region: 'us-east', sysload: 0.1 }));
      const placement = await placer.placeRoom('r', { explain: true });
      assert.equal(placement.node.id, 'west-ok');
      assert.equal(placement.explanation.nodes.length, 3);
      assert.equal(
        (await placer.placeRoom('r2', { originRegion: 'us-east', dryRun: true })).node.id,
        'east-ok',
      );
      assert.equal(await placer.getRoomNode('r2'), undefined, 'a dry run claims nothing');
    });

    it('passes over a node that drained after the router last looked, and sees one that joined', async () => {
      const prefix = freshPrefix();
      const other = await router(configFor(prefix));
      const placer = await router(configFor(prefix), { viewRefreshMs: 60_000, maxViewAgeMs: 60_000 });
      await other.registerNode(nodeRecord('only'));
      assert.equal((await placer.placeRoom('warm-up')).node.id, 'only');
      await other.registerNode(nodeRecord('second'));
      await other.heartbeat(nodeRecord('only', { state: 'draining' }));
      // The placer's view still has `only` serving and does not know `second`: the claim refuses, it re-reads.
      for (let i = 0; i < 5; i++) assert.equal((await placer.placeRoom(`next-${i}`)).node.id, 'second');
      await other.unregisterNode('second');
      await assert.rejects(placer.placeRoom('nowhere'), /no serving node/);
    });

    it('never places more rooms on a node than its max_rooms, even in a burst from two routers', async () => {
      const prefix = freshPrefix();
      const a = await router(configFor(prefix));
      const b = await router(configFor(prefix));
      await a.registerNode(nodeRecord('small-1', { rooms: 1, limits: { max_rooms: 4 } }));
      await a.registerNode(nodeRecord('small-2', { limits: { max_rooms: 3 } }));
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).placeRoom(`burst-${i}`)),
      );
      const placed = results.filter((r) => r.status === 'fulfilled');
      assert.equal(placed.length, 6, 'small-1 takes 3 more rooms, small-2 takes 3');
      assert.deepEqual((await a.listNodeRooms('small-1')).length, 3);
      assert.deepEqual((await a.listNodeRooms('small-2')).length, 3);
      for (const r of results)
        if (r.status === 'rejected') assert.match(String(r.reason), /max_rooms|full|gave up/);
    });

    it('counts rooms placed in the last few seconds against their node until the window ends', async () => {
      const prefix = freshPrefix();
      const r = await router(configFor(prefix), { recentWindowMs: 400 });
      await r.registerNode(nodeRecord('only'));
      for (let i = 0; i < 3; i++) await r.placeRoom(`recent-${i}`);
      assert.equal((await r.getNode('only'))!.stats.recent_placements, 3);
      const other = await router(configFor(prefix));
      assert.equal((await other.listNodes())[0]!.stats.recent_placements, 3, 'another router sees them too');
      await waitFor(async () => (await r.getNode('only'))!.stats.recent_placements === 0, {
        what: 'the window to end',
      });
      await r.placeRoom('recent-next');
      assert.equal((await r.getNode('only'))!.stats.recent_placements, 1, 'a new window starts');
    });

    it('puts every room of 8 processes placing the same 500 names at once on exactly one node', async () => {
      const config = configFor(freshPrefix(), { node_stats: { lease_ttl: 120 } });
      const registry = await router(config);
      for (let i = 0; i < 4; i++) await registry.registerNode(nodeRecord(`node-${i}`, { rooms: i }));
      const rooms = Array.from({ length: 500 }, (_, i) => `room-${i}`);
      const answers = await placeFromProcesses(config, rooms, 8);
      const truth = await registry.listRoomNodes();
      assert.equal(truth.size, 500);
      for (const answer of answers) assert.deepEqual(answer, Object.fromEntries(truth));
      const byNode = await Promise.all([0, 1, 2, 3].map((i) => registry.listNodeRooms(`node-${i}`)));
      assert.equal(new Set(byNode.flat()).size, 500);
      assert.equal(byNode.flat().length, 500, 'no room is listed under two nodes');
    });
  });
}

function roomRecord(name: string, node: string): RoomRecord {
  return {
    sid: `RM_${name}`,
    name,
    node_id: node,
    empty_timeout: 300,
    max_participants: 0,
    creation_time: Math.floor(Date.now() / 1000),
    metadata: '',
    num_participants: 0,
    num_publishers: 0,
  };
}
