import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../e2e/browser.js';
import { nodeConfig, startNode, type TestNode, testToken, writeConfig } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';
import { within } from '../helpers/wait.js';

const ORIGIN = 'http://app.example';
const LIST_ROOMS = '/twirp/livekit.RoomService/ListRooms';

/** A preflight as a browser sends it before a JSON POST with a token. */
function preflight(url: string, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type',
    },
  });
}

/** A page of another origin (another port of 127.0.0.1) than the node's. */
async function servePage(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('CORS as LiveKit answers it: every origin, the token decides', () => {
  let dir: string;
  let node: TestNode;
  let browser: Browser | undefined;
  let site: { url: string; close(): Promise<void> } | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lkc-cors-'));
    const port = await freePort();
    node = await startNode(writeConfig(dir, 'node.yaml', nodeConfig({ port })), port);
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a preflight for ListRooms and for /settings/regions is answered 204 with the Allow headers', async () => {
    for (const [path, method] of [
      [LIST_ROOMS, 'POST'],
      ['/settings/regions', 'GET'],
    ] as const) {
      const answer = await preflight(`${node.url}${path}`, method);
      assert.equal(answer.status, 204, path);
      assert.equal(answer.headers.get('access-control-allow-origin'), ORIGIN, path);
      assert.equal(answer.headers.get('access-control-allow-methods'), method, path);
      assert.equal(answer.headers.get('access-control-allow-headers'), 'authorization,content-type', path);
      assert.equal(answer.headers.get('access-control-max-age'), '86400', path);
      assert.equal(answer.headers.get('access-control-allow-credentials'), null, 'no cookies');
      assert.match(answer.headers.get('vary') ?? '', /Origin/);
      assert.equal(await answer.text(), '');
    }
    // A method LiveKit does not allow gets no Allow headers; an OPTIONS that is not a preflight is a request.
    const put = await preflight(`${node.url}${LIST_ROOMS}`, 'PUT');
    assert.equal(put.status, 204);
    assert.equal(put.headers.get('access-control-allow-origin'), null);
    const plain = await fetch(`${node.url}/settings/regions`, { method: 'OPTIONS' });
    assert.equal(plain.status, 405);
  });

  test('answers, errors too, carry the origin when the request has one, and not otherwise', async () => {
    const ok = await fetch(`${node.url}${LIST_ROOMS}`, {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        authorization: `Bearer ${await testToken({ roomList: true })}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(ok.headers.get('access-control-expose-headers'), '*');
    const refused = await fetch(`${node.url}/settings/regions`, { headers: { origin: ORIGIN } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), ORIGIN);
    const missing = await fetch(`${node.url}/no/such/route`, { headers: { origin: ORIGIN } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), ORIGIN);
    const sameOrigin = await fetch(`${node.url}/healthz`);
    assert.equal(sameOrigin.headers.get('access-control-allow-origin'), null);
    // The dashboard keeps its own content security policy.
    const dashboard = await fetch(`${node.url}/dashboard`, { headers: { origin: ORIGIN } });
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.headers.get('content-security-policy') ?? '', /^default-src 'none'; /);
    assert.equal(dashboard.headers.get('access-control-allow-origin'), ORIGIN);
  });

  test('a page of another origin calls ListRooms with a token, and reads the Twirp 401 without one', async () => {
    browser = await launchBrowser();
    site = await servePage();
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (message) => log.push(`${message.type()}: ${message.text()}`));
    await page.goto(site.url);
    const call = (token: string | null) =>
      within(
        page.evaluate(
          async ({ url, token }) => {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (token) headers.authorization = `Bearer ${token}`;
            try {
              const response = await fetch(url, { method: 'POST', headers, body: '{}' });
              return {
                status: response.status,
                body: (await response.json()) as { rooms?: unknown[]; code?: string },
                failed: null,
              };
            } catch (err) {
              return { status: 0, body: null, failed: String(err) };
            }
          },
          { url: `${node.url}${LIST_ROOMS}`, token },
        ),
        15_000,
        'the page’s fetch',
      );
    const listed = await call(await testToken({ roomList: true }));
    assert.equal(listed.failed, null, log.join('\n'));
    assert.equal(listed.status, 200);
    assert.ok(Array.isArray(listed.body.rooms ?? []), JSON.stringify(listed.body));
    const refused = await call(null);
    assert.equal(refused.failed, null, `a CORS failure, not the Twirp error: ${log.join('\n')}`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'unauthenticated');
  });
});
