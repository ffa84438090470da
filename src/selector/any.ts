import { type SelectorKindRule, singleTier } from './tier.js';

/** `any`: every live, serving node under its own limits, whatever its load or region. */
export const anySelector: SelectorKindRule = {
  loadLimit: () => null,
  tiers: (byRegion) => singleTier(byRegion),
};
