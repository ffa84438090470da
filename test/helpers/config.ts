import { DEFAULT_KEY_PREFIX, defaultConfig } from '../../src/config/defaults.js';
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
  const defaults = defaultConfig();
  const base: Config = {
    ...defaults,
    bind_addresses: ['127.0.0.1'],
    keys: { devkey: 'a-secret-of-at-least-32-characters-long' },
    rtc: { ...defaults.rtc, node_ip: '127.0.0.1', num_workers: 1 },
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
      key_prefix: overrides.redis.key_prefix ?? DEFAULT_KEY_PREFIX,
    } as Config['redis'];
  return merged;
}
