import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig, loadConfig, resolveConfigPath } from '../../src/config/index.js';
import { isLkcError } from '../../src/errors.js';
import { fixture } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'lkc-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'x'.repeat(40);

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isLkcError(err), `expected an LkcError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected a rejection');
}

describe('resolveConfigPath', () => {
  it('prefers the explicit flag, then $LKC_CONFIG, then ./lk-cluster.yaml when it exists', () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    assert.equal(resolveConfigPath('a.yaml', { LKC_CONFIG: 'b.yaml' }, cwd), 'a.yaml');
    assert.equal(resolveConfigPath(undefined, { LKC_CONFIG: 'b.yaml' }, cwd), 'b.yaml');
    assert.equal(resolveConfigPath(undefined, {}, cwd), undefined);
    writeFileSync(join(cwd, 'lk-cluster.yaml'), 'port: 7880\n');
    assert.equal(resolveConfigPath(undefined, {}, cwd), join(cwd, 'lk-cluster.yaml'));
  });
});

describe('loadConfig', () => {
  it('returns the defaults, in single-node mode, when there is no file', async () => {
    const loaded = await loadConfig({ env: {}, cwd: dir });
    assert.equal(loaded.file, undefined);
    assert.deepEqual(loaded.config, defaultConfig());
    assert.equal(loaded.config.redis, undefined);
    assert.deepEqual(loaded.warnings, []);
  });

  it("has LiveKit's defaults", () => {
    const config = defaultConfig();
    assert.equal(config.port, 7880);
    assert.deepEqual(
      { ...config.node_selector, regions: undefined },
      {
        kind: 'any',
        sort_by: 'random',
        algorithm: 'lowest',
        sysload_limit: 0.9,
        cpu_load_limit: 0.9,
        regions: undefined,
      },
    );
    assert.deepEqual(config.room, {
      empty_timeout: 300,
      max_participants: 0,
      auto_create: true,
      span: 'off',
    });
    assert.deepEqual(config.node_stats, { update_interval: 0.5, lease_ttl: 2.5 });
    assert.equal(config.logging.level, 'info');
    assert.equal(config.rtc.num_workers, 0);
  });

  it('reads a valid file', async () => {
    const loaded = await loadConfig({ file: fixture('valid.yaml'), env: {} });
    assert.equal(loaded.file, fixture('valid.yaml'));
    assert.equal(loaded.config.node_selector.regions.length, 2);
  });

  it('reads the file named by $LKC_CONFIG', async () => {
    const loaded = await loadConfig({ env: { LKC_CONFIG: fixture('valid.yaml') }, cwd: dir });
    assert.equal(loaded.config.region, 'us-west-2');
  });

  it('fails with CONFIG_NOT_FOUND for an explicit file that does not exist', async () => {
    const missing = join(dir, 'missing.yaml');
    const err = await rejection(loadConfig({ file: missing, env: {} }));
    assert.deepEqual(err, { code: 'CONFIG_NOT_FOUND', message: `${missing}: no such config file` });
  });

  it('fails with CONFIG_INVALID listing FILE:LINE:COL for every problem', async () => {
    const file = fixture('bad-latitude.yaml');
    const err = await rejection(loadConfig({ file, env: {} }));
    assert.equal(err.code, 'CONFIG_INVALID');
    const lines = err.message.split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]!.startsWith(`${file}:8:12: latitude must be between -90 and 90`));
    assert.ok(lines[0]!.endsWith('(at node_selector.regions[0].lat)'));
    assert.ok(lines[1]!.startsWith(`${file}:12:12: longitude`));
  });

  it('returns warnings with the config', async () => {
    const loaded = await loadConfig({ file: fixture('regionaware-single-node.yaml'), env: {} });
    assert.deepEqual(
      loaded.warnings.map((w) => [w.line, w.column, w.severity]),
      [[4, 9, 'warning']],
    );
  });
});

describe('environment overrides', () => {
  it('apply LKC_PORT, LKC_REGION, LKC_KEYS, LKC_REDIS_ADDRESS and LKC_NODE_IP over the file', async () => {
    const loaded = await loadConfig({
      file: fixture('valid.yaml'),
      env: {
        LKC_PORT: '9000',
        LKC_REGION: 'us-east',
        LKC_KEYS: `k1: ${SECRET}, k2: ${SECRET}y`,
        LKC_REDIS_ADDRESS: '10.1.2.3:6390',
        LKC_NODE_IP: '198.51.100.4',
      },
    });
    assert.equal(loaded.config.port, 9000);
    assert.equal(loaded.config.region, 'us-east');
    assert.deepEqual(loaded.config.keys, { k1: SECRET, k2: `${SECRET}y` });
    assert.equal(loaded.config.redis?.address, '10.1.2.3:6390');
    assert.equal(loaded.config.redis?.key_prefix, '{lkc}:');
    assert.equal(loaded.config.rtc.node_ip, '198.51.100.4');
    assert.equal(loaded.config.node_selector.regions.length, 2);
  });

  it('let one shared file without a region serve every region', async () => {
    const loaded = await loadConfig({
      file: fixture('shared-no-region.yaml'),
      env: { LKC_REGION: 'us-east' },
    });
    assert.equal(loaded.config.region, 'us-east');
  });

  it('turn single-node mode into a cluster with LKC_REDIS_ADDRESS, and the regionaware warning goes away', async () => {
    const loaded = await loadConfig({
      file: fixture('regionaware-single-node.yaml'),
      env: { LKC_REDIS_ADDRESS: '127.0.0.1:7001' },
    });
    assert.equal(loaded.config.redis?.address, '127.0.0.1:7001');
    assert.deepEqual(loaded.warnings, []);
  });

  it('apply without a file too', async () => {
    const loaded = await loadConfig({ env: { LKC_REGION: 'eu-west-1', LKC_PORT: '7999' }, cwd: dir });
    assert.equal(loaded.config.region, 'eu-west-1');
    assert.equal(loaded.config.port, 7999);
  });

  it('ignore empty variables', async () => {
    const loaded = await loadConfig({ file: fixture('valid.yaml'), env: { LKC_REGION: '', LKC_PORT: ' ' } });
    assert.equal(loaded.config.region, 'us-west-2');
    assert.equal(loaded.config.port, 7880);
  });

  it('refuse a bad value with one line naming the variable', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ LKC_PORT: 'http' }, /^LKC_PORT: 'http' is not a TCP port/],
      [{ LKC_PORT: '70000' }, /^LKC_PORT: /],
      [{ LKC_REDIS_ADDRESS: 'redis.local' }, /^LKC_REDIS_ADDRESS: 'redis.local' is not HOST:PORT/],
      [{ LKC_NODE_IP: 'not-an-ip' }, /^LKC_NODE_IP: /],
      [{ LKC_KEYS: 'justakey' }, /^LKC_KEYS: must look like 'APIKEY: secret'/],
    ];
    for (const [env, pattern] of cases) {
      const err = await rejection(loadConfig({ file: fixture('valid.yaml'), env }));
      assert.equal(err.code, 'BAD_INPUT');
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('\n'));
    }
  });

  it('refuse a short secret in LKC_KEYS without printing it', async () => {
    const err = await rejection(loadConfig({ env: { LKC_KEYS: 'k1: shortsecret' }, cwd: dir }));
    assert.match(err.message, /^LKC_KEYS: the secret of API key 'k1' is shorter than 32 characters/);
    assert.ok(!err.message.includes('shortsecret'));
  });

  it('blame the variable when its value breaks a rule of the file', async () => {
    const err = await rejection(
      loadConfig({ file: fixture('valid.yaml'), env: { LKC_REGION: 'eu-west-1' } }),
    );
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, /^LKC_REGION: region 'eu-west-1' is not listed in node_selector.regions/);
  });

  it('leave the file untouched', async () => {
    const before = readFileSync(fixture('valid.yaml'), 'utf8');
    await loadConfig({ file: fixture('valid.yaml'), env: { LKC_PORT: '9001' } });
    assert.equal(readFileSync(fixture('valid.yaml'), 'utf8'), before);
  });
});
