import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../../src/config/defaults.js';
import { joinToken, killHard } from '../helpers/fault-cluster.js';
import {
  admin,
  cleanEnv,
  NODE_MAIN,
  nodeConfig,
  startNode,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { collectOutput, exitedWithin, spawnTracked } from '../helpers/processes.js';
import {
  makeCertificates,
  opensslMissing,
  startTlsRedis,
  type TestCertificates,
  type TlsRedis,
} from '../helpers/redis-tls.js';
import { waitFor } from '../helpers/wait.js';
import { openSession, type WsSession } from '../helpers/ws-session.js';

const NODE_USER = 'lkc-node';
const NODE_PASSWORD = 'acl-password-of-the-node-user-5e7a';
const ADMIN_PASSWORD = 'acl-password-of-the-test-admin-9d21';
const DB = 3;
/**
 * The commands a node sends: the connection's (AUTH, HELLO, SELECT for db, INFO for ioredis's ready check, PING,
 * QUIT), the router's reads and the bus, EVAL/EVALSHA, and every command the Lua scripts call (they run as the same
 * user): taken from the scripts and the router, and checked against INFO commandstats of a run with +@all.
 */
const NODE_COMMANDS = [
  ...['auth', 'hello', 'select', 'info', 'ping', 'quit'],
  ...['hget', 'hgetall', 'hvals', 'hset', 'set', 'smembers', 'publish', 'subscribe', 'unsubscribe'],
  // Spanning rooms' scripts (lua/lib/span.lua): the release script calls them for every room.
  ...['hkeys', 'hlen', 'hexists'],
  ...['eval', 'evalsha'],
  ...['del', 'exists', 'get', 'mget', 'hdel', 'hmget', 'incr', 'pttl', 'sadd', 'srem', 'time'],
  ...['zadd', 'zcard', 'zrange', 'zrangebyscore', 'zrem', 'zremrangebyrank'],
];
/** The node's ACL user: its keys and channels under the prefix only, those commands only. */
const NODE_RULES = `${NODE_USER} on >${NODE_PASSWORD} resetkeys ~${PREFIX}* resetchannels &${PREFIX}* -@all ${NODE_COMMANDS.map((c) => `+${c}`).join(' ')}`;

describe('a node over TLS with a client certificate, an ACL user and db 3', {
  skip: opensslMissing(),
}, () => {
  let dir: string;
  let certs: TestCertificates;
  let redis: TlsRedis;
  let inspect: Redis;
  const started: TestNode[] = [];
  const sessions: WsSession[] = [];

  const redisSection = (overrides: Record<string, unknown> = {}) => ({
    address: redis.address,
    tls: { enabled: true, ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey },
    username: NODE_USER,
    password: NODE_PASSWORD,
    db: DB,
    key_prefix: PREFIX,
    ...overrides,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-topo-tls-'));
    certs = makeCertificates(dir);
    redis = await startTlsRedis(dir, certs, [`admin on >${ADMIN_PASSWORD} ~* &* +@all`, NODE_RULES], {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    inspect = await redis.connect({ username: 'admin', password: ADMIN_PASSWORD, db: DB });
  });

  after(async () => {
    for (const s of sessions) s.socket.terminate();
    await Promise.all(started.map((n) => n.stop()));
    inspect?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a node that must not start; resolves with its exit code and its error lines. */
  async function refusedNode(name: string, section: Record<string, unknown>) {
    const port = await freePort();
    const file = writeConfig(dir, name, { ...nodeConfig({ port }), redis: section });
    const child = spawnTracked(process.execPath, [NODE_MAIN, '--config', file], { env: cleanEnv() });
    const output = collectOutput(child);
    const { code } = await exitedWithin(child, 20_000, `the node of ${name} to exit`);
    const errors = output
      .text()
      .split('\n')
      .filter((line) => /error/i.test(line));
    return { code, errors, output: output.text() };
  }

  it('registers in db 3 as the ACL user, and a bridged join between two such nodes works', async (t) => {
    const start = async (name: string) => {
      const port = await freePort();
      const file = writeConfig(dir, `${name}.yaml`, { ...nodeConfig({ port }), redis: redisSection() });
      const node = await startNode(file, port);
      started.push(node);
      return node;
    };
    const a = await start('a');
    const b = await start('b');
    await waitFor(async () => (await inspect.hlen(`${PREFIX}nodes`)) === 2, {
      what: 'both nodes registered in db 3',
    });
    assert.equal(JSON.parse((await inspect.hget(`${PREFIX}nodes`, a.id))!).id, a.id);
    assert.equal(await inspect.exists(`${PREFIX}alive:${b.id}`), 1);
    const db0 = await redis.connect({ username: 'admin', password: ADMIN_PASSWORD, db: 0 });
    try {
      assert.equal(await db0.dbsize(), 0, 'nothing written to db 0');
    } finally {
      db0.disconnect();
    }

    const created = await admin(a.url, 'POST', '/admin/rooms', { name: 'over-tls' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const carol = await openSession(b.url, await joinToken('over-tls', 'carol'));
    sessions.push(carol);
    const joined = await carol.request('join');
    assert.equal(joined.ok, true, JSON.stringify(joined.error));
    assert.equal(joined.data.node.id, a.id, 'bridged from B to A over the TLS bus');
    const transport = await carol.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(transport.ok, true, JSON.stringify(transport.error));
    assert.equal(await inspect.hget(`${PREFIX}room_node`, 'over-tls'), a.id);
    // A join through B of a room nobody holds yet: B places it (the claim script) as the ACL user.
    const dave = await openSession(b.url, await joinToken('placed-by-b', 'dave'));
    sessions.push(dave);
    assert.equal((await dave.request('join')).ok, true);
    assert.ok([a.id, b.id].includes((await inspect.hget(`${PREFIX}room_node`, 'placed-by-b'))!));

    // The paths a node takes when another dies and when it leaves: B killed and swept by A, then A unregisters.
    await killHard(b);
    await waitFor(async () => (await inspect.hexists(`${PREFIX}nodes`, b.id)) === 0, {
      timeoutMs: 10_000,
      what: 'A to sweep the killed B',
    });
    await a.stop();
    await waitFor(async () => (await inspect.hexists(`${PREFIX}nodes`, a.id)) === 0, {
      what: 'A to unregister',
    });
    const denied = (await inspect.call('ACL', 'LOG')) as unknown[];
    assert.deepEqual(denied, [], 'the node user was never refused a command, key or channel');
    const stats = (await inspect.info('commandstats'))
      .split('\n')
      .filter((line) => line.startsWith('cmdstat_'))
      .map((line) => line.split(':')[0]!.replace('cmdstat_', ''));
    t.diagnostic(`commands seen: ${stats.sort().join(' ')}`);
  });

  it('refuses a node without the client certificate with one line and exit 1', async () => {
    const { code, errors, output } = await refusedNode('no-cert.yaml', {
      ...redisSection(),
      tls: { enabled: true, ca_file: certs.ca },
    });
    assert.equal(code, 1, output);
    assert.equal(errors.length, 1, output);
    assert.match(
      errors[0]!,
      // TLS 1.3: the alert reaches the client, or the reset comes first.
      /cannot reach redis at 127\.0\.0\.1:\d+: (write ECONNRESET|tlsv13 alert certificate required) \(.*if it asks for client certificates, set redis\.tls\.cert_file and key_file/,
    );
  });

  it('refuses a wrong ACL password with one line and exit 1', async () => {
    const { code, errors, output } = await refusedNode('wrong-password.yaml', {
      ...redisSection(),
      password: 'not-the-node-user-password-77b0',
    });
    assert.equal(code, 1, output);
    assert.equal(errors.length, 1, output);
    assert.match(errors[0]!, /cannot reach redis at 127\.0\.0\.1:\d+: WRONGPASS.*check the redis username/);
    assert.ok(!output.includes('not-the-node-user-password-77b0') && !output.includes(NODE_PASSWORD));
  });
});
