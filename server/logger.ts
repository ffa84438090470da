import { type Logger, pino } from 'pino';
import type { LoggingConfig } from '../src/config/types.js';

export type { Logger };

// Whatever a caller passes in, these never reach a log line.
const REDACT_PATHS = [
  'password',
  '*.password',
  'redis.password',
  'redis.sentinel_password',
  '*.redis.password',
  'secret',
  '*.secret',
  'apiSecret',
  '*.apiSecret',
  'api_secret',
  '*.api_secret',
  'keys',
  '*.keys',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
];

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'nodeId']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value && 'stack' in value) {
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}

/** One readable line per record: `12:00:00.123 INFO  message key=value ...` (the supervisor prefixes the node). */
function humanLine(record: Record<string, unknown>): string {
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now())
    .toISOString()
    .slice(11, 23);
  const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${time} ${level} ${String(record.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

/** The node's logger: JSON lines when `logging.json`, readable lines otherwise; secrets are redacted either way. */
export function createLogger(logging: LoggingConfig, bindings: Record<string, unknown> = {}): Logger {
  const options = {
    level: logging.level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (logging.json) return pino(options, pino.destination({ fd: 1, sync: true }));
  const destination = {
    write(line: string): void {
      try {
        process.stdout.write(humanLine(JSON.parse(line) as Record<string, unknown>));
      } catch {
        process.stdout.write(line);
      }
    },
  };
  return pino(options, destination);
}
