import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { type RoomListing, roomNodeText, showRoom } from '../../src/routing/room-report.js';

export default class RoomShow extends BaseCommand<typeof RoomShow> {
  static override description = 'One room: its node and its record';

  static override examples = [
    { command: '<%= config.bin %> room show standup', description: 'where standup is' },
  ];

  static override args = {
    name: nameArg('a room name', 'room name'),
  };

  public async run(): Promise<RoomListing> {
    const { config, file, cluster } = await this.loadConfig();
    const room = await withClusterReader(config, file, cluster, (router) => showRoom(router, this.args.name));
    const r = room.record;
    this.log(
      renderDetails([
        ['room', room.name],
        ['node', roomNodeText(room)],
        ['sid', r?.sid],
        ['participants', r?.num_participants],
        ['publishers', r?.num_publishers],
        ['max participants', r ? r.max_participants || 'no limit' : null],
        ['empty timeout', r ? `${r.empty_timeout}s` : null],
        ['created', r ? new Date(r.creation_time * 1000).toISOString() : null],
        ['metadata', r?.metadata || null],
      ]),
    );
    if (!r) this.log('no record yet: a node writes it when it opens the room');
    return room;
  }
}
