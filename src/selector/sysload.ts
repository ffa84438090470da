import type { NodeSelectorConfig } from '../config/types.js';
import type { LoadLimit } from './available.js';
import { type SelectorKindRule, singleTier } from './tier.js';

/** The seed's limit: a node must be under sysload_limit (1-minute load average per cpu). */
export function sysloadLimit(selector: NodeSelectorConfig): LoadLimit {
  return { metric: 'sysload', option: 'sysload_limit', limit: selector.sysload_limit };
}

/** `sysload`: nodes whose load average per cpu is under sysload_limit, whatever their region. */
export const sysloadSelector: SelectorKindRule = {
  loadLimit: sysloadLimit,
  tiers: (byRegion) => singleTier(byRegion),
};
