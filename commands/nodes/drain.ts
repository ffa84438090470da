import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDurationSeconds } from '../../cli/duration.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { drainNode } from '../../src/node-client/admin-client.js';
import type { NodeRecord } from '../../src/records.js';

/** What the node does next, in words: a zero deadline closes its rooms at once rather than waiting for them. */
function drainOutcome(rooms: number, deadlineSeconds: number, deadline: string): string {
  if (rooms === 0) return 'it has no rooms: it exits now';
  const some = rooms === 1 ? 'its room' : `its ${rooms} rooms`;
  if (deadlineSeconds === 0) return `deadline ${deadline}: it closes ${some} now and exits`;
  return `it exits when its last room closes; after ${deadline} it closes what is left`;
}

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
    this.log(drainOutcome(node.stats.rooms, deadlineSeconds, this.flags.deadline));
    return node;
  }
}
