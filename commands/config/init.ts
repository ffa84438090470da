import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { integerFlag } from '../../cli/integer-flag.js';
import { parseRegionList, refuseExisting, writeInitialConfig } from '../../src/config/init.js';
import { answersWithDefaults, askForAnswers, type GivenAnswers } from '../../src/config/init-wizard.js';
import { DEFAULT_CONFIG_FILE } from '../../src/config/load.js';
import type { SelectorKind } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';

export default class ConfigInit extends BaseCommand<typeof ConfigInit> {
  static override description =
    'Write a new config: port, region, the region table, Redis or a single node, and a new API key and secret';

  static override examples = [
    { command: '<%= config.bin %> config init', description: 'answer a few questions' },
    {
      command:
        '<%= config.bin %> config init --yes --region us-east --regions us-west-2,us-east --redis 10.0.0.5:6379',
      description: 'unattended, for a node of a two-region cluster',
    },
    {
      command: '<%= config.bin %> config init --yes --single-node -c dev.yaml',
      description: 'a single node, defaults',
    },
  ];

  static override args = {
    file: Args.string({
      description: 'file to write (default: --config, $LKC_CONFIG, else ./lk-cluster.yaml)',
    }),
  };

  static override flags = {
    port: integerFlag('--port', { description: 'HTTP port of the node (default 7880)', min: 1, max: 65535 }),
    region: Flags.string({ description: "this node's region (default us-west-2)" }),
    regions: Flags.string({
      description:
        'regions of the cluster, comma-separated: built-in names or NAME:LAT:LON (default us-west-2,us-east)',
    }),
    redis: Flags.string({ description: 'Redis address HOST:PORT (a cluster)' }),
    'single-node': Flags.boolean({ description: 'no Redis: one node routes everything in memory' }),
    selector: Flags.string({
      description: 'node_selector.kind (default: regionaware with Redis and regions, else any)',
      options: ['any', 'cpuload', 'sysload', 'regionaware'],
    }),
    key: Flags.string({ description: 'API key name (default: generated, API + 12 characters)' }),
    secret: Flags.string({ description: 'API secret, at least 32 characters (default: generated)' }),
    yes: Flags.boolean({ char: 'y', description: 'ask nothing: defaults for everything not given' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite an existing file' }),
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const file = this.args.file ?? flags.config ?? process.env.LKC_CONFIG ?? DEFAULT_CONFIG_FILE;
    if (flags.redis !== undefined && flags['single-node']) {
      throw new LkcError('BAD_INPUT', '--redis and --single-node contradict each other; pass one');
    }
    refuseExisting(file, flags.force);
    const given: GivenAnswers = {
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.region !== undefined ? { region: flags.region } : {}),
      ...(flags.regions !== undefined ? { regions: parseRegionList(flags.regions) } : {}),
      ...(flags.redis !== undefined ? { redis: flags.redis } : flags['single-node'] ? { redis: null } : {}),
      ...(flags.selector !== undefined ? { selector: flags.selector as SelectorKind } : {}),
      ...(flags.key !== undefined ? { apiKey: flags.key } : {}),
      ...(flags.secret !== undefined ? { secret: flags.secret } : {}),
    };
    if (!flags.yes && !process.stdin.isTTY) {
      throw new LkcError(
        'BAD_INPUT',
        'config init asks questions on a terminal; pass --yes (with flags such as --region) to run unattended',
      );
    }
    const answers = flags.yes ? answersWithDefaults(given) : await askForAnswers(given);
    await writeInitialConfig(file, answers, flags.force);
    this.log(`wrote ${file} (mode 0600)`);
    this.log(`API key: ${answers.apiKey} (its secret is in the file, under keys)`);
    this.log(`check it with: lk-cluster config validate ${file}`);
    return {
      file,
      api_key: answers.apiKey,
      port: answers.port,
      region: answers.region,
      regions: answers.regions.map((r) => r.name),
      redis: answers.redis ?? null,
      selector: answers.selector,
    };
  }
}
