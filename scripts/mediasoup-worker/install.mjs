#!/usr/bin/env node
// Installs mediasoup's worker binary without the network. Runs from npm's
// postinstall (mediasoup's own postinstall, which downloads, is off through
// allowScripts), so it is plain Node ESM and needs nothing compiled.
//
// Order: LKC_SKIP_WORKER_BUILD=1 skips; a working $MEDIASOUP_WORKER_BIN is
// used as is; else the cache ($LKC_WORKER_CACHE or
// ~/.cache/lk-cluster/mediasoup-worker); else build: copy the worker sources
// to .build/, patch them (worker-source.mjs), swap the download-only meson
// subprojects for the stand-ins in subprojects/ that wrap the system libraries
// (system-packages.mjs names them), unpack Debian's libsrtp 2.5 source for the
// libsrtp3 stand-in to build on OpenSSL (libsrtp-source.mjs: fetched once with
// apt-get source, then kept in the cache), meson + ninja, strip, cache, install.
// LKC_WORKER_REBUILD=1 ignores the cache; LKC_WORKER_JOBS caps parallelism.
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureLibsrtpSource,
  extractLibsrtpSource,
  LIBSRTP_SOURCE,
  LIBSRTP_SUBPROJECT,
  LibsrtpSourceError,
} from './libsrtp-source.mjs';
import { aptInstallCommand, describeMissing, missingSystemPackages } from './system-packages.mjs';
import { cacheDir, cacheKey, inputsHash, placeAtomically } from './worker-cache.mjs';
import { prepareWorkerSource, SourcePatchError } from './worker-source.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WORK_ROOT = path.join(ROOT, '.build', 'mediasoup-worker');
const LOG_FILE = path.join(WORK_ROOT, 'build.log');
const PROGRESS_EVERY_MS = 30_000;
const started = Date.now();

/** A failure the user can act on: one line, then optional detail lines (e.g. a log tail). */
class InstallError extends Error {
  constructor(message, details = []) {
    super(message);
    this.details = details;
  }
}

function elapsed() {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

function say(message) {
  console.log(`mediasoup-worker: [${elapsed()}] ${message}`);
}

function relative(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** A worker run with an empty environment exits 41 ("MEDIASOUP_VERSION missing"): it loads and starts. */
function checkWorker(bin) {
  const result = spawnSync(bin, [], { env: {}, timeout: 15_000, encoding: 'utf8' });
  if (result.error) return { ok: false, reason: result.error.code ?? result.error.message };
  if (result.status === 41) return { ok: true };
  const said = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n')[0];
  const how = result.status === null ? `died of ${result.signal}` : `exited ${result.status}`;
  return { ok: false, reason: said ? `${how}: ${said}` : how };
}

function findMediasoup() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  let entry;
  try {
    entry = require.resolve('mediasoup');
  } catch {
    throw new InstallError('mediasoup is not installed in node_modules; run `npm ci` first');
  }
  // The entry is <package>/node/lib/index.js; mediasoup looks for its worker from <package>.
  const dir = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return { dir, version, target: path.join(dir, 'worker', 'out', 'Release', 'mediasoup-worker') };
}

function lastLines(file, count) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count);
  } catch {
    return [];
  }
}

/** Runs one build step with its output in the log; calls onLine for each line (for progress). */
function run(step, command, args, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(LOG_FILE, { flags: 'a' });
    log.write(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const take = (chunk) => {
      log.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => log.end(() => reject(new InstallError(`${step}: ${error.message}`))));
    child.on('close', (code, signal) => {
      log.end(() => {
        if (code === 0) return resolve();
        const how = signal ? `was killed by ${signal}` : `failed (exit ${code})`;
        reject(
          new InstallError(`${step} ${how} after ${elapsed()}; full log: ${LOG_FILE}`, [
            `--- last lines of ${LOG_FILE} ---`,
            ...lastLines(LOG_FILE, 25),
          ]),
        );
      });
    });
  });
}

