import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterPids, endStart, readStateFile, runStart, type StartRun } from '../helpers/cluster-process.js';
import { nodeConfig, pidAlive, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

// A local cluster on a configured Redis: the config's port is node-1's. With node-1 drained away, the Room API
// commands must reach the nodes that still serve.
describe('Room API commands with the first node of the local cluster drained', () => {
  let cwd: string;
  let redis: TestRedis;
  let run: StartRun | undefined;
  let pids: number[] = [];

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-fallback-'));
    redis = await startRedis();
    writeConfig(cwd, 'lk-cluster.yaml', nodeConfig({ port: await freePort(), redis: redis.address }));
    run = await runStart(['--nodes', '2'], cwd);
    pids = await clusterPids(readStateFile(cwd));
  });

  after(async () => {
    await endStart(run, pids);
    await redis?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('room create goes to a node that still serves', async () => {
    const [first, second] = readStateFile(cwd).nodes;
    const drained = await runCli(['nodes', 'drain', first!.id!], { cwd });
    assert.equal(drained.code, 0, drained.stderr);
    await waitFor(() => !pidAlive(first!.pid!), { timeoutMs: 10_000, what: 'the drained node to exit' });
    const created = await runCli(['room', 'create', 'r1', '--json'], { cwd });
    assert.equal(created.code, 0, `${created.stderr}${created.stdout}`);
    assert.equal((JSON.parse(created.stdout) as { node_id: string }).node_id, second!.id);
  });
});
