import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LkcError } from '../errors.js';
import { which } from '../system/which.js';
import { spawnBound } from './bound-spawn.js';

/** A private redis-server the supervisor started for a local multi-node cluster. */
export interface LocalRedis {
  address: string;
  port: number;
  pid: number;
  process: ChildProcess;
  /** Stops it (SIGTERM, then SIGKILL) and removes its working folder. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on loopback. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether a redis-server on loopback `port` answers PING with a reply starting with one of `replies`. */
export function pingRedis(port: number, replies: string[] = ['+PONG']): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      const reply = data.toString();
      resolve(replies.some((start) => reply.startsWith(start)));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** redis-server's arguments for a private, throw-away instance: loopback `port`, no persistence, files in `dir`. */
export function privateRedisArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
}

/**
 * Starts `redis-server` on a free loopback port with no persistence, bound to die with this process, and waits
 * until it answers PING.
 */
export async function startLocalRedis(
  options: { onLine?: (line: string) => void } = {},
): Promise<LocalRedis> {
  const binary = which('redis-server');
  if (!binary) {
    throw new LkcError(
      'MISSING_SYSTEM_PACKAGE',
      'redis-server is not installed: run `apt-get install redis-server`, or set redis.address in the config to use an existing Redis',
    );
  }
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), 'lkc-redis-'));
  // Its own session: a Ctrl-C in the terminal must reach only the supervisor, which stops redis after the nodes.
  const child = spawnBound(binary, [...privateRedisArgs(port, dir), '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) options.onLine?.(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await pingRedis(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new LkcError('UNAVAILABLE', `the private redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    process: child,
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
