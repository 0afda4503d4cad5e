/**
 * Interned, immutable path-attribute sets (BIRD's `rta` cache, nest/rt-attr.c).
 *
 * Owns: `AttrCache`, which turns a decoded `PathAttributes` into the one frozen
 * `RouteAttrs` object for its canonical key, so that the RIB tables hold shared
 * immutable sets and attribute equality is object identity. Entries are
 * reference counted: `intern` and `retain` add a reference, `release` drops
 * one, and the entry leaves the cache when the last one goes, so memory
 * follows the routes actually held. Lookup is by a 32-bit hash of the
 * canonical form plus structural comparison (no key string per set). Next hops are interned the same way, and
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

/** Each set's slot in the cache's bookkeeping columns (refs, hash, next-hop cache). */
const SLOT = Symbol('attr-slot');

interface BytesEntry { readonly bytes: Uint8Array; refs: number }

/** The fields of a set, always in this order and shape (fast, monomorphic access). */
class Fields {
  origin: PathAttributes['origin'] = undefined;
  asPath: PathAttributes['asPath'] = undefined;
  nextHop: PathAttributes['nextHop'] = undefined;
  med: PathAttributes['med'] = undefined;
  localPref: PathAttributes['localPref'] = undefined;
  atomicAggregate: PathAttributes['atomicAggregate'] = undefined;
  aggregator: PathAttributes['aggregator'] = undefined;
  communities: PathAttributes['communities'] = undefined;
  unknown: PathAttributes['unknown'] = undefined;
}

/** An interned set: every field present (undefined when absent), frozen, with its entry. */
class AttrSet extends Fields {
  constructor(f: Fields, slot: number, hop: Uint8Array | undefined) {
    super();
    this.origin = f.origin;
    this.asPath = f.asPath === undefined ? undefined
      : Object.freeze(f.asPath.map((s) => Object.freeze({ type: s.type, asns: Object.freeze(s.asns.slice()) })));
    this.nextHop = hop;
    this.med = f.med;
    this.localPref = f.localPref;
    this.atomicAggregate = f.atomicAggregate === true ? true : undefined;
    this.aggregator = f.aggregator === undefined ? undefined : Object.freeze({ asn: f.aggregator.asn, address: f.aggregator.address.slice() });
    this.communities = f.communities === undefined ? undefined : Object.freeze(f.communities.slice());
    this.unknown = f.unknown === undefined ? undefined
      : Object.freeze(f.unknown.map((u) => Object.freeze({ flags: u.flags, code: u.code, value: u.value.slice() })));
    Object.defineProperty(this, SLOT, { value: slot, enumerable: false });
    Object.freeze(this);
  }
}

/**
 * Buckets are keyed by a 32-bit hash of the canonical form and compared
 * structurally, so no key string is built or kept per set.
 */
