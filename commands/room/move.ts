import { BaseCommand } from '../../cli/base-command.js';
import { participantArgs, roomApiClient, roomApiFlags, toRoomFlag } from '../../cli/room-api-flags.js';

export default class RoomMove extends BaseCommand<typeof RoomMove> {
  static override description =
    'Move a participant to another room through the Room API (LiveKit’s MoveParticipant): its LiveKit client rejoins into that room, on whichever node hosts it';

  // Its name before it was named as `lk` names it.
  static override hiddenAliases = ['room:move-participant'];

  static override examples = [
    {
      command: '<%= config.bin %> room move lobby alice --to standup',
      description: 'alice leaves lobby and joins standup',
    },
  ];

  static override args = participantArgs;

  static override flags = {
    ...roomApiFlags,
    to: toRoomFlag('the room to move it to'),
  };

  public async run(): Promise<{ identity: string; from: string; to: string }> {
    const { room, identity } = this.args;
    const { to } = this.flags;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    await client.moveParticipant(room, identity, to);
    this.log(`moved ${identity} from room ${room} to room ${to}`);
    return { identity, from: room, to };
  }
}
