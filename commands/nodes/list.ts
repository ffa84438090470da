import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameFlag } from '../../cli/names.js';
import { renderTable } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { ageText, listNodeReport, type NodeListing, stateText } from '../../src/routing/node-report.js';

export default class NodesList extends BaseCommand<typeof NodesList> {
  static override description =
    'The nodes of the cluster with their load; dead (lease expired) and stale nodes are marked';

  static override examples = [
    { command: '<%= config.bin %> nodes list', description: 'every node' },
    {
      command: '<%= config.bin %> nodes list --region us-east --state serving',
      description: 'serving nodes in us-east',
    },
    { command: '<%= config.bin %> nodes list --json', description: 'every field, as JSON' },
  ];

  static override flags = {
    region: nameFlag('--region', 'only nodes in this region'),
    state: Flags.string({
      description: 'only nodes in this state (dead: lease expired)',
      options: ['starting', 'serving', 'draining', 'shutting_down', 'dead'],
    }),
  };

  public async run(): Promise<NodeListing[]> {
    const { config, file, cluster } = await this.loadConfig();
    const nodes = await withClusterReader(config, file, cluster, (router) =>
      listNodeReport(router, config, {
        region: this.flags.region,
        state: this.flags.state as NodeListing['state'] | 'dead' | undefined,
      }),
    );
    // Laying out a table costs more than the query at a thousand nodes: skip it when JSON is asked for.
    if (this.jsonEnabled()) return nodes;
    this.log(
      renderTable(
        [
          'id',
          'state',
          'region',
          'address',
          'sysload',
          'cpu',
          'rooms',
          'clients',
          'tracks in/out',
          'stats age',
        ],
        nodes.map((n) => [
          n.id,
          stateText(n),
          n.region,
          n.address,
          n.stats.sysload.toFixed(2),
          n.stats.cpu_load.toFixed(2),
          n.stats.rooms,
          n.stats.clients,
          `${n.stats.tracks_in}/${n.stats.tracks_out}`,
          ageText(n.stats_age_ms),
        ]),
      ),
    );
    if (nodes.length === 0) {
      const filtered = this.flags.region !== undefined || this.flags.state !== undefined;
      this.log(
        filtered ? 'no node matches the filter' : 'no nodes registered (start one with `lk-cluster start`)',
      );
    }
    return nodes;
  }
}
