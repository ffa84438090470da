/** The dashboard's wire shapes live in src/dashboard/wire.ts, which the page's bundle imports too. */
export type * from '../../src/dashboard/wire.js';
