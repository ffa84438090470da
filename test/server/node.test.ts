import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToken } from '../../src/auth/token.js';
import { createRouter } from '../../src/routing/create.js';
import type { Router } from '../../src/routing/types.js';
import { testConfig } from '../helpers/config.js';
import {
  admin,
  get,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  testToken,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { findSample, parsePrometheusText } from '../helpers/prometheus-text.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

describe('a node in a Redis cluster', () => {
  let redis: TestRedis;
  let dir: string;
  let node: TestNode;
  let router: Router;

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-node-'));
    const port = await freePort();
    const file = writeConfig(dir, 'node.yaml', nodeConfig({ port, redis: redis.address, region: 'us-east' }));
    node = await startNode(file, port);
    router = await createRouter(
      testConfig({
        redis: { address: redis.address, key_prefix: '{lkc}:' },
        node_stats: { update_interval: 0.5, lease_ttl: 1.5 },
      }),
    );
  });

  after(async () => {
    await node?.stop();
    await router?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers as serving in its region, at its URL, and becomes ready', async () => {
    const view = await router.getNode(node.id);
    assert.ok(view, 'the node record is in Redis');
    assert.equal(view.state, 'serving');
    assert.equal(view.alive, true);
    assert.equal(view.region, 'us-east');
    assert.equal(view.url, node.url);
    assert.equal(view.ip, '127.0.0.1');
    assert.match(node.id, /^ND_[A-Za-z0-9]{12}$/);
    const ready = await get(`${node.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
  });

  it('reports its stats on every update interval, renewing its lease', async () => {
    const first = (await router.getNode(node.id))!.stats.updated_at;
    const later = await waitFor(
      async () => {
        const view = await router.getNode(node.id);
        return view && view.stats.updated_at > first ? view : undefined;
      },
      { timeoutMs: 3000, what: 'a newer stats report' },
    );
    // The node runs on this machine: its figures are this machine's, read the same way.
    assert.equal(later.stats.num_cpus, availableParallelism());
    const sysload = loadavg()[0]! / availableParallelism();
    assert.ok(Math.abs(later.stats.sysload - sysload) < 0.5, `sysload ${later.stats.sysload} vs ${sysload}`);
    assert.ok(later.stats.cpu_load >= 0 && later.stats.cpu_load <= 1);
    assert.ok(Math.abs(later.stats.updated_at - Date.now()) < 3000, 'reported just now');
    assert.ok(later.lease_ms_left > 0 && later.lease_ms_left <= 1500);
  });

  it('answers /healthz with 200 while the process lives', async () => {
    const health = await get(`${node.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.node_id, node.id);
  });

  it('serves /metrics as Prometheus text: rooms, participants, tracks, placements, redis errors, worker cpu, state', async () => {
    // Worker CPU is measured from the second stats sample on.
    await waitFor(async () => (await get(`${node.url}/metrics`)).body.includes('lkc_worker_cpu_load{'), {
      timeoutMs: 3000,
      what: 'worker cpu figures',
    });
    const response = await fetch(`${node.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const { types, samples } = parsePrometheusText(await response.text());
    for (const [name, type] of [
      ['lkc_rooms', 'gauge'],
      ['lkc_participants', 'gauge'],
      ['lkc_tracks_in', 'gauge'],
      ['lkc_tracks_out', 'gauge'],
      ['lkc_placements_total', 'counter'],
      ['lkc_placement_duration_seconds', 'histogram'],
      ['lkc_redis_errors_total', 'counter'],
      ['lkc_worker_cpu_seconds', 'gauge'],
      ['lkc_node_state', 'gauge'],
    ]) {
      assert.equal(types.get(name!), type, `${name} is a ${type}`);
    }
    const state = findSample(samples, 'lkc_node_state', { state: 'serving' });
    assert.equal(state?.value, 1);
    assert.equal(state?.labels.node_id, node.id);
    const cpu = findSample(samples, 'lkc_worker_cpu_seconds', { worker: '0' });
    assert.ok(cpu && cpu.value > 0, 'the worker has used some CPU');
  });

  it('hosts a room on a mediasoup router, maps it to itself and stores its record', async () => {
    const created = await admin(node.url, 'POST', '/admin/rooms', { name: 'room-a', max_participants: 5 });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.match(created.body.room.sid, /^RM_/);
    assert.equal(await router.getRoomNode('room-a'), node.id);
    const record = await router.getRoom('room-a');
    assert.equal(record?.sid, created.body.room.sid);
    assert.equal(record?.node_id, node.id);
    assert.equal(record?.max_participants, 5);
    const again = await admin(node.url, 'POST', '/admin/rooms', { name: 'room-a' });
    assert.equal(again.body.room.sid, created.body.room.sid, 'the same room, not a second one');
    const view = await waitFor(
      async () => {
        const v = await router.getNode(node.id);
        return v?.stats.rooms === 1 ? v : undefined;
      },
      { timeoutMs: 3000, what: 'the room in the stats' },
    );
    assert.equal(view.stats.clients, 0);
    const { samples } = parsePrometheusText((await get(`${node.url}/metrics`)).body);
    assert.equal(findSample(samples, 'lkc_rooms')?.value, 1);
    assert.equal(findSample(samples, 'lkc_placements_total', { result: 'claimed' })?.value, 1);
    assert.equal(findSample(samples, 'lkc_placement_duration_seconds_count')?.value, 1);
  });

  it('closes a room after empty_timeout with no participants, releasing its mapping and record', async () => {
    const created = await admin(node.url, 'POST', '/admin/rooms', { name: 'brief', empty_timeout: 1 });
    assert.equal(created.status, 200);
    assert.equal(await router.getRoomNode('brief'), node.id);
    await waitFor(async () => (await router.getRoomNode('brief')) === undefined, {
      timeoutMs: 4000,
      what: 'brief to be unmapped',
    });
    assert.equal(await router.getRoom('brief'), undefined);
    const rooms = await admin(node.url, 'GET', '/admin/rooms');
    assert.deepEqual(
      rooms.body.rooms.map((r: { name: string }) => r.name),
      ['room-a'],
    );
  });

  it('refuses admin calls without a valid token carrying roomAdmin', async () => {
    const call = async (token?: string) =>
      (await get(`${node.url}/admin/node`, token ? { authorization: `Bearer ${token}` } : {})).status;
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: TEST_KEY, exp: now + 600, video: { roomAdmin: true } }),
    ).toString('base64url')}.`;
    assert.equal(await call(), 401, 'no token');
    assert.equal(
      await call(await testToken({ roomAdmin: true }, 'another-secret-of-at-least-32-characters')),
      401,
      'wrong secret',
    );
    assert.equal(await call(unsigned), 401, 'alg none');
    assert.equal(await call(await testToken({ roomAdmin: true }, undefined, -60)), 401, 'expired');
    const unknownKey = await createToken({
      apiKey: 'nokey',
      apiSecret: 'x'.repeat(40),
      grant: { roomAdmin: true },
    });
    assert.equal(await call(unknownKey), 401, 'unknown API key');
    assert.equal(await call(await testToken({ roomList: true })), 403, 'no roomAdmin grant');
    assert.equal(await call(await testToken()), 200, 'a good token');
    const answer = await get(`${node.url}/admin/node`);
    assert.equal(answer.body.error.code, 'UNAUTHENTICATED');
    assert.ok(!node.output().includes(TEST_SECRET), 'the API secret never reaches the log');
  });

  it('replaces a mediasoup worker that dies, closing and unmapping its rooms', async () => {
    const before = (await admin(node.url, 'GET', '/admin/node')).body;
    const pid: number = before.workers[0].pid;
    assert.ok(pid > 0);
    assert.equal(await router.getRoomNode('room-a'), node.id);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await router.getRoomNode('room-a')) === undefined, {
      timeoutMs: 5000,
      what: 'room-a to be unmapped',
    });
    assert.equal(await router.getRoom('room-a'), undefined);
    const afterDeath = await waitFor(
      async () => {
        const info = (await admin(node.url, 'GET', '/admin/node')).body;
        return info.workers[0].pid && info.workers[0].pid !== pid ? info : undefined;
      },
      { timeoutMs: 5000, what: 'a new worker' },
    );
    assert.equal(afterDeath.workers[0].restarts, 1);
    assert.deepEqual(afterDeath.rooms, []);
    await waitFor(async () => (await get(`${node.url}/readyz`)).status === 200, {
      timeoutMs: 3000,
      what: 'ready again',
    });
    const { samples } = parsePrometheusText((await get(`${node.url}/metrics`)).body);
    assert.equal(findSample(samples, 'lkc_worker_restarts_total')?.value, 1);
    const rehosted = await admin(node.url, 'POST', '/admin/rooms', { name: 'room-a' });
    assert.equal(rehosted.status, 200, 'the new worker hosts rooms');
  });

  it('answers /readyz 503 with the reason while Redis is down, and re-registers when it returns empty', async () => {
    await redis.kill();
    const down = await waitFor(
      async () => {
        const ready = await get(`${node.url}/readyz`);
        return ready.status === 503 ? ready : undefined;
      },
      { timeoutMs: 5000, what: '/readyz to say not ready' },
    );
    assert.match(down.body.reason, /redis/);
    assert.equal(down.body.ready, false);
    // The outage is counted: the node's Redis errors rise while Redis is gone.
    const errors = async () =>
      findSample(
        parsePrometheusText((await get(`${node.url}/metrics`)).body).samples,
        'lkc_redis_errors_total',
      )?.value ?? 0;
    const before = await errors();
    await waitFor(async () => (await errors()) > before, {
      timeoutMs: 5000,
      what: 'lkc_redis_errors_total to rise',
    });
    assert.equal((await get(`${node.url}/healthz`)).status, 200, 'the process still lives');
    await redis.restart();
    await waitFor(async () => (await get(`${node.url}/readyz`)).status === 200, {
      timeoutMs: 8000,
      what: 'ready again',
    });
    const view = await router.getNode(node.id);
    assert.equal(view?.state, 'serving');
    assert.equal(await router.getRoomNode('room-a'), node.id, 'the room it hosts is mapped to it again');
  });
});
