import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterPids, endStart, readStateFile, runStart, type StartRun } from '../helpers/cluster-process.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/run-cli.js';

// The README's sequence, run as written: `nodes drain ID --deadline 1m` (no rooms: the node exits now), then
// `nodes undrain ID` at once. Under `lk-cluster start` the drained slot is started again.
describe('nodes undrain of a node that drained and exited under lk-cluster start', () => {
  let cwd: string;
  let run: StartRun | undefined;
  const pids = new Set<number>();

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-undrain-'));
    run = await runStart(['--nodes', '2', '--port', String(await freePort())], cwd);
    for (const pid of await clusterPids(readStateFile(cwd))) pids.add(pid);
  });

  after(async () => {
    await endStart(run, [...pids]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts its slot again: a new node serves in its place', async () => {
    const drainedId = readStateFile(cwd).nodes[1]!.id!;
    const drained = await runCli(['nodes', 'drain', drainedId, '--deadline', '1m'], { cwd });
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /it has no rooms: it exits now/);
    const undrained = await runCli(['nodes', 'undrain', drainedId, '--json'], { cwd });
    assert.equal(undrained.code, 0, `${undrained.stderr}${undrained.stdout}`);
    const answer = JSON.parse(undrained.stdout) as { id: string; state: string; restarted_from: string };
    assert.equal(answer.state, 'serving');
    assert.equal(answer.restarted_from, drainedId);
    assert.notEqual(answer.id, drainedId);
    const state = readStateFile(cwd);
    for (const pid of await clusterPids(state)) pids.add(pid);
    assert.equal(state.nodes[1]!.id, answer.id, 'the new node holds the slot');
    const listed = await runCli(['nodes', 'list', '--json'], { cwd });
    const nodes = JSON.parse(listed.stdout) as Array<{ id: string; state: string }>;
    assert.deepEqual(
      nodes
        .filter((n) => n.state === 'serving')
        .map((n) => n.id)
        .sort(),
      [state.nodes[0]!.id!, answer.id].sort(),
    );
  });
});
