import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, type VideoGrant } from '../../src/auth/token.js';
import { DEFAULT_KEY_PREFIX } from '../../src/config/defaults.js';
import { projectRoot } from './paths.js';
import { collectOutput, exitedWithin, spawnTracked, stopProcess } from './processes.js';
import { takeUdpSlice } from './udp-slices.js';
import { waitFor } from './wait.js';

export const TEST_KEY = 'testkey';
export const TEST_SECRET = 'a-secret-of-at-least-32-characters-long-for-tests';
export const NODE_MAIN = join(projectRoot, 'dist', 'server', 'main.js');

/** A node config for tests: short stats interval and lease, one worker, loopback only. */
export function nodeConfig(options: {
  port: number;
  redis?: string;
  region?: string;
  keyPrefix?: string;
  emptyTimeout?: number;
  regions?: Array<{ name: string; lat: number; lon: number }>;
}): Record<string, unknown> {
  // A UDP slice of its own per node keeps parallel test files from competing for the same ports.
  const udp = takeUdpSlice();
  return {
    port: options.port,
    bind_addresses: ['127.0.0.1'],
    region: options.region ?? 'us-west-2',
    keys: { [TEST_KEY]: TEST_SECRET },
    ...(options.redis
      ? { redis: { address: options.redis, key_prefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX } }
      : {}),
    node_selector: options.regions
      ? { kind: 'regionaware', sysload_limit: 1, regions: options.regions }
      : { kind: 'any', sysload_limit: 1 },
    room: { empty_timeout: options.emptyTimeout ?? 300 },
    rtc: {
      udp_port_range_start: udp.start,
      udp_port_range_end: udp.end,
      num_workers: 1,
      node_ip: '127.0.0.1',
    },
    node_stats: { update_interval: 0.5, lease_ttl: 1.5 },
    logging: { level: 'info', json: false },
  };
}

/** Writes `config` as a YAML file (JSON is YAML) and returns its path. */
export function writeConfig(dir: string, name: string, config: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** A node process started by a test. */
export interface TestNode {
  child: ChildProcess;
  url: string;
  id: string;
  output(): string;
  /** SIGTERM twice (drain, then stop at once) and wait for the exit. */
  stop(): Promise<void>;
}

/** An HTTP answer: the status and the parsed JSON body (or the text when it is not JSON). */
// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes; the assertions check them
export type Answer = { status: number; body: any };

/** GET a URL; the status and the parsed JSON body (or the text when it is not JSON). */
export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** A token for the node's admin API (roomAdmin), or with other grants. */
export function testToken(
  grant: VideoGrant = { roomAdmin: true },
  secret = TEST_SECRET,
  ttlSeconds = 600,
): Promise<string> {
  return createToken({ apiKey: TEST_KEY, apiSecret: secret, identity: 'test', grant, ttlSeconds });
}

/** Calls the node's admin API with a roomAdmin token. */
export async function admin(
  url: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await testToken()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Starts `node dist/server/main.js --config FILE` and waits until /readyz answers 200. */
export async function startNode(
  configFile: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
): Promise<TestNode> {
  const child = spawnTracked(process.execPath, [NODE_MAIN, '--config', configFile], {
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}: ${output.text()}`);
        return (await get(`${url}/readyz`)).status === 200;
      },
      { timeoutMs: 15_000, what: `node on port ${port} to be ready` },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.text()}`);
  }
  const { body } = await get(`${url}/healthz`);
  return {
    child,
    url,
    id: body.node_id,
    output: output.text,
    stop: () => stopNodeProcess(child, `the node at ${url}`),
  };
}

/**
 * Stops a node process: the first SIGTERM drains (a node with rooms waits for them), a second 2 s later stops
 * it at once, SIGKILL at 8 s; fails naming `what` if it has not exited after 13 s.
 */
export async function stopNodeProcess(child: ChildProcess, what: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const again = setTimeout(() => child.kill('SIGTERM'), 2000);
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  try {
    await exitedWithin(child, 13_000, `${what} to stop`);
  } finally {
    clearTimeout(again);
    clearTimeout(timer);
  }
}

/** The environment without the machine's LKC_* variables. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LKC_')) env[key] = value;
  return env;
}

/** True while a process with this pid runs (a zombie waiting to be reaped counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export { stopProcess };
