/**
 * The RIB's public surface: `Rib` (Adj-RIB-In, Loc-RIB, Adj-RIB-Out, input
 * queue), the decision-step and export-rule tables, and the value types.
 * See ./rib.ts for what is and is not supported.
 *
 * How a router drives it (all calls synchronous, no I/O inside):
 *
 *   const rib = new Rib({ localAs, routerId, multipath, nextHopReachable: (nh, fam) => fib.has(nh) });
 *   const peer = rib.addPeer({ address, asn, kind: 'ebgp', localAddress, importPolicy, exportPolicy, maxPrefixes });
 *   rib.originate(connectedPrefixes, { source: 'connected' });
 *   // session reached Established:
 *   rib.peerUp(peer.id, { routerId: open.bgpId, families: [4, 6] });
 *   // each decoded UPDATE:
 *   rib.enqueueUpdate(peer.id, update);
 *   // from the event loop, between I/O:
 *   const r = rib.processSome(2000);      // r.changes → FIB + event stream; r.maxPrefixExceeded → Cease 6/1
 *   const out = rib.pendingUpdates(peer.id, 2000);  // one UPDATE per out.batches[i]; out.withdrawals; out.endOfRib
 *   // session dropped:
 *   rib.peerDown(peer.id);
 */
export { Rib, type RibOptions, type PeerConfig, type PeerUpOptions, type OriginateOptions, type OriginSource } from './rib.js';
export { DECISION_STEPS, MULTIPATH_CUT, DEFAULT_LOCAL_PREF, selectBest, type Candidate, type DecisionStep } from './decision.js';
export { EXPORT_RULES, exportAttrs, exportBlock, type ExportRule, type ExportBlock } from './export.js';
export { PrefixTable } from './prefix-table.js';
export type * from './types.js';
export { AttrCache, type RouteAttrs } from '../attr-intern.js';
