import inquirer from 'inquirer';
import { builtinRegion, CLOUD_REGIONS } from '../geo/cloud-regions.js';
import {
  checkAnswers,
  checkRegionInTable,
  defaultSelector,
  generateApiKey,
  generateSecret,
  type InitAnswers,
  parseRegionList,
  SEED_REGIONS,
} from './init.js';
import { isHostPort } from './semantic.js';
import type { RegionConfig } from './types.js';

/** The answers given as flags; `redis: null` means --single-node. */
export type GivenAnswers = Partial<Omit<InitAnswers, 'redis'>> & { redis?: string | null };

const DEFAULT_REGION = SEED_REGIONS[0]!;
const DEFAULT_REDIS = '127.0.0.1:6379';

function regionsWith(names: readonly string[], region: string): RegionConfig[] {
  const wanted = [...names];
  if (builtinRegion(region) && !wanted.includes(region)) wanted.unshift(region);
  return wanted.map((name) => builtinRegion(name)!).map(({ name, lat, lon }) => ({ name, lat, lon }));
}

/** Fills what the flags left out with defaults, asking nothing (`config init --yes`). */
export function answersWithDefaults(given: GivenAnswers): InitAnswers {
  checkAnswers({ ...given, redis: given.redis ?? undefined });
  const region = given.region ?? DEFAULT_REGION;
  const regions = given.regions ?? regionsWith(SEED_REGIONS, region);
  const redis = given.redis ?? undefined;
  checkRegionInTable({ redis, region, regions, selector: given.selector });
  return {
    port: given.port ?? 7880,
    region,
    regions,
    ...(redis ? { redis } : {}),
    selector: given.selector ?? defaultSelector({ redis, region, regions }),
    apiKey: given.apiKey ?? generateApiKey(),
    secret: given.secret ?? generateSecret(),
  };
}

/** Asks, on the terminal, for everything the flags left out. */
export async function askForAnswers(given: GivenAnswers): Promise<InitAnswers> {
  checkAnswers({ ...given, redis: given.redis ?? undefined });
  const port =
    given.port ??
    (
      await inquirer.prompt<{ port: string }>([
        {
          type: 'input',
          name: 'port',
          message: 'HTTP port of the node (room API, /rtc, health):',
          default: '7880',
          validate: (text: string) =>
            (/^\d+$/.test(text) && +text >= 1 && +text <= 65535) || 'a port from 1 to 65535',
        },
      ])
    ).port;

  const region =
    given.region ??
    (
      await inquirer.prompt<{ region: string }>([
        {
          type: 'input',
          name: 'region',
          message: "This node's region (a cloud region name such as us-west-2, or your own):",
          default: DEFAULT_REGION,
          validate: (text: string) => /^[A-Za-z0-9_.-]+$/.test(text) || 'letters, digits, _ . or -',
        },
      ])
    ).region;

  let regions = given.regions;
  if (!regions) {
    const preselected = new Set([...SEED_REGIONS, region]);
    const { picked } = await inquirer.prompt<{ picked: string[] }>([
      {
        type: 'checkbox',
        name: 'picked',
        message: 'Regions of the cluster (space toggles, enter confirms):',
        pageSize: 15,
        choices: CLOUD_REGIONS.map((r) => ({
          name: `${r.name.padEnd(24)} ${r.provider.padEnd(7)} ${r.location}`,
          value: r.name,
          checked: preselected.has(r.name),
        })),
      },
    ]);
    const { extra } = await inquirer.prompt<{ extra: string }>([
      {
        type: 'input',
        name: 'extra',
        message: 'More regions as NAME:LAT:LON, comma-separated (empty for none):',
        default: builtinRegion(region) ? '' : `${region}:LAT:LON`,
        validate: (text: string) => {
          try {
            parseRegionList(text, 'regions');
            return true;
          } catch (err) {
            return (err as Error).message;
          }
        },
      },
    ]);
    regions = [...picked.map((name) => builtinRegion(name)!), ...parseRegionList(extra, 'regions')].map(
      ({ name, lat, lon }) => ({ name, lat, lon }),
    );
  }

  let redis = given.redis;
  if (redis === undefined) {
    const { cluster } = await inquirer.prompt<{ cluster: boolean }>([
      {
        type: 'confirm',
        name: 'cluster',
        message: 'Run a cluster through Redis? (no: a single node)',
        default: true,
      },
    ]);
    redis = cluster
      ? (
          await inquirer.prompt<{ address: string }>([
            {
              type: 'input',
              name: 'address',
              message: 'Redis address (HOST:PORT):',
              default: DEFAULT_REDIS,
              validate: (text: string) => isHostPort(text) || 'HOST:PORT, e.g. 127.0.0.1:6379',
            },
          ])
        ).address
      : null;
  }

  const apiKey =
    given.apiKey ??
    (
      await inquirer.prompt<{ apiKey: string }>([
        { type: 'input', name: 'apiKey', message: 'API key name:', default: generateApiKey() },
      ])
    ).apiKey;

  const answers = {
    port: Number(port),
    region,
    regions,
    ...(redis ? { redis } : {}),
    apiKey,
    secret: given.secret ?? generateSecret(),
  };
  checkAnswers(answers);
  checkRegionInTable({ ...answers, selector: given.selector });
  return { ...answers, selector: given.selector ?? defaultSelector(answers) };
}
