import type { Config } from './types.js';

/** How the node reaches Redis, in a few words: the address, Sentinel, Cluster, or single-node mode. */
export function describeRedis(config: Config): string {
  const redis = config.redis;
  if (!redis) return 'single-node';
  if (redis.cluster_addresses?.length) return `redis cluster ${redis.cluster_addresses.join(',')}`;
  if (redis.sentinel_master_name) return `redis sentinel ${redis.sentinel_master_name}`;
  return `redis ${redis.address}`;
}

/** One-line summary of a valid config, e.g. `region us-west-2, 1 key, redis 127.0.0.1:6379, selector regionaware, 2 regions`. */
export function summarizeConfig(config: Config): string {
  const keys = Object.keys(config.keys).length;
  const regions = config.node_selector.regions.length;
  return [
    config.region ? `region ${config.region}` : 'no region',
    `${keys} ${keys === 1 ? 'key' : 'keys'}`,
    describeRedis(config),
    `selector ${config.node_selector.kind}`,
    `${regions} ${regions === 1 ? 'region' : 'regions'}`,
  ].join(', ');
}
