import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorWire, isLkcError, LkcError } from '../../src/errors.js';
import type { Logger } from '../logger.js';

/** One HTTP request as a route handler sees it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Values of `:name` segments of the route pattern; `*` for the rest of a prefix route. */
  params: Record<string, string>;
}

export type RouteHandler = (ctx: RequestContext) => unknown;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

interface Route {
  method: string;
  segments: string[];
  prefix: boolean;
  handler: RouteHandler;
}

/** An error with the HTTP status and JSON body it turns into. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Writes `body` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes `body` as plain text with `status`. */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Reads a JSON request body of at most `limitBytes`; an empty body reads as `{}`. */
export async function readJsonBody(req: IncomingMessage, limitBytes = 64 * 1024): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes)
    throw new HttpError(413, 'BODY_TOO_LARGE', `request body is over ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes)
      throw new HttpError(413, 'BODY_TOO_LARGE', `request body is over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_INPUT', 'request body is not valid JSON');
  }
}

/**
 * CORS as LiveKit's server answers it (rs/cors in pkg/service/server.go): every origin is allowed, since the token,
 * not the origin, decides what a caller may do; no credentials (cookies) are allowed, so a page can only act with
 * a token it holds. A preflight (OPTIONS with Access-Control-Request-Method) is answered 204 on any path, with
 * the method and the headers it asks for; an actual request with an Origin gets that origin back on its answer,
 * whatever the answer (errors too), and may read every header of it.
 */
export const CORS = {
  methods: ['OPTIONS', 'HEAD', 'GET', 'POST', 'PATCH', 'DELETE'],
  /** A preflight is cached this long (a day, as LiveKit's). */
  maxAgeSeconds: 86_400,
} as const;

/** Answers a preflight and returns true, or puts the CORS headers on the answer to come and returns false. */
function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const requested = req.headers['access-control-request-method'];
  if (req.method === 'OPTIONS' && typeof requested === 'string' && requested !== '') {
    res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const method = requested.toUpperCase();
    if (origin && (CORS.methods as readonly string[]).includes(method)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', method);
      const headers = req.headers['access-control-request-headers'];
      if (headers) res.setHeader('access-control-allow-headers', headers);
      res.setHeader('access-control-max-age', String(CORS.maxAgeSeconds));
    }
    res.writeHead(204);
    res.end();
    return true;
  }
  res.setHeader('vary', 'Origin');
  if (origin) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', '*');
  }
  return false;
}

function splitPath(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/**
 * The node's HTTP surface: a route table other modules add to (health, admin, Twirp, /rtc upgrades), served on
 * the node's port on every bind address. It answers CORS for every route (see CORS), so no route does.
 */
export class HttpSurface {
  private readonly routes: Route[] = [];
  private readonly upgrades = new Map<string, UpgradeHandler>();
  private readonly servers: Server[] = [];
  private boundPort = 0;

  constructor(private readonly logger: Logger) {}

  /**
   * Adds a route. `pattern` is a path whose segments may be `:name` parameters; a trailing `/*` matches any
   * rest (e.g. `/twirp/livekit.RoomService/*`). Earlier routes win.
   */
  route(method: string, pattern: string, handler: RouteHandler): this {
    const segments = splitPath(pattern);
    const prefix = segments.at(-1) === '*';
    if (prefix) segments.pop();
    this.routes.push({ method: method.toUpperCase(), segments, prefix, handler });
    return this;
  }

  /** Hands HTTP upgrade requests (WebSocket) on exactly `path` to `handler`. */
  upgrade(path: string, handler: UpgradeHandler): this {
    this.upgrades.set(path, handler);
    return this;
  }

  /** The port the surface listens on (resolved when `port` was 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Starts listening on `port` on each of `addresses` (all interfaces when empty). */
  async listen(port: number, addresses: string[]): Promise<void> {
    const hosts = addresses.length > 0 ? addresses : [undefined];
    for (const host of hosts) {
      const server = createServer((req, res) => void this.handle(req, res));
      server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
      server.on('clientError', (_err, socket) => socket.destroy());
      // Keep-alive sockets would hold close() open for their idle time.
      server.keepAliveTimeout = 2000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          const where = `${host ?? '*'}:${this.boundPort || port}`;
          if (err.code === 'EADDRINUSE')
            reject(
              new LkcError(
                'UNAVAILABLE',
                `${where} is already in use: choose another port (config port or LKC_PORT)`,
              ),
            );
          else if (err.code === 'EADDRNOTAVAIL')
            reject(new LkcError('BAD_INPUT', `${where}: no such local address (check bind_addresses)`));
          else reject(err);
        });
        server.listen({ port: this.boundPort || port, host }, () => {
          server.removeAllListeners('error');
          server.on('error', (err) => this.logger.error({ err: err.message }, 'HTTP server error'));
          resolve();
        });
      });
      this.boundPort = (server.address() as AddressInfo).port;
      this.servers.push(server);
    }
  }

  /** Stops accepting connections and closes idle ones. */
  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      ),
    );
    this.servers.length = 0;
  }

  private match(
    method: string,
    path: string,
  ): { route?: Route; params: Record<string, string>; pathMatched: boolean } {
    const parts = splitPath(path);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.prefix ? parts.length < route.segments.length : parts.length !== route.segments.length)
        continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (const [i, segment] of route.segments.entries()) {
        const part = parts[i]!;
        if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(part);
        else if (segment !== part) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      if (route.prefix) params['*'] = parts.slice(route.segments.length).join('/');
      return { route, params, pathMatched };
    }
    return { params: {}, pathMatched };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (applyCors(req, res)) return;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://node.invalid');
    } catch {
      sendJson(res, 400, { error: { code: 'BAD_INPUT', message: 'bad request URL' } });
      return;
    }
    const { route, params, pathMatched } = this.match(req.method ?? 'GET', url.pathname);
    if (!route) {
      const status = pathMatched ? 405 : 404;
      sendJson(res, status, {
        error: {
          code: pathMatched ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND',
          message: `${req.method} ${url.pathname}`,
        },
      });
      return;
    }
    try {
      await route.handler({ req, res, url, params });
    } catch (err) {
      this.fail(res, err, req, url);
    }
  }

  private fail(res: ServerResponse, err: unknown, req: IncomingMessage, url: URL): void {
    let status = 500;
    let code = 'INTERNAL';
    let message = 'internal error';
    if (err instanceof HttpError) {
      ({ status, code, message } = err);
    } else if (isLkcError(err)) {
      status = errorWire(err.code).http;
      code = err.code;
      message = err.message;
    }
    if (status >= 500) this.logger.error({ err, method: req.method, path: url.pathname }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, status, { error: { code, message } });
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://node.invalid');
    } catch {
      socket.destroy();
      return;
    }
    const handler = this.upgrades.get(url.pathname);
    if (!handler) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handler(req, socket, head, url);
  }
}
