import { RegionInfo, RegionSettings } from '@livekit/protocol';
import { verifyToken } from '../../src/auth/token.js';
import type { Config } from '../../src/config/types.js';
import { isLkcError } from '../../src/errors.js';
import { haversineKm } from '../../src/geo/haversine.js';
import { findRegion } from '../../src/geo/region-table.js';
import type { NodeView } from '../../src/records.js';
import { type HttpSurface, sendJson } from './http-surface.js';

/**
 * Clients cache the list for this long (the server SDK honours max-age). Short, because the list names nodes,
 * and a node that died since is skipped by the client anyway.
 */
export const REGIONS_MAX_AGE_SECONDS = 10;

// Least loaded first: what a node reports, in the order the selector weighs it.
function lighter(a: NodeView, b: NodeView): number {
  return (
    a.stats.sysload - b.stats.sysload ||
    a.stats.clients - b.stats.clients ||
    a.stats.rooms - b.stats.rooms ||
    a.id.localeCompare(b.id)
  );
}

/**
 * LiveKit's region list: one reachable URL per region that has a live, serving node (its least-loaded one),
 * nearest to `originRegion` first, with the great-circle distance in metres. Regions whose place is unknown
 * (neither in `table` nor built in) come last, with distance 0.
 */
export function regionSettings(
  nodes: readonly NodeView[],
  originRegion: string,
  table: Config['node_selector']['regions'],
): RegionSettings {
  const best = new Map<string, NodeView>();
  for (const node of nodes) {
    if (!node.alive || node.state !== 'serving') continue;
    const current = best.get(node.region);
    if (!current || lighter(node, current) < 0) best.set(node.region, node);
  }
  const origin = originRegion ? findRegion(originRegion, table) : undefined;
  const rows = [...best.entries()].map(([region, node]) => {
    const place = region ? findRegion(region, table) : undefined;
    let metres: number | undefined;
    if (region === originRegion) metres = 0;
    else if (origin && place) metres = Math.round(haversineKm(origin, place) * 1000);
    return { region, url: node.url, metres };
  });
  rows.sort(
    (a, b) =>
      (a.metres ?? Number.POSITIVE_INFINITY) - (b.metres ?? Number.POSITIVE_INFINITY) ||
      a.region.localeCompare(b.region),
  );
  return new RegionSettings({
    regions: rows.map(
      (row) => new RegionInfo({ region: row.region, url: row.url, distance: BigInt(row.metres ?? 0) }),
    ),
  });
}

/**
 * GET /settings/regions, as LiveKit Cloud serves it: the server SDK reads it to fail over to another region, the
 * client SDK to pick a region. It names nodes, so it needs a token signed with a configured key (any grant).
 */
export function addRegionDiscoveryRoute(
  http: HttpSurface,
  nodes: { listNodes(): Promise<NodeView[]> },
  config: Pick<Config, 'keys' | 'region' | 'node_selector'>,
): void {
  http.route('GET', '/settings/regions', async ({ req, res, url }) => {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : url.searchParams.get('access_token');
    try {
      await verifyToken(token ?? undefined, config.keys);
    } catch (err) {
      const message = isLkcError(err) ? err.message : 'access token is invalid';
      sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message } });
      return;
    }
    const settings = regionSettings(await nodes.listNodes(), config.region, config.node_selector.regions);
    sendJson(res, 200, settings.toJson({ useProtoFieldName: true, emitDefaultValues: true }), {
      'cache-control': `max-age=${REGIONS_MAX_AGE_SECONDS}`,
    });
  });
}
