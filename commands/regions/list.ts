import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { renderTable } from '../../cli/table.js';
import { listRegions } from '../../src/geo/region-table.js';

export default class RegionsList extends BaseCommand<typeof RegionsList> {
  static override description =
    "The region table (node_selector.regions) with each region's distance from this node's region, nearest first";

  static override examples = [
    { command: '<%= config.bin %> regions list', description: 'the configured regions' },
    {
      command: '<%= config.bin %> regions list --builtin --from eu-west-2',
      description: 'the built-in cloud table, from London',
    },
  ];

  static override flags = {
    builtin: Flags.boolean({ description: 'list the built-in table of public-cloud regions instead' }),
    from: Flags.string({ description: "measure distances from this region (default: the config's region)" }),
  };

  public async run(): Promise<unknown> {
    const { config } = await this.loadConfig();
    const listing = listRegions(config, { builtin: this.flags.builtin, from: this.flags.from });
    const km = (d: number | undefined) => (d === undefined ? undefined : d.toFixed(1));
    if (listing.regions.length === 0 && !this.jsonEnabled()) {
      process.stderr.write(
        'no regions in node_selector.regions; add one with: lk-cluster regions add NAME --lat LAT --lon LON\n',
      );
    }
    const head = this.flags.builtin
      ? ['name', 'lat', 'lon', 'km', 'provider', 'location']
      : ['name', 'lat', 'lon', 'km'];
    this.log(
      renderTable(
        head,
        listing.regions.map((r) => [
          r.name,
          r.lat,
          r.lon,
          km(r.distance_km),
          ...(this.flags.builtin ? [r.provider, r.location] : []),
        ]),
      ),
    );
    if (listing.origin === undefined)
      this.log("distances need this node's region: set region in the config, or pass --from");
    return listing;
  }
}
