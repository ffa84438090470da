import { type SelectorKindRule, singleTier } from './tier.js';

/** `cpuload`: nodes whose cpu use is under cpu_load_limit, whatever their region. */
export const cpuloadSelector: SelectorKindRule = {
  loadLimit: (selector) => ({ metric: 'cpu_load', option: 'cpu_load_limit', limit: selector.cpu_load_limit }),
  tiers: (byRegion) => singleTier(byRegion),
};
