/**
 * Interned, immutable path-attribute sets (BIRD's `rta` cache, nest/rt-attr.c).
 *
 * Owns: `AttrCache`, which turns a decoded `PathAttributes` into the one frozen
 * `RouteAttrs` object for its canonical key, so that the RIB tables hold shared
 * immutable sets and attribute equality is object identity. Entries are
 * reference counted: `intern` and `retain` add a reference, `release` drops
 * one, and the entry leaves the cache when the last one goes, so memory
 * follows the routes actually held. Next hops are interned the same way, and
 * every byte array is copied on interning (the codec's arrays may be views
 * into a whole received message).
 *
 * Canonical form (RFC 4271 §5, RFC 1997): MP_REACH/MP_UNREACH are never part
 * of a set (the RIB holds the family's next hop in `nextHop`: 4 bytes for
 * IPv4, 16 or 32 for IPv6); communities are sorted and de-duplicated.
 *
 * Also here: small AS_PATH helpers used by the decision process, policy and
 * export (RFC 4271 §9.1.2.2 a: an AS_SET counts as one).
 *
 * Not here: wire encoding (src/bgp/wire), the meaning of unknown attributes
 * (kept byte for byte). Byte arrays inside a set cannot be frozen by
 * JavaScript; treat them as read-only.
 */
import type { AsPathSegment, PathAttributes, UnknownAttribute } from './wire/types.js';

declare const internedBrand: unique symbol;

/** An interned attribute set: compare with `===`. */
export type RouteAttrs = PathAttributes & { readonly [internedBrand]: true };

/** Per-set bookkeeping, mutable, never exposed outside the RIB. */
export interface AttrEntry {
  readonly key: string;
  refs: number;
  /** Next-hop reachability cache, valid while `nhGen` equals the RIB's generation. */
  nhGen: number;
  nhOk: boolean;
}

const ENTRY = Symbol('attr-entry');

interface BytesEntry { readonly bytes: Uint8Array; refs: number }

export class AttrCache {
  private readonly sets = new Map<string, RouteAttrs>();
  private readonly hops = new Map<string, BytesEntry>();

  /** Number of distinct live attribute sets. */
  get size(): number { return this.sets.size; }
  /** Number of distinct live next hops. */
  get nextHopCount(): number { return this.hops.size; }

  /** The interned set equal to `a`, with one more reference held by the caller. */
  intern(a: PathAttributes): RouteAttrs {
    const key = attrKey(a);
    const found = this.sets.get(key);
    if (found !== undefined) {
      entryOf(found).refs++;
      return found;
    }
    const built = this.build(a, key);
    this.sets.set(key, built);
    return built;
  }

  retain(a: RouteAttrs): void {
    entryOf(a).refs++;
  }

  release(a: RouteAttrs): void {
    const e = entryOf(a);
    if (e.refs <= 0) throw new Error('AttrCache.release: set has no references');
    if (--e.refs === 0) {
      this.sets.delete(e.key);
      if (a.nextHop !== undefined) this.releaseHop(a.nextHop);
    }
  }

  /** True while `a` is the cache's current object for its key. */
  isLive(a: RouteAttrs): boolean {
    return entryOf(a).refs > 0 && this.sets.get(entryOf(a).key) === a;
  }

  refs(a: RouteAttrs): number {
    return entryOf(a).refs;
  }

  private build(a: PathAttributes, key: string): RouteAttrs {
    const o: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = {};
    if (a.origin !== undefined) o.origin = a.origin;
    if (a.asPath !== undefined) {
      o.asPath = Object.freeze(a.asPath.map((s) => Object.freeze({ type: s.type, asns: Object.freeze(s.asns.slice()) })));
    }
    if (a.nextHop !== undefined) o.nextHop = this.internHop(a.nextHop);
    if (a.med !== undefined) o.med = a.med;
    if (a.localPref !== undefined) o.localPref = a.localPref;
    if (a.atomicAggregate) o.atomicAggregate = true;
    if (a.aggregator !== undefined) o.aggregator = Object.freeze({ asn: a.aggregator.asn, address: a.aggregator.address.slice() });
    if (a.communities !== undefined) o.communities = Object.freeze(canonicalCommunities(a.communities));
    if (a.unknown !== undefined && a.unknown.length > 0) {
      o.unknown = Object.freeze(a.unknown.map((u) => Object.freeze({ flags: u.flags, code: u.code, value: u.value.slice() })));
    }
    const entry: AttrEntry = { key, refs: 1, nhGen: -1, nhOk: false };
    Object.defineProperty(o, ENTRY, { value: entry, enumerable: false });
    return Object.freeze(o) as RouteAttrs;
  }

