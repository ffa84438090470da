import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KEY_PREFIX } from '../../src/config/defaults.js';
import type { Lan, LanClient } from './netns.js';
import { cleanEnv, NODE_MAIN, nodeConfig, stopNodeProcess, writeConfig } from './node-process.js';
import { collectOutput, stopProcess } from './processes.js';
import { waitFor } from './wait.js';

/** Every host listens on its own address, so every node can use the same port, as on separate machines. */
export const NODE_PORT = 7880;
export const REDIS_PORT = 16379;

/** A node process running in its own host of the LAN. */
export interface LanNode {
  host: string;
  ip: string;
  url: string;
  id: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM twice (drain, then stop at once) and wait for the exit. */
  stop(): Promise<void>;
}

/** redis-server and nodes on separate hosts of a LAN, watched and driven through a client host. */
export interface LanCluster {
  redisAddress: string;
  nodes: Record<string, LanNode>;
  /** A Redis command, sent from the client host. */
  // biome-ignore lint/suspicious/noExplicitAny: replies of every shape
  redis(...command: string[]): Promise<any>;
  stop(): Promise<void>;
}

/** What a test changes of each node: its config beyond nodeConfig's, and its environment beyond cleanEnv's. */
export interface LanNodeOptions {
  configure?: (host: string, config: Record<string, unknown>) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts redis-server on `redisHost` bound to its LAN address, then one node on each of `nodeHosts`, bound to
 * its own address and announcing it (`rtc.node_ip`), with nodeConfig's short test lease; waits (from the client
 * host) until each node is ready and all are registered.
 */
export async function startLanCluster(
  lan: Lan,
  client: LanClient,
  redisHost: string,
  nodeHosts: string[],
  options: LanNodeOptions = {},
): Promise<LanCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lkc-netns-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const redisIp = lan.hosts[redisHost]!.ip;
  const redisAddress = `${redisIp}:${REDIS_PORT}`;
  const redisChild = lan.run(redisHost, 'redis-server', [
    '--port',
    String(REDIS_PORT),
    '--bind',
    redisIp,
    '--save',
    '',
    '--appendonly',
    'no',
    // Protected mode refuses every client not on loopback; this LAN reaches nowhere else.
    '--protected-mode',
    'no',
    '--dir',
    dir,
  ]);
  const redisOutput = collectOutput(redisChild);
  const nodes: Record<string, LanNode> = {};
  const cluster: LanCluster = {
    redisAddress,
    nodes,
    redis: (...command) => client.call('redis', { address: redisAddress, command }),
    async stop() {
      await Promise.all(Object.values(nodes).map((node) => node.stop()));
      await stopProcess(redisChild, 2000);
      removeDir();
      process.off('exit', removeDir);
    },
  };
  try {
    await waitFor(
      async () => {
        if (redisChild.exitCode !== null) throw new Error(`redis-server exited: ${redisOutput.text()}`);
        return (await cluster.redis('PING')) === 'PONG';
      },
      { timeoutMs: 10_000, what: `redis-server at ${redisAddress}` },
    );
    await Promise.all(
      nodeHosts.map(async (host) => {
        nodes[host] = await startLanNode(lan, client, host, dir, redisAddress, options);
      }),
    );
    await waitFor(
      async () => (await cluster.redis('HLEN', `${DEFAULT_KEY_PREFIX}nodes`)) === nodeHosts.length,
      {
        what: `${nodeHosts.length} registered nodes`,
      },
    );
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

async function startLanNode(
  lan: Lan,
  client: LanClient,
  host: string,
  dir: string,
  redisAddress: string,
  options: LanNodeOptions,
): Promise<LanNode> {
  const ip = lan.hosts[host]!.ip;
  const config = nodeConfig({ port: NODE_PORT, redis: redisAddress });
  config.bind_addresses = [ip];
  (config.rtc as Record<string, unknown>).node_ip = ip;
  options.configure?.(host, config);
  const file = writeConfig(dir, `${host}.yaml`, config);
  const child = lan.run(host, process.execPath, [NODE_MAIN, '--config', file], {
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const url = `http://${ip}:${NODE_PORT}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}`);
        return (await client.call('http', { url: `${url}/readyz`, timeoutMs: 1000 })).status === 200;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `the node on ${host} (${url}) to be ready` },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.text()}`);
  }
  const health = await client.call('http', { url: `${url}/healthz` });
  return {
    host,
    ip,
    url,
    id: health.body.node_id,
    child,
    output: output.text,
    stop: () => stopNodeProcess(child, `the node on ${host}`),
  };
}
