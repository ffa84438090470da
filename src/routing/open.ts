import type { Config } from '../config/types.js';
import { LkcError } from '../errors.js';
import { createRouter } from './create.js';
import type { Router } from './types.js';

/**
 * Bounds for a CLI command's Redis: it answers within these or the command says so in one line. Its connection is
 * dropped when the command is done, not quit: waiting for QUIT's answer only delays the exit.
 */
const CLI_REDIS_OPTIONS = {
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 10_000,
  maxRetriesPerRequest: 1,
  dropOnClose: true,
};

/**
 * The cluster's router for a CLI command. Cluster state lives in Redis; without Redis every node keeps its
 * own in memory, so a separate CLI process has nothing to read and says so.
 */
export async function openClusterRouter(config: Config, file?: string): Promise<Router> {
  if (!config.redis) {
    const source = file ? file : 'the config (defaults and LKC_* environment)';
    throw new LkcError(
      'NO_REDIS',
      `no redis configured: ${source} is a single-node setup; its node keeps nodes and rooms in memory. Add redis.address (or run this where \`lk-cluster start\` runs a cluster)`,
    );
  }
  return createRouter(config, CLI_REDIS_OPTIONS);
}

/** Runs `use` with the cluster's router and closes it afterwards, so the command's process can exit. */
export async function withClusterRouter<T>(
  config: Config,
  file: string | undefined,
  use: (router: Router) => Promise<T>,
): Promise<T> {
  const router = await openClusterRouter(config, file);
  try {
    return await use(router);
  } finally {
    await router.close();
  }
}
