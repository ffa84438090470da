import type { Config } from '../config/types.js';
import { LocalRouter } from './local-router.js';
import { RedisRouter, type RedisRouterOptions } from './redis-router.js';
import type { Router } from './types.js';

/** The router the config asks for: in memory for a single node when no `redis` is configured, else Redis. */
export async function createRouter(config: Config, options: RedisRouterOptions = {}): Promise<Router> {
  if (!config.redis) return new LocalRouter(config);
  return RedisRouter.connect(config, options);
}
