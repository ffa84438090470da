import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { which } from '../../src/system/which.js';
import { projectRoot } from '../helpers/paths.js';
import { finished, spawnTracked } from '../helpers/processes.js';

const SETUP = join(projectRoot, 'scripts', 'setup.sh');

// Stand-ins for the machine's package tools: they log each call to $CALLS, and dpkg knows only the packages
// not named in $MISSING. `id -u` answers $AS_UID. The real npm ci would install into the clone, so it is faked too.
const FAKES: Record<string, string> = {
  dpkg: 'for p in $MISSING; do [ "$2" = "$p" ] && exit 1; done; exit 0',
  'apt-get': 'echo "apt-get $*" >> "$CALLS"',
  npm: 'echo "npm $*" >> "$CALLS"',
  sudo: 'echo "sudo $1 $2" >> "$CALLS"; exec "$@"',
  id: 'echo "$AS_UID"',
};

/** A folder holding the fakes (all but `without`) and the few real tools the script uses, as the whole PATH. */
function fakePath(dir: string, without: string[] = []): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(FAKES)) {
    if (without.includes(name)) continue;
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  // Nothing else on PATH: a real sudo, apt-get or npm on the machine must never be reached.
  for (const tool of ['dirname', 'env']) symlinkSync(which(tool)!, join(bin, tool));
  symlinkSync(process.execPath, join(bin, 'node'));
  return bin;
}

describe('scripts/setup.sh: a fresh Debian machine in one command', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-setup-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  async function setup(options: { missing: string[]; uid: number; sudo?: boolean }) {
    const clone = mkdtempSync(join(dir, 'clone-'));
    mkdirSync(join(clone, 'scripts'));
    copyFileSync(SETUP, join(clone, 'scripts', 'setup.sh'));
    const calls = join(clone, 'calls');
    writeFileSync(calls, '');
    const path = fakePath(clone, options.sudo === false ? ['sudo'] : []);
    const child = spawnTracked('/bin/bash', [join(clone, 'scripts', 'setup.sh')], {
      cwd: tmpdir(),
      env: { PATH: path, MISSING: options.missing.join(' '), AS_UID: String(options.uid), CALLS: calls },
    });
    const result = await finished(child, { timeoutMs: 20_000 });
    return { ...result, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
  }

  it('installs only the missing packages through sudo, says which, then runs npm ci in the clone', async () => {
    const run = await setup({ missing: ['meson', 'chromium'], uid: 1000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^setup: installing Debian packages: meson chromium$/m);
    assert.deepEqual(run.calls, [
      'sudo env DEBIAN_FRONTEND=noninteractive',
      'apt-get update -qq',
      'sudo env DEBIAN_FRONTEND=noninteractive',
      'apt-get install -y -qq --no-install-recommends meson chromium',
      'npm ci --no-audit --no-fund',
    ]);
  });

  it('runs apt-get itself as root, and installs nothing when every package is there', async () => {
    const root = await setup({ missing: ['redis-server'], uid: 0 });
    assert.equal(root.code, 0, root.stderr);
    assert.deepEqual(root.calls, [
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends redis-server',
      'npm ci --no-audit --no-fund',
    ]);
    const none = await setup({ missing: [], uid: 1000 });
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /every Debian package lk-cluster needs is installed/);
    assert.deepEqual(none.calls, ['npm ci --no-audit --no-fund']);
  });

  it('stops with one line naming the packages when it is neither root nor has sudo', async () => {
    const run = await setup({ missing: ['libuv1-dev'], uid: 1000, sudo: false });
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      'setup: these Debian packages are missing and installing them needs root (or sudo): libuv1-dev',
    ]);
    assert.deepEqual(run.calls, []);
  });

  it('is what the README starts with and what CI runs', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const firstCommand = /```sh\n([^\n]+)\n/.exec(readme)?.[1];
    assert.equal(firstCommand, 'scripts/setup.sh && npx lk-cluster start');
    assert.match(readFileSync(join(projectRoot, '.ci', 'run'), 'utf8'), /^scripts\/setup\.sh$/m);
    // The README says what the script installs: the same list.
    const list = /^packages=\(([^)]*)\)/m.exec(readFileSync(SETUP, 'utf8'))?.[1] ?? '';
    const packages = list.split(/\s+/).filter(Boolean);
    assert.ok(packages.length > 10, list);
    const words = new Set(readme.slice(0, readme.indexOf('Run the tests')).split(/[\s`(),;:]+/));
    assert.deepEqual(
      packages.filter((p) => !words.has(p)),
      [],
      'packages the README does not name',
    );
  });
});
