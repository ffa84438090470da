import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { placeDistance } from '../../src/geo/region-table.js';

export default class RegionsDistance extends BaseCommand<typeof RegionsDistance> {
  static override description =
    'Great-circle distance (haversine, km) between two regions (from the config or the built-in table) or lat,lon points';

  static override examples = [
    { command: '<%= config.bin %> regions distance us-west-2 us-east', description: 'two regions' },
    {
      command: '<%= config.bin %> regions distance -- eu-west-2 -33.87,151.21',
      description: 'a region and a point',
    },
  ];

  static override args = {
    a: Args.string({ description: 'region name or lat,lon', required: true }),
    b: Args.string({ description: 'region name or lat,lon', required: true }),
  };

  public async run(): Promise<unknown> {
    const { config } = await this.loadConfig();
    const result = placeDistance(this.args.a, this.args.b, config.node_selector.regions);
    this.log(`${result.from.name} -> ${result.to.name}: ${result.distance_km.toFixed(1)} km`);
    return result;
  }
}
