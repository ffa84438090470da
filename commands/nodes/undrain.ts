import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { undrainNode } from '../../src/node-client/admin-client.js';
import type { NodeRecord } from '../../src/records.js';

export default class NodesUndrain extends BaseCommand<typeof NodesUndrain> {
  static override description =
    'Return a draining node to serving: it takes new rooms again. A node of `lk-cluster start` that drained and exited gets its slot started again (a new node id)';

  static override examples = [
    { command: '<%= config.bin %> nodes undrain ND_h2kS8fQx0bLm', description: 'serve again' },
  ];

  static override args = {
    id: nameArg('a node id', 'node id (or a unique prefix of it)'),
  };

  public async run(): Promise<NodeRecord & { restarted_from?: string }> {
    const { config, cluster, clusterDir } = await this.loadConfig();
    const { node, restarted_from } = await undrainNode(config, this.args.id, cluster, clusterDir);
    this.log(
      renderDetails([
        ['node', node.id],
        ['state', node.state],
        ['rooms', node.stats.rooms],
      ]),
    );
    if (restarted_from) this.log(`${restarted_from} had drained and exited: its slot runs ${node.id} now`);
    return restarted_from ? { ...node, restarted_from } : node;
  }
}
