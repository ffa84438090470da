// CLI benchmark: wall time of `lk-cluster nodes list` (table and --json) with 1,000 registered nodes, beside a bare
// oclif command (`lk-cluster --version`, `lk-cluster help`) in the same run: what reading the cluster costs on top
// of starting the CLI. Each command runs --repeat times, the commands interleaved, one at a time.
// Run by hand: `npm run build && node dist/bench/cli.js [--nodes 1000] [--repeat 10]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { RedisRouter } from '../src/routing/redis-router.js';
import { testConfig } from '../test/helpers/config.js';
import { writeConfig } from '../test/helpers/node-process.js';
import { nodeRecord } from '../test/helpers/node-records.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { runCli } from '../test/helpers/run-cli.js';
import { median } from './figures.js';
import { machineLine } from './machine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const NODES = Number(arg('nodes', '1000'));
const REPEAT = Number(arg('repeat', '10'));
const REGIONS = ['us-west-2', 'us-east', 'eu-west', 'ap-south'];

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(values), min: sorted[0]!, max: sorted.at(-1)! };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-cli-'));
  // Leases that outlive the run: the nodes stay registered and alive without reporting.
  const router = await RedisRouter.connect(
    testConfig({
      redis: { address: redis.address, key_prefix: '{lkc}:' },
      node_stats: { update_interval: 60, lease_ttl: 3600 },
    }),
  );
  try {
    for (let i = 0; i < NODES; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, NODES - i) }, (_, j) =>
          router.registerNode(
            nodeRecord(`ND_bench${String(i + j).padStart(6, '0')}`, {
              region: REGIONS[(i + j) % REGIONS.length],
              rooms: (i + j) % 17,
              sysload: ((i + j) % 90) / 100,
              port: 20000 + i + j,
            }),
          ),
        ),
      );
    }
    const file = writeConfig(dir, 'lk-cluster.yaml', {
      port: 7880,
      region: 'us-west-2',
      keys: { benchkey: 'a-secret-of-at-least-32-characters-long' },
      redis: { address: redis.address },
    });
    // The same Redis under a prefix nobody registered in: what connecting and reading costs with no nodes.
    const empty = writeConfig(dir, 'empty.yaml', {
      port: 7880,
      region: 'us-west-2',
      keys: { benchkey: 'a-secret-of-at-least-32-characters-long' },
      redis: { address: redis.address, key_prefix: '{empty}:' },
    });
    const commands: Array<[string, string[]]> = [
      ['lk-cluster --version (bare oclif)', ['--version']],
      ['lk-cluster help (bare oclif)', ['help']],
      ['lk-cluster nodes list (0 nodes)', ['nodes', 'list', '-c', empty]],
      [`lk-cluster nodes list (${NODES} nodes, table)`, ['nodes', 'list', '-c', file]],
      [`lk-cluster nodes list --json (${NODES} nodes)`, ['nodes', 'list', '--json', '-c', file]],
    ];
    const times = new Map<string, number[]>(commands.map(([name]) => [name, []]));
    const loadBefore = loadavg()[0]!.toFixed(1);
    for (let round = 0; round < REPEAT + 1; round++) {
      for (const [name, args] of commands) {
        const began = performance.now();
        const result = await runCli(args, { cwd: dir });
        const ms = performance.now() - began;
        if (result.code !== 0) throw new Error(`${name} failed: ${result.stderr}`);
        if (args.includes('--json') && (JSON.parse(result.stdout) as unknown[]).length !== NODES)
          throw new Error(`${name} did not list ${NODES} nodes`);
        // The first round warms the file cache and is not counted.
        if (round > 0) times.get(name)!.push(ms);
      }
    }
    const bare = stats(times.get(commands[0]![0])!).median;
    const table = new Table({
      head: ['command', 'median ms', 'min ms', 'max ms', 'over --version (median)'],
      style: { head: [], border: [] },
    });
    for (const [name] of commands) {
      const s = stats(times.get(name)!);
      table.push([
        name,
        s.median.toFixed(0),
        s.min.toFixed(0),
        s.max.toFixed(0),
        name === commands[0]![0] ? '' : `${s.median - bare >= 0 ? '+' : ''}${(s.median - bare).toFixed(0)}`,
      ]);
    }
    console.log(
      `cli: wall time of one command (spawn to exit), ${REPEAT} runs each after one warm-up, interleaved, ${NODES} registered nodes`,
    );
    console.log(machineLine(loadBefore));
    console.log(table.toString());
  } finally {
    await router.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
