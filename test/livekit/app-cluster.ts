import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../e2e/browser.js';
import { admin, nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { serveApp } from './livekit-page.js';

/** Nodes by name, with a private Redis, Chromium and the LiveKit app's site: what the LiveKit tests run on. */
export interface AppCluster<Name extends string> {
  nodes: Record<Name, TestNode>;
  /** Each node's UDP port range (its media comes from there). */
  udp: Record<Name, { start: number; end: number }>;
  /** Each node's config file. */
  configs: Record<Name, string>;
  browser: Browser;
  redis: TestRedis;
  /** The app's own origin (not a node's), serving livekit-client. */
  siteUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts one node per name on a private redis-server, creates `room` on the first, and launches Chromium and the
 * app's site. Whatever started is stopped by `stop()`, also when a later part failed to start.
 */
export async function startAppCluster<Name extends string>(
  names: readonly Name[],
  {
    room,
    label,
    config,
    env,
    browser = true,
  }: {
    room?: string;
    label: string;
    /** Each node's config beyond nodeConfig's (its region, room.span, ...), laid over it key by key. */
    config?: (name: Name) => Record<string, unknown>;
    /** The nodes' environment beyond the test's. */
    env?: NodeJS.ProcessEnv;
    /** Launch Chromium and the app's site (default); a test of signalling alone goes without. */
    browser?: boolean;
  },
): Promise<AppCluster<Name>> {
  const parts: { redis?: TestRedis; browser?: Browser; site?: { close(): Promise<void> }; dir?: string } = {};
  const nodes = {} as Record<Name, TestNode>;
  const stop = async () => {
    await parts.browser?.close();
    await parts.site?.close();
    await Promise.all(Object.values<TestNode>(nodes).map((node) => node.stop()));
    await parts.redis?.stop();
    if (parts.dir) rmSync(parts.dir, { recursive: true, force: true });
  };
  try {
    parts.redis = await startRedis();
    const redis = parts.redis;
    parts.dir = mkdtempSync(join(tmpdir(), `lkc-${label}-`));
    const dir = parts.dir;
    const udp = {} as Record<Name, { start: number; end: number }>;
    const configs = {} as Record<Name, string>;
    await Promise.all(
      names.map(async (name) => {
        const port = await freePort();
        const base = nodeConfig({ port, redis: redis.address });
        const extra = config?.(name) ?? {};
        const config_ = { ...base, ...extra };
        for (const [key, value] of Object.entries(extra))
          if (value && typeof value === 'object' && !Array.isArray(value) && typeof base[key] === 'object')
            config_[key] = { ...(base[key] as object), ...(value as object) };
        const rtc = config_.rtc as { udp_port_range_start: number; udp_port_range_end: number };
        udp[name] = { start: rtc.udp_port_range_start, end: rtc.udp_port_range_end };
        configs[name] = writeConfig(dir, `${name}.yaml`, config_);
        nodes[name] = await startNode(configs[name], port, env);
      }),
    );
    if (room) {
      const created = await admin(nodes[names[0]!].url, 'POST', '/admin/rooms', { name: room });
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
    if (!browser) return { nodes, udp, configs, browser: undefined as never, redis, siteUrl: '', stop };
    parts.browser = await launchBrowser();
    const site = await serveApp();
    parts.site = site;
    return { nodes, udp, configs, browser: parts.browser, redis, siteUrl: site.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
