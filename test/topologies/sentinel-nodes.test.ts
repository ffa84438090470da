import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { DEFAULT_KEY_PREFIX as PREFIX } from '../../src/config/defaults.js';
import { joinToken } from '../helpers/fault-cluster.js';
import {
  admin,
  cleanEnv,
  get,
  NODE_MAIN,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { collectOutput, exitedWithin, spawnTracked } from '../helpers/processes.js';
import { startSentinel, type TestSentinel } from '../helpers/redis-sentinel.js';
import { askRedis } from '../helpers/redis-server.js';
import { waitFor, within } from '../helpers/wait.js';
import { openSession, type WsSession } from '../helpers/ws-session.js';

const SENTINEL_PASSWORD = 'sentinel-requirepass-for-topologies-4b1d';
/** The sentinel's down-after (1 s) plus an election: the helper's sentinel promotes within a few seconds. */
const FAILOVER_MS = 15_000;
/**
 * The bound this test states for both nodes to write their lease and record to the new master after the old one
 * died: the promotion, then ioredis's reconnection (capped under the 0.5 s update interval), then one heartbeat.
 */
const REREGISTER_MS = 10_000;
/** A request held on the bridge through the failover: within the relay's 30 s hold. */
const HELD_ANSWER_MS = 30_000;

describe('node processes over Sentinel (with a sentinel password) through a failover', () => {
  let sentinel: TestSentinel;
  let dir: string;
  let a: TestNode;
  let b: TestNode;
  const started: TestNode[] = [];
  const sessions: WsSession[] = [];

  const redisSection = (password = SENTINEL_PASSWORD) => ({
    sentinel_master_name: sentinel.masterName,
    sentinel_addresses: [sentinel.sentinelAddress],
    sentinel_password: password,
    key_prefix: PREFIX,
  });

  /** One command to whichever server the sentinel names master now. */
  async function onMaster<T>(...command: string[]): Promise<T> {
    const [, port] = (await sentinel.masterAddress()).split(':');
    return askRedis<T>(Number(port), ...command);
  }

  before(async () => {
    sentinel = await startSentinel('lkc-topo', { sentinelPassword: SENTINEL_PASSWORD });
    dir = mkdtempSync(join(tmpdir(), 'lkc-topo-sentinel-'));
    const start = async (name: string) => {
      const port = await freePort();
      const config = { ...nodeConfig({ port }), redis: redisSection() };
      const node = await startNode(writeConfig(dir, `${name}.yaml`, config), port);
      started.push(node);
      return node;
    };
    a = await start('a');
    b = await start('b');
    await waitFor(async () => (await onMaster<number>('HLEN', `${PREFIX}nodes`)) === 2, {
      what: 'both nodes registered on the master',
    });
  });

  after(async () => {
    for (const s of sessions) s.socket.terminate();
    await Promise.all(started.map((n) => n.stop()));
    await sentinel?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong sentinel_password with one line and exit 1', async () => {
    const port = await freePort();
    const file = writeConfig(dir, 'wrong.yaml', {
      ...nodeConfig({ port }),
      redis: redisSection('not-the-sentinel-password-0c3e'),
    });
    const child = spawnTracked(process.execPath, [NODE_MAIN, '--config', file], { env: cleanEnv() });
    const output = collectOutput(child);
    const { code } = await exitedWithin(child, 20_000, 'the node with a wrong sentinel password to exit');
    assert.equal(code, 1, output.text());
    const errors = output
      .text()
      .split('\n')
      .filter((line) => /error/i.test(line));
    assert.equal(errors.length, 1, output.text());
    assert.match(
      errors[0]!,
      /cannot reach redis sentinel master \\?"lkc-topo\\?" via 127\.0\.0\.1:\d+: the sentinels refused: WRONGPASS.*\(check redis\.sentinel_username and sentinel_password\)/,
    );
    assert.doesNotMatch(errors[0]!, /Retrying/);
    assert.ok(!output.text().includes('not-the-sentinel-password-0c3e'));
  });

  it('keeps a bridged session and one node per room through a kill -9 of the master', async (t) => {
    try {
      await failover(t);
    } catch (err) {
      stopPlacing();
      // What each node logged says which part lost the session or the room.
      for (const [name, node] of [
        ['A', a],
        ['B', b],
      ] as const)
        t.diagnostic(`node ${name} (${node.id}):\n${node.output().split('\n').slice(-40).join('\n')}`);
      throw err;
    }
  });

  let stopPlacing = () => {};
  async function failover(t: TestContext): Promise<void> {
    const room = 'bridged';
    const created = await admin(a.url, 'POST', '/admin/rooms', { name: room });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const carol = await openSession(b.url, await joinToken(room, 'carol'));
    sessions.push(carol);
    const joined = await carol.request('join');
    assert.equal(joined.ok, true, JSON.stringify(joined.error));
    assert.equal(joined.data.node.id, a.id, 'carol joined through B is bridged to the room on A');

    // CreateRoom through both nodes at once, round after round, each retried until answered: a placement runs
    // before, during and after the failover.
    const sdk = [a, b].map((n) => new RoomServiceClient(n.url, TEST_KEY, TEST_SECRET));
    const rooms: string[] = [];
    /** When each round started and ended: one must span the failover. */
    const rounds: Array<{ start: number; end: number }> = [];
    let failedCalls = 0;
    let placing = true;
    const createUntilOk = async (client: RoomServiceClient, name: string) => {
      await waitFor(
        () =>
          within(client.createRoom({ name, emptyTimeout: 300 }), 5000, `CreateRoom ${name}`).then(
            () => true,
            () => {
              failedCalls++;
              return false;
            },
          ),
        { timeoutMs: 40_000, intervalMs: 100, what: `CreateRoom ${name} to succeed` },
      );
    };
    const placer = (async () => {
      for (let round = 0; placing; round++) {
        const name = `placed-${round}`;
        const start = Date.now();
        await Promise.all(sdk.map((client) => createUntilOk(client, name)));
        rounds.push({ start, end: Date.now() });
        rooms.push(name);
      }
    })();
    placer.catch(() => {});
    stopPlacing = () => {
      placing = false;
    };
    await waitFor(() => rooms.length >= 2, {
      timeoutMs: 15_000,
      what: 'two rooms placed before the failover',
    });

    // Replication is asynchronous: the replica has everything before the master dies.
    assert.equal(await onMaster<number>('WAIT', '1', '5000'), 1);
    const oldMaster = await sentinel.masterAddress();
    const killedAt = Date.now();
    await sentinel.master.kill();
    const roomsBefore = rooms.length;
    // Sent while the master is dead: the bridge holds it until the bus is back.
    const held = carol.request('createWebRtcTransport', { direction: 'send' }, HELD_ANSWER_MS);
    // Awaited below; a rejection before then must fail this test, not the file as unhandled.
    held.catch(() => {});

    await waitFor(async () => (await sentinel.masterAddress()) === sentinel.replica.address, {
      timeoutMs: FAILOVER_MS,
      intervalMs: 100,
      what: 'the sentinel to promote the replica',
    });
    const promotedAt = Date.now();
    const failoverMs = promotedAt - killedAt;
    assert.notEqual(sentinel.replica.address, oldMaster);

    const reregistered = async (node: TestNode) => {
      const record = await askRedis<string | null>(sentinel.replica.port, 'HGET', `${PREFIX}nodes`, node.id);
      const lease = await askRedis<number>(sentinel.replica.port, 'EXISTS', `${PREFIX}alive:${node.id}`);
      return lease === 1 && record !== null && JSON.parse(record).stats.updated_at > killedAt;
    };
    await waitFor(async () => (await reregistered(a)) && (await reregistered(b)), {
      timeoutMs: REREGISTER_MS,
      intervalMs: 100,
      what: 'both nodes to write their lease and record to the new master',
    });
    const reregisterMs = Date.now() - killedAt;
    for (const node of [a, b])
      await waitFor(async () => (await get(`${node.url}/readyz`)).status === 200, {
        timeoutMs: 10_000,
        what: `${node.url} ready again on the new master`,
      });

    const answer = await held;
    const heldMs = Date.now() - killedAt;
    assert.equal(answer.ok, true, `the held request: ${JSON.stringify(answer.error)}`);
    const next = await carol.request('createWebRtcTransport', { direction: 'recv' });
    assert.equal(next.ok, true, `a request after the failover: ${JSON.stringify(next.error)}`);
    assert.equal(carol.closed(), undefined, 'the bridged session lives through the failover');

    await waitFor(() => rooms.length >= roomsBefore + 3, {
      timeoutMs: 30_000,
      what: () => `three rooms placed after the failover (${rooms.length - roomsBefore} so far)`,
    });
    placing = false;
    await within(placer, 45_000, 'the last placement round');
    const spanning = rounds.filter((r) => r.start < promotedAt && r.end > killedAt).length;
    t.diagnostic(
      `promotion ${failoverMs} ms, both nodes re-registered ${reregisterMs} ms, held request answered ${heldMs} ms after the kill; ${rooms.length} rooms placed through both nodes, ${spanning} of them while the master was dead, ${failedCalls} CreateRoom calls refused`,
    );
    assert.ok(spanning > 0, 'a placement ran while the master was dead');

    // Every room on exactly one node: the new master's mapping, and the nodes' own lists agree.
    const hosted = new Map<string, string[]>();
    for (const node of [a, b]) {
      const listed = await admin(node.url, 'GET', '/admin/rooms');
      for (const r of listed.body.rooms as Array<{ name: string }>)
        hosted.set(r.name, [...(hosted.get(r.name) ?? []), node.id]);
    }
    for (const name of [room, ...rooms]) {
      const holder = await onMaster<string | null>('HGET', `${PREFIX}room_node`, name);
      assert.deepEqual(
        hosted.get(name),
        [holder],
        `${name}: mapped to ${holder}, hosted by ${hosted.get(name)}`,
      );
    }
    assert.equal(await onMaster<string | null>('HGET', `${PREFIX}room_node`, room), a.id);
  }
});
