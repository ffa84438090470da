import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Room as RoomInfo, WebhookEvent } from '@livekit/protocol';
import { pino } from 'pino';
import { NodeMetrics } from '../../server/metrics.js';
import { WebhookQueue, type WebhookQueueOptions } from '../../server/webhooks/webhook-queue.js';
import { TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { refusedUrl, startBlackHole, startReceiver, type TestReceiver } from './receiver.js';

const silent = pino({ level: 'silent' });

function newMetrics(): NodeMetrics {
  const zero = () => 0;
  return new NodeMetrics(
    {
      state: () => 'serving',
      rooms: zero,
      participants: zero,
      tracksIn: zero,
      tracksOut: zero,
      routers: zero,
      transports: zero,
      signalSockets: zero,
      workerUsage: async () => [],
    },
    { node_id: 'ND_test', region: '' },
  );
}

function event(name: string, room: string, n: number): WebhookEvent {
  return new WebhookEvent({
    event: name,
    id: `EV_${room}_${n}`,
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
    room: new RoomInfo({ name: room, sid: `RM_${room}` }),
  });
}

/** The count of lkc_webhook_events_total for `outcome` (and `event`, when given). */
async function outcomes(metrics: NodeMetrics, outcome: string, name?: string): Promise<number> {
  const { values } = await metrics.webhookEvents.get();
  return values
    .filter((v) => v.labels.outcome === outcome && (name === undefined || v.labels.event === name))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('WebhookQueue', () => {
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });
  const queue = (urls: string[], metrics: NodeMetrics, options: Partial<WebhookQueueOptions> = {}) => {
    const q = new WebhookQueue({
      urls,
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      metrics,
      log: silent,
      ...options,
    });
    closers.push(() => q.close(0));
    return q;
  };
  const receiver = async (...args: Parameters<typeof startReceiver>): Promise<TestReceiver> => {
    const r = await startReceiver(...args);
    closers.push(() => r.close());
    return r;
  };

  it('posts each event to every URL as LiveKit does: WebhookReceiver verifies it, webhook+json, in order', async () => {
    const [one, two] = [await receiver(), await receiver()];
    const metrics = newMetrics();
    const q = queue([one.url, two.url], metrics);
    const names = ['room_started', 'participant_joined', 'participant_left', 'room_finished'];
    const started = performance.now();
    for (const [n, name] of names.entries()) q.push('r1', event(name, 'r1', n));
    // Pushing only enqueues: the caller (a room's event handler) never waits on the network.
    assert.ok(performance.now() - started < 50);
    assert.equal(q.length, 8);
    for (const r of [one, two]) {
      await waitFor(() => r.accepted().length === 4, { what: 'four events at each URL' });
      assert.deepEqual(r.refused, []);
      assert.deepEqual(
        r.accepted().map((e) => e.event),
        names,
      );
      assert.deepEqual(
        r.accepted().map((e) => e.id),
        ['EV_r1_0', 'EV_r1_1', 'EV_r1_2', 'EV_r1_3'],
      );
      for (const { headers, body } of r.requests) {
        assert.equal(headers['content-type'], 'application/webhook+json');
        // LiveKit's JSON: camelCase names, int64 as a string.
        const json = JSON.parse(body);
        assert.equal(typeof json.createdAt, 'string');
        assert.equal(json.room.name, 'r1');
      }
    }
    await waitFor(() => q.length === 0, { what: 'the queue to empty' });
    assert.equal(await outcomes(metrics, 'sent'), 8);
    assert.equal(await outcomes(metrics, 'sent', 'room_started'), 2);
  });

  it('a signature from another secret is refused by the receiver', async () => {
    const r = await receiver(undefined, 'another-secret-of-at-least-32-characters');
    const q = queue([r.url], newMetrics(), { retryForMs: 0 });
    q.push('r1', event('room_started', 'r1', 0));
    await waitFor(() => r.refused.length === 1, { what: 'the refusal' });
    assert.match(r.refused[0]!, /signature/);
  });

  it('retries an endpoint that answers 500, with backoff, and keeps the order', async () => {
    const r = await receiver((_event, index) => (index < 3 ? 500 : 200));
    const metrics = newMetrics();
    const q = queue([r.url], metrics, { firstBackoffMs: 50 });
    for (let n = 0; n < 3; n++) q.push('r1', event('participant_joined', 'r1', n));
    await waitFor(() => r.accepted().length === 3, { what: 'three events after the retries' });
    assert.deepEqual(
      r.requests.map((req) => `${req.event.id}:${req.status}`),
      ['EV_r1_0:500', 'EV_r1_0:500', 'EV_r1_0:500', 'EV_r1_0:200', 'EV_r1_1:200', 'EV_r1_2:200'],
    );
    // Backoff doubles: 50, 100, 200 ms between the tries of the first event.
    const gaps = r.requests.slice(1, 4).map((req, i) => req.at - r.requests[i]!.at);
    assert.ok(gaps[0]! >= 40 && gaps[1]! >= 90 && gaps[2]! >= 190, `gaps ${gaps.join(', ')}`);
    // Read as the queue settles: the receiver may see the last event before the queue has counted its outcome.
    await waitFor(async () => (await metrics.webhookRetries.get()).values[0]?.value === 3, {
      what: '3 retries counted',
    });
    await waitFor(async () => (await outcomes(metrics, 'sent')) === 3, { what: '3 events counted sent' });
  });

  it('gives an event up after the retry window, counts it failed, and goes on with the next', async () => {
    const metrics = newMetrics();
    const hole = await startBlackHole();
    closers.push(() => hole.close());
    const refused = await refusedUrl();
    const q = queue([refused, hole.url], metrics, {
      firstBackoffMs: 20,
      retryForMs: 300,
      requestTimeoutMs: 100,
    });
    q.push('r1', event('room_started', 'r1', 0));
    q.push('r1', event('room_finished', 'r1', 1));
    await waitFor(() => q.length === 0, { timeoutMs: 5000, what: 'both URLs to give both events up' });
    assert.equal(await outcomes(metrics, 'failed'), 4);
    assert.equal(await outcomes(metrics, 'failed', 'room_finished'), 2);
    assert.ok(hole.connections() >= 2, 'the black hole was tried');
    const { values } = await metrics.webhookSendSeconds.get();
    const errors = values.find((v) => v.metricName?.endsWith('_count') && v.labels.result === 'error');
    assert.ok(errors && errors.value > 4, 'every failed request is timed');
  });

  it('drops what does not fit a full queue, counted', async () => {
    const hole = await startBlackHole();
    closers.push(() => hole.close());
    const metrics = newMetrics();
    const q = queue([hole.url], metrics, { maxQueued: 3, requestTimeoutMs: 10_000 });
    for (let n = 0; n < 5; n++) q.push(`r${n}`, event('room_started', `r${n}`, n));
    assert.equal(q.length, 3);
    assert.equal(await outcomes(metrics, 'dropped'), 2);
    assert.equal((await metrics.webhookQueueLength.get()).values[0]!.value, 3);
  });

  it("a slow endpoint holds only its own room's lane", async () => {
    const r = await receiver(async (e) => {
      if (e.room?.name === 'slow') await sleep(800);
      return 200;
    });
    const q = queue([r.url], newMetrics());
    q.push('slow', event('room_started', 'slow', 0));
    q.push('slow', event('room_finished', 'slow', 1));
    q.push('fast', event('room_started', 'fast', 0));
    q.push('fast', event('room_finished', 'fast', 1));
    await waitFor(() => r.accepted().length === 4, { what: 'all four events' });
    assert.deepEqual(
      r.accepted().map((e) => e.id),
      ['EV_fast_0', 'EV_fast_1', 'EV_slow_0', 'EV_slow_1'],
    );
  });

  it('close flushes what the endpoint takes within the grace, and drops the rest', async () => {
    const r = await receiver();
    const hole = await startBlackHole();
    closers.push(() => hole.close());
    const metrics = newMetrics();
    const q = new WebhookQueue({
      urls: [r.url, hole.url],
      apiKey: TEST_KEY,
      apiSecret: TEST_SECRET,
      metrics,
      log: silent,
    });
    q.push('r1', event('room_finished', 'r1', 0));
    const started = Date.now();
    await q.close(500);
    const took = Date.now() - started;
    assert.ok(took >= 450 && took < 1500, `close took ${took} ms`);
    assert.deepEqual(
      r.accepted().map((e) => e.event),
      ['room_finished'],
    );
    assert.equal(await outcomes(metrics, 'sent'), 1);
    assert.equal(await outcomes(metrics, 'dropped'), 1);
    q.push('r1', event('room_started', 'r2', 0));
    assert.equal(await outcomes(metrics, 'dropped'), 3, 'a closed queue takes nothing');
  });
});
