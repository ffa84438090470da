import type { RegionConfig } from '../config/types.js';
import { LkcError } from '../errors.js';
import type { PlacementExplanation } from './explanation.js';

/** No node can take a new room; the message says why, the explanation (when asked for) shows every node. */
export class NoAvailableNodesError extends LkcError {
  explanation?: PlacementExplanation;

  constructor(message: string) {
    super('NO_AVAILABLE_NODES', message, { exitCode: 1 });
  }
}

/** The origin region of a region-aware placement is not in node_selector.regions. */
export function unknownOriginRegion(region: string, regions: RegionConfig[]): LkcError {
  const known = regions.map((r) => r.name).join(', ');
  return new LkcError(
    'REGION_NOT_FOUND',
    `region "${region}" is not in node_selector.regions (${known}): add it with its lat/lon or pass --region with one of those`,
  );
}

/**
 * Refuses a region no one knows: not in node_selector.regions and no node registered in it. A filter or an
 * origin in such a region matches nothing, and an empty answer would not say that the name is wrong.
 */
export function checkRegionKnown(
  region: string,
  regions: readonly RegionConfig[],
  nodes: readonly { region: string }[],
): void {
  if (regions.some((r) => r.name === region) || nodes.some((n) => n.region === region)) return;
  const known = [...new Set([...regions.map((r) => r.name), ...nodes.map((n) => n.region).filter(Boolean)])];
  throw new LkcError(
    'REGION_NOT_FOUND',
    `unknown region '${region}': it is not in node_selector.regions and no node is registered in it` +
      (known.length ? ` (known: ${known.join(', ')})` : ''),
  );
}

/** A node asked for by id (CreateRoom's node_id) cannot take the room. */
export function pinnedNodeUnavailable(nodeId: string, why: string): LkcError {
  return new LkcError('UNAVAILABLE', `node ${nodeId} cannot take the room: ${why}`);
}

/** The selector kind, sort_by or algorithm in the config is not one lk-cluster knows. */
export function unknownSelectorOption(option: string, value: string, known: readonly string[]): LkcError {
  return new LkcError(
    'CONFIG_INVALID',
    `node_selector.${option} "${value}" is unknown: use one of ${known.join(', ')}`,
  );
}
