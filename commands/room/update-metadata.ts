import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';

export default class RoomUpdateMetadata extends BaseCommand<typeof RoomUpdateMetadata> {
  static override description =
    'Replace a room’s metadata through the Room API (LiveKit’s UpdateRoomMetadata): everyone in the room sees the change';

  static override examples = [
    {
      command: '<%= config.bin %> room update-metadata standup \'{"topic":"Q3 planning"}\'',
      description: 'new metadata',
    },
    { command: '<%= config.bin %> room update-metadata standup ""', description: 'clear it' },
  ];

  static override args = {
    room: nameArg('a room name', 'room name'),
    metadata: Args.string({ description: 'the new metadata (any text, often JSON)', required: true }),
  };

  static override flags = {
    ...roomApiFlags,
  };

  public async run(): Promise<unknown> {
    const { room, metadata } = this.args;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const updated = await client.updateRoomMetadata(room, metadata);
    this.log(`updated the metadata of room ${room}: ${JSON.stringify(updated.metadata)}`);
    return updated.toJson({ useProtoFieldName: true });
  }
}
