/** The node selector kinds, as LiveKit names them. */
export type SelectorKind = 'any' | 'cpuload' | 'sysload' | 'regionaware';
/** What the selector sorts eligible nodes by. */
export type SortBy = 'random' | 'sysload' | 'cpuload' | 'rooms' | 'clients' | 'tracks' | 'bytespersec';
/** How the selector picks among sorted nodes: the lowest, or the better of two random choices. */
export type SelectionAlgorithm = 'lowest' | 'twochoice';

export interface RegionConfig {
  name: string;
  lat: number;
  lon: number;
}

export interface RedisConfig {
  address?: string;
  username?: string;
  password?: string;
  db?: number;
  use_tls?: boolean;
  tls?: {
    enabled?: boolean;
    ca_file?: string;
    cert_file?: string;
    key_file?: string;
    insecure_skip_verify?: boolean;
  };
  sentinel_master_name?: string;
  sentinel_addresses?: string[];
  sentinel_username?: string;
  sentinel_password?: string;
  cluster_addresses?: string[];
  /** Prefix of every key, a Redis Cluster hash tag so that multi-key scripts never cross slots. */
  key_prefix: string;
}

export interface NodeSelectorConfig {
  kind: SelectorKind;
  sort_by: SortBy;
  algorithm: SelectionAlgorithm;
  sysload_limit: number;
  cpu_load_limit: number;
  regions: RegionConfig[];
}

export interface LimitConfig {
  /** 0 = no limit. */
  num_tracks: number;
  /** 0 = no limit. */
  bytes_per_sec: number;
  /** 0 = no limit. */
  max_rooms: number;
  /** Participants over all the node's rooms; 0 = no limit. */
  max_participants_per_node: number;
  /** Participants one mediasoup router of a room takes before the room grows a router on another worker. */
  participants_per_router: number;
}

/** Whether a room may span nodes: never, across regions, or across regions and loaded nodes. */
export type RoomSpan = 'off' | 'region' | 'load';

export interface RoomConfig {
  /** Seconds an empty room lives before it is closed. */
  empty_timeout: number;
  /** 0 = no limit. */
  max_participants: number;
  auto_create: boolean;
  span: RoomSpan;
}

export interface RtcConfig {
  udp_port_range_start: number;
  udp_port_range_end: number;
  /** The address announced in ICE candidates. */
  node_ip: string;
  /** 0 = one worker per core. */
  num_workers: number;
}

export interface NodeStatsConfig {
  /** Seconds between stats reports (each one renews the lease). */
  update_interval: number;
  /** Seconds a lease lives without renewal. */
  lease_ttl: number;
}

export interface LoggingConfig {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  json: boolean;
}

/** Where the node POSTs LiveKit's webhooks, and which API key signs them. */
export interface WebhookConfig {
  /** One of `keys`: its secret signs each request's JWT. */
  api_key: string;
  /** http(s) URLs; each gets every event. */
  urls: string[];
}

/** A loaded, validated config with every default filled in. */
export interface Config {
  port: number;
  bind_addresses: string[];
  region: string;
  keys: Record<string, string>;
  /** Absent: single-node mode (in-memory routing). */
  redis?: RedisConfig;
  node_selector: NodeSelectorConfig;
  limit: LimitConfig;
  room: RoomConfig;
  rtc: RtcConfig;
  node_stats: NodeStatsConfig;
  logging: LoggingConfig;
  /** Absent: no webhooks are sent. */
  webhook?: WebhookConfig;
}
