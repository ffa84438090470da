import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { ageText, type NodeListing, showNode, stateText } from '../../src/routing/node-report.js';

export default class NodesShow extends BaseCommand<typeof NodesShow> {
  static override description = 'One node: every field of its record, its lease, and the rooms placed on it';

  static override examples = [
    { command: '<%= config.bin %> nodes show ND_h2kS8fQx0bLm', description: 'by id (or a unique prefix)' },
  ];

  static override args = {
    id: nameArg('a node id', 'node id (or a unique prefix of it)'),
  };

  public async run(): Promise<{ node: NodeListing; rooms: string[] }> {
    const { config, file, cluster } = await this.loadConfig();
    const shown = await withClusterReader(config, file, cluster, (router) =>
      showNode(router, config, this.args.id),
    );
    const { node, rooms } = shown;
    const s = node.stats;
    this.log(
      renderDetails([
        ['id', node.id],
        ['state', stateText(node)],
        ['region', node.region],
        ['address', node.address],
        ['ip', node.ip],
        ['http port', node.http_port],
        ['rtc ports', `${node.rtc_port_range.start}-${node.rtc_port_range.end}`],
        ['version', node.version],
        ['started', new Date(node.started_at).toISOString()],
        ['lease', node.alive ? `${ageText(node.lease_ms_left)} left` : 'expired'],
        ['stats age', ageText(node.stats_age_ms)],
        ['sysload', `${s.sysload.toFixed(2)} (${s.num_cpus} cpus)`],
        ['cpu', s.cpu_load.toFixed(2)],
        ['rooms', s.rooms],
        ['placed recently', s.recent_placements ?? 0],
        ['clients', s.clients],
        ['tracks in/out', `${s.tracks_in}/${s.tracks_out}`],
        ['bytes/s in/out', `${s.bytes_in_per_sec}/${s.bytes_out_per_sec}`],
        [
          'limits',
          `max_rooms ${node.limits?.max_rooms || '-'}, num_tracks ${node.limits?.num_tracks || '-'}, bytes_per_sec ${node.limits?.bytes_per_sec || '-'}`,
        ],
        ['placed rooms', rooms.length === 0 ? '-' : rooms.join(', ')],
      ]),
    );
    return shown;
  }
}
