import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LkcError } from '../errors.js';

/** What a token lets its bearer do, as LiveKit's `video` grant spells it. */
export interface VideoGrant {
  roomCreate?: boolean;
  roomList?: boolean;
  roomAdmin?: boolean;
  roomJoin?: boolean;
  roomRecord?: boolean;
  /** The room the grant is for (roomJoin, roomAdmin). */
  room?: string;
  /** The room a roomAdmin grant may move or forward participants to (MoveParticipant, ForwardParticipant). */
  destinationRoom?: string;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  canUpdateOwnMetadata?: boolean;
  hidden?: boolean;
}

/** The verified content of an access token. */
export interface TokenClaims {
  /** The API key that signed it (`iss`). */
  apiKey: string;
  /** `sub`; may be empty for server-to-server tokens. */
  identity: string;
  name?: string;
  metadata?: string;
  video: VideoGrant;
  /** Epoch seconds. */
  expiresAt: number;
  /** Epoch seconds, when given. */
  notBefore?: number;
}

export interface CreateTokenOptions {
  apiKey: string;
  apiSecret: string;
  identity?: string;
  name?: string;
  metadata?: string;
  grant: VideoGrant;
  /** Seconds the token is valid for; LiveKit's default is 6 h. */
  ttlSeconds?: number;
  /** Epoch seconds before which the token is refused. */
  notBefore?: number;
  /** The base64 SHA-256 of a request body the token vouches for (LiveKit's webhooks). */
  sha256?: string;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 6 * 60 * 60;
// Clocks of a client and a node drift a little; LiveKit's verifier allows the same order of skew.
const CLOCK_TOLERANCE_SECONDS = 10;

const encoder = new TextEncoder();

/** Mints a LiveKit-compatible HS256 access token (iss = API key, sub = identity, `video` grant). */
export async function createToken(options: CreateTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const identity = options.identity ?? '';
  const payload: Record<string, unknown> = { video: options.grant };
  if (options.name !== undefined) payload.name = options.name;
  if (options.metadata !== undefined) payload.metadata = options.metadata;
  if (options.sha256 !== undefined) payload.sha256 = options.sha256;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.apiKey)
    .setNotBefore(options.notBefore ?? now)
    .setExpirationTime(now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS));
  if (identity) jwt.setSubject(identity).setJti(identity);
  return jwt.sign(encoder.encode(options.apiSecret));
}

/** LiveKit signs a webhook for 5 minutes, which also covers its retries. */
const WEBHOOK_TOKEN_TTL_SECONDS = 5 * 60;

/**
 * The `Authorization` header of a webhook request as LiveKit's server sends it: a token from the webhook's API key
 * (no grant, no identity) whose `sha256` claim is the base64 SHA-256 of `body`, which `WebhookReceiver` checks.
 */
export function createWebhookToken(apiKey: string, apiSecret: string, body: string): Promise<string> {
  const sha256 = createHash('sha256').update(body, 'utf8').digest('base64');
  return createToken({ apiKey, apiSecret, grant: {}, sha256, ttlSeconds: WEBHOOK_TOKEN_TTL_SECONDS });
}

function refuse(message: string, cause?: unknown): LkcError {
  return new LkcError('UNAUTHENTICATED', message, { exitCode: 1, cause });
}

/**
 * Verifies a token against the configured `keys` (API key -> secret): HS256 only (`alg: none` and every other
 * algorithm are refused), signed by a known key, with `exp` in the future and `nbf` in the past.
 */
export async function verifyToken(
  token: string | undefined,
  keys: Record<string, string>,
): Promise<TokenClaims> {
  if (!token) throw refuse('missing access token');
  let alg: unknown;
  let issuer: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    issuer = decodeJwt(token).iss;
  } catch (err) {
    throw refuse('access token is malformed', err);
  }
  if (alg !== 'HS256') throw refuse(`access token algorithm ${String(alg)} is not accepted (HS256 only)`);
  if (typeof issuer !== 'string' || issuer === '') throw refuse('access token has no issuer (API key)');
  const secret = Object.hasOwn(keys, issuer) ? keys[issuer] : undefined;
  if (!secret) throw refuse('access token is signed with an unknown API key');
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      issuer,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    });
    const video = payload.video;
    return {
      apiKey: issuer,
      identity: typeof payload.sub === 'string' ? payload.sub : '',
      name: typeof payload.name === 'string' ? payload.name : undefined,
      metadata: typeof payload.metadata === 'string' ? payload.metadata : undefined,
      video: video && typeof video === 'object' && !Array.isArray(video) ? (video as VideoGrant) : {},
      expiresAt: payload.exp as number,
      notBefore: payload.nbf,
    };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw refuse('access token has expired', err);
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw refuse('access token signature is invalid', err);
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw refuse(`access token is not valid: ${err.claim} ${err.reason}`, err);
    }
    throw refuse('access token is invalid', err);
  }
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Throws PERMISSION_DENIED unless the claims carry `grant`; when `room` is given the grant must name that room,
 * as LiveKit requires for roomAdmin and roomJoin.
 */
export function requireGrant(claims: TokenClaims, grant: keyof VideoGrant, room?: string): void {
  if (!claims.video[grant]) throw new LkcError('PERMISSION_DENIED', `access token lacks the ${grant} grant`);
  if (room !== undefined && claims.video.room !== room) {
    const holder = claims.video.room ? `room ${claims.video.room}` : 'no room';
    throw new LkcError('PERMISSION_DENIED', `access token is for ${holder}, not ${room}`);
  }
}
