import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToken } from '../../src/auth/token.js';
import { fakeSysloadEnv, writeSysload } from '../helpers/fake-sysload.js';
import { buildLan, type Lan, type LanClient, netnsUnavailable, startLanClient } from '../helpers/netns.js';
import { type LanCluster, type LanNode, startLanCluster } from '../helpers/netns-cluster.js';
import { TEST_KEY, TEST_SECRET, testToken } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { SPAN_REGIONS } from '../span/span-cluster.js';

// A room that spans two hosts: node "west" (us-west-2) and node "east" (eu-central-1) each on its own host of a LAN,
// Redis on a third and both browsers on a fourth. Each browser signals through its own region's node; the nodes
// carry each other's tracks over a PipeTransport pair between their two addresses, encrypted (SRTP) because they
// are different hosts. Skipped, with the reason, where this machine cannot make namespaces.
const unavailable = await netnsUnavailable();

const ROOM = 'span-hosts';
const REGION = { 'node-west': 'us-west-2', 'node-east': 'eu-central-1' } as Record<string, string>;

interface InboundStat {
  participant: string;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
}
interface PageStats {
  inbound: InboundStat[];
  transports: Array<{ direction: string; remoteAddress?: string }>;
}

describe('a room spanning two hosts in two regions (room.span: region)', { skip: unavailable }, () => {
  let lan: Lan;
  let client: LanClient;
  let cluster: LanCluster;
  let west: LanNode;
  let east: LanNode;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-netns-span-'));
    // The nodes report a low load whatever the shared machine's: region-aware placement must not refuse them.
    const sysload = join(dir, 'sysload');
    writeSysload(sysload, 0.1);
    lan = await buildLan(['redis', 'node-west', 'node-east', 'client']);
    client = await startLanClient(lan, 'client');
    cluster = await startLanCluster(lan, client, 'redis', ['node-west', 'node-east'], {
      env: fakeSysloadEnv(sysload),
      configure: (host, config) => {
        config.region = REGION[host];
        config.node_selector = { kind: 'regionaware', sysload_limit: 0.9, regions: SPAN_REGIONS };
        config.room = { ...(config.room as object), span: 'region' };
      },
    });
    ({ 'node-west': west, 'node-east': east } = cluster.nodes as Record<string, LanNode>);
  });

  after(async () => {
    await client?.call('browser.close', {}, 10_000).catch(() => {});
    await cluster?.stop().catch(() => {});
    await client?.stop().catch(() => {});
    lan?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each browser joins its own region’s node and decodes the other through an SRTP pipe between the hosts', async (t) => {
    // Each node's own view must hold it first: until west's does, west could place the room on east; until east's
    // does, east could open no leg on itself and bob would join the home (as test/span/two-regions saw in CI).
    for (const node of [west, east]) {
      const region = REGION[node.host]!;
      let answer: unknown;
      await waitFor(
        async () => {
          const placed = await client.call('http', {
            method: 'POST',
            url: `${node.url}/admin/registry/place`,
            headers: { authorization: `Bearer ${await testToken()}`, 'content-type': 'application/json' },
            body: { room: `${ROOM}-${region}`, origin_region: region, dry_run: true },
          });
          answer = placed.body;
          return placed.status === 200 && placed.body?.placement?.node?.id === node.id;
        },
        { what: () => `${node.host} placing a room of ${region} on itself (${JSON.stringify(answer)})` },
      );
    }
    const created = await client.call('http', {
      method: 'POST',
      url: `${west.url}/admin/rooms`,
      headers: { authorization: `Bearer ${await testToken()}`, 'content-type': 'application/json' },
      body: { name: ROOM },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await client.call('browser.launch', { origins: [west.url, east.url] }, 20_000);
    const token = (identity: string) =>
      createToken({
        apiKey: TEST_KEY,
        apiSecret: TEST_SECRET,
        identity,
        grant: { roomJoin: true, room: ROOM },
        ttlSeconds: 600,
      });
    const pages = {
      alice: await client.call('page.open', { url: west.url, token: await token('alice') }),
      bob: await client.call('page.open', { url: east.url, token: await token('bob') }),
    };
    const evaluate = (page: number, expression: string) => client.call('page.eval', { page, expression });
    let seen = '';
    const nodeLogs = () =>
      [west, east]
        .map((n) => `--- ${n.host} (${n.ip}):\n${n.output().split('\n').slice(-12).join('\n')}`)
        .join('\n');

    for (const [me, other, node] of [
      ['alice', 'bob', west],
      ['bob', 'alice', east],
    ] as const) {
      const page = pages[me];
      const decoded = await waitFor(
        async () => {
          const state = await evaluate(
            page,
            'JSON.stringify({ state: lkc.state, error: lkc.error, node: lkc.node })',
          );
          if (!(await evaluate(page, 'lkc.joined'))) {
            seen = state;
            return undefined;
          }
          const stats = (await evaluate(page, 'lkc.stats()')) as PageStats;
          seen = `${state} ${JSON.stringify(stats.inbound)}`;
          const of = (kind: string) => stats.inbound.find((s) => s.participant === other && s.kind === kind);
          const [video, audio] = [of('video'), of('audio')];
          const recv = stats.transports.find((x) => x.direction === 'recv');
          return video &&
            video.framesDecoded > 10 &&
            audio &&
            audio.packetsReceived > 10 &&
            recv?.remoteAddress
            ? { video, audio, recv, node: JSON.parse(state).node as string }
            : undefined;
        },
        {
          timeoutMs: 40_000,
          intervalMs: 250,
          what: () => `${me} decoding ${other} across the hosts (${seen})\n${nodeLogs()}`,
        },
      );
      assert.equal(decoded.node, node.id, `${me} is on its own region's node`);
      assert.equal(decoded.recv.remoteAddress, node.ip, `${me}'s media comes from ${node.host}`);
      t.diagnostic(
        `${me} on ${node.host} (${node.ip}): ${decoded.video.framesDecoded} frames of ${other} decoded, ` +
          `${decoded.audio.packetsReceived} audio packets`,
      );
    }

    // Each node's part of the room: the home on west and the leg on east, one SRTP pipe between the two hosts,
    // carrying the other's two tracks each way.
    const part = async (node: LanNode) => {
      const answer = await client.call('http', {
        url: `${node.url}/admin/node`,
        headers: { authorization: `Bearer ${await testToken()}` },
      });
      return (
        answer.body.rooms as Array<{
          name: string;
          span?: { role: string; pipes: Array<Record<string, unknown>> };
        }>
      ).find((room) => room.name === ROOM)?.span;
    };
    const [home, leg] = [await part(west), await part(east)];
    assert.equal(home?.role, 'home');
    assert.equal(leg?.role, 'leg');
    for (const [span, peer] of [
      [home, east],
      [leg, west],
    ] as const) {
      assert.equal(span?.pipes.length, 1);
      const pipe = span!.pipes[0]!;
      assert.equal(pipe.node, peer.id);
      assert.equal(pipe.srtp, true, 'a pipe between two hosts is encrypted');
      assert.equal(pipe.tracks_in, 2);
      assert.equal(pipe.tracks_out, 2);
    }
    const legs = await cluster.redis('HKEYS', `{lkc}:legs:${ROOM}`);
    assert.deepEqual(legs, [east.id]);
  });
});
