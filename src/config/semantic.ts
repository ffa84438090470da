import { builtinRegion } from '../geo/cloud-regions.js';
import { didYouMean } from './did-you-mean.js';
import type { PathSegments } from './problem.js';

/** A problem the schema cannot express, before it is located in the file. */
export interface SemanticProblem {
  path: PathSegments;
  message: string;
  severity: 'error' | 'warning';
  /** Where to point when `path` itself is not in the file (a missing key). */
  anchor?: PathSegments;
}

/** Secrets shorter than this are refused (LiveKit's rule: HS256 wants 256 bits of key). */
export const MIN_SECRET_LENGTH = 32;

type Obj = Record<string, unknown>;

/** A float as a person would write it back (no binary rounding tail such as ...568). */
const shortNumber = (value: number): string => String(Number(value.toPrecision(12)));
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNum = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Checks beyond the schema, on raw (possibly schema-invalid) config data: every check looks only at values
 * of the right type, so one bad value yields one message.
 */
export function checkSemantics(data: Obj): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const error = (path: PathSegments, message: string, anchor?: PathSegments) =>
    problems.push({ path, message, severity: 'error', ...(anchor ? { anchor } : {}) });
  const warning = (path: PathSegments, message: string) =>
    problems.push({ path, message, severity: 'warning' });

  checkKeys(data.keys, error);
  checkRedis(data.redis, error);
  checkWebhook(data.webhook, data.keys, error);

  const selector = isObj(data.node_selector) ? data.node_selector : {};
  const limitRule = 'a node is eligible only below it';
  if (isNum(selector.sysload_limit) && !(selector.sysload_limit > 0 && selector.sysload_limit <= 1)) {
    error(
      ['node_selector', 'sysload_limit'],
      `sysload_limit must be in (0, 1]: ${limitRule} (load average per CPU)`,
    );
  }
  if (isNum(selector.cpu_load_limit) && !(selector.cpu_load_limit > 0 && selector.cpu_load_limit <= 1)) {
    error(
      ['node_selector', 'cpu_load_limit'],
      `cpu_load_limit must be in (0, 1]: ${limitRule} (fraction of CPU in use)`,
    );
  }

  const regionNames = checkRegions(selector.regions, error);

  if (selector.kind === 'regionaware') {
    const region = typeof data.region === 'string' ? data.region : undefined;
    const listsRegions = Array.isArray(selector.regions) && selector.regions.length > 0;
    if (data.region === undefined || region === '') {
      error(
        ['region'],
        "node_selector.kind regionaware needs 'region' (this node's region) to measure distances from; set region or LKC_REGION",
        ['node_selector', 'kind'],
      );
    } else if (region !== undefined && regionNames.length > 0 && !regionNames.includes(region)) {
      const near = didYouMean(region, regionNames, 1);
      const advice = near
        ? `did you mean '${near}'?`
        : `add it with: lk-cluster regions add ${region} --lat LAT --lon LON`;
      error(
        ['region'],
        `region '${region}' is not listed in node_selector.regions (${regionNames.join(', ')}); ${advice}`,
      );
    } else if (region !== undefined && !listsRegions && !builtinRegion(region)) {
      error(
        ['region'],
        `region '${region}' is not in the built-in cloud region table and node_selector.regions is not given; ` +
          `list your regions with: lk-cluster regions add ${region} --lat LAT --lon LON`,
      );
    }
    if (data.redis === undefined) {
      warning(
        ['node_selector', 'kind'],
        'regionaware without redis has nothing to choose from: a single node hosts every room (add redis.address to run a cluster)',
      );
    }
  }

  const rtc = isObj(data.rtc) ? data.rtc : {};
  const start = rtc.udp_port_range_start;
  const end = rtc.udp_port_range_end;
  for (const [key, value] of [
    ['udp_port_range_start', start],
    ['udp_port_range_end', end],
  ] as const) {
    if (isNum(value) && (value < 1 || value > 65535))
      error(['rtc', key], `${key} must be a UDP port, 1 to 65535`);
  }
  if (isNum(start) && isNum(end) && start > end) {
    error(
      ['rtc', 'udp_port_range_end'],
      `udp_port_range_end (${end}) is below udp_port_range_start (${start}); the range is start..end`,
    );
  }

  if (isNum(data.port) && (data.port < 1 || data.port > 65535))
    error(['port'], 'port must be a TCP port, 1 to 65535');

  const stats = isObj(data.node_stats) ? data.node_stats : {};
  const interval = isNum(stats.update_interval) ? stats.update_interval : 0.5;
  const ttl = isNum(stats.lease_ttl) ? stats.lease_ttl : 2.5;
  if (interval > 0 && ttl > 0 && ttl <= interval) {
    error(
      ['node_stats', isNum(stats.lease_ttl) ? 'lease_ttl' : 'update_interval'],
      `lease_ttl (${ttl}s) must be longer than update_interval (${interval}s), or a healthy node's lease expires between reports`,
    );
  }
  return problems;
}

function checkKeys(keys: unknown, error: (path: PathSegments, message: string) => void): void {
  if (!isObj(keys)) return;
  for (const [apiKey, secret] of Object.entries(keys)) {
    // Only the length is judged and nothing of the secret is ever echoed.
    if (typeof secret === 'string' && secret.length < MIN_SECRET_LENGTH) {
      error(
        ['keys', apiKey],
        `the secret of API key '${apiKey}' is shorter than ${MIN_SECRET_LENGTH} characters; use a longer one (e.g. openssl rand -base64 33)`,
      );
    }
  }
}

