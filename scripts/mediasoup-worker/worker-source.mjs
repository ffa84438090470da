// Turns a copy of node_modules/mediasoup/worker into a tree that builds offline
// against the system libraries: two small source patches, and the download-only
// .wrap subprojects replaced by the stand-ins kept beside this file.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Edits applied to the copied worker sources; each must match exactly once. */
export const PATCHES = [
  {
    file: 'meson.build',
    // Debian 12 ships meson 1.0.1, which builds this project as it is.
    from: "meson_version: '>= 1.1.0'",
    to: "meson_version: '>= 1.0.0'",
  },
  {
    file: 'src/RTC/DtlsTransport.cpp',
    // BIO_CB_RETURN is a flag OR-ed into the operation. Compared with ==, every
    // BIO_ctrl answers 1; Debian's libssl (built with kTLS) then takes its kTLS
    // write path with no buffer and the worker dies with SIGSEGV on the first
    // DTLS handshake. mediasoup's bundled OpenSSL has no kTLS, hiding the bug.
    from: '(operationType == BIO_CB_RETURN)',
    to: '((operationType & BIO_CB_RETURN) != 0)',
  },
];

// Kept as a .wrap: meson only reads it on Windows.
const KEPT_WRAPS = new Set(['wingetopt.wrap']);

export class SourcePatchError extends Error {}

function applyPatch(root, { file, from, to }) {
  const target = path.join(root, file);
  const text = readFileSync(target, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) {
    throw new SourcePatchError(
      `patch for ${file} expects "${from}" exactly once, found it ${count} times (is mediasoup still pinned to the version the patches were written for?)`,
    );
  }
  writeFileSync(target, text.replace(from, to));
}

/**
 * Copies the worker sources into `dest`, patches them and installs the stand-in subprojects from
 * `standInsDir` in place of the .wrap files.
 */
export function prepareWorkerSource(workerDir, dest, standInsDir) {
  rmSync(dest, { recursive: true, force: true });
  // A prebuilt or earlier out/ folder is not a source.
  cpSync(workerDir, dest, {
    recursive: true,
    filter: (source) => path.relative(workerDir, source).split(path.sep)[0] !== 'out',
  });
  for (const patch of PATCHES) applyPatch(dest, patch);

  const subprojects = path.join(dest, 'subprojects');
  for (const entry of readdirSync(subprojects)) {
    if (entry.endsWith('.wrap') && !KEPT_WRAPS.has(entry)) rmSync(path.join(subprojects, entry));
  }
  for (const name of readdirSync(standInsDir)) {
    const target = path.join(subprojects, name);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    cpSync(path.join(standInsDir, name), target, { recursive: true });
  }
}
