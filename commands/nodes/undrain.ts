import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { undrainNode } from '../../src/node-client/admin-client.js';
import type { NodeRecord } from '../../src/records.js';

export default class NodesUndrain extends BaseCommand<typeof NodesUndrain> {
  static override description = 'Return a draining node to serving: it takes new rooms again';

  static override examples = [
    { command: '<%= config.bin %> nodes undrain ND_h2kS8fQx0bLm', description: 'serve again' },
  ];

  static override args = {
    id: nameArg('a node id', 'node id (or a unique prefix of it)'),
  };

  public async run(): Promise<NodeRecord> {
    const { config, cluster } = await this.loadConfig();
    const { node } = await undrainNode(config, this.args.id, cluster);
    this.log(
      renderDetails([
        ['node', node.id],
        ['state', node.state],
        ['rooms', node.stats.rooms],
      ]),
    );
    return node;
  }
}
