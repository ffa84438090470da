import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { which } from '../../src/system/which.js';
import { projectRoot } from '../helpers/paths.js';

const DEPLOY = join(projectRoot, 'docs', 'deploy');
const UNITS = readdirSync(DEPLOY).filter((name) => name.endsWith('.service'));
const INSTALLED_AT = '/opt/lk-cluster';
/** The exposure `systemd-analyze security` may give a unit (0 is a sealed box, 10 no hardening at all). */
const MAX_EXPOSURE = 2;

const analyze = which('systemd-analyze');
const noAnalyze = analyze ? false : 'systemd-analyze is not installed here (Debian: apt-get install systemd)';
// `security --offline` reads a unit file without a running systemd; it came with systemd 250.
const noOffline =
  noAnalyze ||
  (spawnSync(analyze!, ['--help'], { encoding: 'utf8' }).stdout.includes('--offline')
    ? false
    : 'this systemd-analyze has no --offline (systemd < 250): it can only rate a loaded unit');

function run(args: string[]): { code: number | null; output: string } {
  const result = spawnSync(analyze!, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('systemd units in docs/deploy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lkc-systemd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // verify checks that ExecStart's program exists: where node is not /usr/bin/node, check against this one.
  function scratchCopy(unit: string, edit: (text: string) => string = (text) => text): string {
    let text = edit(readFileSync(join(DEPLOY, unit), 'utf8'));
    if (!existsSync('/usr/bin/node'))
      text = text.replaceAll('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
    const file = join(dir, unit);
    writeFileSync(file, text);
    return file;
  }

  it('has a unit for a node and one for `lk-cluster start`', () => {
    assert.deepEqual(UNITS.sort(), ['lk-cluster-node.service', 'lk-cluster.service']);
  });

  for (const unit of UNITS) {
    it(`${unit}: runs a program of this project, with its config`, () => {
      const exec = /^ExecStart=(\S+) (\S+) (.*)$/m.exec(readFileSync(join(DEPLOY, unit), 'utf8'));
      assert.ok(exec, 'one ExecStart line');
      assert.equal(exec[1], '/usr/bin/node');
      assert.ok(exec[2]!.startsWith(`${INSTALLED_AT}/`), exec[2]);
      const script = join(projectRoot, exec[2]!.slice(INSTALLED_AT.length + 1));
      assert.ok(existsSync(script), `${exec[2]} is not in the build (${script})`);
      assert.match(exec[3]!, /--config %d\/lk-cluster\.yaml/);
    });

    it(`${unit}: passes systemd-analyze verify without a warning`, { skip: noAnalyze }, () => {
      const result = run(['verify', '--man=no', scratchCopy(unit)]);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.output, '', 'verify printed warnings');
    });

    it(`${unit}: rates ${MAX_EXPOSURE} or less in systemd-analyze security`, { skip: noOffline }, () => {
      const result = run(['security', '--offline=yes', '--no-pager', scratchCopy(unit)]);
      assert.equal(result.code, 0, result.output);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(result.output);
      assert.ok(level, result.output);
      assert.ok(Number(level[1]) <= MAX_EXPOSURE, `exposure ${level[1]}:\n${result.output}`);
    });
  }

  it('fails a unit with a misspelt option, so the check above is not vacuous', { skip: noAnalyze }, () => {
    const file = scratchCopy('lk-cluster-node.service', (text) => text.replace(/^KillMode=/m, 'KilMode='));
    const result = run(['verify', '--man=no', file]);
    assert.match(result.output, /Unknown key (name )?'KilMode'/);
  });
});
