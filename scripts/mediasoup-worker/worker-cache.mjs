// The built worker lives in a cache outside the clone, keyed by everything that
// decides its bytes, so a fresh clone or `npm ci` on the same machine reuses it.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The cache folder: $LKC_WORKER_CACHE, else ~/.cache/lk-cluster/mediasoup-worker. */
export function cacheDir(env = process.env) {
  if (env.LKC_WORKER_CACHE) return path.resolve(env.LKC_WORKER_CACHE);
  return path.join(env.HOME || os.homedir(), '.cache', 'lk-cluster', 'mediasoup-worker');
}

function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(dir, relative));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/** sha256 over every file of the install's own folder: stand-ins, compatibility header, patches, scripts. */
export function inputsHash(dir) {
  const hash = createHash('sha256');
  for (const file of listFiles(dir).sort()) {
    hash.update(file);
    hash.update('\0');
    hash.update(readFileSync(path.join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The cache key: mediasoup version, platform, arch and the inputs hash. */
export function cacheKey(mediasoupVersion, hash) {
  return `${mediasoupVersion}-${process.platform}-${process.arch}-${hash.slice(0, 16)}`;
}

/**
 * Copies `source` to `dest` so that no reader ever sees half a file: the bytes go to a temporary name
 * in the destination folder, then one rename puts them in place. `transform(source, tmp)` may write
 * the temporary file instead of a plain copy (e.g. strip).
 */
export function placeAtomically(source, dest, transform = copyFileSync) {
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    transform(source, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}
