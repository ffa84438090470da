import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isLkcError } from '../../src/errors.js';
import type { RelayEndpoint } from '../../src/relay/relay-endpoint.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../src/signal/protocol.js';
import { type HttpSurface, sendJson, sendText } from '../http/http-surface.js';
import { LiveKitSession } from '../livekit/livekit-session.js';
import type { Logger } from '../logger.js';
import type { RoomHost } from '../media/room-host.js';
import { bridge } from '../relay/bridge.js';
import { type Admission, type AdmissionRules, admit, authorize, Refusal } from './admission.js';
import { isLiveKitRequest, type LiveKitOptions, liveKitOptions } from './livekit-params.js';
import { SignalSession } from './signal-session.js';
import { WebSocketTransport } from './websocket-transport.js';

export interface Signalling {
  /** Client sockets open on this node (direct and bridged). */
  readonly clients: number;
  /** Ends every client session (the node is stopping) and stops taking sockets. */
  close(): void;
}

/** Pages of LiveKit apps are served from their own origin: the answers they fetch must allow that. */

/** Refuses an upgrade with an HTTP status and a JSON reason, before any WebSocket exists. */
function refuse(socket: Duplex, refusal: Refusal): void {
  const body = `${JSON.stringify({ code: refusal.code, msg: refusal.message })}\n`;
  const reasons: Record<number, string> = {
    400: 'Bad Request',
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

export interface SignallingDeps {
  http: HttpSurface;
  host: RoomHost;
  rules: AdmissionRules;
  /** The bridge to room nodes, for clients whose room is hosted elsewhere. */
  relay: RelayEndpoint;
  logger: Logger;
}

/**
 * `/rtc` on this node: checks the token and finds the room's node before the upgrade, then runs the session here
 * when the room is here, or bridges it over the bus to the room's node.
 */
export function addSignalling({ http, host, rules, relay, logger }: SignallingDeps): Signalling {
  const log = logger.child({ service: 'signal' });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_SOCKET_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const sockets = new Set<WebSocketTransport>();

  const connect = (transport: WebSocketTransport, admission: Admission, livekit?: LiveKitOptions) => {
    const { claims, identity, room, target } = admission;
    if (target.local) {
      const context = { host, room: target.room, identity, claims, logger: log };
      if (livekit) new LiveKitSession(transport, context, livekit);
      else new SignalSession(transport, context);
      return;
    }
    const open = {
      room,
      identity,
      claims,
      claimed_for: target.claimedFor,
      ...(target.legOf ? { leg_of: target.legOf } : {}),
      ...(livekit ? { livekit } : {}),
    };
    bridge(transport, relay.open(target.nodeId, open));
  };

  http.upgrade('/rtc', (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    socket.on('error', () => socket.destroy());
    admit(host, rules, req, url).then(
      (admission) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => {
          const transport = new WebSocketTransport(ws);
          sockets.add(transport);
          transport.onClose(() => sockets.delete(transport));
          const livekit = isLiveKitRequest(url) ? liveKitOptions(url) : undefined;
          log.debug(
            {
              identity: admission.identity,
              room: admission.room,
              local: admission.target.local,
              livekit: !!livekit,
            },
            'signal session opened',
          );
          connect(transport, admission, livekit);
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
  // Their pages are served from elsewhere; the HTTP surface puts the CORS headers on every answer.
  http.route('GET', '/rtc/validate', async ({ req, res, url }) => {
    try {
      const { identity, room } = await authorize(req, url, rules.keys);
      if (isLiveKitRequest(url)) sendText(res, 200, 'success');
      else sendJson(res, 200, { ok: true, identity, room });
    } catch (err) {
      if (!isLkcError(err)) throw err;
      if (isLiveKitRequest(url)) sendText(res, 401, err.message);
      else sendJson(res, 401, { code: 'unauthenticated', msg: err.message });
    }
  });
  // LiveKit's single-PeerConnection path (/rtc/v1) is not served: its upgrade gets a 404, and this 404 (which must
  // not say "requested room does not exist") sends the client to the two-PeerConnection path on /rtc.
  http.route('GET', '/rtc/v1/validate', async ({ res }) => {
    sendText(res, 404, 'the single-PeerConnection signal path (v1) is not served here: use /rtc');
  });

  return {
    get clients() {
      return sockets.size;
    },
    close() {
      for (const socket of [...sockets])
        socket.close(CloseCode.GOING_AWAY, `node ${host.id} is shutting down`);
      wss.close();
    },
  };
}
