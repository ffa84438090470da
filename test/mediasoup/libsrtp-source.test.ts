import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers/paths.js';

// The install script is plain ESM outside the TypeScript build: load it as the install does.
const source = await import(
  pathToFileURL(path.join(projectRoot, 'scripts', 'mediasoup-worker', 'libsrtp-source.mjs')).href
);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'lkc-libsrtp-source-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("the machine's enabled deb entries become deb-src entries, one-line and deb822 alike", () => {
  const dir = mkdtempSync(path.join(scratch, 'apt-'));
  const parts = path.join(dir, 'sources.list.d');
  mkdirSync(parts);
  const list = path.join(dir, 'sources.list');
  writeFileSync(
    list,
    [
      '# a comment',
      'deb [arch=amd64] http://deb.debian.org/debian bookworm main',
      'deb-src http://deb.debian.org/debian bookworm main',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(parts, 'debian.sources'),
    [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://example.org/off',
      'Suites: x',
      'Components: main',
      'Enabled: no',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(parts, 'other.list.disabled'), 'deb http://example.org/ignored x main\n');

  const entries = source.debSrcEntries([list], parts);

  assert.equal(entries.list, 'deb-src [arch=amd64] http://deb.debian.org/debian bookworm main');
  assert.equal(
    entries.sources,
    [
      'Types: deb-src',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
    ].join('\n'),
  );
});

test("a stored source that matches its pins is used without apt and unpacks with Debian's patches", async (t) => {
  // The files the worker build kept in its cache, copied: the test must not depend on the network.
  const cache =
    process.env.LKC_WORKER_CACHE ?? path.join(os.homedir(), '.cache', 'lk-cluster', 'mediasoup-worker');
  const { package: name, version, files } = source.LIBSRTP_SOURCE;
  const kept = path.join(cache, 'sources', `${name}_${version}`);
  if (!existsSync(kept)) {
    t.skip(`no ${kept}: this machine has not built the worker`);
    return;
  }
  const store = path.join(mkdtempSync(path.join(scratch, 'store-')), 'libsrtp2');
  mkdirSync(store);
  for (const file of Object.keys(files)) copyFileSync(path.join(kept, file), path.join(store, file));
  const logged: string[] = [];

  assert.equal(await source.ensureLibsrtpSource(store, (chunk: string) => logged.push(chunk)), 'cached');
  assert.deepEqual(logged, []);
  const unpacked = path.join(mkdtempSync(path.join(scratch, 'src-')), 'libsrtp2');
  await source.extractLibsrtpSource(store, unpacked, () => {});
  assert.match(
    readFileSync(path.join(unpacked, 'meson.build'), 'utf8'),
    /project\('libsrtp2', 'c', version: '2\.5\.0'/,
  );
  // Debian's 1005_fix_data_alignment.patch is applied.
  assert.match(readFileSync(path.join(unpacked, 'test', 'srtp_driver.c'), 'utf8'), /aligned\(4\)/);
});

test('a stored file that does not match its pin is fetched again, and a failed fetch is one clear error', async () => {
  const store = path.join(mkdtempSync(path.join(scratch, 'store-')), 'libsrtp2');
  mkdirSync(store);
  for (const file of Object.keys(source.LIBSRTP_SOURCE.files))
    writeFileSync(path.join(store, file), 'not it');
  const savedPath = process.env.PATH;
  // No apt-get on PATH: the fetch must fail, saying what it tried.
  process.env.PATH = mkdtempSync(path.join(scratch, 'empty-bin-'));
  try {
    await assert.rejects(
      source.ensureLibsrtpSource(store, () => {}),
      (error: Error) =>
        error instanceof source.LibsrtpSourceError &&
        /^apt-get source libsrtp2=2\.5\.0-3 failed \(exit -1\)/.test(error.message),
    );
  } finally {
    process.env.PATH = savedPath;
  }
});
