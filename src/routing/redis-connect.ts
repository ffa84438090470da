import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/types.js';
import { LkcError } from '../errors.js';
import { assertClusterSafePrefix } from './keys.js';
import { describeRedis, type RedisMode, redisMode } from './redis-address.js';

export { describeRedis, type RedisMode, redisMode };

/** A connection to a standalone, Sentinel-managed or clustered Redis. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /** Give up on the first connection after this long (an unreachable or silent Redis never hangs a command). */
  connectTimeoutMs?: number;
  /** Fail a command that gets no answer within this long; unset: commands wait for reconnection. */
  commandTimeoutMs?: number;
  /** Reconnection attempts a queued command survives before it fails. */
  maxRetriesPerRequest?: number;
  /** Connection errors after the first connect (messages from ioredis; they never carry a password). */
  onError?: (message: string) => void;
  /** Longest wait between reconnection attempts (default 2 s); a node keeps it under its update interval. */
  maxReconnectDelayMs?: number;
  /** One attempt and no reconnection, so that a refused connection fails at once (a check, not a client). */
  once?: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Reconnection delay: doubles from 100 ms, capped at `capMs` (2 s), forever (a node outlives Redis restarts). */
export function reconnectDelay(attempt: number, capMs = 2_000): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), capMs);
}

/** Splits "host:port" (or "[v6]:port", or "host" for port 6379). */
export function parseAddress(address: string): { host: string; port: number } {
  const trimmed = address.trim().replace(/^rediss?:\/\//, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 6379 };
  const colon = trimmed.lastIndexOf(':');
  if (colon < 0) return { host: trimmed, port: 6379 };
  const port = Number(trimmed.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new LkcError(
      'CONFIG_INVALID',
      `redis address "${address}" has no valid port: write it as host:port`,
    );
  }
  return { host: trimmed.slice(0, colon), port };
}

function tlsOptions(config: RedisConfig): ConnectionOptions | undefined {
  if (!config.use_tls && !config.tls?.enabled) return undefined;
  const tls = config.tls ?? {};
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new LkcError(
        'CONFIG_INVALID',
        `redis.tls.${what} ${file} cannot be read: ${(err as Error).message}`,
      );
    }
  };
  return {
    ca: read(tls.ca_file, 'ca_file'),
    cert: read(tls.cert_file, 'cert_file'),
    key: read(tls.key_file, 'key_file'),
    rejectUnauthorized: !tls.insecure_skip_verify,
  };
}

/** Builds an ioredis client for the config without connecting yet. */
export function createRedisClient(config: RedisConfig, options: RedisConnectOptions = {}): RedisClient {
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const capMs = options.maxReconnectDelayMs;
  const retry = (attempt: number) => (options.once ? null : reconnectDelay(attempt, capMs));
  const common: RedisOptions = {
    username: config.username || undefined,
    password: config.password || undefined,
    tls: tlsOptions(config),
    lazyConnect: true,
    connectTimeout,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
  };
  const mode = redisMode(config);
  if (mode === 'cluster') {
    assertClusterSafePrefix(config.key_prefix);
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      redisOptions: { ...common, lazyConnect: undefined },
      clusterRetryStrategy: retry,
      slotsRefreshTimeout: connectTimeout,
      enableOfflineQueue: true,
    };
    return new Cluster(config.cluster_addresses!.map(parseAddress), clusterOptions);
  }
  if (mode === 'sentinel') {
    return new Redis({
      ...common,
      retryStrategy: retry,
      db: config.db ?? 0,
      name: config.sentinel_master_name,
      sentinels: config.sentinel_addresses!.map(parseAddress),
      sentinelUsername: config.sentinel_username || undefined,
      sentinelPassword: config.sentinel_password || undefined,
      sentinelRetryStrategy: retry,
      enableTLSForSentinelMode: Boolean(common.tls),
    });
  }
  return new Redis({
    ...common,
    retryStrategy: retry,
    ...parseAddress(config.address ?? '127.0.0.1:6379'),
    db: config.db ?? 0,
  });
}

/**
 * ioredis' ways of saying that Redis is gone: a closed socket, a queue given up on, a timeout, a cluster down, or
 * a cluster still settling after a failover (MOVED answers bouncing until the slot map is refreshed).
 */
const CONNECTION_FAILURE =
  /max retries|MaxRetriesPerRequest|Connection is closed|Command timed out|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|CLUSTERDOWN|None of startup nodes|Failed to refresh slots|Too many Cluster redirections/i;

/**
 * The LkcError a lost connection reads as, or undefined for any other error. ioredis' own words ("Reached the
 * max retries per request limit ... Refer to maxRetriesPerRequest") name its options, not what happened, and
 * would reach a user verbatim through /rtc, Twirp and the CLI; this says it once for all three.
 */
