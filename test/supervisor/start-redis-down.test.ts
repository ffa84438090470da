import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nodeConfig, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/run-cli.js';

describe('lk-cluster start with a config naming a Redis that is down', () => {
  it('says it cannot reach that Redis at once, before starting any node', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lkc-redis-down-'));
    try {
      // A free port: nothing listens there, so the connection is refused.
      const redisPort = await freePort();
      const file = writeConfig(
        cwd,
        'lk-cluster.yaml',
        nodeConfig({ port: await freePort(), redis: `127.0.0.1:${redisPort}` }),
      );
      const began = Date.now();
      const result = await runCli(['start', '--config', file, '--nodes', '2'], { cwd });
      const tookMs = Date.now() - began;
      assert.equal(result.code, 1, result.stdout);
      assert.doesNotMatch(result.stdout, /starting node-/);
      assert.match(
        result.stderr,
        new RegExp(`^cannot reach redis at 127\\.0\\.0\\.1:${redisPort}: .*ECONNREFUSED`),
      );
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(tookMs < 10_000, `took ${tookMs} ms`);
      assert.equal(existsSync(join(cwd, '.lk-cluster', 'state.json')), false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
