import { BaseCommand } from '../../cli/base-command.js';
import { configSchema } from '../../src/config/schema.js';

export default class ConfigSchema extends BaseCommand<typeof ConfigSchema> {
  static override description =
    'Print the JSON Schema of the config (for editors: # yaml-language-server: $schema=PATH at the top of the file)';

  static override examples = [
    { command: '<%= config.bin %> config schema > lk-cluster.schema.json', description: 'save the schema' },
  ];

  public async run(): Promise<unknown> {
    const schema = configSchema();
    if (!this.jsonEnabled()) {
      this.log(JSON.stringify(schema, null, 2));
    }
    return schema;
  }
}
