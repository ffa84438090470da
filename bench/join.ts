// Join benchmark: time from the start of a join to the first decoded frame of a remote video, through a bridge
// node, for LiveKit's own client (livekit-client) beside our join page in the same run. Two real node processes
// on a private redis-server; the room lives on node A with a livekit-client page there publishing camera and mic
// (Chromium's fake devices); each run a fresh viewer page joins through node B, the clients interleaved run by
// run: livekit-client as apps use it, livekit-client told to skip its /rtc/v1 attempt (which shows what that
// attempt costs), and our join page. Every page also logs when its signalling messages, PeerConnection states
// and first frame happen, so that a slow join shows where its time goes.
// Run by hand: `npm run build && node dist/bench/join.js [--runs 10]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import Table from 'cli-table3';
import type { Browser, Page } from 'playwright-core';
import { createToken } from '../src/auth/token.js';
import { launchBrowser } from '../test/e2e/browser.js';
import {
  admin,
  nodeConfig,
  startNode,
  TEST_KEY,
  TEST_SECRET,
  type TestNode,
  writeConfig,
} from '../test/helpers/node-process.js';
import { freePort } from '../test/helpers/ports.js';
import { startRedis, type TestRedis } from '../test/helpers/redis-server.js';
import { within } from '../test/helpers/wait.js';
import { serveApp } from '../test/livekit/livekit-page.js';
import { arg } from './args.js';
import { median, percentile } from './figures.js';
import { machineLine } from './machine.js';

const RUNS = Number(arg('runs', '10'));
const ROOM = 'join-bench';
const RUN_TIMEOUT_MS = 20_000;
const TARGET_MS = 1500;
const TARGET_RATIO = 1.3;

/**
 * Runs in every viewer page before its own scripts: `bench.begin()` starts the clock (performance.now(), so page
 * load is not counted) and a 10 ms getStats poll of every PeerConnection for a decoded video frame; sockets,
 * fetches and PeerConnections are wrapped to note when things happen. The first WebSocket begins the clock if
 * nothing did before: that is where our join page starts joining, as it does at load.
 */
const INSTRUMENT = `(() => {
  const marks = [];
  const pcs = [];
  const bench = (window.bench = { start: 0, marks, frame: null });
  const now = () => performance.now() - bench.start;
  const mark = (label, data) => marks.push({ t: now(), label, data });
  const bytes = (buffer) => {
    const view = new Uint8Array(buffer);
    let text = '';
    for (let i = 0; i < view.length; i++) text += String.fromCharCode(view[i]);
    return btoa(text);
  };
  const frame = (data) => (typeof data === 'string' ? data : data instanceof ArrayBuffer ? { binary: bytes(data) } : 'blob');
  bench.begin = () => {
    if (bench.frame) return;
    bench.start = performance.now();
    bench.frame = new Promise((resolve) => {
      const poll = async () => {
        for (let i = 0; i < pcs.length; i++) {
          const report = await pcs[i].getStats();
          for (const s of report.values()) {
            if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
            // Packets (padding too) before a decoded frame: the viewer waits for a key frame; none: the server sends none.
            if (s.packetsReceived > 0 && !bench.packets) {
              bench.packets = true;
              mark('first video packet', { pc: i });
            }
            if (s.framesDecoded > 0) {
              mark('first frame decoded', { pc: i });
              return resolve(now());
            }
          }
        }
        setTimeout(poll, 10);
      };
      poll();
    });
  };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(url, protocols) {
      bench.begin();
      super(url, protocols);
      const path = new URL(url).pathname;
      mark('socket ' + path);
      this.addEventListener('open', () => mark('socket open ' + path));
      this.addEventListener('error', () => mark('socket error ' + path));
      this.addEventListener('message', (e) => mark('recv', frame(e.data)));
    }
    send(data) {
      mark('send', frame(data));
      super.send(data);
    }
  };
  const nativeFetch = window.fetch;
  window.fetch = async (input, init) => {
    const path = new URL(String(input instanceof Request ? input.url : input), location.href).pathname;
    mark('fetch ' + path);
    try { return await nativeFetch(input, init); } finally { mark('fetched ' + path); }
  };
  const NativePc = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePc {
    constructor(...args) {
      super(...args);
      const pc = pcs.push(this) - 1;
      mark('pc created', { pc });
      this.addEventListener('iceconnectionstatechange', () => mark('ice ' + this.iceConnectionState, { pc }));
      this.addEventListener('connectionstatechange', () => mark('pc ' + this.connectionState, { pc }));
    }
  };
})();`;

interface Mark {
  t: number;
  label: string;
  data?: string | { binary: string } | { pc: number };
}

const CLIENTS = {
  livekit: 'livekit-client 2.23, its defaults (tries /rtc/v1, falls back to /rtc)',
  'livekit-v0': 'livekit-client 2.23, singlePeerConnection: false (/rtc at once)',
  ours: 'our join page (JSON protocol, mediasoup-client)',
};
type Client = keyof typeof CLIENTS;
const CLIENT_NAMES = Object.keys(CLIENTS) as Client[];

