import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RoomServiceClient } from 'livekit-server-sdk';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../../src/config/defaults.js';
import { SEED_REGIONS } from '../helpers/config.js';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import { joinToken } from '../helpers/fault-cluster.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { openSession, type WsSession } from '../helpers/ws-session.js';

const WEST = 'us-west-2';
const EAST = 'us-east';
const SYSLOAD_LIMIT = 0.5;
const IDLE = 0.1;
const LOADED = 0.8;

// Three nodes in two regions, kind regionaware: W1 and W2 in us-west-2, E in us-east. Each reports the sysload the
// test writes to its file (the machine's own load would put every node over any limit on a busy CI box).
describe('region-aware placement by three node processes in two regions', () => {
  let redis: TestRedis;
  let store: Redis;
  let dir: string;
  let w1: TestNode;
  let w2: TestNode;
  let e: TestNode;
  const sysloadFile = new Map<TestNode, string>();
  const started: TestNode[] = [];
  const sessions: WsSession[] = [];

  before(async () => {
    redis = await startRedis();
    store = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await store.connect();
    dir = mkdtempSync(join(tmpdir(), 'lkc-topo-regions-'));
    const start = async (name: string, region: string) => {
      const port = await freePort();
      const config = nodeConfig({ port, redis: redis.address, region, regions: SEED_REGIONS });
      config.node_selector = { kind: 'regionaware', sysload_limit: SYSLOAD_LIMIT, regions: SEED_REGIONS };
      const file = join(dir, `${name}.sysload`);
      writeSysload(file, IDLE);
      const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port, fakeSysloadEnv(file));
      started.push(node);
      sysloadFile.set(node, file);
      return node;
    };
    [w1, w2, e] = await Promise.all([start('w1', WEST), start('w2', WEST), start('e', EAST)]);
    await waitFor(async () => (await store.hlen(`${PREFIX}nodes`)) === 3, { what: 'three registered nodes' });
    for (const node of started) await reported(node, (r) => r.stats.sysload === IDLE, `sysload ${IDLE}`);
  });

  after(async () => {
    for (const s of sessions) s.socket.terminate();
    await Promise.all(started.map((n) => n.stop()));
    store?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until `node`'s record in Redis satisfies `check` (its next heartbeat, within the 0.5 s interval). */
  async function reported(
    node: TestNode,
    check: (record: { state: string; stats: { sysload: number } }) => boolean,
    what: string,
  ): Promise<void> {
    await waitFor(
      async () => {
        const record = await store.hget(`${PREFIX}nodes`, node.id);
        return record !== null && check(JSON.parse(record));
      },
      { timeoutMs: 5000, what: `${node.url} to report ${what}` },
    );
  }

  /**
   * Waits until `node`'s own router (its view of the cluster refreshes every 0.5 s, after Redis) would place a new
   * room, from its own region, in `region`: asked with a dry run, so nothing is claimed.
   */
  async function viewPlacesIn(node: TestNode, region: string): Promise<void> {
    const origin = node.id === e.id ? EAST : WEST;
    let seen = '';
    await waitFor(
      async () => {
        const answer = await admin(node.url, 'POST', '/admin/registry/place', {
          room: 'dry-run-probe',
          origin_region: origin,
          dry_run: true,
        });
        seen = JSON.stringify(answer.body);
        return answer.status === 200 && answer.body.placement.node.region === region;
      },
      { timeoutMs: 5000, what: () => `${node.url}'s view to place in ${region} (last: ${seen})` },
    );
  }

  /** Joins `room` through `node` and resolves with the node the join landed on (id and region). */
  async function joinThrough(node: TestNode, room: string): Promise<{ id: string; region: string }> {
    const session = await openSession(node.url, await joinToken(room, `via-${node.id}`));
    sessions.push(session);
    const joined = await session.request('join');
    assert.equal(joined.ok, true, JSON.stringify(joined.error));
    const holder = await store.hget(`${PREFIX}room_node`, room);
    assert.equal(holder, joined.data.node.id, `${room}: the join answer names the mapped node`);
    return joined.data.node;
  }

  /** The region of the node with this id (one of the three). */
  const regionOf = (id: string) => {
    assert.ok([w1.id, w2.id, e.id].includes(id), `${id} is one of the test's nodes`);
    return id === e.id ? EAST : WEST;
  };

  it('a join through a node places a new room in that node’s region', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await joinThrough(e, `east-born-${i}`)).region, EAST);
    for (let i = 0; i < 3; i++) {
      const landed = await joinThrough(w1, `west-born-${i}`);
      assert.equal(landed.region, WEST);
      assert.ok([w1.id, w2.id].includes(landed.id));
    }
  });

  it('CreateRoom through the SDK places the room in the region of the node that took the call', async () => {
    const created = await new RoomServiceClient(e.url, TEST_KEY, TEST_SECRET).createRoom({
      name: 'sdk-east',
    });
    assert.match(created.sid, /^RM_/);
    assert.equal(regionOf((await store.hget(`${PREFIX}room_node`, 'sdk-east'))!), EAST);
    await new RoomServiceClient(w2.url, TEST_KEY, TEST_SECRET).createRoom({ name: 'sdk-west' });
    assert.equal(regionOf((await store.hget(`${PREFIX}room_node`, 'sdk-west'))!), WEST);
  });

  it('a loaded region’s new rooms go to the other region, and come back once it is idle', async () => {
    writeSysload(sysloadFile.get(e)!, LOADED);
    await reported(e, (r) => r.stats.sysload >= SYSLOAD_LIMIT, `sysload at or over ${SYSLOAD_LIMIT}`);
    await viewPlacesIn(e, WEST);
    for (let i = 0; i < 2; i++) assert.equal((await joinThrough(e, `east-loaded-${i}`)).region, WEST);
    const sdk = new RoomServiceClient(e.url, TEST_KEY, TEST_SECRET);
    await sdk.createRoom({ name: 'sdk-east-loaded' });
    assert.equal(regionOf((await store.hget(`${PREFIX}room_node`, 'sdk-east-loaded'))!), WEST);
    // A room already on the loaded node stays there.
    assert.equal((await joinThrough(w1, 'east-born-0')).id, e.id);

    writeSysload(sysloadFile.get(e)!, IDLE);
    await reported(e, (r) => r.stats.sysload === IDLE, `sysload ${IDLE} again`);
    await viewPlacesIn(e, EAST);
    assert.equal((await joinThrough(e, 'east-idle-again')).region, EAST);
  });

  it('a drained region’s new rooms go to the other region; its rooms stay where they are', async () => {
    for (const [i, node] of [w1, w2].entries()) {
      // A drained node with no room leaves at once: each holds one, so that it stays, draining, for the test.
      const kept = await admin(node.url, 'POST', '/admin/rooms', { name: `west-keep-${i}` });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      const drained = await admin(node.url, 'POST', '/admin/drain', {});
      assert.equal(drained.status, 200, JSON.stringify(drained.body));
      await reported(node, (r) => r.state === 'draining', 'state draining');
    }
    for (const node of [w1, w2]) await viewPlacesIn(node, EAST);
    for (let i = 0; i < 2; i++) assert.equal((await joinThrough(w2, `west-drained-${i}`)).id, e.id);
    await new RoomServiceClient(w1.url, TEST_KEY, TEST_SECRET).createRoom({ name: 'sdk-west-drained' });
    assert.equal(await store.hget(`${PREFIX}room_node`, 'sdk-west-drained'), e.id);
    const kept = await joinThrough(e, 'west-born-0');
    assert.equal(kept.region, WEST, 'a draining node keeps its rooms');
  });
});
