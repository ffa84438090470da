import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ClusterState,
  findLocalCluster,
  processStartTime,
  readState,
  writeState,
} from '../../src/supervisor/state-file.js';
import { spawnTracked, stopProcess } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

const SECRET = 'a-secret-of-at-least-32-characters-long';

// A stand-in for a supervisor: any live process, with the state file a supervisor writes.
function stateOf(pid: number, redisAddress: string, extra: Partial<ClusterState> = {}): ClusterState {
  return {
    version: 1,
    supervisor_pid: pid,
    supervisor_start: processStartTime(pid),
    started_at: Date.now(),
    redis: { address: redisAddress, key_prefix: 'lkc:', private: true },
    api_key: 'devkey',
    api_secret: SECRET,
    nodes: [],
    ...extra,
  };
}

describe('which local cluster a command means', () => {
  let supervisor: ChildProcess;
  let redis: TestRedis;
  let root: string;

  before(async () => {
    supervisor = spawnTracked(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
    redis = await startRedis();
    root = mkdtempSync(join(tmpdir(), 'lkc-lookup-'));
  });

  after(async () => {
    await stopProcess(supervisor);
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('says in one line on stderr that the config and the folder’s cluster name two Redis, and which one it uses', async () => {
    const dir = join(root, 'two-redis');
    mkdirSync(dir);
    writeState(dir, stateOf(supervisor.pid!, '127.0.0.1:1'));
    writeFileSync(
      join(dir, 'lk-cluster.yaml'),
      `keys:\n  devkey: ${SECRET}\nredis:\n  address: ${redis.address}\n`,
    );
    const run = await runCli(['nodes', 'list'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stderr,
      `warning: lk-cluster.yaml names redis at ${redis.address}, but the local cluster in this folder (supervisor pid ${supervisor.pid}) runs on redis at 127.0.0.1:1, private: this command uses lk-cluster.yaml's\n`,
    );
    assert.match(run.stdout, /no nodes registered/);
  });

  it('finds the cluster beside the config given with -c, from another folder', () => {
    const demo = join(root, 'demo');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(demo);
    mkdirSync(elsewhere);
    writeState(demo, stateOf(supervisor.pid!, redis.address));
    const found = findLocalCluster(elsewhere, '../demo/lk-cluster.yaml');
    assert.equal(found?.dir, demo);
    assert.equal(findLocalCluster(elsewhere), undefined, 'without -c, only the working directory');
  });

  it('takes a state file whose pid now belongs to another process as stale', () => {
    const dir = join(root, 'reused-pid');
    mkdirSync(dir);
    // After a reboot, or in a new container: the pid runs, but it is not the process that wrote the file.
    writeState(dir, stateOf(supervisor.pid!, redis.address, { supervisor_start: '1' }));
    assert.equal(readState(dir), undefined, 'another process with the same pid');
    // A new supervisor that got the old one's pid (pid 1 of a container) finds its own pid in the file.
    writeState(dir, stateOf(process.pid, redis.address));
    assert.equal(readState(dir), undefined, 'this very process');
    writeState(dir, stateOf(supervisor.pid!, redis.address));
    assert.equal(readState(dir)?.supervisor_pid, supervisor.pid, 'the process that wrote it');
  });
});
