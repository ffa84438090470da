import { errorWire, LkcError } from '../../src/errors.js';
import { checkRoomName } from '../../src/routing/placement.js';
import type { Router } from '../../src/routing/types.js';
import { NoAvailableNodesError } from '../../src/selector/errors.js';
import { adminAuthorizer } from './admin-routes.js';
import type { HttpSurface } from './http-surface.js';
import { readJsonBody, sendJson } from './http-surface.js';

/** What the registry routes read of the node's router. */
export type RegistrySource = Pick<Router, 'listNodes' | 'listRoomNodes' | 'listRooms' | 'placeRoom'>;

function optional<T>(
  body: Record<string, unknown>,
  field: string,
  type: 'string' | 'boolean',
): T | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new LkcError('BAD_INPUT', `${field} must be a ${type}`);
  return value as T;
}

/**
 * The cluster's registry as this node's router sees it, under /admin/registry, for the CLI: in single-node mode
 * the node keeps nodes, rooms and placements in memory, so `nodes list`, `room list` and `room place` can only
 * ask the node. Protected like the rest of /admin/*.
 */
export function addRegistryRoutes(
  http: HttpSurface,
  router: RegistrySource,
  keys: Record<string, string>,
): void {
  const authorize = adminAuthorizer(keys);

  http.route('GET', '/admin/registry', async ({ req, res }) => {
    await authorize(req);
    const [nodes, roomNodes, rooms] = await Promise.all([
      router.listNodes(),
      router.listRoomNodes(),
      router.listRooms(),
    ]);
    sendJson(res, 200, { nodes, room_nodes: Object.fromEntries(roomNodes), rooms });
  });

  http.route('POST', '/admin/registry/place', async ({ req, res }) => {
    await authorize(req);
    const body = (await readJsonBody(req)) as Record<string, unknown>;
    if (!body || typeof body !== 'object' || typeof body.room !== 'string')
      throw new LkcError('BAD_INPUT', 'room is required');
    checkRoomName(body.room);
    const options = {
      originRegion: optional<string>(body, 'origin_region', 'string'),
      explain: optional<boolean>(body, 'explain', 'boolean'),
      dryRun: optional<boolean>(body, 'dry_run', 'boolean'),
    };
    try {
      const placement = await router.placeRoom(body.room, options);
      sendJson(res, 200, { placement });
    } catch (err) {
      // Why no node could take the room is what `room place --explain` shows: the verdicts travel with the error.
      if (!(err instanceof NoAvailableNodesError)) throw err;
      const { code, message, explanation } = err;
      sendJson(res, errorWire(code).http, { error: { code, message, explanation } });
    }
  });
}
