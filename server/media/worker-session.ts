import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from '../../src/system/which.js';

const WRAPPER = fileURLToPath(new URL('../../../scripts/mediasoup-worker-session.sh', import.meta.url));

/**
 * Makes mediasoup start its workers through scripts/mediasoup-worker-session.sh (Linux, with `setsid`), so that
 * signals meant for the node do not close its workers. Must run before mediasoup is imported: it reads
 * MEDIASOUP_WORKER_BIN once, when it loads.
 */
export function isolateWorkersFromNodeSignals(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform !== 'linux' || env.LKC_WORKER_OWN_SESSION === '0' || !which('setsid')) return;
  const mediasoupMain = createRequire(import.meta.url).resolve('mediasoup');
  const defaultBin = join(dirname(mediasoupMain), '..', '..', 'worker', 'out', 'Release', 'mediasoup-worker');
  env.LKC_MEDIASOUP_WORKER_BIN = env.MEDIASOUP_WORKER_BIN || defaultBin;
  env.MEDIASOUP_WORKER_BIN = WRAPPER;
}
