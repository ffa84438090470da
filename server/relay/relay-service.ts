import { DEFAULT_HOLD, type RelayBus, RelayEndpoint } from '../../src/relay/relay-endpoint.js';
import { RELAY_MESSAGE_TYPES } from '../../src/relay/relay-messages.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import type { NodeBus } from '../bus/node-bus.js';
import type { Logger } from '../logger.js';
import type { RoomHost } from '../media/room-host.js';
import { acceptRelayedSession } from './accept-relayed.js';

export interface RelayServiceDeps {
  host: RoomHost;
  /** Where relay messages are published (each node's channel). */
  publish: RelayBus;
  /** This node's channel, where they arrive. */
  bus: NodeBus;
  /** node_stats.lease_ttl, in seconds: bounds how long a session holds frames while the bus is down. */
  leaseTtl: number;
  log: Logger;
  /** Told of every relay frame that arrives (the node's frame counter). */
  onFrame?: () => void;
}

/**
 * How long a bridged session holds frames while Redis is away: the longer of 30 s (a Redis restart or a Sentinel
 * failover) and five leases (time for every node to reconnect, resubscribe and re-register with a long lease).
 */
export function relayHoldMs(leaseTtlSeconds: number): number {
  return Math.max(DEFAULT_HOLD.ms, 5 * leaseTtlSeconds * 1000);
}

/**
 * The node's end of the signal bridge: it opens sessions towards room nodes for the clients whose socket landed
 * here, and answers the sessions signal nodes open here with the same session a direct client gets.
 */
export function startRelay({ host, publish, bus, leaseTtl, log, onFrame }: RelayServiceDeps): RelayEndpoint {
  const relay = new RelayEndpoint({
    nodeId: host.id,
    bus: publish,
    onOpen: (session, open) => {
      acceptRelayedSession(host, session, open, log).catch((err: unknown) => {
        log.error({ err, room: open.room }, 'relayed session failed to open');
        session.close(CloseCode.INTERNAL_ERROR, 'room node failed to open the session');
      });
    },
    onEvent: (event, details) => log.warn(details, `relay: ${event}`),
    onFrame,
    hold: { ms: relayHoldMs(leaseTtl) },
  });
  for (const type of RELAY_MESSAGE_TYPES) bus.on(type, (message) => relay.handle(message));
  relay.start();
  return relay;
}
