import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULT_KEY_PREFIX, loadConfig } from '../config/index.js';
import type { Config, RegionConfig, RoomSpan } from '../config/types.js';
import { LkcError } from '../errors.js';
import { builtinRegion } from '../geo/cloud-regions.js';
import { randomId } from '../ids.js';
import type { NodeOverrides } from '../node-contract/overrides.js';
import { createRouter } from '../routing/create.js';
import { checkRedis } from '../routing/redis-connect.js';
import type { Router } from '../routing/types.js';
import { nextFreePort, splitPortRange } from '../system/ports.js';
import { describeEvent } from './events.js';
import { type LocalRedis, startLocalRedis } from './local-redis.js';
import { REQUEST_POLL_MS, removeSlotRequests, takeSlotRestarts } from './slot-requests.js';
import {
  type ClusterState,
  processStartTime,
  readState,
  removeState,
  statePath,
  writeState,
} from './state-file.js';
import { type NodeSpec, Supervisor } from './supervisor.js';

/** The supervisor's own connection to the nodes' Redis: bounded, so that a dead Redis fails a forget quickly. */
const STORE_OPTIONS = { connectTimeoutMs: 5_000, commandTimeoutMs: 2_000, maxRetriesPerRequest: 1 };

export interface StartClusterOptions {
  nodes: number;
  /** --config; undefined: $LKC_CONFIG, else ./lk-cluster.yaml, else the embedded default. */
  configFile?: string;
  /** One region per node, round robin (`--regions a,b` or `--region a`); empty: the config's region. */
  regions: string[];
  /** First TCP port to try; default the config's `port`. */
  portBase?: number;
  /** room.span for every node (`--span`); undefined: the config's. */
  span?: RoomSpan;
  /** How long each node may take to become ready before `start` gives up (default 60 s). */
  readyTimeoutMs?: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress lines while the cluster starts. */
  onProgress?: (line: string) => void;
}

/** A started local cluster: its supervisor, its private Redis (if any), and the state file it keeps. */
export interface LocalCluster {
  supervisor: Supervisor;
  redis?: LocalRedis;
  config: Config;
  /** The config file the nodes read; undefined for the embedded default. */
  configFile?: string;
  statePath: string;
  /** Where the nodes share state: a Redis address (private or configured), or undefined in single-node mode. */
  redisAddress?: string;
  /** Resolves when every node has exited (drained, or stopped) and Redis and the state file are gone. */
  closed: Promise<void>;
  /** Drains every node and waits (then stops Redis and removes the state file). */
  drain(): Promise<void>;
  /** Stops every node at once (then stops Redis and removes the state file). */
  stop(): Promise<void>;
}

/** A fresh API key pair for the nodes of an embedded-default cluster (LiveKit's key shape). */
function generateKeyPair(): { key: string; secret: string } {
  return { key: randomId('API'), secret: randomBytes(32).toString('base64url') };
}

/** One region per node, round robin over `regions`; the config's region when none are given. */
export function regionsPerNode(nodes: number, regions: string[], fallback: string): string[] {
  const list = regions.map((r) => r.trim()).filter(Boolean);
  return Array.from({ length: nodes }, (_, i) => (list.length > 0 ? list[i % list.length]! : fallback));
}

/** The built-in coordinates of each distinct region, for a region-aware selector without a config file. */
function builtinRegions(names: string[]): RegionConfig[] {
  return [...new Set(names)].map((name) => {
    const region = builtinRegion(name);
    if (!region) {
      throw new LkcError(
        'REGION_NOT_FOUND',
        `region ${name} is not in the built-in table (see \`lk-cluster regions list\`); give its coordinates in a config file under node_selector.regions`,
      );
    }
    return { name: region.name, lat: region.lat, lon: region.lon };
  });
}

/**
 * Starts a local cluster: loads the config (or the embedded default), starts a private redis-server when there
 * are several nodes and no Redis is configured, gives each node a port and a UDP slice, starts the nodes and
 * waits until each is ready, and writes the state file that lets other commands in this folder find it.
 */