function checkWebhook(
  webhook: unknown,
  keys: unknown,
  error: (path: PathSegments, message: string) => void,
): void {
  if (!isObj(webhook)) return;
  const apiKey = webhook.api_key;
  if (typeof apiKey === 'string' && apiKey !== '') {
    const known = isObj(keys) ? Object.keys(keys) : [];
    if (!known.includes(apiKey)) {
      const near = didYouMean(apiKey, known, 2);
      const advice = near
        ? `did you mean '${near}'?`
        : known.length > 0
          ? `known keys: ${known.join(', ')}`
          : 'add it to keys';
      error(
        ['webhook', 'api_key'],
        `webhook.api_key '${apiKey}' is not one of keys: webhooks are signed with its secret; ${advice}`,
      );
    }
  }
  const urls = webhook.urls;
  if (!Array.isArray(urls)) return;
  if (urls.length === 0) {
    error(
      ['webhook', 'urls'],
      'webhook.urls is empty: list at least one URL, or remove webhook to send none',
    );
  }
  urls.forEach((url, index) => {
    if (typeof url === 'string' && url !== '' && !isHttpUrl(url)) {
      error(
        ['webhook', 'urls', index],
        'each of webhook.urls must be an http:// or https:// URL (e.g. https://backend.example.com/livekit/webhook)',
      );
    }
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/** True when `text` is HOST:PORT with a port in 1..65535 (IPv6 hosts in brackets). */
export function isHostPort(text: string): boolean {
  const match = HOST_PORT.exec(text);
  if (!match) return false;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535;
}

function checkRedis(redis: unknown, error: (path: PathSegments, message: string) => void): void {
  if (!isObj(redis)) return;
  const example = 'e.g. 127.0.0.1:6379';
  if (typeof redis.address === 'string' && redis.address !== '' && !isHostPort(redis.address)) {
    error(['redis', 'address'], `redis.address must be HOST:PORT (${example})`);
  }
  for (const key of ['sentinel_addresses', 'cluster_addresses'] as const) {
    const list = redis[key];
    if (!Array.isArray(list)) continue;
    list.forEach((item, index) => {
      if (typeof item === 'string' && item !== '' && !isHostPort(item)) {
        error(['redis', key, index], `each of ${key} must be HOST:PORT (${example})`);
      }
    });
  }
  const hasSentinels = Array.isArray(redis.sentinel_addresses) && redis.sentinel_addresses.length > 0;
  const hasMaster = typeof redis.sentinel_master_name === 'string' && redis.sentinel_master_name !== '';
  if (hasSentinels && !hasMaster) {
    error(
      ['redis', 'sentinel_addresses'],
      'sentinel_addresses needs sentinel_master_name: the name of the master the Sentinels watch',
    );
  }
  if (hasMaster && !hasSentinels) {
    error(
      ['redis', 'sentinel_master_name'],
      'sentinel_master_name needs sentinel_addresses: HOST:PORT of each Sentinel',
    );
  }
  const hasCluster = Array.isArray(redis.cluster_addresses) && redis.cluster_addresses.length > 0;
  const hasAddress = typeof redis.address === 'string' && redis.address !== '';
  if (!hasAddress && !hasSentinels && !hasMaster && !hasCluster && redis.address === undefined) {
    error(
      ['redis'],
      'redis needs address (standalone), sentinel_master_name with sentinel_addresses, or cluster_addresses; remove redis for single-node mode',
    );
  }
  if (hasCluster && typeof redis.key_prefix === 'string' && !/\{[^}]+\}/.test(redis.key_prefix)) {
    error(
      ['redis', 'key_prefix'],
      "key_prefix needs a {hash tag} (e.g. '{lkc}:') on Redis Cluster, or multi-key scripts fail with CROSSSLOT",
    );
  }
}

function checkRegions(regions: unknown, error: (path: PathSegments, message: string) => void): string[] {
  if (!Array.isArray(regions)) return [];
  const names: string[] = [];
  const firstIndex = new Map<string, number>();
  regions.forEach((region, index) => {
    if (!isObj(region)) return;
    const at: PathSegments = ['node_selector', 'regions', index];
    if (isNum(region.lat) && (region.lat < -90 || region.lat > 90)) {
      error(
        [...at, 'lat'],
        `latitude must be between -90 and 90 degrees (got ${shortNumber(region.lat)}); north is positive`,
      );
    }
    if (isNum(region.lon) && (region.lon < -180 || region.lon > 180)) {
      error(
        [...at, 'lon'],
        `longitude must be between -180 and 180 degrees (got ${shortNumber(region.lon)}); east is positive`,
      );
    }
    if (typeof region.name === 'string' && region.name !== '') {
      const first = firstIndex.get(region.name);
      if (first !== undefined) {
        error(
          [...at, 'name'],
          `region '${region.name}' is listed twice (first as regions[${first}]); region names must be unique`,
        );
      } else {
        firstIndex.set(region.name, index);
        names.push(region.name);
      }
    }
  });
  return names;
}
