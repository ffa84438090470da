import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { renderDetails } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { legText, type RoomListing, roomNodeText, showRoom } from '../../src/routing/room-report.js';

/** A spanning room's parts: its home first, then each leg with why it was opened. */
function legRows(room: RoomListing): Array<[string, string]> {
  if (room.legs.length === 0) return [];
  const count = room.legs.length;
  return [
    ['legs', `${count + 1}: the home and ${count} on other node${count === 1 ? '' : 's'}`],
    ['  home', roomNodeText(room) ?? '(none)'],
    ...room.legs.map((leg): [string, string] => ['  leg', `${legText(leg)}: ${leg.why}`]),
  ];
}

export default class RoomShow extends BaseCommand<typeof RoomShow> {
  static override description = 'One room: its node, its legs on other nodes (room.span), and its record';

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
        ...legRows(room),
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
