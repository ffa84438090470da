import type { IncomingMessage } from 'node:http';
import { bearerToken, requireGrant, verifyToken } from '../../src/auth/token.js';
import { LkcError } from '../../src/errors.js';
import type { Room } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';
import type { HttpSurface } from './http-surface.js';
import { readJsonBody, sendJson } from './http-surface.js';

/** The longest drain deadline accepted: a week. */
const MAX_DRAIN_SECONDS = 7 * 24 * 3600;

function roomView(room: Room) {
  return {
    name: room.name,
    sid: room.sid,
    worker: room.slot.index,
    participants: room.participants.size,
    publishers: room.numPublishers,
    tracks_in: room.tracksIn,
    tracks_out: room.tracksOut,
    empty_timeout: room.emptyTimeout,
    max_participants: room.maxParticipants,
    creation_time: room.creationTime,
  };
}

function optionalNumber(
  body: Record<string, unknown>,
  field: string,
  { min, max }: { min: number; max: number },
) {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new LkcError('BAD_INPUT', `${field} must be a number from ${min} to ${max}`);
  }
  return value;
}

function asObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new LkcError('BAD_INPUT', 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** What the admin API asks of the node, beside hosting rooms. */
export interface AdminTarget extends RoomHost {
  info(): unknown;
  drain(deadlineSeconds?: number): Promise<unknown>;
  undrain(): Promise<unknown>;
}

/**
 * Checks a request to the node's admin API: a token signed with one of the configured API keys and carrying the
 * roomAdmin grant for no particular room.
 */
export function adminAuthorizer(keys: Record<string, string>): (req: IncomingMessage) => Promise<void> {
  return async (req) => {
    const claims = await verifyToken(bearerToken(req.headers.authorization), keys);
    requireGrant(claims, 'roomAdmin');
    // A room moderator's token (roomAdmin for one room) must not drain the node or touch other rooms.
    if (claims.video.room) {
      throw new LkcError(
        'PERMISSION_DENIED',
        `access token is for room ${claims.video.room} only; the node admin API needs a roomAdmin grant for no particular room`,
      );
    }
  };
}

/** The node's admin API for the CLI (`nodes drain/undrain`) and operators, under /admin/. */
export function addAdminRoutes(http: HttpSurface, node: AdminTarget, keys: Record<string, string>): void {
  const authorize = adminAuthorizer(keys);

  http.route('GET', '/admin/node', async ({ req, res }) => {
    await authorize(req);
    sendJson(res, 200, node.info());
  });

  http.route('POST', '/admin/drain', async ({ req, res }) => {
    await authorize(req);
    const body = asObject(await readJsonBody(req));
    const deadline = optionalNumber(body, 'deadline_seconds', { min: 0, max: MAX_DRAIN_SECONDS });
    sendJson(res, 200, { node: await node.drain(deadline) });
  });

  http.route('POST', '/admin/undrain', async ({ req, res }) => {
    await authorize(req);
    sendJson(res, 200, { node: await node.undrain() });
  });

  http.route('GET', '/admin/rooms', async ({ req, res }) => {
    await authorize(req);
    sendJson(res, 200, { rooms: node.rooms.list().map(roomView) });
  });

  // Hosts a room on this node (claims it here, or finds it here); the room API of the cluster is Twirp's.
  http.route('POST', '/admin/rooms', async ({ req, res }) => {
    await authorize(req);
    const body = asObject(await readJsonBody(req));
    if (typeof body.name !== 'string' || body.name.trim() === '')
      throw new LkcError('BAD_INPUT', 'name is required');
    const room = await node.hostRoom(body.name, {
      emptyTimeout: optionalNumber(body, 'empty_timeout', { min: 0, max: 30 * 24 * 3600 }),
      maxParticipants: optionalNumber(body, 'max_participants', { min: 0, max: 1_000_000 }),
      metadata: typeof body.metadata === 'string' ? body.metadata : undefined,
    });
    sendJson(res, 200, { room: roomView(room) });
  });

  http.route('DELETE', '/admin/rooms/:name', async ({ req, res, params }) => {
    await authorize(req);
    const room = node.rooms.get(params.name!);
    if (!room) throw new LkcError('ROOM_NOT_FOUND', `room ${params.name} is not on this node`);
    await node.rooms.closeRoom(room, 'deleted through the admin API', { ended: true });
    sendJson(res, 200, { deleted: room.name });
  });
}
