/**
 * Export rules: which Loc-RIB best paths go to which neighbour, and the
 * attributes they carry there (RFC 4271 §9.1.3 and §5.1; RFC 1997 well-known
 * communities).
 *
 * Rules are a table of `{ reason, blocks }`, checked in order before export
 * policy; the first that blocks names the reason (`explain` shows it).
 * Attribute rewriting:
 * - eBGP: prepend our AS, NEXT_HOP = our address on that session, no
 *   LOCAL_PREF, no MED unless this router originated the route (MED is not
 *   passed between neighbouring ASes, §5.1.4);
 * - iBGP: NEXT_HOP = our address on that session (next-hop-self), LOCAL_PREF
 *   kept (100 written when absent, §5.1.5), MED kept;
 * - unknown optional transitive attributes passed on with the Partial bit,
 *   unknown non-transitive ones dropped (§5, §9.1.3).
 * Export policy (src/bgp/policy.ts) matches the Loc-RIB route; its set actions
 * apply to the rewritten attributes (so a MED set on export reaches eBGP
 * neighbours); a LOCAL_PREF it sets is dropped again toward eBGP.
 *
 * Not here: route reflection, confederations, add-path, next-hop-unchanged.
 */
import { AttrFlag, WellKnownCommunity, type PathAttributes } from '../wire/types.js';
import { asPathContains, prependAs, type RouteAttrs } from '../attr-intern.js';
import { DEFAULT_LOCAL_PREF } from './decision.js';
import type { PeerRef } from './types.js';

export type ExportBlock =
  | 'no-advertise' | 'no-export' | 'split-horizon' | 'same-neighbour-as'
  | 'as-path-holds-peer-as' | 'ibgp-to-ibgp';

export interface ExportRule {
  readonly reason: ExportBlock;
  readonly text: string;
  blocks(src: PeerRef, dst: PeerRef, attrs: RouteAttrs): boolean;
}

const hasCommunity = (a: PathAttributes, c: number): boolean => a.communities !== undefined && a.communities.includes(c);

export const EXPORT_RULES: readonly ExportRule[] = [
  { reason: 'no-advertise', text: 'NO_ADVERTISE: sent to no neighbour', blocks: (_s, _d, a) => hasCommunity(a, WellKnownCommunity.NO_ADVERTISE) },
  { reason: 'no-export', text: 'NO_EXPORT: not sent to eBGP neighbours', blocks: (_s, d, a) => d.kind === 'ebgp' && hasCommunity(a, WellKnownCommunity.NO_EXPORT) },
  { reason: 'split-horizon', text: 'learned from this neighbour', blocks: (s, d) => s.id === d.id },
  { reason: 'same-neighbour-as', text: 'learned from this neighbour\'s AS', blocks: (s, d) => d.kind === 'ebgp' && s.kind === 'ebgp' && s.asn === d.asn },
  { reason: 'as-path-holds-peer-as', text: 'AS_PATH holds the neighbour\'s AS (it would drop it)', blocks: (_s, d, a) => d.kind === 'ebgp' && asPathContains(a.asPath, d.asn) },
  { reason: 'ibgp-to-ibgp', text: 'learned over iBGP: not re-advertised to iBGP', blocks: (s, d) => s.kind === 'ibgp' && d.kind === 'ibgp' },
];

/** The first rule that keeps `attrs` (learned from `src`) from `dst`, or undefined. */
export function exportBlock(src: PeerRef, dst: PeerRef, attrs: RouteAttrs): ExportRule | undefined {
  for (const r of EXPORT_RULES) if (r.blocks(src, dst, attrs)) return r;
  return undefined;
}

/** The attributes `dst` receives, before export policy actions. */
export function exportAttrs(a: PathAttributes, src: PeerRef, dst: PeerRef, nextHop: Uint8Array, localAs: number): PathAttributes {
  const ebgp = dst.kind === 'ebgp';
  let unknown: PathAttributes['unknown'];
  if (a.unknown !== undefined) {
    const kept = a.unknown
      .filter((u) => (u.flags & AttrFlag.OPTIONAL) !== 0 && (u.flags & AttrFlag.TRANSITIVE) !== 0)
      .map((u) => ({ flags: u.flags | AttrFlag.PARTIAL, code: u.code, value: u.value }));
    if (kept.length > 0) unknown = kept;
  }
  // One object shape for every result (all keys, undefined when absent).
  return {
    origin: a.origin ?? 0,
    asPath: ebgp ? prependAs(a.asPath, localAs, 1) : a.asPath ?? [],
    nextHop,
    med: ebgp ? (src.kind === 'local' ? a.med : undefined) : a.med,
    localPref: ebgp ? undefined : a.localPref ?? DEFAULT_LOCAL_PREF,
    atomicAggregate: a.atomicAggregate === true ? true : undefined,
    aggregator: a.aggregator,
    communities: a.communities !== undefined && a.communities.length > 0 ? a.communities : undefined,
    unknown,
  };
}
