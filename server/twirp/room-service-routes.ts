import type { Router as ClusterRouter } from '../../src/routing/types.js';
import type { NodeBus } from '../bus/node-bus.js';
import type { HttpSurface } from '../http/http-surface.js';
import type { Logger } from '../logger.js';
import type { RoomHost } from '../media/room-host.js';
import { RoomCallClient, serveRoomCalls } from './bus-calls.js';
import { ClusterRoomBackend } from './cluster-backend.js';
import { type ParticipantForwarder, roomNodeCalls } from './room-node-calls.js';
import { RoomServiceServer, TWIRP_PREFIX } from './room-service-server.js';

// Twirp answers every verb under its prefix (all but POST with bad_route), so each one is routed here.
const VERBS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Serves LiveKit's RoomService on the node (`POST /twirp/livekit.RoomService/<Method>`) and answers the Room API
 * calls other nodes send it over the bus. Call before the node subscribes to the bus.
 */
export interface RoomServiceDeps {
  http: HttpSurface;
  host: RoomHost;
  router: ClusterRouter;
  bus: NodeBus;
  keys: Record<string, string>;
  logger: Logger;
  /** ForwardParticipant's forwards from this node. */
  forwarder?: ParticipantForwarder;
}

export function addRoomServiceRoutes({
  http,
  host,
  router,
  bus,
  keys,
  logger,
  forwarder,
}: RoomServiceDeps): RoomCallClient {
  const log = logger.child({ component: 'room-api' });
  const remote = new RoomCallClient(bus);
  const local = roomNodeCalls(
    host,
    router,
    keys,
    (node, call, params) => remote.call(node, call, params),
    forwarder,
  );
  serveRoomCalls(bus, local, log);
  const server = new RoomServiceServer({
    backend: new ClusterRoomBackend(host, router, local, remote, log),
    keys,
    onError: (error, method, cause) => {
      if (error.status >= 500) log.warn({ method, code: error.code, err: cause }, error.message);
      else log.debug({ method, code: error.code }, error.message);
    },
  });
  for (const verb of VERBS) {
    http.route(verb, `${TWIRP_PREFIX}/*`, ({ req, res, url }) => server.handle(req, res, url));
  }
  return remote;
}
