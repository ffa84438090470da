import type { RelaySession } from '../../src/relay/relay-session.js';
import type { SignalTransport } from '../../src/signal/transport.js';

/**
 * Joins a client's socket on this (signal) node to its relayed session on the room node: frames both ways as
 * they are, and whichever side ends, the other learns at once with the same code and reason.
 */
export function bridge(client: SignalTransport, relay: RelaySession): void {
  client.onFrame((frame) => relay.send(frame));
  relay.onFrame((frame) => client.send(frame));
  client.onClose((code, reason) => relay.close(code, reason || 'client closed the socket'));
  relay.onClose((code, reason) => client.close(code, reason));
}