export class AttrCache {
  private readonly buckets = new Map<number, RouteAttrs | RouteAttrs[]>();
  private count = 0;
  private readonly hops = new Map<number | string, BytesEntry>();
  private readonly scratch = new Fields();
  // Bookkeeping columns indexed by slot: a frozen set cannot carry mutable counters.
  private refc: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(1024);
  private nhGen: Int32Array = new Int32Array(1024);
  private nhOk: Uint8Array = new Uint8Array(1024);
  /** The set holding each slot (a released set's slot may be reused by another). */
  private readonly owners: (RouteAttrs | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private topSlot = 0;

  /** Number of distinct live attribute sets. */
  get size(): number { return this.count; }
  /** Number of distinct live next hops. */
  get nextHopCount(): number { return this.hops.size; }

  /** The interned set equal to `a`, with one more reference held by the caller. */
  intern(a: PathAttributes): RouteAttrs {
    return this.internWith(a, a.nextHop, a.localPref);
  }

  /** As `intern`, with NEXT_HOP and LOCAL_PREF taken from the arguments instead of `a`. */
  internWith(a: PathAttributes, nextHop: Uint8Array | undefined, localPref: number | undefined): RouteAttrs {
    const f = this.scratch;
    f.origin = a.origin;
    f.asPath = a.asPath;
    f.nextHop = nextHop;
    f.med = a.med;
    f.localPref = localPref;
    f.atomicAggregate = a.atomicAggregate === true ? true : undefined;
    f.aggregator = a.aggregator;
    const comms = a.communities;
    f.communities = comms === undefined || comms.length === 0 ? undefined : isCanonical(comms) ? comms : canonicalCommunities(comms);
    const unk = a.unknown;
    f.unknown = unk === undefined || unk.length === 0 ? undefined : unk;
    const h = hashFields(f);
    const b = this.buckets.get(h);
    let found: RouteAttrs | undefined;
    if (b !== undefined) {
      if (Array.isArray(b)) {
        for (const x of b) if (sameFields(f, x as unknown as Fields)) { found = x; break; }
      } else if (sameFields(f, b as unknown as Fields)) found = b;
    }
    if (found !== undefined) {
      this.refc[slotOf(found)]++;
      f.asPath = f.communities = f.unknown = f.aggregator = f.nextHop = undefined;
      return found;
    }
    const slot = this.allocSlot();
    this.refc[slot] = 1;
    this.hashes[slot] = h;
    this.nhGen[slot] = -1;
    const built = new AttrSet(f, slot, nextHop === undefined ? undefined : this.internHop(nextHop)) as unknown as RouteAttrs;
    this.owners[slot] = built;
    f.asPath = f.communities = f.unknown = f.aggregator = f.nextHop = undefined;
    if (b === undefined) this.buckets.set(h, built);
    else if (Array.isArray(b)) b.push(built);
    else this.buckets.set(h, [b, built]);
    this.count++;
    return built;
  }

  retain(a: RouteAttrs): void {
    const slot = slotOf(a);
    if (this.owners[slot] !== a) throw new Error('AttrCache.retain: set is not live');
    this.refc[slot]++;
  }

  release(a: RouteAttrs): void {
    const slot = slotOf(a);
    if (this.owners[slot] !== a || this.refc[slot] <= 0) throw new Error('AttrCache.release: set has no references');
    if (--this.refc[slot] > 0) return;
    const h = this.hashes[slot];
    const b = this.buckets.get(h);
    if (b === a) this.buckets.delete(h);
    else if (Array.isArray(b)) {
      const i = b.indexOf(a);
      if (i >= 0) b.splice(i, 1);
      if (b.length === 1) this.buckets.set(h, b[0]);
    }
    this.count--;
    this.refc[slot] = 0;
    this.owners[slot] = undefined;
    this.freeSlots.push(slot);
    if (a.nextHop !== undefined) this.releaseHop(a.nextHop);
  }

  /** True while `a` is the cache's current object for its value (it has references). */
  isLive(a: RouteAttrs): boolean {
    return this.owners[slotOf(a)] === a;
  }

  refs(a: RouteAttrs): number {
    return this.owners[slotOf(a)] === a ? this.refc[slotOf(a)] : 0;
  }

  /** Cached next-hop reachability of `a` for generation `gen`: 1, 0, or -1 when unknown. */
  reachability(a: RouteAttrs, gen: number): number {
    const slot = slotOf(a);
    return this.nhGen[slot] === gen ? this.nhOk[slot] : -1;
  }

  setReachability(a: RouteAttrs, gen: number, ok: boolean): void {
    const slot = slotOf(a);
    this.nhGen[slot] = gen;
    this.nhOk[slot] = ok ? 1 : 0;
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.topSlot++;
    this.owners.push(undefined);
    if (slot >= this.refc.length) {
      const cap = this.refc.length * 2;
      const g32 = (x: Int32Array): Int32Array => { const y = new Int32Array(cap); y.set(x); return y; };
      this.refc = g32(this.refc);
      this.hashes = g32(this.hashes);
      this.nhGen = g32(this.nhGen);
      const ok = new Uint8Array(cap); ok.set(this.nhOk); this.nhOk = ok;
    }
    return slot;
  }

  private internHop(b: Uint8Array): Uint8Array {
    const k = hopKey(b);
    const e = this.hops.get(k);
    if (e !== undefined) { e.refs++; return e.bytes; }
    const bytes = b.slice();
    this.hops.set(k, { bytes, refs: 1 });
    return bytes;
  }

  private releaseHop(b: Uint8Array): void {
    const k = hopKey(b);
    const e = this.hops.get(k);
    if (e !== undefined && --e.refs === 0) this.hops.delete(k);
  }
}

function hopKey(b: Uint8Array): number | string {
  return b.length === 4 ? ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) : hex(b);
}

