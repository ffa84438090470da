import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanEnv } from '../helpers/node-process.js';
import { projectRoot } from '../helpers/paths.js';
import { finished, spawnTracked } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/** `lk-cluster start ...args` in a fresh folder, run to its end. */
async function start(args: string[], env: Record<string, string>, timeoutMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lkc-start-fail-'));
  dirs.push(dir);
  const began = Date.now();
  const child = spawnTracked(process.execPath, [join(projectRoot, 'bin', 'run.js'), 'start', ...args], {
    cwd: dir,
    env: { ...cleanEnv(), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = await finished(child, { what: '`lk-cluster start`', timeoutMs });
  return { ...run, ms: Date.now() - began, dir };
}

const dirs: string[] = [];

describe('lk-cluster start when its node cannot start', () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("prints the crash loop in its own words, with the node's last words, and exits non-zero", async () => {
    const run = await start(
      ['--nodes', '1'],
      { MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' },
      60_000,
    );
    const text = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.code, 0, text);
    assert.match(text, /node-1 \(ND_\w+\) is crash-looping: it failed 5 times within 10 s of starting/);
    assert.match(text, /restarting in 0\.5 s\n[\s\S]*restarting in 1\.0 s/, 'each restart and its backoff');
    assert.match(text, /the mediasoup worker binary is missing \(\/nonexistent\/mediasoup-worker\)/);
    assert.match(run.stderr, /ND_\w+ could not start: exited with code 1/);
    assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
  });

  it('gives up on a node that never becomes ready after --ready-timeout, naming it, and leaves no process', async () => {
    const silent = join(projectRoot, 'test', 'fixtures', 'bin', 'silent-worker.sh');
    const run = await start(
      ['--nodes', '1', '--ready-timeout', '3s'],
      { MEDIASOUP_WORKER_BIN: silent },
      30_000,
    );
    const text = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.code, 0, text);
    assert.match(run.stderr, /ND_\w+ was not ready after 3 s/);
    assert.ok(run.ms < 20_000, `gave up in ${run.ms} ms`);
    // The node was stopped: its worker, which watches it, goes too.
    await waitFor(() => !execFileSync('ps', ['-eo', 'args']).toString().includes(silent), {
      what: 'the never-ready node and its worker to be gone',
    });
  });

  it('refuses a --ready-timeout that is not a duration', async () => {
    const run = await start(['--ready-timeout', 'soon'], {}, 15_000);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--ready-timeout 'soon' is not a duration/);
  });
});
