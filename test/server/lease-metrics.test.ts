import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { NodeMetrics } from '../../server/metrics.js';
import { NodeLease } from '../../server/node/lease.js';
import type { LeaseRenewal } from '../../src/routing/types.js';
import { get, nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { nodeRecord } from '../helpers/node-records.js';
import { freePort } from '../helpers/ports.js';
import { findSample, parsePrometheusText } from '../helpers/prometheus-text.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/** nodeConfig's lease, in seconds. */
const LEASE_TTL = 1.5;

async function scrape(url: string) {
  const { status, body } = await get(`${url}/metrics`);
  assert.equal(status, 200);
  return parsePrometheusText(body).samples;
}

describe("a node's /metrics counts its Redis round trips and its lease margin", () => {
  let redis: TestRedis;
  let dir: string;
  let node: TestNode;

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-lease-metrics-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port, redis: redis.address })), port);
  });

  after(async () => {
    await node?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has a heartbeat latency histogram that grows with every report, and a margin within the lease', async () => {
    const heartbeats = (samples: Awaited<ReturnType<typeof scrape>>) =>
      findSample(samples, 'lkc_redis_command_duration_seconds_count', { operation: 'heartbeat' })?.value ?? 0;
    const first = await scrape(node.url);
    const before = heartbeats(first);
    assert.ok(before >= 1, `registered and reported: ${before}`);
    // Two more reports at one every 0.5 s.
    const later = await waitFor(
      async () => {
        const samples = await scrape(node.url);
        return heartbeats(samples) >= before + 2 ? samples : undefined;
      },
      { timeoutMs: 5000, intervalMs: 100, what: 'two more heartbeats counted' },
    );
    const sum = findSample(later, 'lkc_redis_command_duration_seconds_sum', {
      operation: 'heartbeat',
    })!.value;
    const count = heartbeats(later);
    assert.ok(sum > 0 && sum / count < 0.5, `mean heartbeat round trip ${sum / count} s on loopback`);
    const le = findSample(later, 'lkc_redis_command_duration_seconds_bucket', {
      operation: 'heartbeat',
      le: '+Inf',
    });
    assert.equal(le?.value, count, 'every heartbeat is in a bucket');
    // The node's view refresh and sweeps go through the same histogram.
    assert.ok(
      (findSample(later, 'lkc_redis_command_duration_seconds_count', { operation: 'sweep' })?.value ?? 0) > 0,
    );
    const margin = findSample(later, 'lkc_lease_margin_seconds')!.value;
    // Renewed every 0.5 s: about 1 s of the 1.5 s lease was left at the last renewal.
    assert.ok(margin > 0 && margin <= LEASE_TTL, `margin ${margin} s`);
    assert.ok(margin > LEASE_TTL / 4, `a healthy node keeps most of its lease: ${margin} s`);
  });
});

describe('the lease warns when the Redis round trip approaches it', () => {
  function lease(delays: number[]) {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const metrics = new NodeMetrics(
      {
        state: () => 'serving',
        rooms: () => 0,
        participants: () => 0,
        tracksIn: () => 0,
        tracksOut: () => 0,
        routers: () => 0,
        transports: () => 0,
        signalSockets: () => 0,
        workerUsage: async () => [],
      },
      { node_id: 'n', region: '' },
    );
    let last = Date.now();
    const router = {
      registerNode: async () => {
        last = Date.now();
      },
      heartbeat: async (): Promise<LeaseRenewal> => {
        await new Promise((resolve) => setTimeout(resolve, delays.shift() ?? 0));
        const msLeft = Math.max(0, 2000 - (Date.now() - last));
        last = Date.now();
        return { held: true, msLeft };
      },
      unregisterNode: async () => {},
      assertRoom: async () => 'n',
    };
    const subject = new NodeLease({
      nodeId: 'n',
      router,
      // No report comes on its own schedule within the test: each is asked for.
      timing: { update_interval: 10, lease_ttl: 2 },
      record: () => nodeRecord('n'),
      sample: async () => nodeRecord('n').stats,
      rooms: { size: 0, list: () => [], closeRoom: async () => {}, writeRecord: async () => {} },
      stopping: () => false,
      metrics,
      log,
    });
    return { subject, lines, metrics };
  }

  it('logs a warning past a quarter of lease_ttl, and reports a danger past half of it, until it is fast again', async () => {
    // 700 ms (over 500, a quarter of the 2 s lease), then 1300 ms (over half), then fast again: wide apart, so
    // that a loaded machine's late timers cannot move a round trip across a threshold.
    const { subject, lines, metrics } = lease([700, 1300, 0, 0, 0]);
    await subject.register();
    try {
      await subject.reportNow();
      const warning = lines.find((l) => l.level === 40 && /round trip approaches the lease/.test(l.msg));
      assert.ok(warning, `a warn line: ${JSON.stringify(lines)}`);
      assert.equal(subject.leaseDanger(), undefined, 'slow, not yet dangerous');
      await subject.reportNow();
      assert.match(
        subject.leaseDanger() ?? '',
        /round trip \(\d+ ms\) is over half of lease_ttl \(2000 ms\)/,
      );
      await subject.reportNow();
      assert.equal(subject.leaseDanger(), undefined, 'fast again');
      assert.ok(lines.some((l) => /well under the lease again/.test(l.msg)));
      const margin = (await metrics.leaseMargin.get()).values[0]!.value;
      assert.ok(margin > 1 && margin <= 2, `margin ${margin}`);
    } finally {
      await subject.stop();
    }
  });
});
