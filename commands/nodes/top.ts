import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDurationSeconds } from '../../cli/duration.js';
import { nameFlag } from '../../cli/names.js';
import { runNodesTop, topSnapshot } from '../../cli/nodes-top.js';
import { LkcError } from '../../src/errors.js';
import { listNodeReport, type NodeListing } from '../../src/routing/node-report.js';
import { sortNodes, TOP_SORTS, type TopSort } from '../../src/routing/node-top.js';
import { withClusterRouter } from '../../src/routing/open.js';

export default class NodesTop extends BaseCommand<typeof NodesTop> {
  static override description =
    'A live view of the nodes, refreshed like top: load, rooms, clients, bit rates and lease margin. Keys sort it (l load, r rooms, c clients, n name, ...); q or Ctrl-C quits. Prints one snapshot when stdout is not a terminal';

  static override examples = [
    { command: '<%= config.bin %> nodes top', description: 'watch every node, busiest first' },
    {
      command: '<%= config.bin %> nodes top --sort lease --interval 1s',
      description: 'nearest to dying first',
    },
    { command: '<%= config.bin %> nodes top --json', description: 'one snapshot, as JSON' },
  ];

  static override flags = {
    interval: Flags.string({
      description: 'time between refreshes: seconds (0.5) or a duration (2s, 1m)',
      default: '2s',
      parse: async (value) => {
        const seconds = parseDurationSeconds(value, '--interval');
        if (seconds < 0.2) throw new LkcError('BAD_INPUT', `--interval ${value} is under 0.2s`);
        return String(seconds);
      },
    }),
    sort: Flags.string({ description: 'the order to start in', options: [...TOP_SORTS], default: 'load' }),
    region: nameFlag('--region', 'only nodes in this region'),
  };

  public async run(): Promise<NodeListing[] | undefined> {
    const { config, file } = await this.loadConfig();
    const sort = this.flags.sort as TopSort;
    const live = !this.jsonEnabled() && process.stdout.isTTY === true;
    return withClusterRouter(config, file, async (router) => {
      // One router for the whole run: each refresh then fetches only the nodes that changed since the last.
      const read = () => listNodeReport(router, config, { region: this.flags.region });
      if (!live) {
        const nodes = sortNodes(await read(), sort);
        if (!this.jsonEnabled()) this.log(topSnapshot(nodes, sort));
        return nodes;
      }
      await runNodesTop({
        read,
        sort,
        intervalMs: Number(this.flags.interval) * 1000,
        input: process.stdin,
        output: process.stdout,
      });
      return undefined;
    });
  }
}
