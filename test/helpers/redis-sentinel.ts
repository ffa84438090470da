import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { collectOutput, spawnTracked, stopProcess } from './processes.js';
import { askRedis, askRedisAs, startRedis, type TestRedis } from './redis-server.js';
import { waitFor } from './wait.js';

/** A Sentinel-managed Redis: a master, one replica and one sentinel, all real redis-server processes. */
export interface TestSentinel {
  masterName: string;
  /** host:port of the sentinel. */
  sentinelAddress: string;
  master: TestRedis;
  replica: TestRedis;
  sentinel: ChildProcess;
  /** The sentinel's requirepass, when it has one. */
  sentinelPassword?: string;
  /** Sends one command to the sentinel (authenticated when it has a password). */
  askSentinel<T>(...command: string[]): Promise<T>;
  /** Asks the sentinel where the master is now. */
  masterAddress(): Promise<string>;
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts master, replica and sentinel on free ports and waits until the sentinel knows both. With
 * `sentinelPassword` the sentinel asks its clients for it (requirepass); the data servers stay open.
 */
export async function startSentinel(
  masterName = 'lkc-master',
  { sentinelPassword }: { sentinelPassword?: string } = {},
): Promise<TestSentinel> {
  const master = await startRedis();
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(master.port)]);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
      '',
    ].join('\n'),
  );
  const sentinel = spawnTracked('redis-server', [conf, '--sentinel']);
  const output = collectOutput(sentinel);
  const askSentinel = <T>(...command: string[]) =>
    askRedisAs<T>({ port, password: sentinelPassword }, ...command);
  await waitFor(async () => (await askSentinel<unknown[]>('SENTINEL', 'replicas', masterName)).length === 1, {
    timeoutMs: 15_000,
    what: 'the sentinel to see the master and its replica',
  });
  await waitFor(
    async () => /master_link_status:up/.test(await askRedis<string>(replica.port, 'INFO', 'replication')),
    {
      timeoutMs: 10_000,
      what: 'the replica to sync',
    },
  );
  return {
    masterName,
    sentinelAddress: `127.0.0.1:${port}`,
    master,
    replica,
    sentinel,
    sentinelPassword,
    askSentinel,
    async masterAddress() {
      const [host, masterPort] = await askSentinel<[string, string]>(
        'SENTINEL',
        'get-master-addr-by-name',
        masterName,
      );
      return `${host}:${masterPort}`;
    },
    async stop() {
      await stopProcess(sentinel, 2000);
      await Promise.all([master.stop(), replica.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => output.text(),
  };
}
