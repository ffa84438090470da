import type { NodeState } from '../../src/records.js';
import type { NodeMetrics } from '../metrics.js';
import type { HttpSurface } from './http-surface.js';
import { sendJson } from './http-surface.js';

/** What the health routes read of the node. */
export interface HealthSource {
  readonly id: string;
  readonly state: NodeState;
  readiness(): Promise<{ ready: boolean; reason?: string }>;
}

/** GET /healthz (the process lives), GET /readyz (it can take work), GET /metrics (Prometheus text). */
export function addHealthRoutes(
  http: HttpSurface,
  node: HealthSource,
  metrics: Pick<NodeMetrics, 'registry'>,
): void {
  http.route('GET', '/healthz', ({ res }) => {
    sendJson(res, 200, { ok: true, node_id: node.id, state: node.state });
  });

  http.route('GET', '/readyz', async ({ res }) => {
    const readiness = await node.readiness();
    sendJson(res, readiness.ready ? 200 : 503, { node_id: node.id, state: node.state, ...readiness });
  });

  http.route('GET', '/metrics', async ({ res }) => {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(text);
  });
}
