import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { editConfigFile, removeRegion } from '../../src/config/edit.js';
import { configFileToEdit } from '../../src/config/load.js';

export default class RegionsRemove extends BaseCommand<typeof RegionsRemove> {
  static override description = 'Remove a region from node_selector.regions of the config file, in place';

  static override examples = [
    { command: '<%= config.bin %> regions remove us-east', description: 'drop a region' },
  ];

  static override args = {
    name: nameArg('a region name', 'region name'),
  };

  static override flags = {
    force: Flags.boolean({
      char: 'f',
      description: "remove it even when it is this node's region under regionaware",
    }),
  };

  public async run(): Promise<unknown> {
    const { name } = this.args;
    const file = configFileToEdit(this.flags.config);
    await editConfigFile(file, (text) => removeRegion(text, name, file, { force: this.flags.force }));
    this.log(`removed region ${name} from ${file}`);
    return { file, removed: name };
  }
}
