import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import { parse } from 'yaml';
import { endStart, runStart, type StartRun } from '../helpers/cluster-process.js';
import { admin, get, nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { projectRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';
import { publishCameraAndMicrophone } from '../livekit/fake-publisher.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';

const random = (n: number) => randomBytes(n).toString('base64url');

/**
 * Every command, run against a cluster whose API secret and Redis password are unique strings, and the logs of
 * its node and of a supervised node: neither string may appear anywhere, in tables, JSON, errors or logs.
 */
describe('secrets never printed', () => {
  const secret = `api-secret-${random(30)}`;
  const password = `redis-pw-${random(24)}`;
  const envSecret = `env-secret-${random(30)}`;
  const shortSecret = `short-${random(6)}`;
  /** Every string that must never be printed; grows as the test learns more (the secret `config init` made). */
  const forbidden = [secret, password, envSecret, shortSecret];
  let redis: TestRedis;
  let dir: string;
  let file: string;
  let node: TestNode;
  let start: StartRun | undefined;
  const sockets: LiveKitSocket[] = [];
  const outputs: Array<{ what: string; text: string }> = [];

  const run = async (args: string[], env: Record<string, string> = {}): Promise<CliRun> => {
    const result = await runCli(args, { cwd: dir, env });
    outputs.push({ what: `lk-cluster ${args.join(' ')}`, text: `${result.stdout}\n${result.stderr}` });
    return result;
  };

  before(async () => {
    redis = await startRedis(['--requirepass', password]);
    dir = mkdtempSync(join(tmpdir(), 'lkc-secrets-'));
    const port = await freePort();
    const config = nodeConfig({ port, redis: redis.address });
    config.keys = { seckey: secret };
    config.redis = { address: redis.address, password, key_prefix: '{lkc}:' };
    config.logging = { level: 'debug', json: false };
    file = writeConfig(dir, 'lk-cluster.yaml', config);
    node = await startNode(file, port);
  });

  after(async () => {
    for (const socket of sockets) socket.socket.terminate();
    await endStart(start);
    await node?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Some fifty CLI processes in a row: longer than the default test timeout on a loaded machine.
  it('runs every command, as a table and as JSON, and prints neither the API secret nor the Redis password', {
    timeout: 300_000,
  }, async () => {
    const c = ['-c', file];
    const ok = (result: CliRun, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

    ok(await run(['config', 'validate', file]), 'config validate');
    ok(await run(['config', 'validate', file, '--json']), 'config validate --json');
    ok(await run(['config', 'schema']), 'config schema');
    const bad = writeConfig(dir, 'bad.yaml', {
      ...parse(readFileSync(file, 'utf8')),
      keys: { seckey: secret, other: shortSecret },
      unknown_key: password,
    });
    assert.equal((await run(['config', 'validate', bad])).code, 1, 'a short secret is refused');
    assert.equal((await run(['config', 'validate', bad, '--json'])).code, 1);
    ok(
      await run(['config', 'init', join(dir, 'init.yaml'), '--yes', '--redis', redis.address]),
      'config init',
    );
    const made = parse(readFileSync(join(dir, 'init.yaml'), 'utf8')) as { keys: Record<string, string> };
    forbidden.push(...Object.values(made.keys));

    ok(await run(['nodes', 'list', ...c]), 'nodes list');
    ok(await run(['nodes', 'list', '--json', ...c]), 'nodes list --json');
    ok(await run(['nodes', 'show', node.id, ...c]), 'nodes show');
    ok(await run(['nodes', 'show', node.id, '--json', ...c]), 'nodes show --json');
    ok(await run(['nodes', 'top', ...c]), 'nodes top');
    ok(await run(['nodes', 'top', '--json', ...c]), 'nodes top --json');

    ok(await run(['room', 'create', 'sec-room', ...c]), 'room create');
    ok(await run(['room', 'create', 'sec-room-2', '--json', ...c]), 'room create --json');
    ok(await run(['room', 'list', ...c]), 'room list');
    ok(await run(['room', 'list', '--json', ...c]), 'room list --json');
    ok(await run(['room', 'show', 'sec-room', ...c]), 'room show');
    ok(await run(['room', 'place', 'sec-placed', '--explain', ...c]), 'room place');
    ok(await run(['room', 'place', 'sec-placed-2', '--json', ...c]), 'room place --json');
    // Participants in the room, alice publishing, for the commands over them.
    const enter = async (identity: string) => {
      const at = new AccessToken('seckey', secret, { identity, ttl: '10m' });
      at.addGrant({ roomJoin: true, room: 'sec-room' });
      const socket = await connectLiveKit(node.url, await at.toJwt());
      sockets.push(socket);
      await socket.next('join', { what: `${identity}'s JoinResponse` });
      return socket;
    };
    await publishCameraAndMicrophone(await enter('alice'));
    await enter('bob');
    const p = ['room', 'participants'];
    // Each once, tables and JSON mixed: every command is one more process, and the test has a whole CLI to run.
    ok(await run([...p, 'list', 'sec-room', ...c]), 'room participants list');
    ok(await run([...p, 'get', 'sec-room', 'alice', '--json', ...c]), 'room participants get --json');
    ok(await run([...p, 'update', 'sec-room', 'alice', '--metadata', 'm', ...c]), 'room participants update');
    ok(
      await run([...p, 'mute', 'sec-room', 'alice', '--kind', 'audio', '--json', ...c]),
      'participants mute',
    );
    ok(await run(['room', 'send-data', 'sec-room', '--data', 'hi', ...c]), 'room send-data');
    ok(
      await run(['room', 'update-metadata', 'sec-room', 'n', '--json', ...c]),
      'room update-metadata --json',
    );
    ok(await run(['room', 'forward', 'sec-room', 'bob', '--to', 'sec-room-4', ...c]), 'room forward');
    ok(await run(['room', 'move', 'sec-room', 'bob', '--to', 'sec-room-3', '--json', ...c]), 'room move');
    ok(await run([...p, 'remove', 'sec-room', 'alice', ...c]), 'room participants remove');
    // The node keeps a room, so a drain does not stop it before the undrain.
    ok(await run(['nodes', 'drain', node.id, ...c]), 'nodes drain');
    ok(await run(['nodes', 'undrain', node.id, '--json', ...c]), 'nodes undrain');
    // Refused (its lease is alive), then nothing to forget at an address no node holds.
    assert.equal((await run(['nodes', 'forget', node.id, ...c])).code, 1, 'nodes forget refuses a live node');
    ok(await run(['nodes', 'forget', '--url', 'http://127.0.0.1:1', '--json', ...c]), 'nodes forget --url');
    ok(await run(['room', 'delete', 'sec-room-2', ...c]), 'room delete');

    const regions = join(dir, 'regions.yaml');
    copyFileSync(file, regions);
    ok(await run(['regions', 'list', '-c', regions]), 'regions list');
    ok(await run(['regions', 'list', '--builtin', '--json']), 'regions list --builtin');
    ok(await run(['regions', 'add', 'eu-west-1', '-c', regions]), 'regions add');
    ok(await run(['regions', 'distance', 'us-west-2', 'eu-west-1', '-c', regions]), 'regions distance');
    ok(await run(['regions', 'remove', 'eu-west-1', '-c', regions, '--json']), 'regions remove');
    assert.ok(readFileSync(regions, 'utf8').includes(secret), 'an edited config keeps its secret');

    ok(await run(['token', 'create', '--join', '-r', 'sec-room', '-i', 'alice', ...c]), 'token create');
    ok(await run(['token', 'create', '--admin', '-r', 'sec-room', '--json', ...c]), 'token create --json');
    // The load test mints its bots' tokens from the configured key and hands them over IPC: none reaches output.
    ok(
      await run([
        'load-test',
        '--room',
        'sec-load',
        '--subscribers',
        '1',
        '--video',
        '180p',
        '--duration',
        '1s',
        ...c,
      ]),
      'load-test',
    );

    // Secrets from the environment: a good LKC_KEYS, a malformed one, LKC_API_SECRET refused by the node.
    ok(await run(['config', 'validate', file], { LKC_KEYS: `envkey: ${envSecret}` }), 'LKC_KEYS');
    assert.equal((await run(['config', 'validate', file], { LKC_KEYS: `envkey ${envSecret}` })).code, 1);
    const refused = await run(['room', 'create', 'sec-env', '--url', node.url], {
      LKC_API_KEY: 'seckey',
      LKC_API_SECRET: envSecret,
    });
    assert.equal(refused.code, 1, 'a wrong secret is refused');

    // A supervised node (lk-cluster start with the configured Redis): the supervisor's output and its node's log.
    start = await runStart(['-n', '1', '-p', String(await freePort()), '-c', file], dir);
    await endStart(start);
    outputs.push({ what: 'lk-cluster start', text: start.output() });

    // What the node serves about itself.
    for (const path of ['/healthz', '/readyz', '/metrics', '/settings/regions'])
      outputs.push({ what: `GET ${path}`, text: JSON.stringify((await get(`${node.url}${path}`)).body) });
    outputs.push({
      what: 'GET /admin/node',
      text: JSON.stringify((await admin(node.url, 'GET', '/admin/node')).body),
    });

    outputs.push({ what: 'the node log', text: node.output() });
    const ran = new Set(outputs.map((o) => o.what));
    const missed = everyCommand().filter(
      (id) => ![...ran].some((what) => what.startsWith(`lk-cluster ${id}`)),
    );
    assert.deepEqual(missed, [], 'every command ran');
    const leaks = outputs.flatMap(({ what, text }) =>
      forbidden.filter((s) => text.includes(s)).map((s) => `${what} printed ${s.slice(0, 12)}…`),
    );
    assert.deepEqual(leaks, []);
  });

  it('refuses a wrong Redis password with one line that names neither password', async () => {
    const wrong = `wrong-pw-${random(20)}`;
    const config = parse(readFileSync(file, 'utf8'));
    config.redis.password = wrong;
    const wrongFile = writeConfig(dir, 'wrong-password.yaml', config);
    const result = await run(['nodes', 'list', '-c', wrongFile]);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0]!,
      /^cannot reach redis at 127\.0\.0\.1:\d+: .*(WRONGPASS|invalid).*check the redis username and password/,
    );
    for (const s of [wrong, password]) assert.ok(!`${result.stdout}${result.stderr}`.includes(s));

    delete config.redis.password;
    const noPassword = writeConfig(dir, 'no-password.yaml', config);
    const missing = await run(['nodes', 'list', '-c', noPassword]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /NOAUTH|Authentication required/);
  });
});

/** Every command id ("config validate", "start", ...), from the command files. */
function everyCommand(): string[] {
  const root = join(projectRoot, 'commands');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => path.slice(0, -3).split('/').join(' '));
}