export function redisConnectionError(err: unknown, where: string): LkcError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name !== 'MaxRetriesPerRequestError' && !CONNECTION_FAILURE.test(err.message)) return undefined;
  const why = /Command timed out|ETIMEDOUT/i.test(err.message)
    ? 'it did not answer in time'
    : 'the cluster store is down or unreachable';
  return new LkcError('REDIS_UNAVAILABLE', `cannot reach ${where}: ${why}; try again`, { cause: err });
}

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username|AUTH failed|NOPERM/i;
/** How ioredis wraps what the sentinels answered: the retry it announces is not ours to promise. */
const SENTINELS_FAILED = /^All sentinels are unreachable\. Retrying from scratch after \d+ms\. Last error: /;

/** Node's own words for a server certificate it does not trust. */
const UNTRUSTED_SERVER = /certificate|self.signed|unable to verify|altname|Hostname\/IP does not match/i;
/** A TLS server that wants a client certificate ends the handshake (TLS 1.3: right after it) with a reset. */
const RESET = /ECONNRESET|socket hang up|certificate required|before secure TLS connection/i;
/** ioredis's failure of a queued command: it says nothing about why the connection failed. */
const RETRIES_EXHAUSTED = /^Reached the max retries per request limit/;

/**
 * A connection error that no retry can cure, in a few words and with the settings to check: an auth failure
 * (the sentinels' own or the data server's), a server certificate not trusted, or a TLS server that resets a
 * client without a certificate. Undefined: a failure worth retrying until the connect timeout.
 */
function fatalFailure(message: string, config?: RedisConfig): string | undefined {
  if (AUTH_FAILURE.test(message)) {
    if (SENTINELS_FAILED.test(message)) {
      return `the sentinels refused: ${message.replace(SENTINELS_FAILED, '')} (check redis.sentinel_username and sentinel_password)`;
    }
    return `${message} (check the redis username and password)`;
  }
  if (!config || !tlsOptions(config)) return undefined;
  // OpenSSL's own line ("8C...:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate
  // required:../deps/...c:1601:SSL alert number 116\n"): its reason alone.
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;
  if (RESET.test(reason) && !config.tls?.cert_file) {
    return `${reason} (the TLS server closed the connection: if it asks for client certificates, set redis.tls.cert_file and key_file)`;
  }
  if (UNTRUSTED_SERVER.test(reason)) return `${reason} (check redis.tls.ca_file)`;
  return undefined;
}

/**
 * Connects to the Redis the config describes and waits until it answers, at most `connectTimeoutMs`: a Redis
 * that is down, unreachable or silent fails with one line naming where it was looked for.
 */
export async function connectRedis(
  config: RedisConfig,
  options: RedisConnectOptions = {},
): Promise<RedisClient> {
  const client = createRedisClient(config, options);
  await waitUntilReady(client, describeRedis(config), options, config);
  return client;
}

/**
 * Checks that the Redis the config describes answers, before anything relies on it: a refused connection fails
 * at once, a silent one after `timeoutMs`, with the same one line as connectRedis.
 */
export async function checkRedis(config: RedisConfig, timeoutMs = 3_000): Promise<void> {
  const client = await connectRedis(config, { connectTimeoutMs: timeoutMs, once: true });
  client.disconnect();
}

/**
 * Connects a lazily created client (e.g. a `duplicate()` for pub/sub) and waits until it answers; with the
 * `config` it was made from, a TLS failure no retry can cure fails at once.
 */
export async function waitUntilReady(
  client: RedisClient,
  where: string,
  options: RedisConnectOptions = {},
  config?: RedisConfig,
): Promise<void> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let lastError = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      // The discarded client may still report the failure of a queued command: nobody listens any more.
      client.on('error', () => {});
      client.disconnect();
      reject(new LkcError('REDIS_UNAVAILABLE', `cannot reach ${where}: ${why}`, { exitCode: 1 }));
    };
    const onError = (err: Error) => {
      if (RETRIES_EXHAUSTED.test(err.message) && lastError) return;
      lastError = err.message;
      const fatal = fatalFailure(err.message, config);
      if (fatal) fail(fatal);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => fail(lastError || 'connection closed');
    const timer = setTimeout(
      () =>
        fail(
          `${lastError || 'no answer'} (gave up after ${timeoutMs / 1000} s; is it running and reachable?)`,
        ),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      client.off('error', onError);
      client.off('ready', onReady);
      client.off('end', onEnd);
    };
    client.on('error', onError);
    client.once('ready', onReady);
    client.once('end', onEnd);
    client.connect().catch((err: Error) => {
      lastError = err.message;
    });
  });
  // After the first connect ioredis reconnects on its own; errors only need reporting, never crash the process.
  client.on('error', (err: Error) => options.onError?.(err.message));
}
