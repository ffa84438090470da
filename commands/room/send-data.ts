import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';

export default class RoomSendData extends BaseCommand<typeof RoomSendData> {
  static override description =
    'Send a data message to a room through the Room API (LiveKit’s SendData): it reaches the participants over their data channels, from no participant';

  static override examples = [
    {
      command: '<%= config.bin %> room send-data standup --data "meeting ends in 5 minutes" --topic notice',
      description: 'to everyone, on a topic',
    },
    {
      command: '<%= config.bin %> room send-data standup --data ping --to alice --to bob --lossy',
      description: 'to two participants, lossy',
    },
  ];

  static override args = {
    room: nameArg('a room name', 'room name'),
  };

  static override flags = {
    ...roomApiFlags,
    data: Flags.string({ description: 'the message (sent as its UTF-8 bytes)', required: true }),
    topic: Flags.string({ description: 'the topic the clients see it under' }),
    to: Flags.string({
      description: 'a participant identity to send to (default: everyone); repeat for more',
      multiple: true,
    }),
    lossy: Flags.boolean({
      description: 'send it lossy (unordered, no retransmissions) instead of reliable',
      default: false,
    }),
  };

  public async run(): Promise<{ room: string; bytes: number; to: string[]; topic?: string; kind: string }> {
    const { room } = this.args;
    const { data, topic, to = [], lossy } = this.flags;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const bytes = new TextEncoder().encode(data);
    await client.sendData(room, bytes, { topic, to, lossy });
    const kind = lossy ? 'lossy' : 'reliable';
    const whom = to.length > 0 ? to.join(', ') : 'everyone';
    this.log(
      `sent ${bytes.length} bytes (${kind}${topic ? `, topic ${topic}` : ''}) to ${whom} in room ${room}`,
    );
    return { room, bytes: bytes.length, to, topic, kind };
  }
}
