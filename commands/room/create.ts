import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { integerFlag, UINT32_MAX } from '../../cli/integer-flag.js';
import { nameArg, nameFlag } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';
import { renderDetails } from '../../cli/table.js';
import { checkPinnedNode, pinNotHonoured } from '../../src/node-client/pinned-node.js';

export default class RoomCreate extends BaseCommand<typeof RoomCreate> {
  static override description =
    'Create a room through the Room API (LiveKit’s CreateRoom): any node places it; creating it again returns it';

  static override examples = [
    { command: '<%= config.bin %> room create standup', description: 'on the node the selector chooses' },
    {
      command: '<%= config.bin %> room create standup --empty-timeout 600 --max-participants 20',
      description: 'closed after 10 minutes empty, at most 20 people',
    },
    {
      command: '<%= config.bin %> room create standup --node ND_h2kS8fQx0bLm --url http://10.0.0.5:7880',
      description: 'on a given node (an error when it cannot take it), asking another node',
    },
  ];

  static override args = {
    name: nameArg('a room name', 'room name'),
  };

  static override flags = {
    'empty-timeout': integerFlag('--empty-timeout', {
      description: 'seconds the room lives with nobody in it',
      min: 0,
      max: UINT32_MAX,
    }),
    'max-participants': integerFlag('--max-participants', {
      description: 'participants the room takes (0 = no limit)',
      min: 0,
      max: UINT32_MAX,
    }),
    metadata: Flags.string({ description: 'room metadata (any text, often JSON)' }),
    node: nameFlag('--node', 'place the room on this node id; an error when it cannot take it'),
    'any-node': Flags.boolean({
      description:
        'with --node: when that node cannot take the room, let the selector choose (LiveKit’s way)',
      dependsOn: ['node'],
    }),
    ...roomApiFlags,
  };

  public async run(): Promise<Record<string, unknown>> {
    const loaded = await this.loadConfig();
    const pin = this.flags.node;
    const strict = pin !== undefined && !this.flags['any-node'];
    if (strict) await checkPinnedNode(loaded.config, loaded.file, loaded.cluster, pin);
    const client = roomApiClient(loaded, this.flags.url);
    const { room, nodeId } = await client.createRoom(this.args.name, {
      emptyTimeout: this.flags['empty-timeout'],
      maxParticipants: this.flags['max-participants'],
      metadata: this.flags.metadata,
      nodeId: pin,
    });
    if (strict && nodeId !== pin) throw pinNotHonoured(room.name, pin, nodeId);
    this.log(
      renderDetails([
        ['room', room.name],
        ['sid', room.sid],
        ['node', nodeId],
        ['empty timeout', `${room.emptyTimeout} s`],
        ['max participants', room.maxParticipants || 'no limit'],
        ['participants', room.numParticipants],
        ['created', new Date(Number(room.creationTime) * 1000).toISOString()],
        ['metadata', room.metadata || null],
      ]),
    );
    if (pin && nodeId !== pin) {
      this.warn(`node ${pin} could not take it (not serving, or the room was already elsewhere)`);
    }
    return { ...(room.toJson({ useProtoFieldName: true }) as object), node_id: nodeId ?? null };
  }
}