interface Run {
  ms: number;
  marks: Mark[];
}

/** Chatter that repeats during a join: only its first occurrence is kept in the breakdown. */
const FIRST_ONLY = new Set([
  'update',
  'speakersChanged',
  'connectionQuality',
  'ping',
  'pong',
  'pingReq',
  'pongResp',
  'trickle',
]);

/** The media an offer or answer carries (its m-lines that send or receive), which tells the offers apart. */
function mediaOf(message: SignalRequest['message'] | SignalResponse['message']): string {
  if (message.case !== 'offer' && message.case !== 'answer') return '';
  const kinds = message.value.sdp
    .split(/\r?\n(?=m=)/)
    .filter((section) => /^m=(audio|video)/.test(section) && !/a=inactive/.test(section))
    .map((section) => section.slice(2, 7));
  return ` (${kinds.join('+') || 'no media'})`;
}

/** Names each mark for the breakdown: signalling messages decoded, PeerConnection events by the role of the PC. */
function labels(run: Run): Map<string, number> {
  const out = new Map<string, number>();
  const framePc = (run.marks.find((m) => m.label === 'first frame decoded')?.data as { pc?: number })?.pc;
  const methods = new Map<number, string>();
  const put = (label: string, t: number, numbered: boolean) => {
    if (!numbered) {
      if (!out.has(label)) out.set(label, t);
      return;
    }
    let name = label;
    for (let n = 2; out.has(name); n++) name = `${label} #${n}`;
    out.set(name, t);
  };
  for (const { t, label, data } of run.marks) {
    if (data && typeof data === 'object' && 'pc' in data) {
      put(`${label} (${data.pc === framePc ? 'receiving' : 'other'} pc)`, t, true);
    } else if (data && typeof data === 'object' && 'binary' in data) {
      const body = Buffer.from(data.binary, 'base64');
      const message =
        label === 'send' ? SignalRequest.fromBinary(body).message : SignalResponse.fromBinary(body).message;
      put(`${label} ${message.case}${mediaOf(message)}`, t, !FIRST_ONLY.has(message.case ?? ''));
    } else if (typeof data === 'string') {
      // Our protocol: requests carry an id and a method, answers only the id, notifications a method.
      const frame = JSON.parse(data) as { id?: number; method?: string; notification?: boolean };
      if (label === 'send' && frame.id !== undefined && frame.method) {
        methods.set(frame.id, frame.method);
        put(`send ${frame.method}`, t, true);
      } else if (frame.notification) put(`notified ${frame.method}`, t, false);
      else put(`answered ${methods.get(frame.id!) ?? '?'}`, t, true);
    } else put(label, t, false);
  }
  return out;
}

async function viewerPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(INSTRUMENT);
  await page.goto(url);
  return page;
}

async function joinToken(identity: string): Promise<string> {
  return createToken({
    apiKey: TEST_KEY,
    apiSecret: TEST_SECRET,
    identity,
    grant: { roomJoin: true, room: ROOM },
  });
}

/** One viewer joining through `bridge`: the ms to its first decoded remote frame, and its marks. */
async function joinOnce(
  browser: Browser,
  client: Client,
  bridge: string,
  site: string,
  identity: string,
): Promise<Run> {
  const token = await joinToken(identity);
  let page: Page | undefined;
  try {
    if (client !== 'ours') {
      page = await viewerPage(browser, site);
      // livekit-client 2.23 tries the single-PeerConnection protocol (/rtc/v1) first unless told not to.
      const options = client === 'livekit' ? {} : { singlePeerConnection: false };
      // Clock started just before connect(), inside the page: what a LiveKit app's user waits for.
      await page.evaluate(
        ([url, t, o]) => {
          bench.begin();
          return app.connect(url as string, t as string, o as Record<string, unknown>);
        },
        [bridge, token, options] as const,
      );
    } else {
      // The join page starts joining as it loads; its first WebSocket starts the clock.
      page = await viewerPage(browser, `${bridge}/join?token=${encodeURIComponent(token)}&publish=none`);
    }
    const viewer = page;
    const ms = await within(
      viewer.evaluate(async () => {
        while (!bench.frame) await new Promise((resolve) => setTimeout(resolve, 5));
        return bench.frame;
      }),
      RUN_TIMEOUT_MS,
      `${identity}'s first decoded frame`,
    );
    const marks = await viewer.evaluate(() => bench.marks);
    return { ms, marks };
  } finally {
    await page?.context().close();
  }
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), max: sorted.at(-1)! };
}

