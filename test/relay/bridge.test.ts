import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { createToken } from '../../src/auth/token.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { exitedWithin } from '../helpers/processes.js';
import { findSample, parsePrometheusText } from '../helpers/prometheus-text.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { type Frame, openSession, type WsSession } from '../helpers/ws-session.js';

function joinToken(identity: string, room: string) {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room },
    ttlSeconds: 600,
  });
}

/** The node's placement counters from /metrics: sticky outcomes and placements timed. */
async function placements(url: string): Promise<{ sticky: number; observed: number }> {
  const { samples } = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  return {
    sticky: findSample(samples, 'lkc_placements_total', { result: 'sticky' })?.value ?? 0,
    observed: findSample(samples, 'lkc_placement_duration_seconds_count')?.value ?? 0,
  };
}

function notes(session: WsSession, method: string): Frame[] {
  return session.frames.filter((frame: Frame) => frame.notification && frame.method === method);
}

/**
 * Sessions whose socket is on node S while their room is on node R1 or R2: everything the room node decides
 * (limits, kicks, closes, deaths) reaches the client through the bridge with a code and a reason.
 */
describe('bridged sessions between node processes', () => {
  let redis: TestRedis;
  let dir: string;
  const nodes: Record<'s' | 'r1' | 'r2', TestNode> = {} as never;
  const sessions: WsSession[] = [];

  /** Joins `room` through node S as `identity`. */
  async function joinThroughS(
    identity: string,
    room: string,
  ): Promise<{ session: WsSession; answer: Frame }> {
    const session = await openSession(nodes.s.url, await joinToken(identity, room));
    sessions.push(session);
    return { session, answer: await session.request('join') };
  }

  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'lkc-bridge-'));
    await Promise.all(
      (['s', 'r1', 'r2'] as const).map(async (name) => {
        const port = await freePort();
        nodes[name] = await startNode(
          writeConfig(dir, `${name}.yaml`, nodeConfig({ port, redis: redis.address })),
          port,
        );
      }),
    );
  });

  after(async () => {
    for (const session of sessions) if (!session.closed()) session.close();
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enforces max_participants at join on the room node, and lets the next one in once someone leaves', async () => {
    const created = await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'small', max_participants: 2 });
    assert.equal(created.status, 200);
    const first = await joinThroughS('p1', 'small');
    const second = await joinThroughS('p2', 'small');
    assert.equal(first.answer.data.node.id, nodes.r1.id);
    assert.equal(second.answer.ok, true);
    const third = await joinThroughS('p3', 'small');
    assert.deepEqual([third.answer.ok, third.answer.error.code], [false, 'room_full']);
    assert.match(third.answer.error.message, /max_participants 2/);
    // The refused session stays open and may try again.
    first.session.close();
    await waitFor(() => notes(second.session, 'participantLeft').length === 1, {
      what: 'p1 gone from the room',
    });
    const retry = await third.session.request('join');
    assert.equal(retry.ok, true, JSON.stringify(retry));
    assert.deepEqual(
      retry.data.participants.map((p: Frame) => p.identity),
      ['p2'],
    );
  });

  it('frees the participant on the room node as soon as the client closes its socket on the bridge node', async () => {
    await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'prompt' });
    const stayer = await joinThroughS('stayer', 'prompt');
    const leaver = await joinThroughS('leaver', 'prompt');
    await waitFor(() => notes(stayer.session, 'participantJoined').length === 1, {
      what: 'leaver seen joining',
    });
    const closedAt = Date.now();
    leaver.session.close();
    await waitFor(() => notes(stayer.session, 'participantLeft').length === 1, {
      what: 'leaver seen leaving',
    });
    // Well under a relay heartbeat timeout: the close travels at once.
    assert.ok(Date.now() - closedAt < 1000, `took ${Date.now() - closedAt} ms`);
    const left = notes(stayer.session, 'participantLeft')[0];
    assert.equal(left.data.identity, 'leaver');
    const rooms = await admin(nodes.r1.url, 'GET', '/admin/rooms');
    assert.equal(rooms.body.rooms.find((r: Frame) => r.name === 'prompt').participants, 1);
  });

  it("counts a join's placement in the bridge node's metrics, with its outcome", async () => {
    const before = await placements(nodes.s.url);
    await admin(nodes.r2.url, 'POST', '/admin/rooms', { name: 'counted' });
    const joined = await joinThroughS('counter', 'counted');
    assert.equal(joined.answer.data.node.id, nodes.r2.id);
    const now = await placements(nodes.s.url);
    // The room was already on r2: the bridge node's placement found it there (sticky), and timed it.
    assert.equal(now.sticky - before.sticky, 1);
    assert.equal(now.observed - before.observed, 1);
  });

  it('ends the older session with 4006 when the same identity joins again', async () => {
    await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'twice' });
    const watcher = await joinThroughS('watcher', 'twice');
    const older = await joinThroughS('dup', 'twice');
    const newer = await joinThroughS('dup', 'twice');
    assert.equal(newer.answer.ok, true);
    const closed = await older.session.waitClosed();
    assert.equal(closed.code, CloseCode.DUPLICATE_IDENTITY);
    await waitFor(() => notes(watcher.session, 'participantJoined').length === 2, {
      what: 'dup seen joining twice',
    });
    assert.equal(newer.session.closed(), undefined);
  });

  it("closes a participant's bridged session with 4003 when the room API removes it, and tells the others", async () => {
    await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'kick' });
    const victim = await joinThroughS('victim', 'kick');
    const witness = await joinThroughS('witness', 'kick');
    // The official SDK, through the bridge node: the call is routed to the room's node.
    const api = new RoomServiceClient(nodes.s.url, TEST_KEY, TEST_SECRET);
    await api.removeParticipant('kick', 'victim');
    const closed = await victim.session.waitClosed();
    assert.equal(closed.code, CloseCode.KICKED);
    assert.match(closed.reason, /removed through the room API/);
    await waitFor(() => notes(witness.session, 'participantLeft').length === 1, { what: 'witness told' });
    assert.equal(witness.session.closed(), undefined);
  });

  it('sends roomClosing and closes with 4004 when the room is deleted', async () => {
    await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'doomed' });
    const member = await joinThroughS('member', 'doomed');
    await new RoomServiceClient(nodes.s.url, TEST_KEY, TEST_SECRET).deleteRoom('doomed');
    const closed = await member.session.waitClosed();
    assert.equal(closed.code, CloseCode.ROOM_CLOSED);
    const closing = notes(member.session, 'roomClosing');
    assert.equal(closing.length, 1);
    assert.equal(closing[0].data.code, CloseCode.ROOM_CLOSED);
  });

  it('closes with 4002 (room moved) when the room node drains the room away', async () => {
    await admin(nodes.r2.url, 'POST', '/admin/rooms', { name: 'drained' });
    const member = await joinThroughS('member', 'drained');
    assert.equal(member.answer.data.node.id, nodes.r2.id);
    const drained = await admin(nodes.r2.url, 'POST', '/admin/drain', { deadline_seconds: 1 });
    assert.equal(drained.status, 200);
    const closed = await member.session.waitClosed(15_000);
    assert.equal(closed.code, CloseCode.ROOM_MOVED);
    assert.match(closed.reason, /room moved/);
    // Once the drained node has let the room go, a rejoin finds it again on a node that is not draining.
    await exitedWithin(nodes.r2.child, 15_000, 'the drained room node to exit');
    const again = await joinThroughS('member', 'drained');
    assert.equal(again.answer.ok, true, JSON.stringify(again.answer));
    assert.notEqual(again.answer.data.node.id, nodes.r2.id);
  });

  it('closes with 4001 (room node gone) when the room node process is killed', async () => {
    await admin(nodes.r1.url, 'POST', '/admin/rooms', { name: 'orphaned' });
    const member = await joinThroughS('member', 'orphaned');
    assert.equal(member.answer.data.node.id, nodes.r1.id);
    nodes.r1.child.kill('SIGKILL');
    const closed = await member.session.waitClosed(15_000);
    assert.equal(closed.code, CloseCode.ROOM_NODE_GONE);
    // Whichever comes first: the relay's silence timeout, or the cluster sweeping the node's expired lease.
    assert.match(closed.reason, new RegExp(`room node ${nodes.r1.id} (stopped answering|died)`));
  });
});
