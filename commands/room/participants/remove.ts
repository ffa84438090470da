import { BaseCommand } from '../../../cli/base-command.js';
import { participantArgs, roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';

export default class RoomParticipantsRemove extends BaseCommand<typeof RoomParticipantsRemove> {
  static override description =
    'Remove a participant from a room through the Room API (LiveKit’s RemoveParticipant): its client is disconnected and told why';

  static override examples = [
    { command: '<%= config.bin %> room participants remove standup bob', description: 'bob leaves standup' },
  ];

  static override args = participantArgs;

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<{ room: string; removed: string }> {
    const { room, identity } = this.args;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    await client.removeParticipant(room, identity);
    this.log(`removed ${identity} from room ${room}`);
    return { room, removed: identity };
  }
}
