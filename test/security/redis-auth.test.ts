import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, NODE_MAIN, nodeConfig, startNode, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { collectOutput, exitedWithin, spawnTracked } from '../helpers/processes.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { makeCertificates } from '../helpers/redis-tls.js';
import { runCli } from '../helpers/run-cli.js';

describe('redis.password against a redis-server with requirepass', () => {
  const password = 'requirepass-for-the-auth-test-7f3a';
  let redis: TestRedis;
  let dir: string;

  before(async () => {
    redis = await startRedis(['--requirepass', password]);
    dir = mkdtempSync(join(tmpdir(), 'lkc-redis-auth-'));
  });

  after(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function configWith(name: string, redisSection: Record<string, unknown> | undefined) {
    const port = await freePort();
    const config = nodeConfig({ port, redis: redis.address });
    if (redisSection) config.redis = { key_prefix: '{lkc}:', ...redisSection };
    return { port, file: writeConfig(dir, name, config) };
  }

  it('lets a node register and the CLI read the cluster with the right password', async () => {
    const { port, file } = await configWith('right.yaml', { address: redis.address, password });
    const node = await startNode(file, port);
    try {
      const listed = await runCli(['nodes', 'list', '--json', '-c', file]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as Array<{ id: string }>).map((n) => n.id),
        [node.id],
      );
    } finally {
      await node.stop();
    }
  });

  it('stops a node given the wrong password with one error line that names Redis, not the password', async () => {
    const wrong = 'not-the-requirepass-value-91c2';
    const { file } = await configWith('wrong.yaml', { address: redis.address, password: wrong });
    const child = spawnTracked(process.execPath, [NODE_MAIN, '--config', file], { env: cleanEnv() });
    const output = collectOutput(child);
    const { code } = await exitedWithin(child, 15_000, 'the node with the wrong Redis password to exit');
    assert.equal(code, 1);
    const errors = output
      .text()
      .split('\n')
      .filter((line) => /ERROR|error/.test(line));
    assert.equal(errors.length, 1, output.text());
    assert.match(
      errors[0]!,
      /cannot reach redis at 127\.0\.0\.1:\d+: WRONGPASS.*check the redis username and password/,
    );
    assert.ok(!output.text().includes(wrong) && !output.text().includes(password));
  });
});

describe('redis TLS settings', () => {
  let redis: TestRedis;
  let dir: string;
  let tlsPort: number;
  let ca: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-redis-tls-'));
    const certificates = makeCertificates(dir);
    ca = certificates.ca;
    tlsPort = await freePort();
    // The plain port stays for the helper's readiness probe; the tests use the TLS one.
    redis = await startRedis([
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      certificates.serverCert,
      '--tls-key-file',
      certificates.serverKey,
      '--tls-ca-cert-file',
      ca,
      '--tls-auth-clients',
      'no',
    ]);
  });

  after(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const listWith = async (name: string, section: Record<string, unknown>, json = true) => {
    const file = writeConfig(dir, name, {
      ...nodeConfig({ port: 7880 }),
      redis: { address: `127.0.0.1:${tlsPort}`, key_prefix: '{lkc}:', ...section },
    });
    return runCli(['nodes', 'list', ...(json ? ['--json'] : []), '-c', file]);
  };

  it('connects over TLS with the configured CA, and with insecure_skip_verify', async () => {
    const trusted = await listWith('tls.yaml', { use_tls: true, tls: { enabled: true, ca_file: ca } });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.deepEqual(JSON.parse(trusted.stdout), []);
    const skipped = await listWith('skip.yaml', {
      use_tls: true,
      tls: { enabled: true, insecure_skip_verify: true },
    });
    assert.equal(skipped.code, 0, skipped.stderr);
  });

  it('refuses an untrusted server certificate, and plain text to the TLS port, each in one line', async () => {
    const untrusted = await listWith('untrusted.yaml', { use_tls: true, tls: { enabled: true } }, false);
    assert.equal(untrusted.code, 1);
    assert.equal(untrusted.stderr.trim().split('\n').length, 1, untrusted.stderr);
    assert.match(untrusted.stderr, /cannot reach redis at 127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
    const plain = await listWith('plain.yaml', {}, false);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
    assert.match(plain.stderr, /cannot reach redis at 127\.0\.0\.1:\d+/);
  });
});
