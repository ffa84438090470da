import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import { LkcError } from '../errors.js';
import { builtinRegion } from '../geo/cloud-regions.js';
import { formatProblem } from './problem.js';
import { schemaPath } from './schema.js';
import { isHostPort, MIN_SECRET_LENGTH } from './semantic.js';
import type { RegionConfig, SelectorKind } from './types.js';
import { validateConfigText } from './validate.js';

/** What `config init` asks for; every field has a flag. */
export interface InitAnswers {
  port: number;
  region: string;
  regions: RegionConfig[];
  /** HOST:PORT of Redis; undefined for single-node mode. */
  redis?: string;
  selector: SelectorKind;
  apiKey: string;
  secret: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random letters and digits from the OS's CSPRNG (rejection sampling keeps them uniform). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

/** A new API key in LiveKit's style: `API` and 12 random letters and digits. */
export function generateApiKey(): string {
  return `API${randomAlphanumeric(12)}`;
}

/** A new secret: 43 random letters and digits (over 256 bits). */
export function generateSecret(): string {
  return randomAlphanumeric(43);
}

/** The two regions of LiveKit's multi-region example, the default region table of a new config. */
export const SEED_REGIONS = ['us-west-2', 'us-east'];

/**
 * Parses `--regions`: comma-separated entries, each a built-in region name or `NAME:LAT:LON`.
 * Throws BAD_INPUT naming the flag and the entry.
 */
export function parseRegionList(text: string, flag = '--regions'): RegionConfig[] {
  const regions: RegionConfig[] = [];
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (!entry) continue;
    const parts = entry.split(':');
    let region: RegionConfig | undefined;
    if (parts.length === 3) {
      region = {
        name: parts[0]!.trim(),
        lat: parseDegrees(parts[1]!, 90),
        lon: parseDegrees(parts[2]!, 180),
      } as RegionConfig;
      if (!region.name || Number.isNaN(region.lat) || Number.isNaN(region.lon)) region = undefined;
    } else if (parts.length === 1) {
      const known = builtinRegion(entry);
      region = known ? { name: known.name, lat: known.lat, lon: known.lon } : undefined;
      if (!known) {
        throw new LkcError(
          'BAD_INPUT',
          `${flag}: '${entry}' is not a built-in region (see: lk-cluster regions list --builtin); give its coordinates as ${entry}:LAT:LON`,
        );
      }
    }
    if (!region) {
      throw new LkcError(
        'BAD_INPUT',
        `${flag}: '${entry}' must be NAME or NAME:LAT:LON (latitude -90..90, longitude -180..180)`,
      );
    }
    if (regions.some((r) => r.name === region.name))
      throw new LkcError('BAD_INPUT', `${flag}: '${region.name}' is given twice`);
    regions.push(region);
  }
  return regions;
}

/** A number of degrees within ±limit, else NaN. */
export function parseDegrees(text: string, limit: number): number {
  const trimmed = text.trim();
  if (!/^[-+]?\d+(\.\d+)?$/.test(trimmed)) return Number.NaN;
  const value = Number(trimmed);
  return Math.abs(value) <= limit ? value : Number.NaN;
}

/** Checks answers given as flags before anything is asked or written; errors name the flag. */
export function checkAnswers(answers: Partial<InitAnswers>): void {
  if (answers.secret !== undefined && answers.secret.length < MIN_SECRET_LENGTH) {
    throw new LkcError(
      'BAD_INPUT',
      `--secret must be at least ${MIN_SECRET_LENGTH} characters (or leave it out to generate one)`,
    );
  }
  if (answers.apiKey !== undefined && !/^[A-Za-z0-9_.-]+$/.test(answers.apiKey)) {
    throw new LkcError(
      'BAD_INPUT',
      '--key must be letters, digits, _ . or - (or leave it out to generate one)',
    );
  }
  if (answers.redis !== undefined && !isHostPort(answers.redis)) {
    throw new LkcError(
      'BAD_INPUT',
      `--redis must be HOST:PORT (e.g. 127.0.0.1:6379), got '${answers.redis}'`,
    );
  }
  if (answers.region !== undefined && !/^[A-Za-z0-9_.-]+$/.test(answers.region)) {
    throw new LkcError('BAD_INPUT', '--region must be a region name: letters, digits, _ . or -');
  }
}

/**
 * With Redis, a new config places rooms by region unless told otherwise; a node region missing from the region
 * table would silently turn that into `any` (issue 17, item 13), so it is refused, saying how to add it.
 */
