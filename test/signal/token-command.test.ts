import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyToken } from '../../src/auth/token.js';
import { lines, runCli } from '../helpers/run-cli.js';

const KEYS = {
  devkey: 'a-secret-of-at-least-32-characters-long',
  otherkey: 'another-secret-of-at-least-32-characters',
};

describe('lk-cluster token create', () => {
  let dir: string;
  let config: string;
  let empty: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-token-'));
    config = join(dir, 'lk-cluster.yaml');
    writeFileSync(config, `keys:\n  devkey: ${KEYS.devkey}\n  otherkey: ${KEYS.otherkey}\n`);
    empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'port: 7880\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints only a join token on stdout, signed with the first configured key, valid for 6 hours', async () => {
    const run = await runCli([
      'token',
      'create',
      '--room',
      'demo',
      '--identity',
      'alice',
      '--join',
      '-c',
      config,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const out = lines(run.stdout);
    assert.equal(out.length, 1);
    const claims = await verifyToken(out[0], KEYS);
    assert.equal(claims.apiKey, 'devkey');
    assert.equal(claims.identity, 'alice');
    assert.deepEqual(claims.video, {
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      room: 'demo',
    });
    const ttl = claims.expiresAt - Date.now() / 1000;
    assert.ok(Math.abs(ttl - 6 * 3600) < 60, `ttl ${ttl}`);
    assert.match(run.stderr, /roomJoin/);
  });

  it('makes a server token with --admin --list --create, for --valid-for, signed with --api-key', async () => {
    const run = await runCli([
      'token',
      'create',
      '--admin',
      '--list',
      '--create',
      '--room',
      'ops',
      '--valid-for',
      '30m',
      '--api-key',
      'otherkey',
      '--json',
      '-c',
      config,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout);
    assert.equal(answer.api_key, 'otherkey');
    assert.deepEqual(answer.grant, { roomAdmin: true, roomList: true, roomCreate: true, room: 'ops' });
    const claims = await verifyToken(answer.token, KEYS);
    assert.equal(claims.apiKey, 'otherkey');
    assert.equal(claims.identity, '');
    assert.ok(Math.abs(claims.expiresAt - Date.now() / 1000 - 1800) < 60);
  });

  it('makes an admin token for no particular room with --admin alone, as the node admin API asks', async () => {
    const run = await runCli(['token', 'create', '--admin', '-c', config]);
    assert.equal(run.code, 0, run.stderr);
    const claims = await verifyToken(run.stdout.trim(), KEYS);
    assert.equal(claims.video.roomAdmin, true);
    assert.equal(claims.video.room, undefined);
  });

  it('refuses what cannot make a useful token, in one line and exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--room', 'demo', '-c', config], /say what the token allows/],
      [['--join', '--room', 'demo', '-c', config], /--join needs --identity/],
      [['--join', '--identity', 'a', '-c', config], /--join needs --room/],
      [
        ['--list', '--valid-for', '1000000000d', '-c', config],
        /^--valid-for 1000000000d is too long: at most 3650d$/m,
      ],
      [['--list', '--valid-for', 'soon', '-c', config], /--valid-for 'soon' is not a duration/],
      [['--list', '--api-key', 'nokey', '-c', config], /API key nokey is not in the config/],
      [['--list', '-c', empty], /no API key to sign with/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['token', 'create', ...args]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.equal(lines(run.stderr).length, 1, run.stderr);
      assert.match(run.stderr, message);
    }
  });

  it('holds LKC_API_SECRET to the 32 characters a config file’s secret needs, for tokens and the Room API', async () => {
    const env = { LKC_API_KEY: 'APIshort', LKC_API_SECRET: 'short' };
    const short =
      /^LKC_API_SECRET is shorter than 32 characters, which no node accepts in its keys; use the full secret\n$/;
    for (const args of [
      ['token', 'create', '--list', '-c', config],
      ['room', 'create', 'r1', '--url', 'http://127.0.0.1:1', '-c', config],
    ]) {
      const run = await runCli(args, { env });
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, short, args.join(' '));
    }
    const long = await runCli(['token', 'create', '--list', '-c', config], {
      env: { ...env, LKC_API_SECRET: 's'.repeat(32) },
    });
    assert.equal(long.code, 0, long.stderr);
  });
});
