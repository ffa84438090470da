import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { bearerToken } from '../../src/auth/token.js';
import type { RegionConfig } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';
import { callNode } from '../../src/node-client/call-node.js';
import type { NodeRecord } from '../../src/records.js';
import type { Router as ClusterRouter } from '../../src/routing/types.js';
import { type HttpSurface, readJsonBody, sendJson } from '../http/http-surface.js';
import type { ParticipantView } from '../twirp/backend.js';
import { DashboardAuth } from './auth.js';
import { ClusterSampler } from './sampler.js';
import { DashboardStreams } from './stream.js';

// Built by scripts/build-client.mjs next to the compiled server: dist/client/dashboard/.
const PAGE_DIR = fileURLToPath(new URL('../../client/dashboard/', import.meta.url));

const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.js.map': 'application/json',
  'dashboard.css': 'text/css; charset=utf-8',
};

// The page talks to its own node only (the node proxies what other nodes must do), so nothing else is allowed.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};
const NO_STORE = { 'cache-control': 'no-store' };

/** What the dashboard needs of the node. */
export interface DashboardDeps {
  http: HttpSurface;
  self: {
    readonly id: string;
    drain(deadlineSeconds?: number): Promise<NodeRecord>;
    undrain(): Promise<NodeRecord>;
  };
  keys: Record<string, string>;
  cluster: Pick<ClusterRouter, 'listNodes' | 'listRooms' | 'getNode' | 'getRoom' | 'getRoomNode' | 'span'>;
  /** The room's participants, asked of the room's node (the Room API's ListParticipants). */
  participants(room: string): Promise<ParticipantView[]>;
  regions: readonly RegionConfig[];
  /** Sampling period; a second unless a test says otherwise. */
  intervalMs?: number;
}

export interface Dashboard {
  sampler: ClusterSampler;
  /** Ends the pages' streams and stops sampling. */
  close(): Promise<void>;
}

async function serveFile(res: ServerResponse, file: string, type: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(`${PAGE_DIR}${file}`);
  } catch {
    sendJson(res, 404, {
      error: { code: 'NOT_FOUND', message: `the dashboard is not built (${file}): run npm run build` },
    });
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, ...PAGE_HEADERS });
  res.end(body);
}

/**
 * The cluster dashboard at /dashboard: the page, its login, its event stream, the room view, and drain/undrain
 * of any node (this node's directly, another's through that node's admin API with the page's own token).
 */
export function addDashboard(deps: DashboardDeps): Dashboard {
  const { http, self, cluster } = deps;
  const auth = new DashboardAuth(deps.keys);
  const { span } = cluster;
  const source = {
    listNodes: () => cluster.listNodes(),
    listRooms: () => cluster.listRooms(),
    ...(span ? { listAllLegs: () => span.listAllLegs() } : {}),
  };
  const sampler = new ClusterSampler(source, {
    selfId: self.id,
    regions: deps.regions,
    intervalMs: deps.intervalMs,
  });
  const streams = new DashboardStreams(sampler);

  http.route('GET', '/dashboard', ({ res }) => serveFile(res, 'index.html', 'text/html; charset=utf-8'));
  http.route('GET', '/dashboard/assets/:file', ({ res, params }) => {
    const file = params.file ?? '';
    const type = ASSETS[file];
    if (!type) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no dashboard file ${file}` } });
      return;
    }
    return serveFile(res, file, type);
  });

  // The one request that carries the secret: it is compared and dropped, never logged or sent back.
  http.route('POST', '/dashboard/api/login', async ({ req, res }) => {
    const body = (await readJsonBody(req, 16 * 1024)) as Record<string, unknown>;
    const login =
      body && typeof body === 'object' && 'token' in body
        ? await auth.loginWithToken(body.token)
        : await auth.login(body?.api_key, body?.api_secret);
    sendJson(res, 200, login, NO_STORE);
  });

  http.route('POST', '/dashboard/api/refresh', async ({ req, res }) => {
    sendJson(res, 200, await auth.refresh(await auth.authorize(req)), NO_STORE);
  });

  http.route('GET', '/dashboard/api/events', async ({ req, res }) => {
    streams.serve(res, await auth.authorize(req));
  });

  http.route('GET', '/dashboard/api/rooms/:name', async ({ req, res, params }) => {
    await auth.authorize(req);
    const name = params.name!;
    const [record, nodeId] = await Promise.all([cluster.getRoom(name), cluster.getRoomNode(name)]);
    if (!nodeId) throw new LkcError('ROOM_NOT_FOUND', `room ${name} does not exist`);
    const participants = await deps.participants(name);
    sendJson(res, 200, { room: record ?? null, node_id: nodeId, participants }, NO_STORE);
  });

  const nodeAction = (action: 'drain' | 'undrain') =>
    http.route('POST', `/dashboard/api/nodes/:id/${action}`, async ({ req, res, params }) => {
      await auth.authorize(req);
      const id = params.id!;
      if (id === self.id) {
        const node = action === 'drain' ? await self.drain() : await self.undrain();
        sendJson(res, 200, { node }, NO_STORE);
        return;
      }
      const target = await cluster.getNode(id);
      if (!target?.alive) throw new LkcError('NODE_NOT_FOUND', `node ${id} is not alive in the cluster`);
      // The page's token works on every node (they share the keys); the answer goes back as the node gave it.
      const answer = await callNode({
        url: `${target.url}/admin/${action}`,
        method: 'POST',
        token: bearerToken(req.headers.authorization)!,
        body: {},
        timeoutMs: 10_000,
        unreachable: (err) =>
          new LkcError('UNAVAILABLE', `node ${id} at ${target.url} does not answer: ${err.message}`),
        notJson: (status) => new LkcError('UNAVAILABLE', `node ${id} answered ${status} with no JSON`),
      });
      sendJson(res, answer.status, answer.json, NO_STORE);
    });
  nodeAction('drain');
  nodeAction('undrain');

  sampler.start();
  return {
    sampler,
    async close() {
      streams.close();
      await sampler.stop();
    },
  };
}
