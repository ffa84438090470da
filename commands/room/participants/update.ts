import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { nameArg } from '../../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';
import { LkcError } from '../../../src/errors.js';
import type { ParticipantUpdate } from '../../../src/node-client/room-api-client.js';

/** `k=v` -> [k, v]; `k=` deletes k, as LiveKit reads an empty value. */
function attribute(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new LkcError('BAD_INPUT', `--attribute ${text}: expected key=value (key= deletes the key)`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

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

  static override args = {
    room: nameArg('a room name', 'room name'),
    identity: Args.string({ description: 'the participant’s identity', required: true }),
  };

  static override flags = {
    ...roomApiFlags,
    metadata: Flags.string({ description: 'new metadata (LiveKit leaves it as it is when empty)' }),
    name: Flags.string({ description: 'new display name' }),
    attribute: Flags.string({
      description: 'an attribute as key=value (key= deletes it); repeat for more',
      multiple: true,
    }),
    'can-publish': Flags.boolean({ description: 'may publish tracks', allowNo: true }),
    'can-subscribe': Flags.boolean({ description: 'may subscribe to others’ tracks', allowNo: true }),
    'can-publish-data': Flags.boolean({ description: 'may send data messages', allowNo: true }),
    'can-update-metadata': Flags.boolean({ description: 'may update its own metadata', allowNo: true }),
    hidden: Flags.boolean({ description: 'hidden from the other participants', allowNo: true }),
  };

  public async run(): Promise<unknown> {
    const { room, identity } = this.args;
    const flags = this.flags;
    const update: ParticipantUpdate = { name: flags.name, metadata: flags.metadata };
    if (flags.attribute) update.attributes = Object.fromEntries(flags.attribute.map(attribute));
    const permission: NonNullable<ParticipantUpdate['permission']> = {};
    if (flags['can-publish'] !== undefined) permission.canPublish = flags['can-publish'];
    if (flags['can-subscribe'] !== undefined) permission.canSubscribe = flags['can-subscribe'];
    if (flags['can-publish-data'] !== undefined) permission.canPublishData = flags['can-publish-data'];
    if (flags['can-update-metadata'] !== undefined)
      permission.canUpdateMetadata = flags['can-update-metadata'];
    if (flags.hidden !== undefined) permission.hidden = flags.hidden;
    if (Object.keys(permission).length > 0) update.permission = permission;
    if (!update.name && !update.metadata && !update.attributes && !update.permission) {
      throw new LkcError(
        'BAD_INPUT',
        'nothing to change: give --metadata, --name, --attribute or a permission flag (--can-publish, --no-can-publish, ...)',
      );
    }
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
