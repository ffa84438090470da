// The short soak: 3 node processes on a private redis-server churn for 45 s (LKC_SOAK_SECONDS): rooms created and
// deleted through LiveKit's server SDK, sessions joining (direct and bridged), publishing, consuming and leaving,
// and a node replaced half-way (kill -9 and a new one). Once the churn stops and the rooms are closed, nothing may
// be left: no mediasoup router or transport, no client socket on any node, only the node records and leases in
// Redis, and the live heap (after a full GC) of each node that ran throughout within MAX_HEAP_GROWTH of where it
// started. The minutes-long version with its curves is bench/soak.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Churn, mib } from '../helpers/churn.js';

const CHURN_MS = Number(process.env.LKC_SOAK_SECONDS ?? 45) * 1000;
/** Warm-up churn before the baseline: the first rooms fill caches and compile code that stay for good. */
const WARM_UP_MS = 5000;
/** The live heap may move a little; past this, something the churn made stays behind. */
const MAX_HEAP_GROWTH = 8 * 2 ** 20;
/** Time for the nodes to close everything and the sweeper to forget a dead node, once the churn stops. */
const SETTLE_MS = 20_000;

describe('churn: rooms, sessions and a node restart for 45 s leave nothing behind', () => {
  let churn: Churn;

  before(async () => {
    churn = await Churn.start(3, 'soak-test');
  });

  after(async () => {
    await churn?.stop();
  });

  it('is back to the baseline afterwards: routers, transports, sockets, Redis keys, live heap', async (t) => {
    await churn.run({ durationMs: WARM_UP_MS, loops: 2 });
    await churn.closeRooms();
    await churn.settled(SETTLE_MS);
    // What Redis holds at rest: node records, leases, the placement bookkeeping of each node.
    const baseline = await churn.shape();
    const start = await churn.sample({ heap: true });
    t.diagnostic(`Redis at rest: ${baseline.join(' ')}`);

    // Half-way, one node is killed with -9 and replaced: its rooms, sessions and records must go too.
    await churn.run({
      durationMs: CHURN_MS,
      loops: 3,
      restartEveryMs: CHURN_MS / 2,
      restartHow: ['kill'],
      onRestart: (what) => t.diagnostic(`restart: ${what}`),
    });
    const counts = churn.counts;
    t.diagnostic(
      `rooms ${counts.roomsCreated} created, ${counts.roomsDeleted} deleted; sessions ${counts.sessions} (${counts.bridged} bridged), producers ${counts.producers}, consumers ${counts.consumers}, restarts ${counts.restarts}`,
    );
    for (const [what, n] of counts.failures) t.diagnostic(`failed ${n}x: ${what}`);
    assert.ok(counts.sessions > 20 && counts.bridged > 0, 'the churn ran sessions, bridged ones among them');
    assert.ok(counts.consumers > 0, 'sessions consumed the producers of the room');
    assert.equal(counts.restarts, 1);

    await churn.closeRooms();
    const end = await churn.settled(SETTLE_MS, baseline);
    for (const node of end.nodes) {
      assert.deepEqual(
        { rooms: node.rooms, routers: node.routers, transports: node.transports, sockets: node.sockets },
        { rooms: 0, routers: 0, transports: 0, sockets: 0 },
        `${node.slot} (${node.id}) holds nothing`,
      );
    }
    // settled() waited for it; said once more so that the report shows it.
    assert.deepEqual(await churn.shape(), baseline, 'Redis holds what it held at rest before the churn');

    const heaps = await churn.sample({ heap: true });
    let compared = 0;
    for (const node of heaps.nodes) {
      const before = start.nodes.find((n) => n.id === node.id);
      t.diagnostic(
        `${node.slot}: live heap ${before ? mib(before.heap) : '(new node)'} -> ${mib(node.heap)}, rss ${before ? mib(before.rss) : '-'} -> ${mib(node.rss)}, fds ${before?.fds ?? '-'} -> ${node.fds}`,
      );
      if (!before) continue;
      compared++;
      assert.ok(
        node.heap - before.heap < MAX_HEAP_GROWTH,
        `${node.slot}: the live heap grew by ${mib(node.heap - before.heap)} (bound ${mib(MAX_HEAP_GROWTH)})`,
      );
      // Descriptors the churn opened (sockets, UDP ports of transports) are closed again.
      assert.ok(
        node.socketFds <= before.socketFds + 2,
        `${node.slot}: ${node.socketFds} socket descriptors, ${before.socketFds} at the start`,
      );
    }
    assert.ok(compared >= 2, 'the nodes that ran throughout were compared');
  });
});
