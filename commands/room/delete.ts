import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';

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
    name: nameArg('a room name', 'room name'),
  };

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<{ deleted: string }> {
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    await client.deleteRoom(this.args.name);
    this.log(`deleted room ${this.args.name}`);
    return { deleted: this.args.name };
  }
}
