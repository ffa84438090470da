import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '../../src/auth/token.js';
import type { BotSpec } from '../../src/loadtest/bot-contract.js';
import { BotFleet } from '../../src/loadtest/bot-processes.js';
import { sumSnapshots } from '../../src/loadtest/figures.js';
import { TEST_KEY, TEST_SECRET, type TestNode } from '../helpers/node-process.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait.js';
import { type SpanCluster, startSpanCluster } from './span-cluster.js';

const ROOM = 'span-metrics';

/** One sample of a node's /metrics (0 when absent). */
async function metric(node: TestNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { samples } = parsePrometheusText(await (await fetch(`${node.url}/metrics`)).text());
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value ?? 0;
}

async function bot(identity: string, role: BotSpec['role']): Promise<BotSpec> {
  const token = await createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: {
      roomJoin: true,
      room: ROOM,
      canPublish: role === 'publisher',
      canSubscribe: role === 'subscriber',
    },
    ttlSeconds: 600,
  });
  return { identity, role, token };
}

describe("a spanning room's pipe metrics: bytes through the pipes and the setup of a piped video", {
  timeout: 90_000,
}, () => {
  let cluster: SpanCluster;
  const fleets: BotFleet[] = [];
  const errors: string[] = [];

  before(async () => {
    cluster = await startSpanCluster(
      [
        { name: 'west', region: 'us-west-2' },
        { name: 'east', region: 'eu-central-1' },
      ],
      { label: 'span-metrics' },
    );
  });

  after(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await cluster?.stop();
  });

  /** Real WebRTC bots (loadtest/) joining through `node`. */
  function fleet(node: TestNode): BotFleet {
    const made = new BotFleet(1, node.url, { videoLayers: ['180p'], audio: true }, (identity, message) =>
      errors.push(`${identity}: ${message}`),
    );
    fleets.push(made);
    return made;
  }

  async function receivesVideo(subscriber: BotFleet, who: string): Promise<void> {
    await waitFor(async () => sumSnapshots(await subscriber.snapshots()).received.video.tracks >= 1, {
      timeoutMs: 20_000,
      what: () => `${who} to receive the publisher's video${errors.length ? ` (${errors.join('; ')})` : ''}`,
    });
  }

  it('counts the bytes both ends of a pipe carry and times each first video on the leg', async () => {
    const west = cluster.node('west');
    const east = cluster.node('east');
    const publisher = fleet(west);
    publisher.start([await bot('publisher', 'publisher')]);
    await waitFor(async () => sumSnapshots(await publisher.snapshots()).ready === 1, {
      timeoutMs: 20_000,
      what: 'the publisher to publish',
    });
    const first = fleet(east);
    first.start([await bot('viewer-1', 'subscriber')]);
    await receivesVideo(first, 'the subscriber on the leg');

    // The leg timed its one piped video, once; the home, which receives nothing, timed nothing.
    await waitFor(async () => (await metric(east, 'lkc_span_pipe_setup_seconds_count')) === 1, {
      what: "the leg's first pipe setup sample",
    });
    const setup = await metric(east, 'lkc_span_pipe_setup_seconds_sum');
    assert.ok(setup > 0, `a setup takes some time (${setup} s)`);
    assert.equal(await metric(west, 'lkc_span_pipe_setup_seconds_count'), 0);

    // Media crosses: the home's pipe sends what the leg's receives, and the counters only grow.
    await waitFor(
      async () =>
        (await metric(west, 'lkc_span_pipe_bytes_total', { direction: 'out' })) > 20_000 &&
        (await metric(east, 'lkc_span_pipe_bytes_total', { direction: 'in' })) > 20_000,
      { timeoutMs: 15_000, what: 'the pipe to carry 20 kB each way it is counted' },
    );
    const out1 = await metric(west, 'lkc_span_pipe_bytes_total', { direction: 'out' });
    const in1 = await metric(east, 'lkc_span_pipe_bytes_total', { direction: 'in' });
    await waitFor(
      async () => (await metric(west, 'lkc_span_pipe_bytes_total', { direction: 'out' })) > out1,
      {
        what: "the home's pipe bytes out to grow",
      },
    );
    assert.ok((await metric(east, 'lkc_span_pipe_bytes_total', { direction: 'in' })) >= in1);

    // The viewer leaves; after the grace the home pauses the pipe's video; the next viewer is a second setup.
    await first.stop();
    await waitFor(
      async () =>
        (await cluster.part('west', ROOM))?.pipes.find((p) => p.node === east.id)?.video_flowing === 0,
      { timeoutMs: 15_000, what: "the home to pause the pipe's video once nobody on the leg watches" },
    );
    const second = fleet(east);
    second.start([await bot('viewer-2', 'subscriber')]);
    await receivesVideo(second, 'the second subscriber on the leg');
    await waitFor(async () => (await metric(east, 'lkc_span_pipe_setup_seconds_count')) === 2, {
      what: "the leg's second pipe setup sample",
    });
    assert.ok((await metric(east, 'lkc_span_pipe_setup_seconds_sum')) > setup);
    assert.deepEqual(errors, []);
  });
});
