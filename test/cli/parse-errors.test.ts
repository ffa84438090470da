import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, runCli } from '../helpers/run-cli.js';

/** One line on stderr, nothing on stdout, a non-zero exit: what every refusal of the command line looks like. */
async function refusal(args: string[]): Promise<{ code: number | null; line: string }> {
  const run = await runCli(args);
  assert.notEqual(run.code, 0, `${args.join(' ')} exited 0`);
  assert.equal(run.stdout, '', `${args.join(' ')}: stdout ${run.stdout}`);
  assert.equal(lines(run.stderr).length, 1, `${args.join(' ')}: ${run.stderr}`);
  return { code: run.code, line: lines(run.stderr)[0]! };
}

describe('command-line refusals say what is wrong in one line', () => {
  it('names the missing argument', async () => {
    assert.equal(
      (await refusal(['room', 'place'])).line,
      'error: missing required argument name (room name)',
    );
    assert.equal(
      (await refusal(['nodes', 'show'])).line,
      'error: missing required argument id (node id or a unique prefix of it)',
    );
    assert.equal(
      (await refusal(['regions', 'remove'])).line,
      'error: missing required argument name (region name)',
    );
  });

  it('names the flag and its whole range for a number out of range', async () => {
    assert.equal(
      (await refusal(['start', '--nodes', '0'])).line,
      '--nodes must be an integer from 1 to 64, got 0',
    );
    assert.equal(
      (await refusal(['start', '--nodes', '1000'])).line,
      '--nodes must be an integer from 1 to 64, got 1000',
    );
    assert.equal(
      (await refusal(['config', 'init', '--yes', '--port', '0', '/nonexistent/x.yaml'])).line,
      '--port must be an integer from 1 to 65535, got 0',
    );
    assert.equal(
      (await refusal(['room', 'create', 'r', '--max-participants', '99999999999'])).line,
      '--max-participants must be an integer from 0 to 4294967295, got 99999999999',
    );
  });

  it('says an unknown command in one line, and as JSON with --json', async () => {
    const extra = await refusal(['config', 'schema', 'extra']);
    assert.equal(
      extra.line,
      "error: config schema takes no argument 'extra': see `lk-cluster config schema --help`",
    );
    assert.equal(extra.code, 2);
    assert.equal((await refusal(['nope'])).line, "error: no command 'nope': see `lk-cluster --help`");
    const json = await runCli(['nope', '--json']);
    assert.equal(json.code, 2);
    assert.deepEqual(JSON.parse(json.stdout), {
      error: { code: 'BAD_INPUT', message: "no command 'nope': see `lk-cluster --help`" },
    });
  });
});
