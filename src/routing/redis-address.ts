import type { RedisConfig } from '../config/types.js';

/**
 * Which Redis a config names, in words, without loading a Redis client: commands that only mention Redis (a
 * warning that the folder's cluster runs elsewhere) stay as quick to start as the ones that never touch it.
 */

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

/** Which of the three Redis setups the config describes (Cluster wins, then Sentinel). */
export function redisMode(config: RedisConfig): RedisMode {
  if (config.cluster_addresses?.length) return 'cluster';
  if (config.sentinel_master_name && config.sentinel_addresses?.length) return 'sentinel';
  return 'standalone';
}

/** Where the config points, for messages: addresses only, never credentials. */
export function describeRedis(config: RedisConfig): string {
  switch (redisMode(config)) {
    case 'cluster':
      return `redis cluster ${config.cluster_addresses!.join(', ')}`;
    case 'sentinel':
      return `redis sentinel master "${config.sentinel_master_name}" via ${config.sentinel_addresses!.join(', ')}`;
    default:
      return `redis at ${config.address ?? '127.0.0.1:6379'}`;
  }
}
