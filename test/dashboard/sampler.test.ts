import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterSampler } from '../../server/dashboard/sampler.js';
import type { Snapshot } from '../../server/dashboard/wire.js';
import type { NodeView, RoomRecord } from '../../src/records.js';

function view(id: string, region: string, at: number, counters: number, alive = true): NodeView {
  return {
    id,
    region,
    ip: '127.0.0.1',
    http_port: 1,
    url: `http://${id}`,
    rtc_port_range: { start: 1, end: 2 },
    state: 'serving',
    started_at: 0,
    stats: {
      updated_at: at,
      sysload: 0.5,
      cpu_load: 0.25,
      num_cpus: 2,
      rooms: 1,
      clients: 2,
      tracks_in: 0,
      tracks_out: 0,
      bytes_in_per_sec: 0,
      bytes_out_per_sec: 0,
      counters: { placements: counters, joins: counters * 2, relay_frames: counters * 10 },
    },
    limits: {
      num_tracks: 0,
      bytes_per_sec: 0,
      max_rooms: 0,
      max_participants_per_node: 0,
      participants_per_router: 0,
    },
    version: 'test',
    alive,
    lease_ms_left: alive ? 1000 : 0,
    lease_age_ms: alive ? 500 : null,
  };
}

describe('dashboard sampler', () => {
  it('turns reported totals into rates, keeps a window of samples, drops forgotten nodes, marks a failed look', async () => {
    let now = 10_000;
    let nodes: NodeView[] = [];
    let fail = false;
    const rooms: RoomRecord[] = [
      {
        sid: 'RM_1',
        name: 'b',
        node_id: 'n1',
        empty_timeout: 0,
        max_participants: 0,
        creation_time: 1,
        metadata: '',
        num_participants: 2,
        num_publishers: 1,
      },
      {
        sid: 'RM_2',
        name: 'a',
        node_id: 'gone',
        empty_timeout: 0,
        max_participants: 0,
        creation_time: 1,
        metadata: '',
        num_participants: 1,
        num_publishers: 0,
      },
    ];
    const sampler = new ClusterSampler(
      {
        listNodes: async () => {
          if (fail) throw new Error('connection lost');
          return nodes;
        },
        listRooms: async () => rooms,
        listAllLegs: async () =>
          new Map([
            [
              'b',
              [
                { node_id: 'n2', region: 'nowhere', opened_at: 1, reason: 'region' as const, why: 'far' },
                { node_id: 'gone', region: 'mars', opened_at: 1, reason: 'load' as const, why: 'full' },
              ],
            ],
          ]),
      },
      { selfId: 'n1', regions: [{ name: 'mars', lat: 1, lon: 2 }], windowMs: 3000, now: () => now },
    );
    const seen: Snapshot[] = [];
    sampler.on('snapshot', (snapshot) => seen.push(snapshot));

    nodes = [view('n1', 'us-east', 9_000, 10), view('n2', 'nowhere', 9_000, 0)];
    await sampler.tick();
    nodes = [view('n1', 'us-east', 11_000, 20), view('n2', 'nowhere', 11_000, 0)];
    nodes[0]!.stats.webhooks = { queued: 2, sent: 7, failed: 1, dropped: 0 };
    now = 12_000;
    await sampler.tick();
    const snapshot = seen.at(-1)!;
    const n1 = snapshot.nodes.find((node) => node.id === 'n1')!;
    assert.deepEqual(n1.rates, { placements: 5, joins: 10, relay_frames: 50 });
    assert.deepEqual(snapshot.totals, { placements: 5, joins: 10, relay_frames: 50 });
    assert.equal(n1.self, true);
    assert.equal(n1.lease_ttl_ms, 1500);
    assert.deepEqual(n1.webhooks, { queued: 2, sent: 7, failed: 1, dropped: 0 });
    assert.equal(snapshot.nodes.find((node) => node.id === 'n2')!.webhooks, undefined);
    // The room of a node the cluster does not know is left out, and so is a leg on such a node.
    assert.deepEqual(
      snapshot.rooms.map((room) => [room.name, room.legs]),
      [['b', [{ node_id: 'n2', region: 'nowhere', reason: 'region' }]]],
    );
    assert.deepEqual(
      snapshot.regions.map((region) => [region.name, region.lat !== undefined]),
      [
        ['mars', true],
        ['nowhere', false],
        ['us-east', true],
      ],
    );

    // Past the window, old samples go; a node the cluster forgot leaves with its history.
    for (const t of [13_000, 14_000, 15_000, 16_000]) {
      now = t;
      nodes = [view('n1', 'us-east', t, 20)];
      await sampler.tick();
    }
    const history = sampler.history();
    assert.deepEqual(Object.keys(history.samples), ['n1']);
    assert.deepEqual(
      history.samples.n1!.map((sample) => sample.t),
      [13_000, 14_000, 15_000, 16_000],
    );
    assert.deepEqual(seen.at(-1)!.nodes[0]!.rates, { placements: 0, joins: 0, relay_frames: 0 });

    fail = true;
    now = 17_000;
    await sampler.tick();
    assert.match(seen.at(-1)!.error ?? '', /shared store did not answer: connection lost/);
    assert.equal(seen.at(-1)!.nodes.length, 1, 'the last picture stays');
  });
});
