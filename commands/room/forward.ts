import { BaseCommand } from '../../cli/base-command.js';
import { participantArgs, roomApiClient, roomApiFlags, toRoomFlag } from '../../cli/room-api-flags.js';

export default class RoomForward extends BaseCommand<typeof RoomForward> {
  static override description =
    'Forward a participant into another room through the Room API (LiveKit’s ForwardParticipant): it stays in its room and also appears in the other, on whichever node hosts it, with its tracks, until it leaves';

  static override examples = [
    {
      command: '<%= config.bin %> room forward stage alice --to overflow',
      description: 'everyone in overflow sees and hears alice, who stays on stage',
    },
  ];

  static override args = participantArgs;

  static override flags = {
    ...roomApiFlags,
    to: toRoomFlag('the room to forward it into'),
  };

  public async run(): Promise<{ identity: string; from: string; to: string }> {
    const { room, identity } = this.args;
    const { to } = this.flags;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    await client.forwardParticipant(room, identity, to);
    this.log(`forwarded ${identity} of room ${room} into room ${to}`);
    return { identity, from: room, to };
  }
}
