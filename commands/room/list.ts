import { BaseCommand } from '../../cli/base-command.js';
import { renderTable } from '../../cli/table.js';
import { withClusterReader } from '../../src/node-client/cluster-reader.js';
import { legText, listRoomReport, type RoomListing, roomNodeText } from '../../src/routing/room-report.js';

export default class RoomList extends BaseCommand<typeof RoomList> {
  static override description =
    'The rooms of the cluster, the node each one is on, and the legs of those that span nodes';

  static override examples = [{ command: '<%= config.bin %> room list', description: 'every room' }];

  public async run(): Promise<RoomListing[]> {
    const { config, file, cluster } = await this.loadConfig();
    const rooms = await withClusterReader(config, file, cluster, (router) => listRoomReport(router));
    // Laying out a table costs more than the query at thousands of rooms: skip it when JSON is asked for.
    if (this.jsonEnabled()) return rooms;
    this.log(
      renderTable(
        ['room', 'node', 'legs', 'sid', 'participants', 'publishers', 'created'],
        rooms.map((r) => [
          r.name,
          roomNodeText(r),
          r.legs.length > 0 ? r.legs.map(legText).join(', ') : null,
          r.record?.sid,
          r.record?.num_participants,
          r.record?.num_publishers,
          r.record ? new Date(r.record.creation_time * 1000).toISOString() : null,
        ]),
      ),
    );
    if (rooms.length === 0) this.log('no rooms (place one with `lk-cluster room place NAME`)');
    return rooms;
  }
}
