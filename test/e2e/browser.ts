import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../helpers/paths.js';

export const CHROMIUM = process.env.LKC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Fake camera and microphone, and every packet kept on loopback (see shared/BROWSER.md), or on the hosts of
 * `origins` too: the resolver rule maps every name, IP literals included, to "not found" but those excluded.
 * Those origins count as secure (plain http on an address other than loopback is not, and has neither
 * getUserMedia nor what mediasoup-client needs).
 */
function flags(origins: string[]): string[] {
  const hosts = ['127.0.0.1', ...origins.map((origin) => new URL(origin).hostname)];
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection',
    `--host-resolver-rules=MAP * ~NOTFOUND, ${hosts.map((host) => `EXCLUDE ${host}`).join(', ')}`,
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
    ...(origins.length ? [`--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`] : []),
  ];
}

/**
 * Launches Debian's Chromium headless; a missing browser or page bundle fails with what to install or run.
 * `origins`: the http origins besides loopback its pages may open (the separate-hosts tests' nodes).
 */
export async function launchBrowser(origins: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set LKC_CHROMIUM)`);
  if (!existsSync(join(projectRoot, 'dist', 'client', 'app.js'))) {
    throw new Error('the join page is not built: run npm run build (node scripts/build-client.mjs)');
  }
  return chromium.launch({ executablePath: CHROMIUM, args: flags(origins) });
}

/** Opens the join page of `nodeUrl` with `token`; the page's console goes into `log` for failure messages. */
export async function openJoinPage(
  browser: Browser,
  nodeUrl: string,
  token: string,
  query = '',
): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(message.text()));
  page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
  await page.goto(`${nodeUrl}/join?token=${encodeURIComponent(token)}${query}`);
  return { page, log };
}

/** A data message the join page received (src/signal/protocol.ts NodeDataMessage). */
export interface PageDataMessage {
  from: string | null;
  topic?: string;
  data: string;
  binary?: true;
  reliable: boolean;
}

/** What the join page exposes on `lkc` (client/main.ts), as far as the tests read it. */
export interface JoinPageApi {
  state: string;
  error: string | null;
  joined: boolean;
  node: string | null;
  remoteParticipants: string[];
  remoteTracks(): { consumerId: string; participant: string; kind: string }[];
  producers(): string[];
  events: string[];
  stats(): Promise<unknown>;
  leave(): Promise<void>;
  data: PageDataMessage[];
  dataState(): { receiving: boolean; sending: boolean; error: string | null };
  sendData(text: string, options?: { topic?: string; to?: string[]; reliable?: boolean }): Promise<void>;
}

declare global {
  // The page's global, read inside page.evaluate() callbacks (which run in the browser).
  var lkc: JoinPageApi;
}
