import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NodeListing } from '../../src/routing/node-report.js';
import { bitrateText, sortNodes } from '../../src/routing/node-top.js';
import { nodeConfig, startNode, type TestNode, writeConfig } from '../helpers/node-process.js';
import { projectRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { exitedWithin } from '../helpers/processes.js';
import { type PtyRun, runOnPty } from '../helpers/pty.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { cleanEnv, runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

const ALT_SCREEN_ON = '\x1b[?1049h';
const RESTORE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';

describe('lk-cluster nodes top', () => {
  let redis: TestRedis;
  let dir: string;
  let config: string;
  const nodes: TestNode[] = [];

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-top-'));
    for (const region of ['us-west-2', 'us-east']) {
      const port = await freePort();
      const file = writeConfig(dir, `${region}.yaml`, nodeConfig({ port, redis: redis.address, region }));
      nodes.push(await startNode(file, port));
    }
    // The CLI reads the cluster with the nodes' own config: the same Redis and key prefix.
    config = join(dir, 'us-west-2.yaml');
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function top(extra: string[] = [], rows = 30): PtyRun {
    return runOnPty(
      [process.execPath, join(projectRoot, 'bin', 'run.js'), 'nodes', 'top', '-c', config, ...extra],
      {
        rows,
        columns: 130,
        env: cleanEnv({ TERM: 'xterm-256color' }),
      },
    );
  }

  // What a terminal shows after the last redraw: the text from the last cursor-home on.
  function lastFrame(run: PtyRun): string {
    const screen = run.screen();
    return screen.slice(screen.lastIndexOf(HOME));
  }

  async function quitWith(run: PtyRun, keys: string, what: string): Promise<void> {
    run.type(keys);
    const exit = await exitedWithin(run.child, 10_000, `nodes top to quit on ${what}`);
    assert.equal(exit.code, 0, `${what}: ${run.screen()}\n${run.report()}`);
    const screen = run.screen();
    assert.ok(screen.startsWith(ALT_SCREEN_ON), 'it switched to the alternate screen first');
    // The restore comes after the last frame: the operator's screen, cursor and line mode are back.
    assert.ok(screen.lastIndexOf(RESTORE) > screen.lastIndexOf(HOME), `no restore after the last frame`);
    assert.equal(screen.slice(screen.lastIndexOf(RESTORE) + RESTORE.length).trim(), '');
    await waitFor(() => run.report().includes('pty:'), { timeoutMs: 5000, what: 'the pty report' });
    assert.match(run.report(), /pty: echo=1 icanon=1/, 'raw mode left on');
  }

  it('shows every node live on a terminal, re-sorts on a key, and leaves the terminal clean on q', async () => {
    const run = top(['--interval', '0.3']);
    await waitFor(() => nodes.every((node) => lastFrame(run).includes(node.id)), {
      timeoutMs: 20_000,
      what: `both nodes on the screen (so far: ${JSON.stringify(run.screen().slice(-400))})`,
    });
    const frame = lastFrame(run);
    assert.match(frame, /2 nodes \(2 serving\) · 2 regions/);
    assert.match(frame, /sorted by load/);
    for (const node of nodes) {
      const row = frame.split('\n').find((line) => line.includes(node.id)) ?? '';
      // The nodes' lease is 1.5 s, renewed every 0.5 s: the margin shown is a fraction of it.
      assert.match(row, /serving .* [01]\.\ds\s+│/, row);
    }
    run.type('n');
    await waitFor(() => lastFrame(run).includes('sorted by name'), {
      timeoutMs: 5000,
      what: 'the name sort',
    });
    const sorted = [...nodes].map((n) => n.id).sort((a, b) => a.localeCompare(b));
    const shown = lastFrame(run);
    assert.ok(shown.indexOf(sorted[0]!) < shown.indexOf(sorted[1]!), 'rows in name order');
    run.type('n');
    await waitFor(() => lastFrame(run).includes('sorted by name (reversed)'), {
      timeoutMs: 5000,
      what: 'the reversed name sort',
    });
    await quitWith(run, 'q', 'q');
  });

  it('keeps the keys line on a screen too short for the table, quits on Ctrl-C, restores the terminal', async () => {
    // 8 rows: the three heading lines and the table's top, head and rows; the keys line replaces the last.
    const run = top([], 8);
    await waitFor(() => lastFrame(run).includes('ND_'), { timeoutMs: 20_000, what: 'the first frame' });
    const frame = lastFrame(run).split('\n');
    assert.equal(frame.length, 8, frame.join('\n'));
    assert.match(frame.at(-1)!, /q quit/);
    await quitWith(run, '\x03', 'Ctrl-C');
  });

  it('prints one snapshot table and exits when stdout is not a terminal', async () => {
    const run = await runCli(['nodes', 'top', '-c', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stdout.includes('\x1b'), 'no escape sequences in a pipe');
    assert.match(
      run.stdout,
      /│ node\s+│ state\s+│ region\s+│ load\s+│ cpu\s+│ rooms\s+│ clients\s+│ in\s+│ out\s+│ lease left │/,
    );
    for (const node of nodes) assert.match(run.stdout, new RegExp(`${node.id} │ serving`));
  });

  it('prints one snapshot as JSON with --json, with each lease margin', async () => {
    const run = await runCli(['nodes', 'top', '-c', config, '--json', '--sort', 'name']);
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as NodeListing[];
    assert.deepEqual(
      listed.map((n) => n.id),
      nodes.map((n) => n.id).sort((a, b) => a.localeCompare(b)),
    );
    for (const node of listed) {
      assert.ok(node.lease_ms_left > 0 && node.lease_ms_left <= 1500, `lease margin ${node.lease_ms_left}`);
      assert.equal(node.dead, false);
    }
  });

  it('formats bit rates and sorts with ties by id', () => {
    assert.equal(bitrateText(0), '0 b/s');
    assert.equal(bitrateText(100), '800 b/s');
    assert.equal(bitrateText(124_000), '992 kb/s');
    assert.equal(bitrateText(125_000), '1.0 Mb/s');
    assert.equal(bitrateText(1_500_000), '12.0 Mb/s');
    const node = (id: string, rooms: number) => ({ id, stats: { rooms } }) as unknown as NodeListing;
    const order = (list: NodeListing[]) => list.map((n) => n.id).join(',');
    const list = [node('b', 1), node('a', 1), node('c', 5)];
    assert.equal(order(sortNodes(list, 'rooms')), 'c,a,b');
    assert.equal(order(sortNodes(list, 'rooms', true)), 'a,b,c');
  });
});
