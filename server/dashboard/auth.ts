import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  bearerToken,
  createToken,
  requireGrant,
  type TokenClaims,
  verifyToken,
} from '../../src/auth/token.js';
import { LkcError } from '../../src/errors.js';

/** How long a token the dashboard hands out lives; the page trades it for a fresh one halfway. */
export const DASHBOARD_TOKEN_TTL_SECONDS = 15 * 60;

/** What the page keeps: an admin token (never the secret) and when it runs out. */
export interface DashboardLogin {
  token: string;
  /** Epoch seconds. */
  expires_at: number;
  api_key: string;
}

// Compares digests, so that neither the length nor the content of the secret leaks through timing.
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The dashboard's logins. The page posts an API key and secret once and gets back a short-lived token with the
 * admin grants (roomAdmin for no particular room, roomList); or it brings such a token itself. Every dashboard
 * call after that carries the token, which the node's admin API accepts as well.
 */
export class DashboardAuth {
  constructor(private readonly keys: Record<string, string>) {}

  /** Checks an `Authorization: Bearer` header: a valid token with roomAdmin for no particular room. */
  async authorize(req: IncomingMessage): Promise<TokenClaims> {
    return this.check(bearerToken(req.headers.authorization));
  }

  async check(token: string | undefined): Promise<TokenClaims> {
    const claims = await verifyToken(token, this.keys);
    requireGrant(claims, 'roomAdmin');
    if (claims.video.room) {
      throw new LkcError(
        'PERMISSION_DENIED',
        `access token is for room ${claims.video.room} only; the dashboard needs roomAdmin for no particular room`,
      );
    }
    return claims;
  }

  /** Key and secret for a token; one message for an unknown key and a wrong secret alike. */
  async login(apiKey: unknown, apiSecret: unknown): Promise<DashboardLogin> {
    if (typeof apiKey !== 'string' || typeof apiSecret !== 'string' || !apiKey || !apiSecret)
      throw new LkcError('BAD_INPUT', 'give an API key and its secret, or an admin token');
    const expected = Object.hasOwn(this.keys, apiKey) ? this.keys[apiKey] : undefined;
    // An unknown key costs the same comparison as a wrong secret.
    const matches = sameSecret(apiSecret, expected ?? `${apiSecret}-no-such-key`) && expected !== undefined;
    if (!matches) throw new LkcError('UNAUTHENTICATED', 'wrong API key or secret');
    return this.mint(apiKey);
  }

  /** A token brought by the page: checked, and given back with its expiry. */
  async loginWithToken(token: unknown): Promise<DashboardLogin> {
    if (typeof token !== 'string' || !token) throw new LkcError('BAD_INPUT', 'give an admin token');
    const claims = await this.check(token);
    return { token, expires_at: claims.expiresAt, api_key: claims.apiKey };
  }

  /** A fresh token for the holder of a valid one, signed with the same key. */
  async refresh(claims: TokenClaims): Promise<DashboardLogin> {
    return this.mint(claims.apiKey);
  }

  private async mint(apiKey: string): Promise<DashboardLogin> {
    const secret = this.keys[apiKey];
    if (!secret) throw new LkcError('UNAUTHENTICATED', 'the API key is no longer configured');
    const token = await createToken({
      apiKey,
      apiSecret: secret,
      identity: 'lk-cluster-dashboard',
      grant: { roomAdmin: true, roomList: true },
      ttlSeconds: DASHBOARD_TOKEN_TTL_SECONDS,
    });
    return {
      token,
      expires_at: Math.floor(Date.now() / 1000) + DASHBOARD_TOKEN_TTL_SECONDS,
      api_key: apiKey,
    };
  }
}
