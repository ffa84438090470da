import type { Config } from '../../src/config/types.js';

type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends unknown[]
    ? T[K]
    : NonNullable<T[K]> extends object
      ? DeepPartial<NonNullable<T[K]>>
      : T[K];
};

/** The seed's two regions (LiveKit's multi-region example). */
export const SEED_REGIONS = [
  { name: 'us-west-2', lat: 37.64046607830567, lon: -120.88026233189062 },
  { name: 'us-east', lat: 40.68914362140307, lon: -74.04445748616385 },
];

/** A complete Config with LiveKit's defaults, for tests that build their config in code. */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base: Config = {
    port: 7880,
    bind_addresses: ['127.0.0.1'],
    region: '',
    keys: { devkey: 'a-secret-of-at-least-32-characters-long' },
    node_selector: {
      kind: 'any',
      sort_by: 'random',
      algorithm: 'lowest',
      sysload_limit: 0.9,
      cpu_load_limit: 0.9,
      regions: [],
    },
    limit: { num_tracks: 0, bytes_per_sec: 0, max_rooms: 0 },
    room: { empty_timeout: 300, max_participants: 0, auto_create: true },
    rtc: { udp_port_range_start: 50000, udp_port_range_end: 60000, node_ip: '127.0.0.1', num_workers: 1 },
    node_stats: { update_interval: 2, lease_ttl: 6 },
    logging: { level: 'info', json: false },
  };
  const merged = { ...base, ...overrides } as Config;
  for (const section of ['node_selector', 'limit', 'room', 'rtc', 'node_stats', 'logging'] as const) {
    (merged as unknown as Record<string, unknown>)[section] = {
      ...base[section],
      ...(overrides[section] ?? {}),
    };
  }
  if (overrides.redis)
    merged.redis = {
      ...overrides.redis,
      key_prefix: overrides.redis.key_prefix ?? '{lkc}:',
    } as Config['redis'];
  return merged;
}
