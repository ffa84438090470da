import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisRouter } from '../../src/routing/redis-router.js';
import { SEED_REGIONS, testConfig } from '../helpers/config.js';
import { nodeRecord } from '../helpers/node-records.js';
import { freePort } from '../helpers/ports.js';
import { type Finished, finished, spawnTracked } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

async function cli(args: string[], cwd: string): Promise<Finished> {
  const child = spawnTracked(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, LKC_CONFIG: '' },
  });
  return finished(child);
}

function yaml(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const SELECTOR_YAML = [
  'node_selector:',
  '  kind: regionaware',
  '  sysload_limit: 0.5',
  '  regions:',
  ...SEED_REGIONS.flatMap((r) => [`    - name: ${r.name}`, `      lat: ${r.lat}`, `      lon: ${r.lon}`]),
];

describe('cluster commands', () => {
  let redis: TestRedis;
  let dir: string;
  let registry: RedisRouter;
  const prefix = '{clitest}:';

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-cli-'));
    writeFileSync(
      join(dir, 'cluster.yaml'),
      yaml([
        'region: us-west-2',
        'keys:',
        '  devkey: a-secret-of-at-least-32-characters-long',
        'redis:',
        `  address: ${redis.address}`,
        `  key_prefix: "${prefix}"`,
        ...SELECTOR_YAML,
      ]),
    );
    writeFileSync(
      join(dir, 'single.yaml'),
      yaml(['region: us-west-2', 'keys:', '  devkey: a-secret-of-at-least-32-characters-long']),
    );
    const config = testConfig({
      region: 'us-west-2',
      redis: { address: redis.address, key_prefix: prefix },
      node_stats: { lease_ttl: 300 },
    });
    registry = await RedisRouter.connect(config);
    await registry.registerNode(
      nodeRecord('west-busy', { region: 'us-west-2', sysload: 0.8, rooms: 12, port: 7881 }),
    );
    await registry.registerNode(
      nodeRecord('west-idle', { region: 'us-west-2', sysload: 0.1, rooms: 1, port: 7882 }),
    );
    await registry.registerNode(nodeRecord('east-idle', { region: 'us-east', sysload: 0.05, port: 7883 }));
  });

  after(async () => {
    await registry?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the same node for one room placed from three processes at once', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(() => cli(['room', 'place', 'triple', '-c', 'cluster.yaml', '--json'], dir)),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const nodes = runs.map((run) => (JSON.parse(run.stdout) as { node: { id: string } }).node.id);
    assert.equal(new Set(nodes).size, 1, `three answers: ${nodes}`);
    assert.equal(await registry.getRoomNode('triple'), nodes[0]);
    const claimed = runs.map((run) => (JSON.parse(run.stdout) as { claimed: boolean }).claimed);
    assert.equal(claimed.filter(Boolean).length, 1, 'exactly one process claimed the room');
  });

  it('explains a placement: each node’s verdict, and a node in the nearest region under the limit', async () => {
    const run = await cli(['room', 'place', 'explained', '-c', 'cluster.yaml', '--explain'], dir);
    assert.equal(run.code, 0, run.stderr);
    const line = (id: string) => run.stdout.split('\n').find((l) => l.includes(` ${id} `)) ?? '';
    assert.match(line('west-idle'), /→.*west-idle.*us-west-2.*chosen/);
    assert.match(line('west-busy'), /sysload 0\.80 at or over sysload_limit 0\.5/);
    assert.match(line('east-idle'), /eligible, but us-west-2 is nearer/);
    assert.match(run.stdout, /nearest region with a node under sysload_limit 0\.5 is us-west-2/);
    assert.equal(await registry.getRoomNode('explained'), 'west-idle');

    const json = await cli(
      ['room', 'place', 'explained-east', '-c', 'cluster.yaml', '--explain', '--region', 'us-east', '--json'],
      dir,
    );
    const placement = JSON.parse(json.stdout) as {
      node: { id: string };
      explanation: { nodes: Array<{ id: string; reason: string }> };
    };
    assert.equal(placement.node.id, 'east-idle');
    assert.equal(placement.explanation.nodes.length, 3);
  });

  it('chooses without claiming on --dry-run', async () => {
    const run = await cli(['room', 'place', 'maybe', '-c', 'cluster.yaml', '--dry-run'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /would be placed \(dry run/);
    assert.equal(await registry.getRoomNode('maybe'), undefined);
  });

  it('lists nodes as JSON with every field, dead ones marked', async () => {
    const ghostConfig = testConfig({
      redis: { address: redis.address, key_prefix: prefix },
      node_stats: { lease_ttl: 0.05 },
    });
    const ghostRouter = await RedisRouter.connect(ghostConfig);
    await ghostRouter.registerNode(nodeRecord('ghost', { region: 'us-east' }));
    await ghostRouter.close();
    await waitFor(async () => (await registry.getNode('ghost'))?.alive === false, {
      what: 'the ghost lease to expire',
    });
    const run = await cli(['nodes', 'list', '-c', 'cluster.yaml', '--json'], dir);
    assert.equal(run.code, 0, run.stderr);
    const nodes = JSON.parse(run.stdout) as Array<
      Record<string, unknown> & { stats: Record<string, unknown> }
    >;
    assert.deepEqual(
      nodes.map((n) => n.id),
      ['east-idle', 'ghost', 'west-busy', 'west-idle'],
    );
    for (const node of nodes) {
      for (const field of [
        'id',
        'state',
        'region',
        'address',
        'stats_age_ms',
        'alive',
        'dead',
        'stale',
        'lease_ms_left',
        'started_at',
        'limits',
      ]) {
        assert.ok(field in node, `${node.id} has no ${field}`);
      }
      for (const field of [
        'sysload',
        'cpu_load',
        'rooms',
        'clients',
        'tracks_in',
        'tracks_out',
        'bytes_in_per_sec',
        'bytes_out_per_sec',
        'updated_at',
      ]) {
        assert.equal(typeof node.stats[field], 'number', `${node.id} stats.${field}`);
      }
    }
    assert.equal(nodes.find((n) => n.id === 'ghost')!.dead, true);
    assert.equal(nodes.find((n) => n.id === 'west-busy')!.dead, false);
    // The values are the ones registered, not just present.
    const busy = nodes.find((n) => n.id === 'west-busy')!;
    assert.deepEqual(
      [busy.state, busy.region, busy.address, busy.alive],
      ['serving', 'us-west-2', 'http://127.0.0.1:7881', true],
    );
    assert.deepEqual(
      [busy.stats.sysload, busy.stats.cpu_load, busy.stats.rooms, busy.stats.clients],
      [0.8, 0.1, 12, 0],
    );
    assert.ok((busy.lease_ms_left as number) > 0, 'a live lease has time left');
    const ghost = nodes.find((n) => n.id === 'ghost')!;
    assert.deepEqual([ghost.region, ghost.alive, ghost.lease_ms_left], ['us-east', false, 0]);
    assert.equal(nodes.find((n) => n.id === 'east-idle')!.stats.sysload, 0.05);

    const table = await cli(['nodes', 'list', '-c', 'cluster.yaml', '--region', 'us-east'], dir);
    assert.match(table.stdout, /ghost.*dead \(was serving\)/);
    assert.match(table.stdout, /east-idle.*serving/);
    assert.doesNotMatch(table.stdout, /west-busy/);
    const dead = await cli(['nodes', 'list', '-c', 'cluster.yaml', '--state', 'dead', '--json'], dir);
    assert.deepEqual(
      (JSON.parse(dead.stdout) as Array<{ id: string }>).map((n) => n.id),
      ['ghost'],
    );
  });

  it('shows one node with its rooms, and rooms with their nodes', async () => {
    await registry.placeRoom('shown', { nodeId: 'east-idle' });
    const node = await cli(['nodes', 'show', 'east-i', '-c', 'cluster.yaml'], dir);
    assert.equal(node.code, 0, node.stderr);
    assert.match(node.stdout, /east-idle/);
    assert.match(node.stdout, /placed rooms.*shown/);
    const rooms = JSON.parse(
      (await cli(['room', 'list', '-c', 'cluster.yaml', '--json'], dir)).stdout,
    ) as Array<{ name: string; node_id: string }>;
    assert.ok(rooms.some((r) => r.name === 'shown' && r.node_id === 'east-idle'));
    const room = await cli(['room', 'show', 'shown', '-c', 'cluster.yaml'], dir);
    assert.match(room.stdout, /node.*east-idle/);
    const missing = await cli(['room', 'show', 'nope', '-c', 'cluster.yaml'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^no room nope/);
    const unknown = await cli(['nodes', 'show', 'zzz', '-c', 'cluster.yaml'], dir);
    assert.match(unknown.stderr, /^no node zzz in the cluster/);
  });

  it('says in one line that a config without redis is a single-node setup, and exits 1', async () => {
    for (const args of [
      ['nodes', 'list'],
      ['room', 'place', 'x'],
      ['room', 'list'],
    ]) {
      const run = await cli([...args, '-c', 'single.yaml'], dir);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^no redis configured: single\.yaml is a single-node setup; .*\n$/);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  it('names the address of a redis that refuses or never answers, within a bounded time', async () => {
    const closedPort = await freePort();
    // A server that accepts connections and never says a word: the hang a timeout must catch.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      for (const port of [closedPort, silentPort]) {
        writeFileSync(join(dir, `bad-${port}.yaml`), yaml(['redis:', `  address: 127.0.0.1:${port}`]));
        const started = Date.now();
        const run = await cli(['nodes', 'list', '-c', `bad-${port}.yaml`], dir);
        assert.equal(run.code, 1);
        assert.match(run.stderr, new RegExp(`^cannot reach redis at 127\\.0\\.0\\.1:${port}: .*\\n$`));
        assert.ok(Date.now() - started < 15_000, 'gave up within the connect timeout');
      }
    } finally {
      silent.close();
    }
  });

  it('refuses a wrong redis password without printing it', async () => {
    const locked = await startRedis(['--requirepass', 'the-right-secret']);
    try {
      writeFileSync(
        join(dir, 'locked.yaml'),
        yaml(['redis:', `  address: ${locked.address}`, '  password: a-wrong-secret']),
      );
      const run = await cli(['nodes', 'list', '-c', 'locked.yaml'], dir);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^cannot reach redis at .*WRONGPASS/);
      assert.doesNotMatch(run.stdout + run.stderr, /a-wrong-secret|the-right-secret/);
    } finally {
      await locked.stop();
    }
  });

  it('refuses a region that is neither in the table nor any node’s, with every selector', async () => {
    writeFileSync(
      join(dir, 'any.yaml'),
      yaml([
        'region: us-west-2',
        'keys:',
        '  devkey: a-secret-of-at-least-32-characters-long',
        'redis:',
        `  address: ${redis.address}`,
        `  key_prefix: "${prefix}"`,
        'node_selector:',
        '  kind: any',
      ]),
    );
    // A node's own region counts as known, table or not.
    await registry.registerNode(nodeRecord('lab-node', { region: 'lab', port: 7884 }));
    try {
      const unknown =
        /^unknown region 'mars': it is not in node_selector\.regions and no node is registered in it \(known: .*lab.*\)\n$/;
      for (const args of [
        ['nodes', 'list', '--region', 'mars', '-c', 'cluster.yaml'],
        ['nodes', 'list', '--region', 'mars', '-c', 'any.yaml'],
        ['room', 'place', 'r1', '--region', 'mars', '-c', 'any.yaml'],
      ]) {
        const run = await cli(args, dir);
        assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}`);
        assert.match(run.stderr, unknown, args.join(' '));
      }
      assert.equal(await registry.getRoomNode('r1'), undefined, 'nothing was claimed');

      const lab = await cli(['nodes', 'list', '--region', 'lab', '-c', 'any.yaml', '--json'], dir);
      assert.equal(lab.code, 0, lab.stderr);
      assert.deepEqual(
        (JSON.parse(lab.stdout) as Array<{ id: string }>).map((n) => n.id),
        ['lab-node'],
      );
      const table = await cli(
        ['nodes', 'list', '--region', 'us-east', '--state', 'draining', '-c', 'any.yaml'],
        dir,
      );
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /no node matches the filter/);
      const placed = await cli(
        ['room', 'place', 'r-lab', '--region', 'lab', '-c', 'any.yaml', '--dry-run'],
        dir,
      );
      assert.equal(placed.code, 0, placed.stderr);
    } finally {
      await registry.unregisterNode('lab-node');
    }
  });
});
