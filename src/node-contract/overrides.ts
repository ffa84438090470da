import type { Config, NodeSelectorConfig, RoomSpan, RtcConfig } from '../config/types.js';
import { LkcError } from '../errors.js';

/**
 * The environment variable through which the supervisor hands a node what the config's LKC_* variables cannot
 * express: its UDP port slice and, for the embedded default, the selector and key prefix.
 */
export const NODE_OVERRIDES_ENV = 'LKC_NODE_OVERRIDES';
/** The node's index in a supervised cluster (1-based), for its log prefix until its id is known. */
export const NODE_INDEX_ENV = 'LKC_NODE_INDEX';

/** Config keys a supervisor sets per node, laid over the loaded config. */
export interface NodeOverrides {
  rtc?: Partial<Pick<RtcConfig, 'udp_port_range_start' | 'udp_port_range_end' | 'num_workers'>>;
  node_selector?: Partial<NodeSelectorConfig>;
  redis_key_prefix?: string;
  /** room.span of every node (`start --span`). */
  room_span?: RoomSpan;
}

/** Lays the overrides in `json` (the value of LKC_NODE_OVERRIDES) over `config`. */
export function applyNodeOverrides(config: Config, json: string | undefined): Config {
  if (!json) return config;
  let overrides: NodeOverrides;
  try {
    overrides = JSON.parse(json) as NodeOverrides;
  } catch {
    throw new LkcError('BAD_INPUT', `${NODE_OVERRIDES_ENV}: is not JSON (it is set by lk-cluster start)`);
  }
  const next: Config = {
    ...config,
    rtc: { ...config.rtc, ...(overrides.rtc ?? {}) },
    node_selector: { ...config.node_selector, ...(overrides.node_selector ?? {}) },
  };
  if (overrides.room_span) next.room = { ...next.room, span: overrides.room_span };
  if (overrides.redis_key_prefix && next.redis)
    next.redis = { ...next.redis, key_prefix: overrides.redis_key_prefix };
  return next;
}
