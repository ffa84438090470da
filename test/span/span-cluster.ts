import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AccessToken } from 'livekit-server-sdk';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

/** Regions far enough apart that each node's participants belong on their own region's node. */
export const SPAN_REGIONS = [
  { name: 'us-west-2', lat: 45.52, lon: -122.68 },
  { name: 'eu-central-1', lat: 50.11, lon: 8.68 },
  { name: 'ap-northeast-1', lat: 35.68, lon: 139.69 },
];

/** The test nodes' lease and report interval (nodeConfig's): a dead node is handled within their sum. */
export const LEASE_TTL_MS = 1500;
export const UPDATE_INTERVAL_MS = 500;

/** Real node processes with room.span on, over a private redis-server, each reporting a low sysload. */
export interface SpanCluster {
  redis: TestRedis;
  /** A plain client on the cluster's Redis, to read what the cluster recorded. */
  store: Redis;
  nodes: Map<string, TestNode>;
  node(name: string): TestNode;
  addNode(name: string, region: string): Promise<TestNode>;
  /** A node's part of `room` (GET /admin/node): its role, home and pipes; undefined when it has none. */
  part(
    name: string,
    room: string,
  ): Promise<
    | {
        role: 'home' | 'leg';
        home: string | null;
        pipes: Array<{
          node: string;
          region: string;
          tracks_out: number;
          video_flowing: number;
          tracks_in: number;
        }>;
      }
    | undefined
  >;
  stop(): Promise<void>;
}

export async function startSpanCluster(
  specs: Array<{ name: string; region: string }>,
  { label, span = 'region' }: { label: string; span?: 'region' | 'load' },
  extra: (name: string) => Record<string, unknown> = () => ({}),
): Promise<SpanCluster> {
  const dir = mkdtempSync(join(tmpdir(), `lkc-${label}-`));
  const sysload = join(dir, 'sysload');
  writeSysload(sysload, 0.1);
  const redis = await startRedis();
  const store = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  store.on('error', () => {});
  const nodes = new Map<string, TestNode>();
  const stop = async () => {
    await Promise.all([...nodes.values()].map((node) => node.stop()));
    store.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const addNode = async (name: string, region: string) => {
    const port = await freePort();
    const base = nodeConfig({ port, redis: redis.address, region });
    const more = extra(name);
    const config = {
      ...base,
      ...more,
      node_selector: { kind: 'regionaware', sysload_limit: 0.9, regions: SPAN_REGIONS },
      room: { ...(base.room as object), span, ...((more.room as object) ?? {}) },
    };
    const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port, fakeSysloadEnv(sysload));
    nodes.set(name, node);
    return node;
  };
  try {
    await store.connect();
    await Promise.all(specs.map((spec) => addNode(spec.name, spec.region)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    redis,
    store,
    nodes,
    node: (name) => {
      const node = nodes.get(name);
      if (!node) throw new Error(`no node ${name}`);
      return node;
    },
    addNode,
    async part(name, room) {
      const { body } = await admin(nodes.get(name)!.url, 'GET', '/admin/node');
      return body.rooms.find((r: { name: string }) => r.name === room)?.span ?? undefined;
    },
    stop,
  };
}

/** A LiveKit access token for `identity` in `room`. */
export async function joinToken(room: string, identity: string): Promise<string> {
  const grant = new AccessToken(TEST_KEY, TEST_SECRET, { identity, ttl: '10m' });
  grant.addGrant({ roomJoin: true, room, roomAdmin: false });
  return grant.toJwt();
}
