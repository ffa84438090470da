import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDegreesFlag } from '../../cli/coordinates-flags.js';
import { nameArg } from '../../cli/names.js';
import { addRegion, editConfigFile } from '../../src/config/edit.js';
import { configFileToEdit } from '../../src/config/load.js';
import { LkcError } from '../../src/errors.js';
import { builtinRegion } from '../../src/geo/cloud-regions.js';

export default class RegionsAdd extends BaseCommand<typeof RegionsAdd> {
  static override description =
    'Add a region to node_selector.regions of the config file, in place (comments and order are kept)';

  static override examples = [
    {
      command: '<%= config.bin %> regions add eu-central-1',
      description: 'a built-in cloud region: coordinates from the table',
    },
    { command: '<%= config.bin %> regions add lab --lat 52.52 --lon=-13.40', description: 'your own region' },
  ];

  static override args = {
    name: nameArg('a region name', 'region name'),
  };

  static override flags = {
    lat: Flags.string({ description: 'latitude in degrees, -90 to 90 (default: from the built-in table)' }),
    lon: Flags.string({
      description: 'longitude in degrees, -180 to 180 (default: from the built-in table)',
    }),
  };

  public async run(): Promise<unknown> {
    const { name } = this.args;
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new LkcError('BAD_INPUT', 'NAME must be letters, digits, _ . or -');
    if ((this.flags.lat === undefined) !== (this.flags.lon === undefined)) {
      throw new LkcError(
        'BAD_INPUT',
        `give both --lat and --lon (${this.flags.lat === undefined ? '--lat' : '--lon'} is missing)`,
      );
    }
    let lat: number;
    let lon: number;
    if (this.flags.lat !== undefined && this.flags.lon !== undefined) {
      lat = parseDegreesFlag('--lat', this.flags.lat);
      lon = parseDegreesFlag('--lon', this.flags.lon);
    } else {
      const known = builtinRegion(name);
      if (!known) {
        throw new LkcError(
          'BAD_INPUT',
          `'${name}' is not a built-in region; give its coordinates with --lat and --lon`,
        );
      }
      ({ lat, lon } = known);
    }
    const file = configFileToEdit(this.flags.config);
    await editConfigFile(file, (text) => addRegion(text, { name, lat, lon }, file));
    this.log(`added region ${name} (${lat}, ${lon}) to ${file}`);
    return { file, region: { name, lat, lon } };
  }
}
