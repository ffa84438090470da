import type { Config, RedisConfig } from './types.js';

/** The default Redis key prefix: one Redis Cluster hash tag, so every key of the cluster lives in one slot. */
export const DEFAULT_KEY_PREFIX = '{lkc}:';

/** The config a node runs with when no file is given: single-node mode, LiveKit's defaults. */
export function defaultConfig(): Config {
  return {
    port: 7880,
    bind_addresses: ['0.0.0.0'],
    region: '',
    keys: {},
    node_selector: {
      kind: 'any',
      sort_by: 'random',
      algorithm: 'lowest',
      sysload_limit: 0.9,
      cpu_load_limit: 0.9,
      regions: [],
    },
    limit: {
      num_tracks: 0,
      bytes_per_sec: 0,
      max_rooms: 0,
      max_participants_per_node: 0,
      participants_per_router: 0,
    },
    room: { empty_timeout: 300, max_participants: 0, auto_create: true, span: 'off' },
    rtc: { udp_port_range_start: 50000, udp_port_range_end: 60000, node_ip: '', num_workers: 0 },
    // A report every 0.5 s and a lease of five reports: a node killed with -9 is swept, its rooms free, within
    // lease_ttl + lease_ttl/10 (2.75 s) of its last report, while a live node survives a 2 s pause or three
    // reports lost in a row, and a 150 ms-away Redis (300 ms round trip) still leaves it 1.7 s of margin.
    node_stats: { update_interval: 0.5, lease_ttl: 2.5 },
    logging: { level: 'info', json: false },
  };
}

type Section = Record<string, unknown>;

function section<T>(base: T, given: unknown): T {
  return given && typeof given === 'object' ? { ...base, ...(given as Section) } : base;
}

/** Fills every key a (schema-valid) file left out with its default; `redis` stays absent when absent. */
export function applyDefaults(raw: Section): Config {
  const base = defaultConfig();
  const config: Config = {
    ...base,
    ...(raw as Partial<Config>),
    keys: { ...((raw.keys as Record<string, string> | undefined) ?? {}) },
    node_selector: section(base.node_selector, raw.node_selector),
    limit: section(base.limit, raw.limit),
    room: section(base.room, raw.room),
    rtc: section(base.rtc, raw.rtc),
    node_stats: section(base.node_stats, raw.node_stats),
    logging: section(base.logging, raw.logging),
  };
  if (raw.redis && typeof raw.redis === 'object') {
    config.redis = { key_prefix: DEFAULT_KEY_PREFIX, ...(raw.redis as Partial<RedisConfig>) };
  } else {
    delete config.redis;
  }
  return config;
}
