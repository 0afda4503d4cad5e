/**
 * Values the RIB hands to its callers (the session, the router, `show`/`explain`).
 *
 * Routes are materialised on demand from the RIB's compact columns; holding
 * one does not keep anything alive in the RIB. Attribute sets are interned
 * (src/bgp/attr-intern.ts): compare them with `===`.
 */
import type { Family, IpAddress, IpPrefix } from '../../lib/prefix.js';
import type { RouteAttrs } from '../attr-intern.js';

export type PeerKind = 'ebgp' | 'ibgp' | 'local';

/** Who a route came from. Peer 0 is this router itself (kind 'local'). */
export interface PeerRef {
  readonly id: number;
  readonly address: IpAddress;
  readonly asn: number;
  /** BGP identifier as an unsigned 32-bit number (0 until the OPEN is seen). */
  readonly routerId: number;
  readonly kind: PeerKind;
  /** Free text for displays (the neighbour's node name). */
  readonly name?: string;
}

export interface Route {
  readonly prefix: IpPrefix;
  readonly attrs: RouteAttrs;
  readonly peer: PeerRef;
}

/** The ids of the decision steps, in order (src/bgp/rib/decision.ts). */
export type DecisionReason =
  | 'next-hop-reachable' | 'local-pref' | 'as-path-length' | 'origin' | 'med'
  | 'ebgp-over-ibgp' | 'router-id' | 'peer-address';

export interface CandidateVerdict {
  readonly route: Route;
  readonly outcome: 'best' | 'ecmp' | 'lost';
  /** For losers: the step that removed it, the path that beat it, and why. */
  readonly step?: DecisionReason;
  readonly detail?: string;
  readonly beatenBy?: Route;
}

/** Best-path selection for one prefix, as `explain` shows it. */
export interface BestPathExplanation {
  readonly prefix: IpPrefix;
  readonly best?: Route;
  /** With multipath: the paths equal up to the router-id step (best first); else [best]. */
  readonly ecmp: readonly Route[];
  readonly candidates: readonly CandidateVerdict[];
  /** Routes import policy or loop detection kept out, with the reason. */
  readonly rejected: readonly { readonly peer: PeerRef; readonly attrs: RouteAttrs; readonly reason: string }[];
}

/** Emitted when a prefix's best path (or its ECMP set) changes. */
export interface BestPathChange {
  readonly prefix: IpPrefix;
  readonly oldBest?: Route;
  readonly newBest?: Route;
  /** With multipath: the new ECMP set (best first). */
  readonly ecmp?: readonly Route[];
  /** The deciding step, or 'only-path' / 'no-path'. */
  readonly step: DecisionReason | 'only-path' | 'no-path';
  /** Human phrase: "AS_PATH 2 < 3", "only path", "withdrawn", "next hop 10.0.0.1 unreachable". */
  readonly reason: string;
}

/** A neighbour exceeded its max-prefix limit: the session sends Cease 6/1 (RFC 4486) and calls peerDown. */
export interface MaxPrefixExceeded {
  readonly peer: PeerRef;
  readonly limit: number;
  readonly count: number;
}

export interface ProcessResult {
  /** More queued work remains: call processSome again (after serving I/O). */
  readonly more: boolean;
  readonly changes: readonly BestPathChange[];
  readonly maxPrefixExceeded: readonly MaxPrefixExceeded[];
  /** Prefixes (announced or withdrawn) handled in this call. */
  readonly processed: number;
}

/**
 * One UPDATE's worth: an attribute set and the prefixes that share it. The
 * set is interned while the result is built (equal sets are one batch) and
 * released afterwards: identity is not stable across calls.
 */
export interface OutBatch {
  readonly family: Family;
  readonly attrs: RouteAttrs;
  /**
   * The prefixes as ids of the RIB's prefix table (`Rib.prefixes`), valid
   * until the RIB changes again: the encoder reads them in place.
   */
  readonly ids: readonly number[];
  /** The same prefixes as values (made when read). */
  readonly prefixes: readonly IpPrefix[];
}

export interface OutUpdates {
  readonly batches: readonly OutBatch[];
  readonly withdrawals: readonly IpPrefix[];
  /** The initial dump to this peer just finished: send End-of-RIB (RFC 4724 §2) for `endOfRib` families. */
  readonly endOfRib: readonly Family[];
  /** More pending changes remain for this peer. */
  readonly more: boolean;
}

export interface AdjRibOutEntry {
  readonly prefix: IpPrefix;
  readonly attrs: RouteAttrs;
}
