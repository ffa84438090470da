import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { version as mediasoupVersion, workerBin } from 'mediasoup';
import { finished, spawnTracked } from '../helpers/processes.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'scripts', 'mediasoup-worker', 'install.mjs'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find scripts/mediasoup-worker/install.mjs above the test');
    dir = parent;
  }
  return dir;
}

const ROOT = repoRoot();
const SCRIPT = path.join(ROOT, 'scripts', 'mediasoup-worker', 'install.mjs');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'lkc-worker-install-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function freshDir(name: string): string {
  return mkdtempSync(path.join(scratch, `${name}-`));
}

function which(command: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(`${command} is not on PATH; the worker build tools must be installed to run this test`);
}

/** A PATH folder holding node and every build tool except the ones named. */
function pathWithout(...left: string[]): string {
  const dir = freshDir('bin');
  symlinkSync(process.execPath, path.join(dir, 'node'));
  for (const command of [
    'pkg-config',
    'meson',
    'ninja',
    'flatc',
    'cc',
    'g++',
    'strip',
    'apt-get',
    'dpkg-source',
  ]) {
    if (!left.includes(command)) symlinkSync(which(command), path.join(dir, command));
  }
  return dir;
}

async function runInstall(env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? '', HOME: freshDir('home') };
  const child = spawnTracked(process.execPath, [SCRIPT], { cwd: ROOT, env: { ...base, ...env } });
  const { code, stdout, stderr } = await finished(child);
  const lines = (text: string) => text.split('\n').filter((line) => line.length > 0);
  return { code, stdout: lines(stdout), stderr: lines(stderr) };
}

// Root needs no sudo; the script adds it for everyone else.
const APT = `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y`;

test('a cache miss without meson on PATH fails with one line naming the apt-get command', async () => {
  const cache = freshDir('cache');
  const result = await runInstall({ PATH: pathWithout('meson'), LKC_WORKER_CACHE: cache });

  assert.equal(result.code, 1);
  assert.equal(result.stderr.length, 1, result.stderr.join('\n'));
  const [line] = result.stderr;
  assert.match(line, /^mediasoup-worker: cannot build the worker, missing meson;/);
  assert.ok(line.includes(`install with: ${APT} meson (then run \`npm run postinstall\`)`), line);
  assert.doesNotMatch([...result.stdout, ...result.stderr].join('\n'), /\bat .*\.m?js:\d+/);
  assert.deepEqual(readdirSync(cache), []);
});

test('libraries that pkg-config cannot find are named by their -dev packages in one apt-get line', async () => {
  const result = await runInstall({
    // A real pkg-config with an empty search path sees none of the system libraries.
    PKG_CONFIG_LIBDIR: freshDir('no-pc-files'),
    LKC_WORKER_CACHE: freshDir('cache'),
  });

  assert.equal(result.code, 1);
  assert.equal(result.stderr.length, 1, result.stderr.join('\n'));
  const [line] = result.stderr;
  assert.match(line, /missing pkg-config modules openssl >= 3\.0, libuv, usrsctp, absl_/);
  assert.ok(
    line.includes(`${APT} libssl-dev libuv1-dev libusrsctp-dev libabsl-dev libflatbuffers-dev (then`),
    line,
  );
});

test('LKC_SKIP_WORKER_BUILD=1 skips the install and says so', async () => {
  const cache = freshDir('cache');
  const result = await runInstall({ LKC_SKIP_WORKER_BUILD: '1', LKC_WORKER_CACHE: cache });

  assert.equal(result.code, 0);
  assert.deepEqual(result.stderr, []);
  assert.match(result.stdout.join('\n'), /skipped \(LKC_SKIP_WORKER_BUILD=1\)/);
  assert.deepEqual(readdirSync(cache), []);
});

test('a working MEDIASOUP_WORKER_BIN is used as it is, with no build tools needed', async () => {
  const cache = freshDir('cache');
  const result = await runInstall({
    MEDIASOUP_WORKER_BIN: workerBin,
    PATH: pathWithout('meson', 'ninja', 'flatc', 'g++'),
    LKC_WORKER_CACHE: cache,
  });

  assert.equal(result.code, 0, result.stderr.join('\n'));
  assert.match(result.stdout.join('\n'), /using MEDIASOUP_WORKER_BIN=.* \(check passed\), nothing to build/);
  assert.deepEqual(readdirSync(cache), []);
});

test('a cached worker installs in seconds with no build tools on PATH', async () => {
  // The key comes from the install's own module, so the test seeds exactly the entry it would look up.
  const cacheModule = await import(
    pathToFileURL(path.join(ROOT, 'scripts', 'mediasoup-worker', 'worker-cache.mjs')).href
  );
  const cache = freshDir('cache');
  const key: string = cacheModule.cacheKey(
    mediasoupVersion,
    cacheModule.inputsHash(path.join(ROOT, 'scripts', 'mediasoup-worker')),
  );
  copyFileSync(workerBin, path.join(cache, `mediasoup-worker-${key}`));

  const started = Date.now();
  const result = await runInstall({
    PATH: pathWithout('meson', 'ninja', 'flatc', 'g++', 'cc'),
    LKC_WORKER_CACHE: cache,
  });
  const seconds = (Date.now() - started) / 1000;

  assert.equal(result.code, 0, result.stderr.join('\n'));
  assert.match(
    result.stdout.join('\n'),
    new RegExp(`cache hit \\(${key}\\): installed .*mediasoup-worker \\(check passed`),
  );
  assert.ok(seconds < 15, `took ${seconds} s`);
  assert.deepEqual(readdirSync(cache), [`mediasoup-worker-${key}`]);
});
