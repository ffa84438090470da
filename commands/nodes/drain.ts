import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDurationSeconds } from '../../cli/duration.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { drainNode } from '../../src/node-client/admin-client.js';
import type { NodeRecord } from '../../src/records.js';

export default class NodesDrain extends BaseCommand<typeof NodesDrain> {
  static override description =
    'Drain a node: its rooms continue, new rooms go elsewhere; it exits when its last room closes or at the deadline';

  static override examples = [
    {
      command: '<%= config.bin %> nodes drain ND_h2kS8fQx0bLm',
      description: 'drain, closing what is left after 10 minutes',
    },
    {
      command: '<%= config.bin %> nodes drain ND_h2kS --deadline 30s',
      description: 'by id prefix, with a short deadline',
    },
  ];

  static override args = {
    id: nameArg('a node id', 'node id (or a unique prefix of it)'),
  };

  static override flags = {
    deadline: Flags.string({
      description: 'close the rooms still open after this long (e.g. 90s, 10m, 1h)',
      default: '10m',
    }),
  };

  public async run(): Promise<NodeRecord> {
    const deadlineSeconds = parseDurationSeconds(this.flags.deadline, '--deadline');
    const { config, cluster } = await this.loadConfig();
    const { node } = await drainNode(config, this.args.id, deadlineSeconds, cluster);
    this.log(
      renderDetails([
        ['node', node.id],
        ['state', node.state],
        ['rooms', node.stats.rooms],
        ['deadline', this.flags.deadline],
      ]),
    );
    this.log(node.stats.rooms > 0 ? 'it exits when its last room closes' : 'it has no rooms: it exits now');
    return node;
  }
}