function isCanonical(c: readonly number[]): boolean {
  for (let i = 0; i < c.length; i++) {
    if (c[i] !== c[i] >>> 0 || (i > 0 && !(c[i - 1] < c[i]))) return false;
  }
  return true;
}

const FNV = 0x01000193;
function hashBytes(h: number, b: Uint8Array): number {
  h = Math.imul(h ^ b.length, FNV);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], FNV);
  return h;
}

/** 32-bit hash of the canonical form (communities already canonical). */
function hashFields(a: Fields): number {
  let h = Math.imul(0x811c9dc5 ^ (a.origin === undefined ? 7 : a.origin), FNV);
  if (a.asPath !== undefined) {
    h = Math.imul(h ^ 0x100 ^ a.asPath.length, FNV);
    for (const s of a.asPath) {
      h = Math.imul(h ^ (s.type << 16) ^ s.asns.length, FNV);
      for (const x of s.asns) h = Math.imul(h ^ x, FNV);
    }
  }
  if (a.nextHop !== undefined) h = hashBytes(Math.imul(h ^ 0x200, FNV), a.nextHop);
  if (a.med !== undefined) h = Math.imul(Math.imul(h ^ 0x300, FNV) ^ a.med, FNV);
  if (a.localPref !== undefined) h = Math.imul(Math.imul(h ^ 0x400, FNV) ^ a.localPref, FNV);
  if (a.atomicAggregate) h = Math.imul(h ^ 0x500, FNV);
  if (a.aggregator !== undefined) h = hashBytes(Math.imul(h ^ 0x600 ^ a.aggregator.asn, FNV), a.aggregator.address);
  if (a.communities !== undefined) {
    h = Math.imul(h ^ 0x700 ^ a.communities.length, FNV);
    for (const c of a.communities) h = Math.imul(h ^ c, FNV);
  }
  if (a.unknown !== undefined) {
    for (const u of a.unknown) h = hashBytes(Math.imul(h ^ 0x800 ^ (u.flags << 8) ^ u.code, FNV), u.value);
  }
  return h | 0;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Structural equality of canonical forms. */
function sameFields(a: Fields, b: Fields): boolean {
  if (a.origin !== b.origin || a.med !== b.med || a.localPref !== b.localPref) return false;
  if ((a.atomicAggregate === true) !== (b.atomicAggregate === true)) return false;
  if (!sameBytes(a.nextHop, b.nextHop)) return false;
  const pa = a.asPath, pb = b.asPath;
  if (pa !== pb) {
    if (pa === undefined || pb === undefined || pa.length !== pb.length) return false;
    for (let i = 0; i < pa.length; i++) if (pa[i].type !== pb[i].type || !sameNumbers(pa[i].asns, pb[i].asns)) return false;
  }
  if (!sameNumbers(a.communities, b.communities)) return false;
  const ga = a.aggregator, gb = b.aggregator;
  if (ga !== gb && (ga === undefined || gb === undefined || ga.asn !== gb.asn || !sameBytes(ga.address, gb.address))) return false;
  const ua = a.unknown, ub = b.unknown;
  if (ua !== ub) {
    if (ua === undefined || ub === undefined || ua.length !== ub.length) return false;
    for (let i = 0; i < ua.length; i++) {
      if (ua[i].flags !== ub[i].flags || ua[i].code !== ub[i].code || !sameBytes(ua[i].value, ub[i].value)) return false;
    }
  }
  return true;
}

function slotOf(a: RouteAttrs): number {
  return (a as unknown as { [SLOT]: number })[SLOT];
}

export function isInterned(a: PathAttributes): a is RouteAttrs {
  return (a as { [SLOT]?: number })[SLOT] !== undefined;
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

/** Canonical text of a set (displays, tests): equal texts ⇔ equal sets (MP_REACH/MP_UNREACH ignored). */
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
  if (a.communities !== undefined && a.communities.length > 0) k += '|c' + canonicalCommunities(a.communities).join(',');
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
