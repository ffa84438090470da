import { BaseCommand } from '../../../cli/base-command.js';
import { renderParticipant } from '../../../cli/participant-tables.js';
import { participantArgs, roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';

export default class RoomParticipantsGet extends BaseCommand<typeof RoomParticipantsGet> {
  static override description =
    'One participant of a room and its tracks through the Room API (LiveKit’s GetParticipant), asked of the room’s node';

  static override examples = [
    { command: '<%= config.bin %> room participants get standup alice', description: 'alice and her tracks' },
    {
      command: '<%= config.bin %> room participants get standup alice --json',
      description: 'as LiveKit’s ParticipantInfo',
    },
  ];

  static override args = participantArgs;

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<unknown> {
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const participant = await client.getParticipant(this.args.room, this.args.identity);
    this.log(renderParticipant(participant));
    return participant.toJson({ useProtoFieldName: true });
  }
}
