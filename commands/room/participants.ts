import { TrackType } from '@livekit/protocol';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';
import { renderTable } from '../../cli/table.js';

export default class RoomParticipants extends BaseCommand<typeof RoomParticipants> {
  static override description =
    'List the participants of a room through the Room API (LiveKit’s ListParticipants), asked of the room’s node';

  static override examples = [
    { command: '<%= config.bin %> room participants standup', description: 'as a table' },
    {
      command: '<%= config.bin %> room participants standup --json',
      description: 'as LiveKit’s ParticipantInfo',
    },
  ];

  static override args = {
    name: nameArg('a room name', 'room name'),
  };

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<unknown[]> {
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const participants = await client.listParticipants(this.args.name);
    const tracks = (p: (typeof participants)[number]) =>
      p.tracks
        .map((t) => `${t.type === TrackType.AUDIO ? 'audio' : 'video'}${t.muted ? ' (muted)' : ''}`)
        .join(', ');
    this.log(
      renderTable(
        ['identity', 'sid', 'name', 'joined', 'tracks', 'region'],
        participants.map((p) => [
          p.identity,
          p.sid,
          p.name || null,
          new Date(Number(p.joinedAtMs || p.joinedAt * 1000n)).toISOString(),
          tracks(p) || null,
          p.region || null,
        ]),
      ),
    );
    if (participants.length === 0) this.log(`nobody is in room ${this.args.name}`);
    return participants.map((p) => p.toJson({ useProtoFieldName: true }));
  }
}