/** Runs `task` with a writer that appends to the build log; the log is closed before any error is shown. */
async function withLog(task) {
  const log = createWriteStream(LOG_FILE, { flags: 'a' });
  let result;
  let failure;
  try {
    result = await task((chunk) => log.write(chunk));
  } catch (error) {
    failure = error;
  }
  await new Promise((resolve) => log.end(resolve));
  if (failure instanceof LibsrtpSourceError) {
    throw new InstallError(`${failure.message}; full log: ${LOG_FILE}`, [
      `--- last lines of ${LOG_FILE} ---`,
      ...lastLines(LOG_FILE, 15),
    ]);
  }
  if (failure) throw failure;
  return result;
}

/** Prints the ninja "[done/total]" counter now and then, so a six-minute compile is visibly alive. */
function compileProgress(label) {
  let lastShown = Date.now();
  return (line) => {
    const match = /^\[(\d+)\/(\d+)\]/.exec(line);
    if (match && Date.now() - lastShown >= PROGRESS_EVERY_MS) {
      lastShown = Date.now();
      say(`${label}: ${match[1]}/${match[2]} steps`);
    }
  };
}

function requireSystemPackages() {
  const missing = missingSystemPackages();
  if (missing.length === 0) return;
  throw new InstallError(
    `cannot build the worker, missing ${describeMissing(missing)}; ` +
      `install with: ${aptInstallCommand(missing.map((m) => m.apt))} (then run \`npm run postinstall\`)`,
  );
}

function jobsArgs(value) {
  if (!value) return [];
  if (!/^[1-9]\d*$/.test(value))
    throw new InstallError(`LKC_WORKER_JOBS must be a positive integer, got "${value}"`);
  return ['-j', value];
}

async function build(mediasoup, key, cachedBin) {
  const jobs = jobsArgs(process.env.LKC_WORKER_JOBS);
  const workDir = path.join(WORK_ROOT, key);
  const sourceDir = path.join(workDir, 'src');
  const buildDir = path.join(workDir, 'build');
  const prepared = path.join(sourceDir, '.lkc-prepared');
  mkdirSync(WORK_ROOT, { recursive: true });
  // Work folders of other keys are stale: their inputs changed.
  for (const entry of readdirSync(WORK_ROOT, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== key)
      rmSync(path.join(WORK_ROOT, entry.name), { recursive: true });
  }
  await writeFile(LOG_FILE, `mediasoup ${mediasoup.version} worker build, key ${key}\n`);
  say(`building mediasoup ${mediasoup.version}'s worker from source (cold: about 6 min on 2 cores)`);
  say(`build output goes to ${relative(LOG_FILE)}`);

  // An interrupted build of the same key resumes: same sources, ninja skips what is done.
  if (!existsSync(prepared)) {
    const srtp = `${LIBSRTP_SOURCE.package} ${LIBSRTP_SOURCE.version}`;
    const store = path.join(cacheDir(), 'sources', `${LIBSRTP_SOURCE.package}_${LIBSRTP_SOURCE.version}`);
    const how = await withLog((log) => ensureLibsrtpSource(store, log));
    say(`${srtp} source ${how === 'cached' ? 'found in' : 'fetched with apt-get source into'} ${store}`);
    prepareWorkerSource(path.join(mediasoup.dir, 'worker'), sourceDir, path.join(HERE, 'subprojects'));
    await withLog((log) =>
      extractLibsrtpSource(store, path.join(sourceDir, 'subprojects', LIBSRTP_SUBPROJECT), log),
    );
    await writeFile(prepared, `${key}\n`);
    rmSync(buildDir, { recursive: true, force: true });
  }
  say(`sources copied and patched in ${relative(sourceDir)}`);

  if (!existsSync(path.join(buildDir, 'build.ninja'))) {
    rmSync(buildDir, { recursive: true, force: true });
    await run('meson setup', 'meson', [
      'setup',
      buildDir,
      sourceDir,
      '--buildtype',
      'release',
      '-Db_ndebug=true',
      '--wrap-mode=nodownload',
      '-Dms_disable_liburing=true',
    ]);
  }
  say('configured (meson setup)');

  // libwebrtc includes the generated headers without depending on their target:
  // generate them first or a parallel build races.
  await run('meson compile flatbuffers-generator', 'meson', [
    'compile',
    '-C',
    buildDir,
    ...jobs,
    'flatbuffers-generator',
  ]);
  say('generated the FlatBuffers headers');
  await run(
    'meson compile mediasoup-worker',
    'meson',
    ['compile', '-C', buildDir, ...jobs, 'mediasoup-worker'],
    compileProgress('compiling'),
  );
  const built = path.join(buildDir, 'mediasoup-worker');
  say(`compiled (${(statSync(built).size / 1e6).toFixed(1)} MB unstripped)`);

  try {
    placeAtomically(built, cachedBin, (source, tmp) => {
      const strip = spawnSync('strip', ['-o', tmp, source], { encoding: 'utf8' });
      if (strip.status !== 0) throw new InstallError(`strip failed: ${(strip.stderr ?? '').trim()}`);
    });
  } catch (error) {
    if (error instanceof InstallError) throw error;
    throw new InstallError(
      `cannot write the worker cache ${cachedBin} (${error.message}); set LKC_WORKER_CACHE to a writable folder`,
    );
  }
  say(`stripped (${(statSync(cachedBin).size / 1e6).toFixed(1)} MB) and cached as ${cachedBin}`);
  // The binary is cached; the object files (hundreds of MB) are not worth keeping.
  rmSync(workDir, { recursive: true, force: true });
}

