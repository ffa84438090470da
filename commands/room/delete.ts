import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { RoomApiClient } from '../../src/room-api/client.js';
import { resolveRoomApiTarget } from '../../src/room-api/target.js';

export default class RoomDelete extends BaseCommand<typeof RoomDelete> {
  static override description =
    'Delete a room through the Room API (LiveKit’s DeleteRoom): its node closes it and disconnects everyone';

  static override examples = [
    { command: '<%= config.bin %> room delete standup', description: 'through the local node' },
    {
      command: '<%= config.bin %> room delete standup --url http://10.0.0.5:7880',
      description: 'through any node',
    },
  ];

  static override args = {
    name: Args.string({ description: 'room name', required: true }),
  };

  static override flags = {
    url: Flags.string({
      description: 'a node to call (default: the cluster started in this folder, else the config’s port)',
      env: 'LKC_URL',
    }),
  };

  public async run(): Promise<{ deleted: string }> {
    const { config, cluster } = await this.loadConfig();
    const target = resolveRoomApiTarget(config, { url: this.flags.url, cluster, env: process.env });
    await new RoomApiClient(target).deleteRoom(this.args.name);
    this.log(`deleted room ${this.args.name}`);
    return { deleted: this.args.name };
  }
}
