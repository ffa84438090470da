import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isLkcError } from '../../src/errors.js';
import { DEFAULT_HOLD, RelayEndpoint } from '../../src/relay/relay-endpoint.js';
import { RELAY_MESSAGE_TYPES } from '../../src/relay/relay-messages.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../src/signal/protocol.js';
import { sendJson } from '../http/http-surface.js';
import { addJoinPage } from '../http/join-page.js';
import type { Logger } from '../logger.js';
import type { ClusterNode } from '../node/cluster-node.js';
import { acceptRelayedSession } from '../relay/accept-relayed.js';
import { bridge } from '../relay/bridge.js';
import { type Admission, admit, authorize, Refusal } from './admission.js';
import { SignalSession } from './signal-session.js';
import { WebSocketTransport } from './websocket-transport.js';

export interface Signalling {
  readonly relay: RelayEndpoint;
  /** Client sockets open on this node (direct and bridged). */
  readonly clients: number;
  /** Ends every bridged session (the node is stopping) and stops taking sockets. */
  close(): void;
}

/** Refuses an upgrade with an HTTP status and a JSON reason, before any WebSocket exists. */
function refuse(socket: Duplex, refusal: Refusal): void {
  const body = `${JSON.stringify({ code: refusal.code, msg: refusal.message })}\n`;
  const reasons: Record<number, string> = {
    401: 'Unauthorized',
    404: 'Not Found',
    503: 'Service Unavailable',
  };
  const challenge =
    refusal.status === 401
      ? `WWW-Authenticate: Bearer error="invalid_token", error_description="${refusal.message.replace(/["\\\r\n]/g, ' ')}"\r\n`
      : '';
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reasons[refusal.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      challenge +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * `/rtc` on this node: checks the token and finds the room's node before the upgrade, then runs the session here
 * when the room is here, or bridges it over the bus to the room's node. Also the room-node side of bridges other
 * nodes open here, and the browser join page.
 */
export function addSignalling(node: ClusterNode, logger: Logger): Signalling {
  const log = logger.child({ service: 'signal' });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_SOCKET_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const sockets = new Set<WebSocketTransport>();
  const relay = new RelayEndpoint({
    nodeId: node.id,
    bus: node.cluster,
    onOpen: (session, open) => {
      acceptRelayedSession(node, session, open, log).catch((err: unknown) => {
        log.error({ err, room: open.room }, 'relayed session failed to open');
        session.close(CloseCode.INTERNAL_ERROR, 'room node failed to open the session');
      });
    },
    onEvent: (event, details) => log.warn(details, `relay: ${event}`),
    hold: { ms: relayHoldMs(node.config.node_stats.lease_ttl) },
  });
  for (const type of RELAY_MESSAGE_TYPES) node.bus.on(type, (message) => relay.handle(message));
  relay.start();

  const connect = (transport: WebSocketTransport, admission: Admission) => {
    const { claims, identity, room, target } = admission;
    if (target.local) {
      new SignalSession(transport, { node, room: target.room, identity, claims, logger: log });
      return;
    }
    bridge(transport, relay.open(target.nodeId, { room, identity, claims }));
  };

  node.http.upgrade('/rtc', (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    socket.on('error', () => socket.destroy());
    admit(node, req, url).then(
      (admission) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => {
          const transport = new WebSocketTransport(ws);
          sockets.add(transport);
          transport.onClose(() => sockets.delete(transport));
          log.debug(
            { identity: admission.identity, room: admission.room, local: admission.target.local },
            'signal session opened',
          );
          connect(transport, admission);
        });
      },
      (err: unknown) => {
        const refusal = err instanceof Refusal ? err : new Refusal(500, 'internal', String(err));
        if (refusal.status >= 500) log.warn({ err: refusal.message }, '/rtc refused');
        refuse(socket, refusal);
      },
    );
  });
  // LiveKit's clients call this after a failed upgrade: a browser cannot read the 401's reason, this answer it can.
  node.http.route('GET', '/rtc/validate', async ({ req, res, url }) => {
    try {
      const { identity, room } = await authorize(req, url, node.config.keys);
      sendJson(res, 200, { ok: true, identity, room });
    } catch (err) {
      if (!isLkcError(err)) throw err;
      sendJson(res, 401, { code: 'unauthenticated', msg: err.message });
    }
  });
  addJoinPage(node.http);

  return {
    relay,
    get clients() {
      return sockets.size;
    },
    close() {
      relay.stop(CloseCode.GOING_AWAY, `node ${node.id} is shutting down`);
      for (const socket of [...sockets])
        socket.close(CloseCode.GOING_AWAY, `node ${node.id} is shutting down`);
      wss.close();
    },
  };
}

/**
 * How long a bridged session holds frames while Redis is away: the longer of 30 s (a Redis restart or a Sentinel
 * failover) and five leases (time for every node to reconnect, resubscribe and re-register with a long lease).
 */
export function relayHoldMs(leaseTtlSeconds: number): number {
  return Math.max(DEFAULT_HOLD.ms, 5 * leaseTtlSeconds * 1000);
}
