import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRouter } from '../../src/routing/create.js';
import type { ClusterState } from '../../src/supervisor/state-file.js';
import {
  clusterPids,
  endStart,
  readStateFile,
  runStart,
  type StartRun,
  stateToken,
  waitAllGone,
} from '../helpers/cluster-process.js';
import { testConfig } from '../helpers/config.js';
import { get, nodeConfig, pidAlive, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { exitedWithin } from '../helpers/processes.js';
import { findSample, parsePrometheusText } from '../helpers/prometheus-text.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

interface Listed {
  id: string;
  region: string;
  state: string;
  dead: boolean;
  url: string;
}

/** `nodes list --json` run in the cluster's folder, with no flags: it finds the cluster through the state file. */
async function nodesList(cwd: string): Promise<Listed[]> {
  const result = await runCli(['nodes', 'list', '--json'], { cwd });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Listed[];
}

/** The supervisor drains its nodes (no rooms) and exits in a few seconds; far longer means a hang. */
const EXIT_MS = 20_000;

/** After kill -9 of the supervisor: a node's bounded stop (1 s), with room for a busy machine's timers. */
const NODES_GONE_AFTER_SUPERVISOR_MS = 2500;

// The embedded default's lease (no config file): 2.5 s (src/config/defaults.ts).
const DEFAULT_LEASE_TTL_MS = 2500;

describe('lk-cluster start --nodes 3 --regions us-west-2,us-east with no config file', () => {
  let cwd: string;
  let run: StartRun;
  let state: ClusterState;
  const seenPids = new Set<number>();

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-start-'));
    run = await runStart(
      ['--nodes', '3', '--regions', 'us-west-2,us-east', '--port', String(await freePort())],
      cwd,
    );
    state = readStateFile(cwd);
    for (const pid of await clusterPids(state)) seenPids.add(pid);
  });

  after(async () => {
    await endStart(run, [...seenPids]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts three nodes, ready within 10 s, and prints one table of them', () => {
    assert.ok(run.startedInMs < 10_000, `ready in ${run.startedInMs} ms`);
    assert.equal(state.nodes.length, 3);
    const text = run.output();
    assert.match(text, /node id.*region.*URL.*pid.*state/);
    for (const node of state.nodes) {
      assert.ok(node.id && text.includes(node.id), `the table lists ${node.id}`);
      assert.ok(text.includes(node.url!));
      assert.ok(text.includes(String(node.pid)));
    }
    assert.deepEqual(
      state.nodes.map((n) => n.region),
      ['us-west-2', 'us-east', 'us-west-2'],
    );
    assert.match(text, /redis 127\.0\.0\.1:\d+ \(private/);
  });

  it("keeps the cluster's address in a state file that only its owner can read", () => {
    const file = join(cwd, '.lk-cluster', 'state.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(state.supervisor_pid, run.child.pid);
    assert.equal(state.redis?.private, true);
    assert.match(state.redis!.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(state.node_selector?.kind, 'regionaware');
    assert.ok(!run.output().includes(state.api_secret), 'the secret is never printed');
  });

  it('shows the nodes serving in their regions in nodes list, without flags', async () => {
    const nodes = await nodesList(cwd);
    const mine = state.nodes.map((n) => n.id);
    assert.deepEqual(nodes.map((n) => n.id).sort(), [...mine].sort());
    for (const listed of nodes) {
      const expected = state.nodes.find((n) => n.id === listed.id)!;
      assert.equal(listed.state, 'serving');
      assert.equal(listed.dead, false);
      assert.equal(listed.region, expected.region);
    }
  });

  it('answers /readyz and Prometheus /metrics on every node', async () => {
    for (const node of state.nodes) {
      const ready = await get(`${node.url}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      const metrics = await get(`${node.url}/metrics`);
      assert.equal(metrics.status, 200);
      const { samples } = parsePrometheusText(metrics.body);
      assert.equal(findSample(samples, 'lkc_node_state', { state: 'serving' })?.value, 1);
    }
  });

  it('restarts a node killed with SIGKILL: the new one serves within lease_ttl + 2 s', async () => {
    const victim = state.nodes[1]!;
    const killedAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    const nodes = await waitFor(
      async () => {
        const listed = await nodesList(cwd);
        const old = listed.find((n) => n.id === victim.id);
        const serving = listed.filter((n) => n.state === 'serving' && !n.dead && n.id !== victim.id);
        return (!old || old.dead) && serving.length === 3 ? listed : undefined;
      },
      {
        timeoutMs: DEFAULT_LEASE_TTL_MS + 6000,
        intervalMs: 200,
        what: 'the replacement to serve and the dead node to be marked',
      },
    );
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed < DEFAULT_LEASE_TTL_MS + 2000, `took ${elapsed} ms`);
    const replacement = nodes.find((n) => !state.nodes.some((s) => s.id === n.id))!;
    assert.equal(replacement.region, victim.region, 'the new node takes the slot of the dead one');
    assert.match(run.output(), /restarting in/);
    state = readStateFile(cwd);
    assert.equal(state.nodes[1]!.id, replacement.id, 'the state file follows the new node');
    for (const pid of await clusterPids(state)) seenPids.add(pid);
  });

  it('lets nodes drain stop one node for good: it exits and is not restarted', async () => {
    const target = state.nodes[2]!;
    const drained = await runCli(['nodes', 'drain', target.id!], { cwd });
    assert.equal(drained.code, 0, drained.stderr);
    await waitFor(() => !pidAlive(target.pid!), { timeoutMs: 5000, what: 'the drained node to exit' });
    await waitFor(() => run.output().includes('drained and exited; not restarted'), {
      timeoutMs: 3000,
      what: 'the supervisor to say so',
    });
    const nodes = await nodesList(cwd);
    assert.ok(!nodes.some((n) => n.id === target.id), 'gone from nodes list');
    assert.equal(readStateFile(cwd).nodes[2]!.state, 'exited');
  });

  it('drains every node on Ctrl-C and leaves no node, worker or redis-server behind', async () => {
    const pids = await clusterPids(readStateFile(cwd));
    assert.ok(pids.length >= 5, `nodes, workers and redis: ${pids.join(', ')}`);
    run.child.kill('SIGINT');
    const exit = await exitedWithin(run.child, EXIT_MS, 'the supervisor to drain every node and exit');
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitAllGone(pids, 5000);
    assert.equal(existsSync(join(cwd, '.lk-cluster', 'state.json')), false, 'the state file is removed');
    assert.match(run.output(), /every node has stopped/);
  });
});

describe('kill -9 of the supervisor', () => {
  let cwd: string;
  let run: StartRun | undefined;
  let pids: number[] = [];

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-orphans-'));
  });

  after(async () => {
    await endStart(run, pids);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('leaves no orphan: its nodes, their workers and its redis-server all end', async (t) => {
    run = await runStart(['--nodes', '2', '--port', String(await freePort())], cwd);
    const state = readStateFile(cwd);
    pids = await clusterPids(state);
    const cores = availableParallelism();
    assert.equal(pids.length, 2 + 2 * cores + 1, 'two nodes with one worker per core each, and redis');
    assert.ok(pids.includes(state.redis!.pid!));
    run.child.kill('SIGKILL');
    await exitedWithin(run.child, 5000, 'the supervisor to die of SIGKILL');
    const killedAt = Date.now();
    // The IPC channel closes with the supervisor: its nodes stop at once (they lived on 5-10 s).
    const nodePids = state.nodes.map((n) => n.pid!);
    await waitAllGone(nodePids, NODES_GONE_AFTER_SUPERVISOR_MS);
    t.diagnostic(`nodes gone ${Date.now() - killedAt} ms after the supervisor`);
    await waitAllGone(pids, 5_000);
  });
});

describe('lk-cluster start with no config file and one node', () => {
  let cwd: string;
  let run: StartRun | undefined;
  let pids: number[] = [];

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-single-'));
  });

  after(async () => {
    await endStart(run, pids);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('runs the node in single-node mode, with a key the CLI finds in the state file', async () => {
    run = await runStart(['--port', String(await freePort())], cwd);
    const state = readStateFile(cwd);
    pids = await clusterPids(state);
    assert.equal(state.redis, undefined);
    assert.match(run.output(), /single-node mode/);
    const node = state.nodes[0]!;
    const info = await fetch(`${node.url}/admin/node`, {
      headers: { authorization: `Bearer ${await stateToken(state)}` },
    });
    assert.equal(((await info.json()) as { router: string }).router, 'local');
    const undrained = await runCli(['nodes', 'undrain', node.id!, '--json'], { cwd });
    assert.equal(undrained.code, 0, undrained.stderr);
    assert.equal(JSON.parse(undrained.stdout).state, 'serving');
    run.child.kill('SIGINT');
    const exit = await exitedWithin(run.child, EXIT_MS, 'the single-node supervisor to exit on SIGINT');
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitAllGone(pids, 5000);
  });
});

describe('SIGHUP of the supervisor (its terminal closed)', () => {
  let cwd: string;
  let run: StartRun | undefined;
  let pids: number[] = [];

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-hup-'));
  });

  after(async () => {
    await endStart(run, pids);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('drains like Ctrl-C: exit 0, its node gone, no state file left', async () => {
    run = await runStart(['--port', String(await freePort())], cwd);
    pids = await clusterPids(readStateFile(cwd));
    run.child.kill('SIGHUP');
    const exit = await exitedWithin(run.child, EXIT_MS, 'the supervisor to exit on SIGHUP');
    assert.deepEqual(exit, { code: 0, signal: null }, run.output());
    assert.match(run.output(), /SIGHUP: draining every node/);
    await waitAllGone(pids, 5000);
    assert.equal(existsSync(join(cwd, '.lk-cluster', 'state.json')), false, 'the state file is removed');
  });
});

describe('lk-cluster start with a config file that names a Redis', () => {
  let cwd: string;
  let redis: TestRedis;
  let run: StartRun | undefined;
  let pids: number[] = [];

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-configured-'));
    redis = await startRedis();
  });

  after(async () => {
    await endStart(run, pids);
    await redis?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("joins that Redis with the config's key prefix, region and timings, and leaves the Redis running", async () => {
    const config = nodeConfig({
      port: await freePort(),
      redis: redis.address,
      region: 'us-east',
      keyPrefix: '{team-a}:',
    });
    const file = writeConfig(cwd, 'lk-cluster.yaml', config);
    run = await runStart(['--config', file, '--nodes', '2'], cwd);
    const state = readStateFile(cwd);
    pids = await clusterPids(state);
    assert.equal(state.config_file, file);
    assert.deepEqual(
      { address: state.redis?.address, key_prefix: state.redis?.key_prefix, private: state.redis?.private },
      { address: redis.address, key_prefix: '{team-a}:', private: false },
    );
    const router = await createRouter(
      testConfig({
        redis: { address: redis.address, key_prefix: '{team-a}:' },
        node_stats: { update_interval: 0.5, lease_ttl: 1.5 },
      }),
    );
    try {
      const nodes = await router.listNodes();
      assert.deepEqual(nodes.map((n) => n.id).sort(), state.nodes.map((n) => n.id).sort());
      for (const node of nodes) {
        assert.equal(node.region, 'us-east');
        assert.ok(node.lease_ms_left <= 1500, 'the lease of the config file');
      }
      const ports = state.nodes.map((n) => n.port);
      assert.ok(ports[1]! > ports[0]!, 'each node takes the next free port');
      const ranges = nodes.map((n) => n.rtc_port_range).sort((a, b) => a.start - b.start);
      assert.equal(ranges[0]!.end + 1, ranges[1]!.start, 'each node has its own UDP slice');
    } finally {
      await router.close();
    }
    run.child.kill('SIGINT');
    const exit = await exitedWithin(run.child, EXIT_MS, 'the supervisor to drain its nodes and exit');
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitAllGone(pids.filter((pid) => pid !== redis.process.pid));
    assert.ok(pidAlive(redis.process.pid!), 'a configured Redis is not ours to stop');
  });
});

describe('lk-cluster start --nodes 2 without redis-server installed', () => {
  it('says in one line how to install it or configure Redis, and leaves nothing behind', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lkc-noredis-'));
    const emptyBin = mkdtempSync(join(tmpdir(), 'lkc-path-'));
    try {
      const result = await runCli(['start', '--nodes', '2', '--port', String(await freePort())], {
        cwd,
        env: { PATH: emptyBin },
      });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /apt-get install redis-server/);
      assert.match(result.stderr, /redis\.address/);
      assert.equal(existsSync(join(cwd, '.lk-cluster', 'state.json')), false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      rmSync(emptyBin, { recursive: true, force: true });
    }
  });
});
