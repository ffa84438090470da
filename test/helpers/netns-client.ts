// The client host of the separate-hosts tests: started by startLanClient (netns.ts) inside a network namespace,
// where the test process itself cannot reach. It reads one JSON request a line on stdin, `{id, op, args}`, does
// it from inside the namespace (HTTP, a Redis command, a session on /rtc, a browser page) and writes
// `{id, ok, value}` or `{id, ok: false, error}` on stdout. Nothing else goes to stdout. It exits when stdin ends.
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openJoinPage } from '../e2e/browser.js';
import { openSession, type WsSession } from './ws-session.js';

type Args = Record<string, unknown>;

const redises = new Map<string, Redis>();
const sessions = new Map<number, WsSession>();
const pages = new Map<number, { page: Page; log: string[] }>();
let browser: Browser | undefined;
let nextHandle = 1;

/** One client per Redis address; a command fails fast while the address is unreachable instead of queueing. */
function redis(address: string): Redis {
  let client = redises.get(address);
  if (!client) {
    const [host, port] = address.split(':');
    client = new Redis(Number(port), host!, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: () => 100,
    });
    client.on('error', () => {});
    redises.set(address, client);
  }
  return client;
}

function session(args: Args): WsSession {
  const found = sessions.get(args.session as number);
  if (!found) throw new Error(`no session ${args.session}`);
  return found;
}

function page(args: Args): { page: Page; log: string[] } {
  const found = pages.get(args.page as number);
  if (!found) throw new Error(`no page ${args.page}`);
  return found;
}

const OPS: Record<string, (args: Args) => Promise<unknown> | unknown> = {
  ping: () => 'pong',
  /** An HTTP request: the status and the parsed JSON body (or the text). */
  async http(args) {
    const response = await fetch(args.url as string, {
      method: (args.method as string) ?? 'GET',
      headers: (args.headers as Record<string, string>) ?? {},
      body: args.body === undefined ? undefined : JSON.stringify(args.body),
      signal: AbortSignal.timeout((args.timeoutMs as number) ?? 5000),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      return { status: response.status, body: text };
    }
  },
  /** One Redis command at `address` (host:port). */
  async redis(args) {
    await waitReady(redis(args.address as string));
    const [name, ...rest] = args.command as string[];
    return redis(args.address as string).call(name!, ...rest);
  },
  /** Opens /rtc on `url` with `token`; the handle of the session. */
  async 'ws.open'(args) {
    const opened = await openSession(args.url as string, args.token as string, (args.query as string) ?? '');
    opened.socket.on('error', () => {});
    const handle = nextHandle++;
    sessions.set(handle, opened);
    return handle;
  },
  'ws.request': (args) =>
    session(args).request(args.method as never, args.data as never, args.timeoutMs as number | undefined),
  'ws.closed': (args) => session(args).closed() ?? null,
  'ws.close'(args) {
    session(args).close();
    sessions.delete(args.session as number);
    return null;
  },
  /** Launches Chromium; `origins`: the nodes' http origins its pages may open (it reaches nothing else). */
  async 'browser.launch'(args) {
    browser ??= await launchBrowser((args.origins as string[]) ?? []);
    return null;
  },
  /** Opens a join page; the handle of the page. */
  async 'page.open'(args) {
    if (!browser) throw new Error('no browser: call browser.launch first');
    const opened = await openJoinPage(
      browser,
      args.url as string,
      args.token as string,
      (args.query as string) ?? '',
    );
    const handle = nextHandle++;
    pages.set(handle, opened);
    return handle;
  },
  /** Evaluates a JavaScript expression in the page (e.g. `lkc.joined`), awaiting it when it is a promise. */
  'page.eval': (args) => page(args).page.evaluate(args.expression as string),
  'page.log': (args) => page(args).log,
  async 'browser.close'() {
    await browser?.close();
    browser = undefined;
    return null;
  },
};

async function waitReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready (${client.status})`)), 2000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function shutdown(): Promise<void> {
  for (const s of sessions.values()) s.socket.terminate();
  await browser?.close().catch(() => {});
  for (const client of redises.values()) client.disconnect();
  process.exit(0);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const { id, op, args } = JSON.parse(line) as { id: number; op: string; args: Args };
  try {
    const handler = OPS[op];
    if (!handler) throw new Error(`unknown op ${op}`);
    const value = await handler(args ?? {});
    process.stdout.write(`${JSON.stringify({ id, ok: true, value: value ?? null })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ id, ok: false, error: (err as Error).message })}\n`);
  }
});
lines.on('close', () => void shutdown());
