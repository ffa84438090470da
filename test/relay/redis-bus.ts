import { Redis } from 'ioredis';
import type { RelayBus } from '../../src/relay/endpoint.js';

/**
 * A node's channel on a real redis-server, for relay tests that run before (or without) the full cluster router:
 * one publisher and one subscriber connection, as the Redis router keeps them.
 */
export interface TestBus extends RelayBus {
  /** Delivers every message sent to `nodeId` to `handler`. */
  listen(nodeId: string, handler: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

export async function connectBus(port: number, prefix = 'relaytest'): Promise<TestBus> {
  const publisher = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const handlers = new Map<string, (message: string) => void>();
  subscriber.on('message', (channel: string, message: string) => handlers.get(channel)?.(message));
  return {
    async publish(nodeId, message) {
      await publisher.publish(`${prefix}:${nodeId}`, message);
    },
    async listen(nodeId, handler) {
      handlers.set(`${prefix}:${nodeId}`, handler);
      await subscriber.subscribe(`${prefix}:${nodeId}`);
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
