// The worker's SRTP library: libsrtp 2.5.0 from Debian's source package, built
// by meson inside the worker build with the OpenSSL crypto backend (Debian's
// binary libsrtp2 uses NSS, about 4x slower per packet). The source comes from
// the same Debian archive the machine's apt already uses, fetched with
// `apt-get source` through a private apt set-up (the machine's own is left
// alone), pinned to one version and to the sha256 of each file, and kept in the
// worker cache so a rebuild needs no network at all.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The pinned source package. Changing it changes the worker's cache key (this file is a build input). */
export const LIBSRTP_SOURCE = {
  package: 'libsrtp2',
  version: '2.5.0-3',
  files: {
    'libsrtp2_2.5.0-3.dsc': '3b77c17dc1cf3135fbdaaf4cb0c5f4ae69793dd4cea63b9e466286e7687c861e',
    'libsrtp2_2.5.0.orig.tar.gz': '8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09',
    'libsrtp2_2.5.0-3.debian.tar.xz': '3a3cafa12033d32cd0d5ad4d78f102bc6d998f7d67a17f262c436d0734865af4',
  },
};

/** The folder name the stand-in libsrtp3 subproject expects the extracted source under. */
export const LIBSRTP_SUBPROJECT = 'libsrtp2';

export class LibsrtpSourceError extends Error {}

const APT_SOURCE_FILES = ['/etc/apt/sources.list'];
const APT_SOURCE_PARTS = '/etc/apt/sources.list.d';

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The pinned files that are absent from `dir` or whose bytes differ from the pin. */
function badFiles(dir) {
  return Object.entries(LIBSRTP_SOURCE.files)
    .filter(([name, hash]) => !existsSync(path.join(dir, name)) || sha256(path.join(dir, name)) !== hash)
    .map(([name]) => name);
}

/**
 * The machine's enabled `deb` entries turned into `deb-src` ones, as files for a private
 * Dir::Etc::SourceParts: one-line `.list` entries and deb822 `.sources` stanzas.
 */
export function debSrcEntries(sourceFiles = APT_SOURCE_FILES, partsDir = APT_SOURCE_PARTS) {
  const files = [...sourceFiles];
  if (existsSync(partsDir)) {
    for (const name of readdirSync(partsDir).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(path.join(partsDir, name));
    }
  }
  const lines = [];
  const stanzas = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = stanza.split('\n').filter((line) => !line.startsWith('#'));
        const types = fields.find((line) => /^Types:/i.test(line));
        const disabled = fields.some((line) => /^Enabled:\s*no\b/i.test(line));
        if (!types || !/\bdeb\b/.test(types.slice(6)) || disabled) continue;
        stanzas.push(fields.map((line) => (line === types ? 'Types: deb-src' : line)).join('\n'));
      }
    } else {
      for (const line of text.split('\n')) {
        if (/^\s*deb\s/.test(line)) lines.push(line.replace(/^\s*deb\s/, 'deb-src '));
      }
    }
  }
  return { list: lines.join('\n'), sources: stanzas.join('\n\n') };
}

function aptArgs(aptDir) {
  return [
    '-q',
    '-o',
    `Dir::Etc::SourceList=${path.join(aptDir, 'sources.list')}`,
    '-o',
    `Dir::Etc::SourceParts=${path.join(aptDir, 'sources.list.d')}`,
    '-o',
    `Dir::State::Lists=${path.join(aptDir, 'lists')}`,
    '-o',
    `Dir::Cache=${path.join(aptDir, 'cache')}`,
  ];
}

/** Runs a command with its output in the log (through `log`), resolving to its exit code. */
function runLogged(command, args, cwd, log) {
  return new Promise((resolve) => {
    log(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => log(chunk));
    child.stderr.on('data', (chunk) => log(chunk));
    child.on('error', (error) => {
      log(`${error.message}\n`);
      resolve(-1);
    });
    child.on('close', (code) => resolve(code ?? -1));
  });
}

/**
 * Makes sure `storeDir` holds the pinned source package, fetching it with apt-get when it does not.
 * Returns how it got there ('cached' or 'fetched'). `log` receives the commands' output.
 */
export async function ensureLibsrtpSource(storeDir, log) {
  if (existsSync(storeDir) && badFiles(storeDir).length === 0) return 'cached';
  const { package: name, version } = LIBSRTP_SOURCE;
  const parent = path.dirname(storeDir);
  mkdirSync(parent, { recursive: true });
  const work = path.join(parent, `.fetch-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const aptDir = path.join(work, 'apt');
    const download = path.join(work, 'download');
    for (const dir of ['sources.list.d', 'lists/partial', 'cache/archives/partial']) {
      mkdirSync(path.join(aptDir, dir), { recursive: true });
    }
    mkdirSync(download);
    const entries = debSrcEntries();
    if (!entries.list && !entries.sources) {
      throw new LibsrtpSourceError(
        `cannot fetch Debian's ${name} source: no enabled deb entry in ${APT_SOURCE_FILES[0]} or ${APT_SOURCE_PARTS}`,
      );
    }
    writeFileSync(path.join(aptDir, 'sources.list'), `${entries.list}\n`);
    if (entries.sources)
      writeFileSync(path.join(aptDir, 'sources.list.d', 'deb-src.sources'), `${entries.sources}\n`);

    // A repository without source indexes fails its part of the update; `apt-get source` below says
    // whether the one package needed was found, so the update's own status is not the verdict.
    await runLogged('apt-get', [...aptArgs(aptDir), 'update'], work, log);
    const code = await runLogged(
      'apt-get',
      [...aptArgs(aptDir), 'source', '--download-only', `${name}=${version}`],
      download,
      log,
    );
    if (code !== 0) {
      throw new LibsrtpSourceError(
        `apt-get source ${name}=${version} failed (exit ${code}): the machine's Debian archive must offer ` +
          `this version's source (bookworm does); if it moved on, update the pin in ${path.basename(import.meta.url)}`,
      );
    }
    const bad = badFiles(download);
    if (bad.length > 0) {
      throw new LibsrtpSourceError(
        `${name} ${version} source from apt does not match its pinned sha256: ${bad.join(', ')}`,
      );
    }
    const staged = path.join(work, 'store');
    mkdirSync(staged);
    for (const file of Object.keys(LIBSRTP_SOURCE.files)) {
      renameSync(path.join(download, file), path.join(staged, file));
    }
    rmSync(storeDir, { recursive: true, force: true });
    renameSync(staged, storeDir);
    return 'fetched';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Unpacks the stored source package, with Debian's patches applied, into `dest` (which must not exist). */
export async function extractLibsrtpSource(storeDir, dest, log) {
  const dsc = Object.keys(LIBSRTP_SOURCE.files).find((file) => file.endsWith('.dsc'));
  rmSync(dest, { recursive: true, force: true });
  // The pinned hashes are the check; the .dsc signature needs a keyring this machine may not have.
  const code = await runLogged(
    'dpkg-source',
    ['--no-check', '-x', path.join(storeDir, dsc), dest],
    path.dirname(dest),
    log,
  );
  if (code !== 0 || !existsSync(path.join(dest, 'meson.build'))) {
    throw new LibsrtpSourceError(`dpkg-source could not unpack ${dsc} (exit ${code})`);
  }
}