function install(cachedBin, target, how) {
  placeAtomically(cachedBin, target);
  const check = checkWorker(target);
  if (!check.ok) throw new InstallError(`installed ${target} but it does not start: ${check.reason}`);
  say(`${how}: installed ${relative(target)} (check passed: exit 41 with an empty environment)`);
}

async function main() {
  if (process.env.LKC_SKIP_WORKER_BUILD === '1') {
    console.log('mediasoup-worker: skipped (LKC_SKIP_WORKER_BUILD=1); nothing here can start a worker');
    return;
  }
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    const check = checkWorker(fromEnv);
    if (check.ok) {
      console.log(`mediasoup-worker: using MEDIASOUP_WORKER_BIN=${fromEnv} (check passed), nothing to build`);
      return;
    }
    console.log(
      `mediasoup-worker: MEDIASOUP_WORKER_BIN=${fromEnv} does not work (${check.reason}); ignoring it`,
    );
  }
  if (process.platform !== 'linux') {
    throw new InstallError(
      `building the worker is supported on Linux only (this is ${process.platform}); ` +
        'set MEDIASOUP_WORKER_BIN to a mediasoup-worker binary, or LKC_SKIP_WORKER_BUILD=1',
    );
  }

  const mediasoup = findMediasoup();
  const key = cacheKey(mediasoup.version, inputsHash(HERE));
  const cachedBin = path.join(cacheDir(), `mediasoup-worker-${key}`);
  const rebuild = process.env.LKC_WORKER_REBUILD === '1';

  if (!rebuild && existsSync(cachedBin)) {
    const check = checkWorker(cachedBin);
    if (check.ok) return install(cachedBin, mediasoup.target, `cache hit (${key})`);
    say(`cached ${cachedBin} does not start (${check.reason}); rebuilding`);
  }
  requireSystemPackages();
  say(`system packages present; cache ${rebuild ? 'ignored (LKC_WORKER_REBUILD=1)' : `miss (${key})`}`);
  await build(mediasoup, key, cachedBin);
  install(cachedBin, mediasoup.target, 'built');
}

main().catch((error) => {
  if (error instanceof InstallError || error instanceof SourcePatchError) {
    console.error(`mediasoup-worker: ${error.message}`);
    for (const line of error.details ?? []) console.error(line);
  } else {
    console.error(`mediasoup-worker: unexpected failure: ${error?.message ?? error}`);
  }
  process.exitCode = 1;
});