export async function startLocalCluster(options: StartClusterOptions): Promise<LocalCluster> {
  const progress = options.onProgress ?? (() => {});
  if (!Number.isInteger(options.nodes) || options.nodes < 1)
    throw new LkcError('BAD_INPUT', '--nodes must be 1 or more');
  const running = readState(options.cwd);
  if (running) {
    throw new LkcError(
      'ALREADY_EXISTS',
      `a cluster started in this folder is already running (supervisor pid ${running.supervisor_pid}); stop it with Ctrl-C, or start another one from a different folder`,
    );
  }
  const loaded = await loadConfig({ file: options.configFile, env: options.env, cwd: options.cwd });
  const config = loaded.config;
  // Every node would retry a Redis that is down for its whole start timeout, one after another: say it now.
  if (config.redis) await checkRedis(config.redis);
  const configFile = loaded.file ? resolve(options.cwd, loaded.file) : undefined;
  const regions = regionsPerNode(options.nodes, options.regions, config.region);

  const overrides: NodeOverrides = options.span ? { room_span: options.span } : {};
  if (options.span) config.room.span = options.span;
  const env: NodeJS.ProcessEnv = { ...options.env };
  // The caller's LKC_PORT / LKC_REGION would fight the per-node values; the supervisor sets both.
  delete env.LKC_PORT;
  delete env.LKC_REGION;
  if (!configFile && regions.some(Boolean)) {
    // Every node of a local cluster reports this one machine's load average, so a sysload limit could only refuse
    // all of them at once (a 2-core laptop that just compiled sits above 1): 0, which only this embedded default
    // can set (a config file must give (0, 1]), places by region alone.
    overrides.node_selector = {
      kind: 'regionaware',
      sysload_limit: 0,
      regions: builtinRegions(regions.filter(Boolean)),
    };
  }
  let apiKey = Object.keys(config.keys)[0];
  let apiSecret = apiKey ? config.keys[apiKey]! : '';
  if (!apiKey) {
    const pair = generateKeyPair();
    apiKey = pair.key;
    apiSecret = pair.secret;
    env.LKC_KEYS = `${apiKey}: ${apiSecret}`;
  }

  let redis: LocalRedis | undefined;
  let redisAddress = config.redis?.address;
  const keyPrefix = config.redis?.key_prefix ?? DEFAULT_KEY_PREFIX;
  if (!config.redis && options.nodes > 1) {
    progress('starting a private redis-server');
    redis = await startLocalRedis();
    redisAddress = redis.address;
    env.LKC_REDIS_ADDRESS = redis.address;
  }

  // The supervisor sees a node die the moment it does: it removes it from the cluster through a router of its own
  // on the nodes' Redis, opened now so that a crash costs one script call, not a connection.
  const storeConfig: Config | undefined = config.redis
    ? config
    : redisAddress
      ? { ...config, redis: { address: redisAddress, key_prefix: keyPrefix } }
      : undefined;
  let store: Promise<Router> | undefined;
  const openStore = (): Promise<Router> => {
    store ??= createRouter(storeConfig!, STORE_OPTIONS).catch((err: unknown) => {
      store = undefined;
      throw err;
    });
    return store;
  };
  if (storeConfig) void openStore().catch(() => {});
  const forgetNode = storeConfig
    ? async (nodeId: string): Promise<number> => {
        const outcome = await (await openStore()).forgetNode(nodeId, {
          force: true,
          by: 'supervisor',
          why: 'its process exited',
        });
        return outcome.status === 'forgotten' ? outcome.rooms.length : 0;
      }
    : undefined;

  const cleanUpRedis = async () => {
    const opened = store;
    store = undefined;
    await opened?.then((router) => router.close()).catch(() => {});
    await redis?.stop().catch(() => {});
  };
  let supervisor: Supervisor;
  try {
    const udp = splitPortRange(
      { start: config.rtc.udp_port_range_start, end: config.rtc.udp_port_range_end },
      options.nodes,
    );
    const taken = new Set<number>();
    const specs: NodeSpec[] = [];
    let next = options.portBase ?? config.port;
    for (let i = 0; i < options.nodes; i++) {
      const port = await nextFreePort(next, taken);
      taken.add(port);
      next = port + 1;
      specs.push({ index: i + 1, port, udp: udp[i]!, region: regions[i]! });
    }
    supervisor = new Supervisor({ specs, configFile, cwd: options.cwd, env, overrides, forgetNode });
  } catch (err) {
    await cleanUpRedis();
    throw err;
  }

  const startedAt = Date.now();
  const supervisorStart = processStartTime(process.pid);
  const state = (): ClusterState => ({
    version: 1,
    supervisor_pid: process.pid,
    ...(supervisorStart ? { supervisor_start: supervisorStart } : {}),
    started_at: startedAt,
    ...(configFile ? { config_file: configFile } : {}),
    ...(redisAddress
      ? {
          redis: {
            address: redisAddress,
            key_prefix: keyPrefix,
            private: Boolean(redis),
            ...(redis ? { pid: redis.pid } : {}),
          },
        }
      : {}),
    api_key: apiKey,
    api_secret: apiSecret,
    ...(overrides.node_selector ? { node_selector: overrides.node_selector } : {}),
    nodes: supervisor.nodes.map((node) => ({
      index: node.spec.index,
      id: node.id,
      url: node.url,
      pid: node.pid,
      region: node.spec.region,
      port: node.spec.port,
      state: node.state,
    })),
  });
  const removeOnExit = () => {
    removeSlotRequests(options.cwd);
    removeState(options.cwd);
  };
  process.on('exit', removeOnExit);
  writeState(options.cwd, state());
  supervisor.on('change', () => {
    try {
      writeState(options.cwd, state());
    } catch {
      // the folder went away; the cluster runs on
    }
  });
  supervisor.on('event', (event) => {
    if (event.type === 'spawned' && !event.node.ready)
      progress(
        `starting node-${event.node.spec.index} (port ${event.node.spec.port}, region ${event.node.spec.region || '-'})`,
      );
    if (event.type === 'ready')
      progress(`node-${event.node.spec.index} ready: ${event.node.id} at ${event.node.url}`);
    // While starting, a node that fails is said to fail (and why), not only started again.
    if (
      !event.node.ready &&
      (event.type === 'exited' || event.type === 'restarting' || event.type === 'crash-loop')
    )
      progress(describeEvent(event) ?? '');
  });

  // `nodes undrain` of a node that drained and exited asks for its slot back.
  const requests = setInterval(() => {
    for (const index of takeSlotRestarts(options.cwd)) void supervisor.restartSlot(index);
  }, REQUEST_POLL_MS);
  requests.unref();

  const finish = async () => {
    clearInterval(requests);
    await supervisor.settled();
    await cleanUpRedis();
    removeSlotRequests(options.cwd);
    removeState(options.cwd);
    process.off('exit', removeOnExit);
  };
  try {
    await supervisor.start(options.readyTimeoutMs);
  } catch (err) {
    await supervisor.stop();
    await finish();
    throw err;
  }
  const closed = supervisor.done().then(finish);
  return {
    supervisor,
    redis,
    config,
    configFile,
    statePath: statePath(options.cwd),
    redisAddress,
    closed,
    async drain() {
      await supervisor.drain();
      await closed;
    },
    async stop() {
      await supervisor.stop();
      await closed;
    },
  };
}
