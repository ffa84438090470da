// CLI benchmark: wall time of `lk-cluster nodes list`, `room list` and `room place` (table and --json) at 1,000 and
// 10,000 registered nodes and rooms, beside a bare oclif command (`lk-cluster --version`) in the same run, as
// ratios: issue 14's targets are ratios to --version (1.5x at 1,000, 3x at 10,000), which hold on a loaded machine
// where absolute times do not. Each command runs --repeat times, the commands interleaved, one at a time.
// Run by hand: `npm run build && node dist/bench/cli.js [--scales 1000,10000] [--repeat 10]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import type { RoomRecord } from '../src/records.js';
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

const SCALES = arg('scales', arg('nodes', '1000,10000')).split(',').map(Number);
const REPEAT = Number(arg('repeat', '10'));
const REGIONS = ['us-west-2', 'us-east', 'eu-west', 'ap-south'];
const KEY = { benchkey: 'a-secret-of-at-least-32-characters-long' };
/** Issue 14, item 7: within 1.5x of --version at 1,000 nodes, within 3x at 10,000. */
const TARGETS: Record<number, number> = { 1000: 1.5, 10000: 3 };

interface BenchCommand {
  name: string;
  /** The arguments of one run (a placement names a fresh room each run). */
  args: (run: number) => string[];
  /** Throws when the output is not what the command should print. */
  check?: (stdout: string) => void;
  scale?: number;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(values), min: sorted[0]!, max: sorted.at(-1)! };
}

function expectLength(name: string, least: number) {
  return (stdout: string) => {
    const length = (JSON.parse(stdout) as unknown[]).length;
    if (length < least) throw new Error(`${name} listed ${length}, not ${least}`);
  };
}

// Nodes registered through the router (leases that outlive the run: alive without reporting), and as many rooms,
// each mapped to a node and recorded, as nodes that opened them would leave them.
async function populate(address: string, prefix: string, count: number): Promise<void> {
  const router = await RedisRouter.connect(
    testConfig({
      redis: { address, key_prefix: prefix },
      node_stats: { update_interval: 60, lease_ttl: 3600 },
    }),
  );
  try {
    const id = (i: number) => `ND_bench${String(i).padStart(6, '0')}`;
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => i + j);
      await Promise.all(
        batch.map((n) =>
          router.registerNode(
            nodeRecord(id(n), {
              region: REGIONS[n % REGIONS.length],
              rooms: n % 17,
              sysload: (n % 90) / 100,
              port: 20000 + (n % 40000),
            }),
          ),
        ),
      );
      const pipeline = router.client.pipeline();
      for (const n of batch) {
        const name = `room-${String(n).padStart(6, '0')}`;
        const record: RoomRecord = {
          sid: `RM_bench${n}`,
          name,
          node_id: id(n),
          empty_timeout: 300,
          max_participants: 0,
          creation_time: Math.floor(Date.now() / 1000),
          metadata: '',
          num_participants: n % 5,
          num_publishers: n % 3,
        };
        pipeline.hset(router.keys.roomNode, name, id(n));
        pipeline.sadd(router.keys.nodeRooms(id(n)), name);
        pipeline.hset(router.keys.rooms, name, JSON.stringify(record));
      }
      await pipeline.exec();
    }
  } finally {
    await router.close();
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-cli-'));
  const config = (name: string, prefix: string) =>
    writeConfig(dir, name, {
      port: 7880,
      region: 'us-west-2',
      keys: KEY,
      redis: { address: redis.address, key_prefix: prefix },
    });
  try {
    // The same Redis under a prefix nobody registered in: what connecting and reading costs with no nodes.
    const empty = config('empty.yaml', '{empty}:');
    const commands: BenchCommand[] = [
      { name: 'lk-cluster --version (bare oclif)', args: () => ['--version'] },
      { name: 'lk-cluster help (bare oclif)', args: () => ['help'] },
      { name: 'lk-cluster nodes list (0 nodes)', args: () => ['nodes', 'list', '-c', empty] },
    ];
    for (const scale of SCALES) {
      const prefix = `{n${scale}}:`;
      await populate(redis.address, prefix, scale);
      const file = config(`n${scale}.yaml`, prefix);
      const at = `${scale} nodes`;
      let placed = 0;
      // A fresh room each run: a placement, not the sticky lookup of a room placed before.
      const place = (json: boolean) => () => [
        'room',
        'place',
        `bench-${json ? 'j' : 't'}-${placed++}`,
        ...(json ? ['--json'] : []),
        '-c',
        file,
      ];
      commands.push(
        { scale, name: `nodes list (${at})`, args: () => ['nodes', 'list', '-c', file] },
        {
          scale,
          name: `nodes list --json (${at})`,
          args: () => ['nodes', 'list', '--json', '-c', file],
          check: expectLength('nodes list --json', scale),
        },
        { scale, name: `room list (${at}, ${scale} rooms)`, args: () => ['room', 'list', '-c', file] },
        {
          scale,
          name: `room list --json (${at}, ${scale} rooms)`,
          args: () => ['room', 'list', '--json', '-c', file],
          check: expectLength('room list --json', scale),
        },
        { scale, name: `room place NEW (${at})`, args: place(false) },
        {
          scale,
          name: `room place NEW --json (${at})`,
          args: place(true),
          check: (stdout) => {
            if (!(JSON.parse(stdout) as { claimed?: boolean }).claimed)
              throw new Error('room place claimed nothing');
          },
        },
      );
    }
    const times = new Map<string, number[]>(commands.map(({ name }) => [name, []]));
    const loadBefore = loadavg()[0]!.toFixed(1);
    for (let round = 0; round < REPEAT + 1; round++) {
      for (const command of commands) {
        const began = performance.now();
        const result = await runCli(command.args(round), { cwd: dir });
        const ms = performance.now() - began;
        if (result.code !== 0) throw new Error(`${command.name} failed: ${result.stderr}`);
        command.check?.(result.stdout);
        // The first round warms the file cache and is not counted.
        if (round > 0) times.get(command.name)!.push(ms);
      }
    }
    const bare = stats(times.get(commands[0]!.name)!).median;
    const table = new Table({
      head: ['command', 'median ms', 'min ms', 'max ms', 'x --version', 'target', 'met'],
      style: { head: [], border: [] },
    });
    for (const command of commands) {
      const s = stats(times.get(command.name)!);
      const ratio = s.median / bare;
      const target = command.scale === undefined ? undefined : TARGETS[command.scale];
      table.push([
        command.name,
        s.median.toFixed(0),
        s.min.toFixed(0),
        s.max.toFixed(0),
        command === commands[0] ? '' : `${ratio.toFixed(2)}x`,
        target === undefined ? '' : `${target}x`,
        target === undefined ? '' : ratio <= target ? 'yes' : 'no',
      ]);
    }
    console.log(
      `cli: wall time of one command (spawn to exit), ${REPEAT} runs each after one warm-up, interleaved; ` +
        `${SCALES.join(' and ')} registered nodes, as many rooms`,
    );
    console.log(machineLine(loadBefore));
    console.log(table.toString());
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