export function checkRegionInTable(
  answers: Pick<InitAnswers, 'redis' | 'region' | 'regions'> & { selector?: SelectorKind },
): void {
  if (!answers.redis || (answers.selector !== undefined && answers.selector !== 'regionaware')) return;
  if (answers.regions.some((r) => r.name === answers.region)) return;
  const table = [...answers.regions.map((r) => r.name), `${answers.region}:LAT:LON`].join(',');
  throw new LkcError(
    'BAD_INPUT',
    `--region: '${answers.region}' is not a built-in region nor in --regions, so rooms cannot be placed by region (regionaware, the default with --redis): give its coordinates, e.g. --regions ${table}, or pass --selector any`,
  );
}

/** The selector a new config gets: regionaware when there is a cluster and a region table with this node's region in it. */
export function defaultSelector(answers: Pick<InitAnswers, 'redis' | 'region' | 'regions'>): SelectorKind {
  return answers.redis && answers.regions.some((r) => r.name === answers.region) ? 'regionaware' : 'any';
}

/** The `$schema` reference for a config at `file`: relative when the file lives in this project, else absolute. */
export function schemaReference(file: string): string {
  const schema = schemaPath();
  const projectRoot = dirname(dirname(schema));
  const fileDir = dirname(resolve(file));
  const inside = fileDir === projectRoot || fileDir.startsWith(projectRoot + sep);
  const path = inside ? relative(fileDir, schema) : schema;
  return (isAbsolute(path) ? path : path.startsWith('.') ? path : `./${path}`).split(sep).join('/');
}

const scalar = (value: string | number | boolean): string => stringify(value).trimEnd();

/** The text of a new config: commented, with the schema reference on top so editors validate it as it is typed. */
export function renderInitialConfig(answers: InitAnswers, file: string): string {
  const lines = [
    `# yaml-language-server: $schema=${schemaReference(file)}`,
    '# lk-cluster config, written by `lk-cluster config init`. Check it with: lk-cluster config validate',
    "# Keys follow LiveKit's config; the schema above documents every key and its default.",
    '',
    '# HTTP port of the node: room API, /rtc WebSocket, health and metrics.',
    `port: ${answers.port}`,
    '',
    "# This node's region. LKC_REGION overrides it, so one file can serve the nodes of every region.",
    `region: ${scalar(answers.region)}`,
    '',
    '# API key -> secret. The secret signs access tokens: keep this file private.',
    'keys:',
    `  ${scalar(answers.apiKey)}: ${scalar(answers.secret)}`,
  ];
  lines.push('');
  if (answers.redis) {
    lines.push(
      "# Redis: the cluster's shared store and message bus (remove it for single-node mode).",
      'redis:',
      `  address: ${scalar(answers.redis)}`,
    );
  } else {
    lines.push('# No redis: single-node mode, rooms routed in memory. Add redis.address to run a cluster.');
  }
  lines.push(
    '',
    '# How a node is chosen for a new room.',
    'node_selector:',
    '  # any, cpuload, sysload, or regionaware (nodes under sysload_limit in the nearest region).',
    `  kind: ${answers.selector}`,
    '  # A node takes new rooms only while its load average per CPU is below this.',
    '  sysload_limit: 0.9',
  );
  if (answers.regions.length > 0) {
    lines.push('  # Regions and their coordinates; edit with: lk-cluster regions add / remove', '  regions:');
    for (const region of answers.regions) {
      lines.push(
        `    - name: ${scalar(region.name)}`,
        `      lat: ${region.lat}`,
        `      lon: ${region.lon}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a new config file (mode 0600: it holds a secret) after checking that it validates; refuses to
 * replace an existing file unless `force` (CONFIG_EXISTS).
 */
export async function writeInitialConfig(
  file: string,
  answers: InitAnswers,
  force: boolean,
): Promise<string> {
  refuseExisting(file, force);
  const text = renderInitialConfig(answers, file);
  const result = validateConfigText(text, file);
  if (!result.config) {
    throw new LkcError(
      'BAD_INPUT',
      `the answers do not make a valid config:\n${result.errors.map(formatProblem).join('\n')}`,
    );
  }
  try {
    // 'wx' closes the gap between the existence check and the write.
    await writeFile(file, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting(file, false);
    throw new LkcError(
      'BAD_INPUT',
      `${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      {
        cause: err,
      },
    );
  }
  await chmod(file, 0o600);
  return text;
}

/** Throws CONFIG_EXISTS when `file` exists and `force` is not set. */
export function refuseExisting(file: string, force: boolean): void {
  if (!force && existsSync(file)) {
    throw new LkcError('CONFIG_EXISTS', `${file} already exists; pass --force to overwrite it`);
  }
}
