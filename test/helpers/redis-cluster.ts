import { freePort } from './ports.js';
import { collectOutput, exitedWithin, spawnTracked } from './processes.js';
import { askRedis, startRedis, type TestRedis } from './redis-server.js';
import { waitFor } from './wait.js';

/** A Redis Cluster of real redis-server processes (masters only), slots spread by `redis-cli --cluster create`. */
export interface TestCluster {
  nodes: TestRedis[];
  /** host:port of every master. */
  addresses: string[];
  stop(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  const info = await askRedis<string>(port, 'CLUSTER', 'INFO');
  return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

/** Starts `masters` cluster-enabled redis-servers on free ports (and free bus ports) and joins them. */
export async function startCluster(masters = 3): Promise<TestCluster> {
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < masters; i++) {
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
          '5000',
        ]),
      );
    }
    const addresses = nodes.map((n) => n.address);
    const create = spawnTracked('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const output = collectOutput(create);
    const { code } = await exitedWithin(create, 30_000, 'redis-cli --cluster create to exit');
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${output.text()}`);
    await waitFor(
      async () => (await Promise.all(nodes.map((n) => clusterState(n.port)))).every((s) => s === 'ok'),
      {
        timeoutMs: 20_000,
        what: 'cluster_state:ok on every master',
      },
    );
    return {
      nodes,
      addresses,
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()));
      },
    };
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}
