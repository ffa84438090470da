// The set-up the signal relay benchmarks share: real node processes (dist/server/main.js) on a private
// redis-server, a room created on the node that is to host it, and join tokens for it.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToken } from '../src/auth/token.js';
import { spawnBound } from '../src/supervisor/bound-spawn.js';
import { freeLoopbackPort as freePort } from '../src/supervisor/local-redis.js';

export const KEY = 'benchkey';
export const SECRET = 'a-secret-of-at-least-32-characters-long-for-the-bench';
const NODE_MAIN = fileURLToPath(new URL('../server/main.js', import.meta.url));

/** Every process the benchmark started; killed when it exits, however it exits. */
export const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface BenchNode {
  url: string;
  id: string;
  pid: number;
}

export interface NodeOptions {
  /** UDP ports the node's transports may use, from `udpStart`. */
  udpPorts?: number;
  /**
   * A session of its own: with the kernel's autogroup scheduling each session is a CPU group, so a node does not
   * share one group's time with the benchmark's clients (the load run starts every process so).
   */
  detached?: boolean;
  /** Node options before the script, e.g. `--cpu-prof`. */
  execArgv?: string[];
}

export async function startNode(
  dir: string,
  name: string,
  redisPort: number,
  udpStart: number,
  { udpPorts = 100, detached = false, execArgv = [] }: NodeOptions = {},
): Promise<BenchNode> {
  const port = await freePort();
  const config = {
    port,
    bind_addresses: ['127.0.0.1'],
    region: 'us-west-2',
    keys: { [KEY]: SECRET },
    redis: { address: `127.0.0.1:${redisPort}` },
    node_selector: { kind: 'any', sysload_limit: 1 },
    rtc: {
      udp_port_range_start: udpStart,
      udp_port_range_end: udpStart + udpPorts - 1,
      num_workers: 1,
      node_ip: '127.0.0.1',
    },
    logging: { level: 'warn', json: false },
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LKC_')));
  // Bound to this process: a benchmark killed half-way leaves no node behind.
  const child = spawnBound(process.execPath, [...execArgv, NODE_MAIN, '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
    detached,
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/readyz`)).status === 200, `node ${name}`);
  const health = (await (await fetch(`${url}/healthz`)).json()) as { node_id: string };
  return { url, id: health.node_id, pid: child.pid! };
}

/** Creates room `name` on `node` through its admin API, so that the room is hosted there. */
export async function createRoom(node: BenchNode, name: string): Promise<void> {
  const adminToken = await createToken({
    apiKey: KEY,
    apiSecret: SECRET,
    identity: 'bench',
    // The node admin API takes only a cluster-wide roomAdmin grant (a room moderator's token must not drain it).
    grant: { roomAdmin: true },
  });
  const created = await fetch(`${node.url}/admin/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (created.status !== 200)
    throw new Error(`could not create room ${name} on the room node: ${await created.text()}`);
}

export function joinToken(room: string, identity: string): Promise<string> {
  return createToken({ apiKey: KEY, apiSecret: SECRET, identity, grant: { roomJoin: true, room } });
}

/** SIGTERM to every child, then SIGKILL to those still there after `graceMs`. */
export async function stopChildren(graceMs = 3000): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of running) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(exited),
    new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
    }),
  ]);
  clearTimeout(timer);
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
