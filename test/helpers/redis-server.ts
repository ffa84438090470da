import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pingRedis, privateRedisArgs } from '../../src/supervisor/local-redis.js';
import { freePort } from './ports.js';
import { collectOutput, exitedWithin, spawnTracked, stopProcess } from './processes.js';
import { waitFor } from './wait.js';

/** A private redis-server on a free port; tests never touch the shared 6379 instance. */
export interface TestRedis {
  port: number;
  address: string;
  dir: string;
  process: ChildProcess;
  /** kill -9 the server. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/** Starts `redis-server` with `extraArgs` (e.g. ['--requirepass', 'x']) and waits until it answers. */
export async function startRedis(extraArgs: string[] = [], fixedPort?: number): Promise<TestRedis> {
  const port = fixedPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'lkc-redis-'));
  let output = { text: () => '' };
  const launch = async (): Promise<ChildProcess> => {
    const child = spawnTracked('redis-server', [...privateRedisArgs(port, dir), ...extraArgs]);
    output = collectOutput(child);
    // A server with --requirepass answers PING with NOAUTH: it is up all the same.
    await waitFor(() => pingRedis(port, ['+PONG', '-NOAUTH']), {
      timeoutMs: 10_000,
      what: `redis-server on port ${port}`,
    });
    return child;
  };
  const handle: TestRedis = {
    port,
    address: `127.0.0.1:${port}`,
    dir,
    process: await launch(),
    async kill() {
      handle.process.kill('SIGKILL');
      await exitedWithin(handle.process, 5000, `redis-server on port ${port} to die of SIGKILL`);
    },
    async restart() {
      handle.process = await launch();
    },
    async stop() {
      await stopProcess(handle.process, 2000);
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => output.text(),
  };
  return handle;
}

/** Sends one command to the redis-server (or sentinel) on loopback `port` over a throw-away connection. */
export function askRedis<T>(port: number, ...command: string[]): Promise<T> {
  return askRedisAs<T>({ port }, ...command);
}

/** askRedis as a user: `password` (and `username`) AUTH first, e.g. to a sentinel with requirepass. */
export async function askRedisAs<T>(
  { port, username, password }: { port: number; username?: string; password?: string },
  ...command: string[]
): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    username,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.call(command[0]!, ...command.slice(1))) as T;
  } finally {
    client.disconnect();
  }
}
