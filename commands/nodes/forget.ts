import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { LkcError } from '../../src/errors.js';
import { checkName } from '../../src/names.js';
import { type ForgottenNode, forgetNodes } from '../../src/routing/forget.js';
import { withClusterRouter } from '../../src/routing/open.js';

export default class NodesForget extends BaseCommand<typeof NodesForget> {
  static override description =
    'Remove a node whose process is gone from the cluster now, freeing its rooms, instead of waiting for its lease to expire';

  static override examples = [
    {
      command: '<%= config.bin %> nodes forget ND_h2kS8fQx0bLm',
      description: 'a node whose lease already expired (refused while it lives)',
    },
    {
      command: '<%= config.bin %> nodes forget ND_h2kS8fQx0bLm --force',
      description: 'a node you know has died, whatever its lease says',
    },
    {
      command: '<%= config.bin %> nodes forget --url http://10.0.0.5:7880 --force',
      description: "from a service manager's stop hook, which knows where the node listened, not its id",
    },
  ];

  static override args = {
    id: Args.string({
      description: 'node id (exactly)',
      required: false,
      parse: async (value) => checkName(value, 'a node id'),
    }),
  };

  static override flags = {
    url: Flags.string({
      description: 'forget every node registered at this URL (as `nodes list` shows it) instead of one id',
    }),
    force: Flags.boolean({
      description: 'forget it even though its lease is alive: only when its process is known to be gone',
      default: false,
    }),
  };

  public async run(): Promise<{ forgotten: ForgottenNode[] }> {
    const { id } = this.args;
    const { url, force } = this.flags;
    if (!id === !url) throw new LkcError('BAD_INPUT', 'give a node id or --url, one of them');
    const { config, file } = await this.loadConfig();
    const forgotten = await withClusterRouter(config, file, (router) =>
      forgetNodes(router, id ? { id } : { url: url! }, { force, by: 'cli' }),
    );
    if (forgotten.length === 0)
      this.log(`no node registered ${id ? `as ${id}` : `at ${url}`}: nothing to do`);
    for (const node of forgotten)
      this.log(
        `forgot ${node.id}: ${node.rooms.length} room${node.rooms.length === 1 ? '' : 's'} can be placed elsewhere now`,
      );
    return { forgotten };
  }
}
