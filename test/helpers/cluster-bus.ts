import type { RelayEndpoint } from '../../src/relay/relay-endpoint.js';
import { createRouter } from '../../src/routing/create.js';
import type { Router } from '../../src/routing/types.js';
import { testConfig } from './config.js';

/** A Redis router on the test's redis-server, as a node would have it. */
export function connectRouter(redisPort: number): Promise<Router> {
  return createRouter(testConfig({ redis: { address: `127.0.0.1:${redisPort}`, key_prefix: '{lkc}:' } }));
}

/** Feeds every message sent to the endpoint's node channel into the endpoint. */
export function attach(router: Router, endpoint: RelayEndpoint): Promise<() => Promise<void>> {
  return router.subscribe(endpoint.nodeId, (message) => endpoint.handle(message));
}
