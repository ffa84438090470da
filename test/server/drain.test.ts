import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRouter } from '../../src/routing/create.js';
import type { Router } from '../../src/routing/types.js';
import { testConfig } from '../helpers/config.js';
import { admin, get, nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { exitedWithin } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

/** A drained node exits within a second or two; far longer means the drain or exit path hangs. */
const EXIT_MS = 15_000;

describe('draining a node', () => {
  let redis: TestRedis;
  let dir: string;
  let router: Router;
  const nodes: TestNode[] = [];
  let configFile: string;

  const launch = async (): Promise<TestNode> => {
    const port = await freePort();
    const file = writeConfig(dir, `node-${port}.yaml`, nodeConfig({ port, redis: redis.address }));
    const node = await startNode(file, port);
    nodes.push(node);
    return node;
  };

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-drain-'));
    // The CLI's config: the same cluster and key as the nodes.
    configFile = writeConfig(dir, 'cli.yaml', nodeConfig({ port: 7880, redis: redis.address }));
    router = await createRouter(
      testConfig({
        redis: { address: redis.address, key_prefix: '{lkc}:' },
        node_stats: { update_interval: 0.5, lease_ttl: 1.5 },
      }),
    );
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await router?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the room of a drained node, places new rooms elsewhere, and exits once the room closes', async () => {
    const [a, b] = [await launch(), await launch()];
    assert.equal((await admin(a.url, 'POST', '/admin/rooms', { name: 'kept' })).status, 200);

    const drained = await runCli(['nodes', 'drain', a.id, '--config', configFile, '--json'], { cwd: dir });
    assert.equal(drained.code, 0, drained.stderr);
    assert.equal(JSON.parse(drained.stdout).state, 'draining');
    assert.equal((await router.getNode(a.id))?.state, 'draining', 'the record says draining at once');
    const ready = await get(`${a.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /draining/);

    for (let i = 0; i < 10; i++) {
      const placement = await router.placeRoom(`new-room-${i}`);
      assert.equal(placement.node.id, b.id, `new-room-${i} avoids the draining node`);
    }
    assert.equal(await router.getRoomNode('kept'), a.id, 'the room stays on its node');
    assert.deepEqual(
      (await admin(a.url, 'GET', '/admin/rooms')).body.rooms.map((r: { name: string }) => r.name),
      ['kept'],
    );
    assert.equal(a.child.exitCode, null, 'the node waits for its room');

    assert.equal((await admin(a.url, 'DELETE', '/admin/rooms/kept')).status, 200);
    const exit = await exitedWithin(a.child, EXIT_MS, 'the drained node to exit once its last room closed');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await router.getNode(a.id), undefined, 'gone from the registry');
    assert.equal(await router.getRoomNode('kept'), undefined);
  });

  it('returns a draining node to serving with nodes undrain', async () => {
    const c = await launch();
    assert.equal((await admin(c.url, 'POST', '/admin/rooms', { name: 'stays' })).status, 200);
    const drained = await runCli(['nodes', 'drain', c.id, '--deadline', '1h', '--config', configFile], {
      cwd: dir,
    });
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /draining/);
    assert.equal((await router.getNode(c.id))?.state, 'draining');

    const undrained = await runCli(['nodes', 'undrain', c.id, '--config', configFile, '--json'], {
      cwd: dir,
    });
    assert.equal(undrained.code, 0, undrained.stderr);
    assert.equal(JSON.parse(undrained.stdout).state, 'serving');
    assert.equal((await router.getNode(c.id))?.state, 'serving');
    assert.equal((await get(`${c.url}/readyz`)).status, 200);
    assert.equal(await router.getRoomNode('stays'), c.id);
  });

  it('closes and unmaps the rooms left at the drain deadline, then exits', async () => {
    const d = await launch();
    assert.equal((await admin(d.url, 'POST', '/admin/rooms', { name: 'late' })).status, 200);
    const drained = await runCli(
      ['nodes', 'drain', d.id.slice(0, 8), '--deadline', '1s', '--config', configFile],
      { cwd: dir },
    );
    assert.equal(drained.code, 0, drained.stderr);
    const exit = await exitedWithin(d.child, EXIT_MS, 'the drained node to exit after its 1 s deadline');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await router.getRoomNode('late'), undefined);
    assert.equal(await router.getRoom('late'), undefined);
    assert.equal(await router.getNode(d.id), undefined);
  });

  it('drains on SIGTERM and stops at once, unregistering, on a second SIGTERM', async () => {
    const e = await launch();
    assert.equal((await admin(e.url, 'POST', '/admin/rooms', { name: 'signalled' })).status, 200);
    e.child.kill('SIGTERM');
    await waitFor(async () => (await router.getNode(e.id))?.state === 'draining', {
      timeoutMs: 3000,
      what: 'draining',
    });
    assert.equal(await router.getRoomNode('signalled'), e.id, 'the room continues while draining');
    e.child.kill('SIGTERM');
    const exit = await exitedWithin(e.child, EXIT_MS, 'the draining node to exit on its second SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await router.getNode(e.id), undefined);
    assert.equal(await router.getRoomNode('signalled'), undefined);
  });

  it('refuses to drain a node that is not in the cluster', async () => {
    const result = await runCli(['nodes', 'drain', 'ND_doesnotexist', '--config', configFile], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no node ND_doesnotexist/);
  });
});
