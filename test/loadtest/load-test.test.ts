import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToken } from '../../src/auth/token.js';
import type { LoadTestReport } from '../../src/loadtest/run.js';
import { clusterPids, endStart, readStateFile, runStart, type StartRun } from '../helpers/cluster-process.js';
import { nodeConfig, TEST_KEY, TEST_SECRET, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { lines, runCli } from '../helpers/run-cli.js';

/** Loss a loaded, shared 2-core machine may show over a few seconds; a broken path loses everything. */
const LOSS_BOUND = 0.05;

// `lk-cluster start --nodes 2` on a private redis-server, the room placed on node-2, and the bots sent to node-1:
// their signalling is bridged, their media goes straight to node-2 over ICE, DTLS and SRTP.
describe('lk-cluster load-test against a two-node cluster', () => {
  let cwd: string;
  let redis: TestRedis;
  let run: StartRun | undefined;
  let pids: number[] = [];
  let signalNode: { id: string; url: string };
  let roomNode: { id: string; url: string };

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'lkc-loadtest-'));
    redis = await startRedis();
    writeConfig(cwd, 'lk-cluster.yaml', nodeConfig({ port: await freePort(), redis: redis.address }));
    run = await runStart(['--nodes', '2'], cwd);
    const state = readStateFile(cwd);
    pids = await clusterPids(state);
    const [first, second] = state.nodes;
    signalNode = { id: first!.id!, url: first!.url! };
    roomNode = { id: second!.id!, url: second!.url! };
    const token = await createToken({
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      grant: { roomAdmin: true },
      ttlSeconds: 600,
    });
    for (const room of ['lt', 'lt-table']) {
      const response = await fetch(`${roomNode.url}/admin/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: room }),
      });
      assert.equal(response.status, 200, await response.text());
    }
  });

  after(async () => {
    await endStart(run, pids);
    await redis?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('receives every track of every publisher through a bridged join, with loss under the bound', async () => {
    const result = await runCli(
      [
        'load-test',
        '--url',
        signalNode.url,
        '--room',
        'lt',
        '--publishers',
        '2',
        '--subscribers',
        '3',
        '--duration',
        '3s',
        '--json',
      ],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as LoadTestReport;
    assert.equal(report.roomNode, roomNode.id);
    assert.deepEqual(report.publishers, { asked: 2, joined: 2 });
    assert.deepEqual(report.subscribers, { asked: 3, joined: 3 });
    assert.equal(report.failed, 0, report.errors.join('; '));
    assert.deepEqual(
      report.kinds.map((k) => [k.kind, k.sentTracks, k.tracks]),
      [
        ['audio', 2, 6],
        ['video', 2, 6],
      ],
    );
    for (const kind of report.kinds) {
      assert.ok(kind.packetsPerSecond > 0, `${kind.kind} packets arrive`);
      assert.ok(kind.loss < LOSS_BOUND, `${kind.kind} loss ${kind.loss}`);
      assert.ok(kind.latencyP50Ms !== null && kind.latencyP50Ms > 0, `${kind.kind} latency is measured`);
      assert.ok(kind.latencyP99Ms! >= kind.latencyP50Ms!);
      assert.ok(kind.jitterMs >= 0);
    }
    // The clips: 720p VP8 at 1,700 kbps and Opus at 32 kbps (RTP headers included), per received track.
    const [audio, video] = report.kinds;
    assert.ok(video!.trackBitrate > 300_000, `video ${video!.trackBitrate} bit/s per track`);
    assert.ok(audio!.trackBitrate > 10_000 && audio!.trackBitrate < 100_000, `audio ${audio!.trackBitrate}`);
    assert.ok(report.srtp.checked > 0);
    assert.equal(report.srtp.forged, 0);
    const roles = Object.fromEntries(report.nodes.map((n) => [n.id, n.role]));
    assert.deepEqual(roles, { [signalNode.id]: 'signal', [roomNode.id]: 'room' });
    const room = report.nodes.find((n) => n.id === roomNode.id)!;
    assert.ok(room.workersCpu > 0 && room.processCpu > 0, 'the room node worked');
    assert.ok(room.microsPerPacket !== null && room.microsPerPacket > 0);
    assert.equal(report.nodes.find((n) => n.id === signalNode.id)!.microsPerPacket, null);
    assert.ok(report.bots.processes >= 1 && report.bots.cpu > 0);
  });

  it('prints a table per track kind and one of CPU, audio off', async () => {
    const result = await runCli(
      [
        'load-test',
        '--url',
        signalNode.url,
        '--room',
        'lt-table',
        '--publishers',
        '1',
        '--subscribers',
        '2',
        '--video',
        '360p',
        '--no-audio',
        '--duration',
        '2s',
      ],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const rows = lines(result.stdout)
      .filter((line) => line.startsWith('│'))
      .map((line) =>
        line
          .split('│')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    assert.deepEqual(rows[0]!.slice(0, 3), ['kind', 'tracks sent', 'tracks received']);
    assert.deepEqual(rows[1]!.slice(0, 3), ['video', '1', '2']);
    assert.match(rows[1]![6]!, /^\d+\.\d+%$/, 'loss');
    assert.ok(!rows.some((row) => row[0] === 'audio'), 'no audio row when nothing sent audio');
    assert.deepEqual(rows[2]!.slice(0, 2), ['CPU over the run', 'role']);
    assert.deepEqual(
      rows
        .slice(3)
        .map((row) => [row[0], row[1]])
        .sort(),
      [
        ['load-test bots (2 processes)', 'load'],
        [`node ${roomNode.id}`, 'room'],
        [`node ${signalNode.id}`, 'signal'],
      ].sort(),
    );
    assert.match(
      result.stdout,
      /room lt-table on node \S+, 1\/1 publishers \(video 360p, audio off\), 2\/2 subscribers/,
    );
    assert.match(result.stderr, /joining: publishers/, 'a progress line while it runs');
  });
});

describe('lk-cluster load-test refuses bad flags in one line', () => {
  for (const [args, message] of [
    [['--video', '4k'], /Expected --video=4k to be one of/],
    [['--duration', '0s'], /--duration must be longer than 0s/],
    [['--publishers', '-1'], /--publishers must be an integer from 0 to 1000, got -1/],
    [['--publishers', '0'], /--publishers must be at least 1/],
  ] as const) {
    it(args.join(' '), async () => {
      const result = await runCli(['load-test', '--url', 'http://127.0.0.1:9', ...args]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
      assert.equal(lines(result.stderr).length, 1, result.stderr);
    });
  }
});
