/**
 * The RIB's public surface: `Rib` (Adj-RIB-In, Loc-RIB, Adj-RIB-Out, input
 * queue), the decision-step and export-rule tables, and the value types.
 * See ./rib.ts for what is and is not supported.
 */
export { Rib, type RibOptions, type PeerConfig, type PeerUpOptions, type OriginateOptions } from './rib.js';
export { DECISION_STEPS, MULTIPATH_CUT, DEFAULT_LOCAL_PREF, selectBest, type Candidate, type DecisionStep } from './decision.js';
export { EXPORT_RULES, exportAttrs, exportBlock, type ExportRule, type ExportBlock } from './export.js';
export { PrefixTable } from './prefix-table.js';
export type * from './types.js';
export { AttrCache, type RouteAttrs } from '../attr-intern.js';
