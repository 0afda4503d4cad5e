/**
 * Routes of the inject peer (`lab inject`): what a user asks to announce,
 * checked, and the path attributes each BGP session carries for it.
 *
 * An injected route is the prefix plus the attributes chosen on the command
 * line. On the wire (RFC 4271 §5.1):
 * - AS_PATH: over eBGP the peer's own AS, then `asPath` as given (so
 *   `--as-path "65010 65020"` from AS 65099 arrives as 65099 65010 65020,
 *   origin AS 65020, as a real speaker would send it); over iBGP `asPath`
 *   as given;
 * - NEXT_HOP: `nextHop` when given (a third-party next hop, §5.1.3; it must
 *   be on the receiver's link to be usable), else the session's local address;
 *   IPv6 routes carry it in MP_REACH_NLRI (RFC 4760);
 * - MULTI_EXIT_DISC when `med` is given; LOCAL_PREF only over iBGP (§5.1.5:
 *   a receiver ignores it from eBGP, so the caller refuses it there);
 * - COMMUNITIES (RFC 1997) and ORIGIN as given.
 * Pure: no sockets, nothing thrown for bad input (results carry the error).
 * Not supported: AS_SET segments, aggregator, large/extended communities.
 */
import { formatPrefix, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../lib/prefix.js';
import { parseCommunity } from '../bgp/policy.js';
import type { PathAttributes } from '../bgp/wire/types.js';
import type { InjectRouteSpec } from '../control/protocol.js';

export const ORIGINS = ['igp', 'egp', 'incomplete'] as const;
export type OriginName = (typeof ORIGINS)[number];

/** One route as the user asked for it (the control protocol's shape, between the CLI and the peer process). */
export type InjectRoute = InjectRouteSpec;

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const U32 = 0xffff_ffff;

/** A non-negative integer of at most 32 bits from text, or an error naming `what`. */
export function parseU32(text: string, what: string): Checked<number> {
  if (!/^\d+$/.test(text.trim())) return { ok: false, error: `${what} must be a whole number, not '${text}'` };
  const n = Number(text.trim());
  if (n > U32) return { ok: false, error: `${what} ${text} is larger than ${U32}` };
  return { ok: true, value: n };
}

/** "65010 65020" or "65010,65020" → AS numbers (0 and AS_TRANS refused, RFC 7607 / RFC 6793). */
export function parseAsPath(text: string): Checked<number[]> {
  const words = text.split(/[\s,]+/).filter(Boolean);
  const out: number[] = [];
  for (const w of words) {
    const n = parseU32(w, 'an AS number in --as-path');
    if (!n.ok) return n;
    if (n.value === 0) return { ok: false, error: 'AS 0 cannot appear in an AS path (RFC 7607)' };
    if (n.value === 23456) return { ok: false, error: 'AS 23456 is AS_TRANS (RFC 6793), not a real AS' };
    out.push(n.value);
  }
  return { ok: true, value: out };
}

/** Checks a route: prefix without host bits, next hop of the prefix's family, communities, origin. */
export function checkRoute(r: InjectRoute): Checked<{ prefix: IpPrefix; nextHop?: IpAddress; communities: number[]; origin: 0 | 1 | 2 }> {
  const p = parsePrefix(r.prefix);
  if (!p.ok) return { ok: false, error: `${r.prefix}: ${p.error}` };
  let nextHop: IpAddress | undefined;
  if (r.nextHop !== undefined) {
    const a = parseAddress(r.nextHop);
    if (!a.ok) return { ok: false, error: `next hop ${r.nextHop}: ${a.error}` };
    if (a.value.family !== p.value.family) return { ok: false, error: `next hop ${r.nextHop} is IPv${a.value.family} but ${r.prefix} is IPv${p.value.family}` };
    nextHop = a.value;
  }
  const communities: number[] = [];
  for (const c of r.communities) {
    const v = parseCommunity(c);
    if (!v.ok) return { ok: false, error: v.error };
    communities.push(v.value);
  }
  const origin = ORIGINS.indexOf(r.origin);
  if (origin < 0) return { ok: false, error: `origin must be one of ${ORIGINS.join('|')}, not '${String(r.origin)}'` };
  for (const asn of r.asPath) if (!Number.isInteger(asn) || asn < 1 || asn > U32 || asn === 23456) return { ok: false, error: `bad AS number ${asn} in the AS path` };
  if (r.med !== undefined && (!Number.isInteger(r.med) || r.med < 0 || r.med > U32)) return { ok: false, error: `MED ${r.med} is not a 32-bit number` };
  if (r.localPref !== undefined && (!Number.isInteger(r.localPref) || r.localPref < 0 || r.localPref > U32)) return { ok: false, error: `LOCAL_PREF ${r.localPref} is not a 32-bit number` };
  return { ok: true, value: { prefix: p.value, ...(nextHop ? { nextHop } : {}), communities, origin: origin as 0 | 1 | 2 } };
}

/** What the peer knows of one of its sessions when building attributes. */
export interface SessionSide {
  readonly kind: 'ebgp' | 'ibgp';
  readonly localAsn: number;
  /** Our address on this session's link, per family (the default NEXT_HOP). */
  readonly localAddress4?: IpAddress;
  readonly localAddress6?: IpAddress;
}

/** The attributes `route` carries over one session, and the IPv6 next hop for MP_REACH_NLRI. */
export function sessionAttributes(route: InjectRoute, side: SessionSide): Checked<{ prefix: IpPrefix; attributes: PathAttributes; ipv6NextHop?: Uint8Array }> {
  const c = checkRoute(route);
  if (!c.ok) return c;
  const { prefix } = c.value;
  const nh = c.value.nextHop ?? (prefix.family === 4 ? side.localAddress4 : side.localAddress6);
  if (nh === undefined) return { ok: false, error: `no IPv${prefix.family} next hop for ${formatPrefix(prefix)} on this session: give --next-hop` };
  if (route.localPref !== undefined && side.kind === 'ebgp') return { ok: false, error: 'LOCAL_PREF is only carried over iBGP (RFC 4271 §5.1.5)' };
  const asns = side.kind === 'ebgp' ? [side.localAsn, ...route.asPath] : [...route.asPath];
  const attributes: PathAttributes = {
    origin: c.value.origin,
    asPath: asns.length ? [{ type: 2, asns }] : [],
    ...(prefix.family === 4 ? { nextHop: nh.bytes } : {}),
    ...(route.med !== undefined ? { med: route.med } : {}),
    ...(side.kind === 'ibgp' ? { localPref: route.localPref ?? 100 } : {}),
    ...(c.value.communities.length ? { communities: c.value.communities } : {}),
  };
  return { ok: true, value: { prefix, attributes, ...(prefix.family === 6 ? { ipv6NextHop: nh.bytes } : {}) } };
}
