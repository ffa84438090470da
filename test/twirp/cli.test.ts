import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { writeState } from '../../src/supervisor/state-file.js';
import {
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/run-cli.js';

describe('lk-cluster room create / participants / delete call the Room API', () => {
  let dir: string;
  let configFile: string;
  let node: TestNode;
  let sdk: RoomServiceClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-room-cli-'));
    const port = await freePort();
    configFile = writeConfig(dir, 'node.yaml', nodeConfig({ port }));
    node = await startNode(configFile, port);
    sdk = new RoomServiceClient(node.url, TEST_KEY, TEST_SECRET);
  });

  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('creates a room with its settings on the node of the config, and again returns the same room', async () => {
    const created = await runCli([
      'room',
      'create',
      'cli-room',
      '--empty-timeout',
      '90',
      '--max-participants',
      '3',
      '--metadata',
      'from the cli',
      '-c',
      configFile,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const [room] = await sdk.listRooms(['cli-room']);
    assert.ok(room, 'the SDK lists the room');
    assert.equal(room.emptyTimeout, 90);
    assert.equal(room.maxParticipants, 3);
    assert.equal(room.metadata, 'from the cli');
    assert.match(created.stdout, new RegExp(room.sid));
    assert.match(created.stdout, new RegExp(node.id));

    const again = await runCli(['room', 'create', 'cli-room', '--json', '-c', configFile]);
    assert.equal(again.code, 0, again.stderr);
    const json = JSON.parse(again.stdout);
    assert.equal(json.sid, room.sid);
    assert.equal(json.name, 'cli-room');
    assert.equal(json.node_id, node.id);
  });

  test('lists a room’s participants as a table or as JSON', async () => {
    await sdk.createRoom({ name: 'cli-empty' });
    const table = await runCli(['room', 'participants', 'list', 'cli-empty', '-c', configFile]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /identity/);
    assert.match(table.stdout, /nobody is in room cli-empty/);
    const json = await runCli(['room', 'participants', 'list', 'cli-empty', '--json', '-c', configFile]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), []);
    const missing = await runCli(['room', 'participants', 'list', 'no-such-room', '-c', configFile]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /room no-such-room does not exist/);
  });

  test('deletes a room; deleting it again says it does not exist', async () => {
    await sdk.createRoom({ name: 'cli-doomed' });
    const deleted = await runCli(['room', 'delete', 'cli-doomed', '-c', configFile]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted room cli-doomed/);
    assert.deepEqual(await sdk.listRooms(['cli-doomed']), []);
    const again = await runCli(['room', 'delete', 'cli-doomed', '-c', configFile]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'room cli-doomed does not exist');
  });

  test('signs with LKC_API_KEY and LKC_API_SECRET; a refused key is named, its secret never printed', async () => {
    const good = await runCli(['room', 'create', 'env-key', '--url', node.url], {
      env: { LKC_API_KEY: TEST_KEY, LKC_API_SECRET: TEST_SECRET },
    });
    assert.equal(good.code, 0, good.stderr);
    assert.equal((await sdk.listRooms(['env-key'])).length, 1);

    const wrongSecret = 'not-the-secret-but-long-enough-to-be-one';
    const refused = await runCli(['room', 'create', 'env-key-2', '--url', node.url], {
      env: { LKC_API_KEY: TEST_KEY, LKC_API_SECRET: wrongSecret },
    });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`refused API key ${TEST_KEY}: access token signature is invalid`),
    );
    assert.ok(!`${refused.stdout}${refused.stderr}`.includes(wrongSecret));
    assert.deepEqual(await sdk.listRooms(['env-key-2']), []);
  });

  test('without --url or config finds the node of the cluster started in the folder', async () => {
    const cwd = join(dir, 'cluster-folder');
    mkdirSync(cwd);
    writeState(cwd, {
      version: 1,
      supervisor_pid: process.pid,
      started_at: Date.now(),
      api_key: TEST_KEY,
      api_secret: TEST_SECRET,
      nodes: [
        {
          index: 1,
          id: node.id,
          url: node.url,
          pid: node.child.pid,
          region: 'us-west-2',
          port: 0,
          state: 'serving',
        },
      ],
    });
    const created = await runCli(['room', 'create', 'from-state', '--json'], { cwd });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).node_id, node.id);
    assert.equal((await sdk.listRooms(['from-state'])).length, 1);
  });

  test('says which address does not answer and how to fix it', async () => {
    const port = await freePort();
    const down = await runCli(['room', 'create', 'x', '--url', `http://127.0.0.1:${port}`, '-c', configFile]);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`no node answers at http://127.0.0.1:${port}.*lk-cluster start.*--url`),
    );
  });
});
