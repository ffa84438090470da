import { BaseCommand } from '../../../cli/base-command.js';
import { nameArg } from '../../../cli/names.js';
import { renderParticipants } from '../../../cli/participant-tables.js';
import { roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';

export default class RoomParticipantsList extends BaseCommand<typeof RoomParticipantsList> {
  static override description =
    'List the participants of a room through the Room API (LiveKit’s ListParticipants), asked of the room’s node';

  // `room participants ROOM`, as it was before the topic had commands of its own.
  static override hiddenAliases = ['room:participants'];

  static override examples = [
    { command: '<%= config.bin %> room participants list standup', description: 'as a table' },
    {
      command: '<%= config.bin %> room participants list standup --json',
      description: 'as LiveKit’s ParticipantInfo',
    },
  ];

  static override args = {
    room: nameArg('a room name', 'room name'),
  };

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<unknown[]> {
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const participants = await client.listParticipants(this.args.room);
    this.log(renderParticipants(participants));
    if (participants.length === 0) this.log(`nobody is in room ${this.args.room}`);
    return participants.map((p) => p.toJson({ useProtoFieldName: true }));
  }
}
