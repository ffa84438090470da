import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg, nameFlag } from '../../cli/names.js';
import { renderDetails, renderTable } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { chooseLeg, type LegDecision } from '../../src/routing/legs.js';
import type { Placement } from '../../src/routing/types.js';
import { NoAvailableNodesError } from '../../src/selector/errors.js';
import type { PlacementExplanation } from '../../src/selector/explanation.js';

function verdictTable(explanation: PlacementExplanation): string {
  return renderTable(
    ['', 'node', 'region', 'km', 'state', 'lease age', 'sysload', 'cpu', 'rooms', 'verdict'],
    explanation.nodes.map((v) => [
      v.chosen ? '→' : '',
      v.id,
      v.region,
      v.distance_km,
      v.alive ? v.state : `dead (${v.state})`,
      v.lease_age_ms === null ? null : `${(v.lease_age_ms / 1000).toFixed(1)}s`,
      v.sysload.toFixed(2),
      v.cpu_load.toFixed(2),
      v.recent_placements > 0 ? `${v.rooms}+${v.recent_placements}` : v.rooms,
      v.reason,
    ]),
  );
}

export default class RoomPlace extends BaseCommand<typeof RoomPlace> {
  static override description =
    'Place a room (or find where it is): the node selector chooses a node, one atomic claim makes it the room’s node';

  static override examples = [
    { command: '<%= config.bin %> room place standup', description: 'place from this config’s region' },
    {
      command: '<%= config.bin %> room place standup --region us-east --explain',
      description: 'as if asked in us-east, with every node’s verdict',
    },
    { command: '<%= config.bin %> room place standup --dry-run', description: 'choose without claiming' },
  ];

  static override args = {
    name: nameArg('a room name', 'room name'),
  };

  static override flags = {
    region: nameFlag('--region', 'origin region of the request (default: the config’s region)'),
    explain: Flags.boolean({ description: 'print every node’s verdict and the rule that chose' }),
    'dry-run': Flags.boolean({ description: 'choose a node without claiming the room' }),
  };

  public async run(): Promise<Placement & { leg?: LegDecision }> {
    const { config, file, cluster } = await this.loadConfig();
    const { explain } = this.flags;
    const span = config.room.span;
    const placement = await withClusterReader(
      config,
      file,
      cluster,
      async (router): Promise<Placement & { leg?: LegDecision }> => {
        try {
          const placed = await router.placeRoom(this.args.name, {
            originRegion: this.flags.region,
            explain,
            dryRun: this.flags['dry-run'],
          });
          // Where a participant from the origin region would join when rooms span nodes: a leg is opened by a join,
          // never by placing, so this only looks.
          const region = this.flags.region ?? config.region;
          if (span === 'off' || !router.span || !region) return placed;
          const leg = await chooseLeg(router.span, {
            span,
            room: placed.room,
            home: placed.node,
            region,
            dryRun: true,
          });
          return { ...placed, leg };
        } catch (err) {
          // Why no node could take the room is the point of --explain: show the table before the refusal.
          if (explain && err instanceof NoAvailableNodesError && err.explanation)
            this.log(verdictTable(err.explanation));
          throw err;
        }
      },
    );
    const outcome = placement.sticky
      ? 'already there (sticky)'
      : placement.claimed
        ? 'placed'
        : 'would be placed (dry run, nothing claimed)';
    if (explain) this.log(verdictTable(placement.explanation));
    this.log(
      renderDetails([
        ['room', placement.room],
        ['node', placement.node.id],
        ['region', placement.node.region],
        ['address', placement.node.url],
        ['outcome', outcome],
        ['rule', placement.explanation.rule],
        ...(placement.leg
          ? [
              [
                `joins from ${this.flags.region ?? config.region}`,
                `${placement.leg.leg ? `leg on ${placement.leg.nodeId}` : 'the home'}: ${placement.leg.why}`,
              ] as [string, string],
            ]
          : []),
      ]),
    );
    return placement;
  }
}
