import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter } from '../../src/routing/create.js';
import { LocalRouter } from '../../src/routing/local-router.js';
import { testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { waitFor } from '../helpers/wait.js';

describe('local router (single node, no redis)', () => {
  it('is what createRouter gives when no redis is configured', async () => {
    const router = await createRouter(testConfig());
    assert.equal(router.kind, 'local');
    await router.close();
  });

  it('places every room on its one node and keeps it there', async () => {
    const router = new LocalRouter(testConfig());
    await router.registerNode(nodeRecord('solo'));
    const first = await router.placeRoom('a');
    assert.deepEqual([first.node.id, first.claimed, first.sticky], ['solo', true, false]);
    const again = await router.placeRoom('a');
    assert.deepEqual([again.node.id, again.claimed, again.sticky], ['solo', false, true]);
    assert.deepEqual(await router.listNodeRooms('solo'), ['a']);
  });

  it('keeps a draining node’s rooms, refuses new ones, and re-places a dead node’s room', async () => {
    const router = new LocalRouter(testConfig({ node_stats: { lease_ttl: 0.2 } }));
    await router.registerNode(nodeRecord('old'));
    await router.placeRoom('kept');
    await router.heartbeat(nodeRecord('old', { state: 'draining' }));
    assert.equal((await router.placeRoom('kept')).node.id, 'old');
    await assert.rejects(router.placeRoom('new'), /no serving node: 1 live, 1 draining/);
    await waitFor(async () => !(await router.getNode('old'))!.alive, { what: 'old to die' });
    await router.registerNode(nodeRecord('next'));
    assert.equal((await router.placeRoom('kept')).node.id, 'next');
    assert.equal(
      (await router.heartbeat(nodeRecord('old', { state: 'draining' }))).held,
      false,
      'old learns it was dead',
    );
  });

  it('clears and re-asserts mappings like the redis router', async () => {
    const router = new LocalRouter(testConfig());
    await router.registerNode(nodeRecord('n'));
    await router.placeRoom('r');
    assert.equal(await router.releaseRoom('r', 'other'), false);
    assert.equal(await router.releaseRoom('r', 'n'), true);
    assert.equal(await router.assertRoom('r', 'n'), 'n');
    assert.equal(await router.assertRoom('r', 'other'), 'n');
    await router.unregisterNode('n');
    assert.equal(await router.getRoomNode('r'), undefined);
  });

  it('delivers bus messages to the addressed node only', async () => {
    const router = new LocalRouter(testConfig());
    const got: string[] = [];
    const stop = await router.subscribe('me', (m) => got.push(m));
    await router.publish('someone-else', 'not for me');
    await router.publish('me', 'for me');
    await waitFor(() => got.length === 1, { what: 'the message' });
    await stop();
    await router.publish('me', 'after unsubscribing');
    await router.publish('me', 'x');
    assert.deepEqual(got, ['for me']);
  });
});
