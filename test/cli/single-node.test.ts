import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterState } from '../../src/supervisor/state-file.js';
import { clusterPids, endStart, readStateFile, runStart, type StartRun } from '../helpers/cluster-process.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/run-cli.js';

// The README's main job: `lk-cluster start` with no config, one node, no Redis; then the inspection commands in
// the same folder. The node keeps the registry in memory, so the CLI asks the node.
describe('a single-node cluster started with no config is inspectable from its folder', () => {
  let cwd: string;
  let run: StartRun | undefined;
  let state: ClusterState;
  let pids: number[] = [];

  const cli = async (...args: string[]) => {
    const result = await runCli(args, { cwd });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-inspect-'));
    run = await runStart(['--port', String(await freePort())], cwd);
    state = readStateFile(cwd);
    pids = await clusterPids(state);
  });

  after(async () => {
    await endStart(run, pids);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('lists and shows its node', async () => {
    const id = state.nodes[0]!.id!;
    const listed = JSON.parse(await cli('nodes', 'list', '--json')) as Array<{ id: string; state: string }>;
    assert.deepEqual(
      listed.map((n) => [n.id, n.state]),
      [[id, 'serving']],
    );
    assert.match(await cli('nodes', 'list'), new RegExp(`${id} │ serving`));
    const shown = JSON.parse(await cli('nodes', 'show', id.slice(0, 6), '--json')) as {
      node: { id: string };
    };
    assert.equal(shown.node.id, id);
  });

  it('places a room on it, then lists and shows the room', async () => {
    const id = state.nodes[0]!.id!;
    const placed = JSON.parse(await cli('room', 'place', 'standup', '--json')) as {
      node: { id: string };
      claimed: boolean;
    };
    assert.deepEqual([placed.node.id, placed.claimed], [id, true]);
    assert.match(await cli('room', 'place', 'standup', '--explain'), /already there \(sticky\)/);
    const rooms = JSON.parse(await cli('room', 'list', '--json')) as Array<{ name: string; node_id: string }>;
    assert.deepEqual(
      rooms.map((r) => [r.name, r.node_id]),
      [['standup', id]],
    );
    const room = JSON.parse(await cli('room', 'show', 'standup', '--json')) as { node_id: string };
    assert.equal(room.node_id, id);
    const missing = await runCli(['room', 'show', 'nowhere'], { cwd });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^no room nowhere: /);
  });

  it('mints with token create --admin a token its node admin API accepts', async () => {
    const token = (await cli('token', 'create', '--admin')).trim();
    const answer = await fetch(`${state.nodes[0]!.url}/admin/node`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(answer.status, 200, await answer.text());
  });

  it('refuses room create --node with a node the cluster does not have, unless --any-node', async () => {
    const refused = await runCli(['room', 'create', 'r4', '--node', 'ND_nope'], { cwd });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /^--node ND_nope: no such node in the cluster .*--any-node/);
    const rooms = JSON.parse(await cli('room', 'list', '--json')) as Array<{ name: string }>;
    assert.ok(!rooms.some((r) => r.name === 'r4'), 'nothing was created');
    const anyNode = await runCli(['room', 'create', 'r4', '--node', 'ND_nope', '--any-node', '--json'], {
      cwd,
    });
    assert.equal(anyNode.code, 0, anyNode.stderr);
    assert.equal((JSON.parse(anyNode.stdout) as { node_id: string }).node_id, state.nodes[0]!.id);
  });

  it('is found from another folder through -c with the config beside it', async () => {
    // The config the cluster would run with: no redis, the key pair its node accepts.
    writeFileSync(join(cwd, 'lk-cluster.yaml'), `keys:\n  ${state.api_key}: ${state.api_secret}\n`);
    const elsewhere = mkdtempSync(join(tmpdir(), 'lkc-elsewhere-'));
    try {
      const run = await runCli(
        ['nodes', 'list', '-c', relative(elsewhere, join(cwd, 'lk-cluster.yaml')), '--json'],
        {
          cwd: elsewhere,
        },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        (JSON.parse(run.stdout) as Array<{ id: string }>).map((n) => n.id),
        [state.nodes[0]!.id],
      );
    } finally {
      rmSync(join(cwd, 'lk-cluster.yaml'), { force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  // Last: it stops the cluster's only node.
  it('says that nodes drain --deadline 0s closes the rooms now', async () => {
    const id = state.nodes[0]!.id!;
    await cli('room', 'create', 'weekly');
    const drained = await cli('nodes', 'drain', id, '--deadline', '0s');
    assert.match(drained, /deadline 0s: it closes its (room|\d+ rooms) now and exits$/m);
    assert.doesNotMatch(drained, /when its last room closes/);
  });
});
