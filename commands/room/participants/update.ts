import { BaseCommand } from '../../../cli/base-command.js';
import { participantUpdateFlags, participantUpdateOf } from '../../../cli/participant-flags.js';
import { participantArgs, roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';

export default class RoomParticipantsUpdate extends BaseCommand<typeof RoomParticipantsUpdate> {
  static override description =
    'Change a participant’s name, metadata, attributes or permission through the Room API (LiveKit’s UpdateParticipant): everyone in the room sees the change';

  // Its name before `room participants` had commands.
  static override hiddenAliases = ['room:update-participant'];

  static override examples = [
    {
      command:
        '<%= config.bin %> room participants update standup alice --metadata \'{"role":"host"}\' --name Alice',
      description: 'new metadata and name',
    },
    {
      command:
        '<%= config.bin %> room participants update standup alice --attribute team=red --attribute old=',
      description: 'set one attribute, delete another',
    },
    {
      command: '<%= config.bin %> room participants update standup bob --no-can-publish',
      description: 'stop bob publishing: his tracks are unpublished',
    },
  ];

  static override args = participantArgs;

  static override flags = {
    ...roomApiFlags,
    ...participantUpdateFlags,
  };

  public async run(): Promise<unknown> {
    const { room, identity } = this.args;
    const flags = this.flags;
    const update = participantUpdateOf(flags);
    const client = roomApiClient(await this.loadConfig(), flags.url);
    const info = await client.updateParticipant(room, identity, update);
    const p = info.permission;
    this.log(
      `updated ${identity} in room ${room}: name ${JSON.stringify(info.name)}, metadata ${JSON.stringify(info.metadata)}, attributes ${JSON.stringify(info.attributes)}` +
        (p
          ? `, publish ${p.canPublish ? 'yes' : 'no'}, subscribe ${p.canSubscribe ? 'yes' : 'no'}, data ${p.canPublishData ? 'yes' : 'no'}`
          : ''),
    );
    return info.toJson({ useProtoFieldName: true });
  }
}