  private internHop(b: Uint8Array): Uint8Array {
    const k = hex(b);
    const e = this.hops.get(k);
    if (e !== undefined) { e.refs++; return e.bytes; }
    const bytes = b.slice();
    this.hops.set(k, { bytes, refs: 1 });
    return bytes;
  }

  private releaseHop(b: Uint8Array): void {
    const k = hex(b);
    const e = this.hops.get(k);
    if (e !== undefined && --e.refs === 0) this.hops.delete(k);
  }
}

/** The mutable bookkeeping of an interned set (RIB-internal). */
export function entryOf(a: RouteAttrs): AttrEntry {
  return (a as unknown as { [ENTRY]: AttrEntry })[ENTRY];
}

export function isInterned(a: PathAttributes): a is RouteAttrs {
  return (a as { [ENTRY]?: AttrEntry })[ENTRY] !== undefined;
}

function canonicalCommunities(c: readonly number[]): number[] {
  const out = c.map((x) => x >>> 0).sort((x, y) => x - y);
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[w - 1]) out[w++] = out[i];
  out.length = w;
  return out;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** Canonical key: equal keys ⇔ equal attribute sets (MP_REACH/MP_UNREACH ignored). */
export function attrKey(a: PathAttributes): string {
  let k = a.origin === undefined ? 'o-' : 'o' + a.origin;
  if (a.asPath !== undefined) {
    k += '|p';
    for (const s of a.asPath) k += (s.type === 1 ? '{' : '(') + s.asns.join(' ') + ')';
  }
  if (a.nextHop !== undefined) k += '|n' + hex(a.nextHop);
  if (a.med !== undefined) k += '|m' + a.med;
  if (a.localPref !== undefined) k += '|l' + a.localPref;
  if (a.atomicAggregate) k += '|A';
  if (a.aggregator !== undefined) k += '|g' + a.aggregator.asn + ':' + hex(a.aggregator.address);
  if (a.communities !== undefined) k += '|c' + canonicalCommunities(a.communities).join(',');
  if (a.unknown !== undefined && a.unknown.length > 0) {
    k += '|u';
    for (const u of a.unknown) k += u.flags + ':' + u.code + ':' + hex(u.value) + ';';
  }
  return k;
}

// ---------------------------------------------------------------- AS_PATH helpers

/** Path length for the decision process: each AS in a SEQUENCE counts 1, a whole AS_SET counts 1. */
export function asPathLength(path: readonly AsPathSegment[] | undefined): number {
  if (path === undefined) return 0;
  let n = 0;
  for (const s of path) n += s.type === 1 ? (s.asns.length > 0 ? 1 : 0) : s.asns.length;
  return n;
}

export function asPathContains(path: readonly AsPathSegment[] | undefined, asn: number): boolean {
  if (path === undefined) return false;
  for (const s of path) for (const a of s.asns) if (a === asn) return true;
  return false;
}

/**
 * The neighbouring AS for MED comparison (RFC 4271 §9.1.2.2 c): the first AS
 * of a leading AS_SEQUENCE; `undefined` for an empty path or a leading AS_SET.
 */
export function neighborAs(path: readonly AsPathSegment[] | undefined): number | undefined {
  if (path === undefined || path.length === 0) return undefined;
  const s = path[0];
  return s.type === 2 && s.asns.length > 0 ? s.asns[0] : undefined;
}

const MAX_SEGMENT = 255;

/** `asn` prepended `times` times (RFC 4271 §5.1.2), splitting segments at 255 ASNs. */
export function prependAs(path: readonly AsPathSegment[] | undefined, asn: number, times = 1): AsPathSegment[] {
  const rest = path ?? [];
  if (times <= 0) return rest.slice();
  const head: number[] = new Array<number>(times).fill(asn);
  let tail = rest;
  if (rest.length > 0 && rest[0].type === 2) {
    head.push(...rest[0].asns);
    tail = rest.slice(1);
  }
  const out: AsPathSegment[] = [];
  for (let i = 0; i < head.length; i += MAX_SEGMENT) out.push({ type: 2, asns: head.slice(i, i + MAX_SEGMENT) });
  return out.concat(tail);
}

export function formatAsPath(path: readonly AsPathSegment[] | undefined): string {
  if (path === undefined || path.length === 0) return '';
  return path.map((s) => (s.type === 1 ? `{${s.asns.join(',')}}` : s.asns.join(' '))).join(' ');
}

export type { UnknownAttribute };
