import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TokenClaims, verifyToken } from '../../src/auth/token.js';
import { isLkcError } from '../../src/errors.js';
import type { RoomServiceBackend } from './backend.js';
import { BodyTooLargeError, decodeRequest, readBody, requestEncoding, sendMessage } from './codec.js';
import { sendTwirpError, TwirpError, toTwirpError } from './errors.js';
import { type MethodLimits, type RequiredGrant, ROOM_SERVICE_METHODS } from './methods.js';

/** Where Twirp services live, as LiveKit serves them and its SDKs call them. */
export const TWIRP_PREFIX = '/twirp';
export const ROOM_SERVICE = 'livekit.RoomService';
/** No RoomService request comes near this; it only bounds what a client can make a node buffer. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** LiveKit's default room.max_metadata_size. */
export const DEFAULT_MAX_METADATA_BYTES = 64_000;
// How much of an oversized body is read and dropped, in multiples of the limit, before the connection is cut.
const DISCARD_LIMIT_FACTOR = 16;

export interface RoomServiceServerOptions {
  backend: RoomServiceBackend;
  /** API key -> secret, as in the config's `keys`. */
  keys: Record<string, string>;
  bodyLimitBytes?: number;
  maxMetadataBytes?: number;
  /** Told of every failed call (to log the ones that are the server's fault). */
  onError?: (error: TwirpError, method: string, cause: unknown) => void;
}

function bearer(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return url.searchParams.get('access_token') ?? undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new TwirpError('unauthenticated', 'invalid authorization header: it must be "Bearer <token>"');
  return match[1];
}

async function authenticate(
  req: IncomingMessage,
  url: URL,
  keys: Record<string, string>,
): Promise<TokenClaims> {
  try {
    return await verifyToken(bearer(req, url), keys);
  } catch (err) {
    if (isLkcError(err)) throw new TwirpError('unauthenticated', err.message);
    throw err;
  }
}

// LiveKit answers every missing grant with `unauthenticated` (its twirpAuthError), not permission_denied.
function authorize(claims: TokenClaims, required: RequiredGrant): void {
  if (!claims.video[required.grant]) {
    throw new TwirpError(
      'unauthenticated',
      `permissions denied: the token lacks the ${required.grant} grant`,
    );
  }
  if (required.room !== undefined && (claims.video.room ?? '') !== required.room) {
    const holder = claims.video.room ? `room "${claims.video.room}"` : 'no room';
    throw new TwirpError(
      'unauthenticated',
      `permissions denied: the token's ${required.grant} grant is for ${holder}, not "${required.room}"`,
    );
  }
  if (
    required.destinationRoom !== undefined &&
    (claims.video.destinationRoom ?? '') !== required.destinationRoom
  ) {
    const holder = claims.video.destinationRoom ? `"${claims.video.destinationRoom}"` : 'none';
    throw new TwirpError(
      'unauthenticated',
      `permissions denied: the token's destinationRoom is ${holder}, not "${required.destinationRoom}"`,
    );
  }
}

/**
 * LiveKit's RoomService over Twirp (JSON or protobuf): routing, authentication and grants, decoding and
 * encoding; the calls themselves go to a RoomServiceBackend.
 */
export class RoomServiceServer {
  private readonly limits: MethodLimits;
  private readonly bodyLimitBytes: number;

  constructor(private readonly options: RoomServiceServerOptions) {
    this.bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    this.limits = { maxMetadataBytes: options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES };
  }

  /** True when `pathname` is under the Twirp prefix (whatever the service), so that this server answers it. */
  static owns(pathname: string): boolean {
    return pathname === TWIRP_PREFIX || pathname.startsWith(`${TWIRP_PREFIX}/`);
  }

  /** Serves one request under /twirp/; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let methodName = '';
    try {
      methodName = this.route(req, url.pathname);
      const spec = ROOM_SERVICE_METHODS[methodName]!;
      const encoding = requestEncoding(req.headers['content-type']);
      const claims = await authenticate(req, url, this.options.keys);
      const body = await readBody(req, this.bodyLimitBytes);
      const request = decodeRequest(spec.request, body, encoding);
      authorize(claims, spec.grant(request));
      const answer = await spec.call(this.options.backend, request, this.limits);
      sendMessage(res, answer.message, encoding, answer.headers);
    } catch (err) {
      this.fail(req, res, err, methodName);
    }
  }

  private route(req: IncomingMessage, pathname: string): string {
    const rest = pathname.slice(TWIRP_PREFIX.length + 1);
    const slash = rest.indexOf('/');
    const service = slash < 0 ? rest : rest.slice(0, slash);
    const name = slash < 0 ? '' : rest.slice(slash + 1);
    if (service !== ROOM_SERVICE || !Object.hasOwn(ROOM_SERVICE_METHODS, name)) {
      throw new TwirpError('bad_route', `no handler for path "${pathname}"`, {
        twirp_invalid_route: pathname,
      });
    }
    if (req.method !== 'POST') {
      throw new TwirpError('bad_route', `unsupported method ${req.method} (only POST is allowed)`, {
        twirp_invalid_route: `${req.method} ${pathname}`,
      });
    }
    return name;
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown, methodName: string): void {
    const error = toTwirpError(err);
    this.options.onError?.(error, methodName, err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof BodyTooLargeError) {
      // The rest of the body is read and dropped, so that a client still sending can read the answer (a closed
      // socket would fail its write first); past a bound the connection is cut.
      let dropped = 0;
      req.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > DISCARD_LIMIT_FACTOR * this.bodyLimitBytes) req.destroy();
      });
      req.resume();
    }
    sendTwirpError(res, error);
  }
}
