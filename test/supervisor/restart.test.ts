import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeEvent } from '../../src/supervisor/events.js';
import { CRASH_LOOP_FAILURES, Supervisor, type SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { cleanEnv } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

/** A supervisor over a stand-in node script (the restart policy does not depend on what the node does). */
function supervise(dir: string, script: string, backoff = { baseMs: 20, maxMs: 100 }) {
  const entry = join(dir, `node-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(entry, script);
  const supervisor = new Supervisor({
    specs: [{ index: 1, port: 1, udp: { start: 50000, end: 50009 }, region: 'us-east' }],
    cwd: dir,
    env: cleanEnv(),
    entry,
    backoff,
  });
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  supervisor.on('event', (event) => events.push({ ...event }));
  supervisor.on('log', (prefix, line) => lines.push(`${prefix} ${line}`));
  return { supervisor, events, lines };
}

describe('the supervisor restart policy', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-restart-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a node that keeps failing with doubling delays, capped, and calls a crash loop after 5 quick failures', async () => {
    const { supervisor, events, lines } = supervise(dir, "console.log('booting'); process.exit(3);");
    const started = supervisor.start(10_000);
    await assert.rejects(started, /node-1 could not start: exited with code 3; last output: booting/);
    const delays = events
      .filter((e) => e.type === 'restarting')
      .map((e) => (e as { delayMs: number }).delayMs);
    assert.deepEqual(delays.slice(0, 5), [20, 40, 80, 100, 100]);
    const loop = events.find((e) => e.type === 'crash-loop');
    assert.ok(loop, 'a crash-loop event');
    const exitsBefore = events.slice(0, events.indexOf(loop)).filter((e) => e.type === 'exited').length;
    assert.equal(exitsBefore, CRASH_LOOP_FAILURES, 'called at the fifth quick failure');
    assert.match(describeEvent(loop)!, /crash-looping: it failed 5 times within 10 s/);
    assert.ok(lines.includes('node-1 booting'), 'log lines are prefixed with node-N until the id is known');
    await supervisor.stop();
    assert.equal(supervisor.nodes[0]!.child, undefined, 'nothing left running');
  });

  it('does not restart a node that exits 0 (drained), and is done when every node is', async () => {
    const { supervisor, events } = supervise(dir, 'setTimeout(() => process.exit(0), 50);');
    const done = supervisor.done();
    await assert.rejects(supervisor.start(10_000), /could not start/);
    await done;
    assert.equal(events.filter((e) => e.type === 'restarting').length, 0);
    assert.equal(events.filter((e) => e.type === 'finished').length, 1);
  });

  it('prefixes log lines with the node id once the node has told it', async () => {
    const script = `
      process.send({ type: 'state', id: 'ND_standin00001', url: 'http://127.0.0.1:1', region: 'us-east', state: 'starting', pid: process.pid });
      setTimeout(() => { console.log('after the id'); }, 20);
      process.on('message', (m) => { if (m.type === 'stop') process.exit(0); });
      process.on('disconnect', () => process.exit(0));
    `;
    const { supervisor, lines } = supervise(dir, script);
    const starting = supervisor.start(60_000);
    await waitFor(() => lines.includes('ND_standin00001 after the id'), {
      timeoutMs: 5000,
      what: 'a prefixed line',
    });
    await supervisor.stop();
    assert.equal(supervisor.nodes[0]!.child, undefined);
    await assert.rejects(starting, /the supervisor stopped before ND_standin00001 was ready/);
  });
});
