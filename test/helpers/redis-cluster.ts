import { freePort } from './ports.js';
import { collectOutput, exitedWithin, spawnTracked } from './processes.js';
import { askRedis, startRedis, type TestRedis } from './redis-server.js';
import { waitFor } from './wait.js';

/**
 * A Redis Cluster of real redis-server processes, slots spread by `redis-cli --cluster create`: masters only, or
 * each master with `replicas` replicas.
 */
export interface TestCluster {
  /** Every server, masters and replicas. */
  nodes: TestRedis[];
  /** host:port of every server (at creation, the first `masters` are the masters). */
  addresses: string[];
  /** The server that serves `slot` now, asked of every live server until one answers (after a failover too). */
  ownerOf(slot: number): Promise<TestRedis>;
  stop(): Promise<void>;
}

/** The port of the master serving `slot`, from `CLUSTER NODES` as the server on `port` sees it. */
async function slotOwnerPort(port: number, slot: number): Promise<number | undefined> {
  const text = await askRedis<string>(port, 'CLUSTER', 'NODES');
  for (const line of text.split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.split(' ');
    if (!address || !flags?.includes('master') || flags.includes('fail')) continue;
    for (const range of ranges) {
      if (range.startsWith('[')) continue; // a slot being migrated
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      if (slot >= from && slot <= to!) return Number(address.split('@')[0]!.split(':')[1]);
    }
  }
  return undefined;
}

async function clusterState(port: number): Promise<string> {
  const info = await askRedis<string>(port, 'CLUSTER', 'INFO');
  return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

/**
 * Starts `masters` cluster-enabled redis-servers (and `replicas` replicas of each) on free ports (and free bus
 * ports) and joins them. `nodeTimeoutMs` is `cluster-node-timeout`: how long a master must be unreachable before
 * its replica takes over.
 */
export async function startCluster(
  masters = 3,
  { replicas = 0, nodeTimeoutMs = 5000 }: { replicas?: number; nodeTimeoutMs?: number } = {},
): Promise<TestCluster> {
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const busPort = await freePort();
      nodes.push(
        await startRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
        ]),
      );
    }
    const addresses = nodes.map((n) => n.address);
    const create = spawnTracked('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    const output = collectOutput(create);
    const { code } = await exitedWithin(create, 30_000, 'redis-cli --cluster create to exit');
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${output.text()}`);
    await waitFor(
      async () => (await Promise.all(nodes.map((n) => clusterState(n.port)))).every((s) => s === 'ok'),
      {
        timeoutMs: 20_000,
        what: 'cluster_state:ok on every server',
      },
    );
    if (replicas > 0)
      await waitFor(
        async () => {
          const infos = await Promise.all(nodes.map((n) => askRedis<string>(n.port, 'INFO', 'replication')));
          const linked = infos.filter((i) => /role:slave/.test(i) && /master_link_status:up/.test(i));
          return linked.length === masters * replicas;
        },
        { timeoutMs: 20_000, what: 'every replica to sync with its master' },
      );
    return {
      nodes,
      addresses,
      async ownerOf(slot) {
        for (const node of nodes) {
          if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
          const port = await slotOwnerPort(node.port, slot).catch(() => undefined);
          const owner = nodes.find((n) => n.port === port);
          if (owner) return owner;
        }
        throw new Error(`no live server of the cluster serves slot ${slot}`);
      },
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()));
      },
    };
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}