/** Median time of every mark seen in at least half the runs, in the order they happen, and its time in `slowest`. */
function breakdown(runs: Run[], slowest: Run): [string, number, number | undefined][] {
  const seen = new Map<string, number[]>();
  for (const run of runs)
    for (const [label, t] of labels(run)) seen.set(label, [...(seen.get(label) ?? []), t]);
  const slow = labels(slowest);
  return [...seen]
    .filter(([, times]) => times.length * 2 >= runs.length)
    .map(([label, times]): [string, number, number | undefined] => [label, median(times), slow.get(label)])
    .sort((a, b) => a[1] - b[1]);
}

declare global {
  // INSTRUMENT's global, read inside page.evaluate() callbacks (which run in the browser).
  var bench: { begin(): void; frame: Promise<number> | null; marks: Mark[] };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const dir = mkdtempSync(join(tmpdir(), 'lkc-bench-join-'));
  let redis: TestRedis | undefined;
  const nodes: TestNode[] = [];
  let browser: Browser | undefined;
  let site: { url: string; close(): Promise<void> } | undefined;
  try {
    redis = await startRedis();
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const config = {
        ...nodeConfig({ port, redis: redis.address }),
        logging: { level: 'warn', json: false },
      };
      nodes.push(await startNode(writeConfig(dir, `${name}.yaml`, config), port));
    }
    const [a, b] = nodes as [TestNode, TestNode];
    const created = await admin(a.url, 'POST', '/admin/rooms', { name: ROOM });
    if (created.status !== 200)
      throw new Error(`could not create the room on A: ${JSON.stringify(created.body)}`);
    browser = await launchBrowser();
    site = await serveApp();
    const publisher = await browser.newPage();
    await publisher.goto(site.url);
    await publisher.evaluate(([url, t]) => app.connect(url!, t!), [a.url, await joinToken('publisher')]);
    await publisher.evaluate(() => app.publish());

    const runs = Object.fromEntries(CLIENT_NAMES.map((name) => [name, [] as Run[]])) as Record<Client, Run[]>;
    // One warm-up run of each, not counted: the first join of a process pays for its cold code paths.
    for (let i = -1; i < RUNS; i++) {
      // Each client takes each place in the order in turn, so none always follows the same one.
      const k = (i + 1) % CLIENT_NAMES.length;
      for (const client of [...CLIENT_NAMES.slice(k), ...CLIENT_NAMES.slice(0, k)]) {
        const run = await joinOnce(browser, client, b.url, site.url, `viewer-${client}-${i + 1}`);
        if (i >= 0) runs[client].push(run);
      }
    }

    const figures = Object.fromEntries(
      CLIENT_NAMES.map((name) => [name, summary(runs[name].map((r) => r.ms))]),
    ) as Record<Client, ReturnType<typeof summary>>;
    const table = new Table({
      head: [
        'viewer through bridge node B',
        'runs',
        'p50 ms',
        'p90 ms',
        'max ms',
        'p50 / ours',
        'every run (ms)',
      ],
      style: { head: [], border: [] },
    });
    for (const name of CLIENT_NAMES) {
      const f = figures[name];
      const ratio = (f.p50 / figures.ours.p50).toFixed(2);
      table.push([CLIENTS[name], RUNS, f.p50, f.p90, f.max, ratio, every(runs[name])].map(cell));
    }
    console.log(
      `join: from the start of the join to the first decoded frame of the remote video (getStats every 10 ms), timed with performance.now() in the page so that page load is excluded: LiveKit from just before room.connect(), ours from the join page's first WebSocket (it joins as it loads); viewer through bridge node B, room and publisher (livekit-client, camera+mic) on node A; ${RUNS} runs per client after one warm-up each, interleaved`,
    );
    console.log(machineLine(loadBefore));
    console.log(table.toString());
    const lk = figures.livekit.p50;
    const ratio = lk / figures.ours.p50;
    console.log(
      `target LiveKit p50 <= ${TARGET_MS} ms: ${lk <= TARGET_MS ? 'met' : 'NOT met'} (${cell(lk)} ms)`,
    );
    console.log(
      `target LiveKit p50 <= ${TARGET_RATIO}x ours: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`,
    );
    for (const name of CLIENT_NAMES) {
      const slowest = runs[name].reduce((x, y) => (y.ms > x.ms ? y : x));
      const steps = new Table({
        head: [`${name}: event`, 'median ms', `slowest run (${cell(slowest.ms)} ms)`],
        style: { head: [], border: [] },
      });
      for (const [label, mid, slow] of breakdown(runs[name], slowest))
        steps.push([label, cell(mid), slow === undefined ? '' : cell(slow)]);
      console.log(steps.toString());
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await site?.close();
    await Promise.all(nodes.map((node) => node.stop().catch(() => node.child.kill('SIGKILL'))));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function every(runs: Run[]): string {
  return runs.map((run) => cell(run.ms)).join(', ');
}

function cell(value: number | string): string {
  return typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(0) : String(value);
}

await main();
process.exit(0);
