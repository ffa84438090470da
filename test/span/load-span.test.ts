import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { connectLiveKit, type LiveKitSocket } from '../livekit/livekit-socket.js';
import { joinToken, type SpanCluster, startSpanCluster } from './span-cluster.js';

const ROOM = 'span-load';

describe('room.span: load opens a leg in the same region when the home node is full', {
  timeout: 60_000,
}, () => {
  let cluster: SpanCluster;
  const sockets: LiveKitSocket[] = [];

  before(async () => {
    cluster = await startSpanCluster(
      [
        { name: 'west1', region: 'us-west-2' },
        { name: 'west2', region: 'us-west-2' },
        { name: 'east', region: 'eu-central-1' },
      ],
      { label: 'span-load', span: 'load' },
      () => ({ limit: { max_participants_per_node: 2 } }),
    );
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await cluster?.stop();
  });

  async function join(node: string, identity: string): Promise<string | undefined> {
    const socket = await connectLiveKit(cluster.node(node).url, await joinToken(ROOM, identity));
    sockets.push(socket);
    return (await socket.next('join', { what: `${identity}'s JoinResponse` })).serverInfo?.nodeId;
  }

  /** Waits until node `name`'s record reports `clients` participants (its stats go out every interval). */
  async function reported(name: string, clients: number): Promise<void> {
    const id = cluster.node(name).id;
    await waitFor(
      async () =>
        JSON.parse((await cluster.store.hget('{lkc}:nodes', id)) ?? '{}').stats?.clients === clients,
      { what: `${name} reporting ${clients} participants` },
    );
  }

  it("fills the home, then opens a leg on the region's other node, and one in the other region", async () => {
    const west1 = cluster.node('west1').id;
    const west2 = cluster.node('west2').id;
    // The room's home is west1 (the selector would choose either node of the region at random).
    await new RoomServiceClient(cluster.node('west1').url, TEST_KEY, TEST_SECRET).createRoom({
      name: ROOM,
      nodeId: west1,
    });
    assert.equal(await join('west1', 'alice'), west1);
    assert.equal(await join('west1', 'bob'), west1);
    await reported('west1', 2);
    // The home is at max_participants_per_node: the next participant of its region goes to a leg on west2.
    assert.equal(await join('west1', 'carol'), west2);
    assert.equal(await join('west2', 'dave'), west2);
    assert.equal(await join('east', 'erin'), cluster.node('east').id);
    const legs = Object.values(await cluster.store.hgetall(`{lkc}:legs:${ROOM}`)).map((json) =>
      JSON.parse(json),
    );
    assert.deepEqual(
      legs.map((leg) => [leg.node_id, leg.region, leg.reason]).sort(),
      [
        [cluster.node('east').id, 'eu-central-1', 'region'],
        [west2, 'us-west-2', 'load'],
      ].sort(),
    );
    const load = legs.find((leg) => leg.reason === 'load');
    assert.match(
      load.why,
      new RegExp(`home node ${west1} is full: 2 participants at or over max_participants_per_node 2`),
    );
    const sdk = new RoomServiceClient(cluster.node('east').url, TEST_KEY, TEST_SECRET);
    await waitFor(async () => (await sdk.listParticipants(ROOM)).length === 5, {
      what: 'all five participants listed through any node',
    });
  });
});
