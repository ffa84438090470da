import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLkcError } from '../../src/errors.js';
import { checkName } from '../../src/names.js';
import { LocalRouter } from '../../src/routing/local-router.js';
import { testConfig } from '../helpers/config.js';
import { lines, runCli } from '../helpers/run-cli.js';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(isLkcError(err), `expected an LkcError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_INPUT');
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('names of nodes, rooms and regions', () => {
  it('refuses empty, blank and control-character names, and keeps every other one as it is', () => {
    assert.equal(
      refusal(() => checkName('', 'a node id')),
      'a node id must not be empty',
    );
    assert.equal(
      refusal(() => checkName(' \t', 'a room name')),
      'a room name must not be empty',
    );
    assert.equal(
      refusal(() => checkName('nl\nthere', 'a room name')),
      'a room name "nl\\nthere" holds a control character (\\x0a)',
    );
    assert.match(
      refusal(() => checkName('tab\there', 'a room name')),
      /\(\\x09\)$/,
    );
    assert.match(
      refusal(() => checkName('del\u007f', 'a room name')),
      /\(\\x7f\)$/,
    );
    for (const name of ['standup', 'Ünïcødé-räum', 'with space', 'emoji-🎉', 'ND_h2kS'])
      assert.equal(checkName(name, 'a name'), name);
  });

  it('places no room whose name holds a control character', async () => {
    const router = new LocalRouter(testConfig());
    await assert.rejects(router.placeRoom('split\nrow'), /holds a control character/);
    await router.close();
  });

  it('refuses an empty node id before touching any node: `nodes drain ""` must not match every node', async () => {
    for (const args of [
      ['nodes', 'drain', ''],
      ['nodes', 'undrain', '  '],
      ['nodes', 'show', ''],
    ]) {
      const run = await runCli(args);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.deepEqual(lines(run.stderr), ['a node id must not be empty']);
    }
  });

  it('refuses empty and control-character room names and regions in one line, as text and as JSON', async () => {
    const place = await runCli(['room', 'place', 'a\nb']);
    assert.equal(place.code, 1);
    assert.deepEqual(lines(place.stderr), ['a room name "a\\nb" holds a control character (\\x0a)']);
    const region = await runCli(['nodes', 'list', '--region', '']);
    assert.equal(region.code, 1);
    // The flag keeps both its dashes: oclif's wrapper lines are dropped, not the first character of the flag.
    assert.deepEqual(lines(region.stderr), ['--region must not be empty']);
    const json = await runCli(['room', 'place', 'r1', '--region', '', '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), {
      error: { code: 'BAD_INPUT', message: '--region must not be empty' },
    });
  });

  it('keeps both dashes of a flag named in an oclif error', async () => {
    const run = await runCli(['start', '--region', 'a', '--regions', 'a,b']);
    assert.equal(run.code, 2);
    assert.deepEqual(lines(run.stderr), ['error: --region=a cannot also be provided when using --regions']);
  });
});
