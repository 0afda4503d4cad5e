/**
 * Route policy: compiles a topology's `PolicySpec` (lab/topology/types.ts)
 * into a matcher and a set of attribute actions.
 *
 * Semantics: terms are tried in order and the first whose match holds wins
 * (every criterion given must hold; within one list any entry may match); no
 * match → the spec's default. Criteria: prefixes with length ranges
 * ("192.0.2.0/24" exact, "192.0.2.0/24 le 32", "10.0.0.0/8 ge 24 le 28"),
 * AS numbers anywhere in the AS_PATH, RFC 1997 communities ("65000:100" or the
 * well-known names no-export, no-advertise, no-export-subconfed). Actions:
 * accept or reject; on accept, set LOCAL_PREF, MED, add communities, prepend
 * an AS N times (the caller says which AS: our own on export, the
 * neighbour's on import).
 *
 * `compilePolicy` never throws on bad text: it returns every problem found.
 *
 * Not supported: regular expressions over AS_PATH, extended/large
 * communities, community removal, route maps calling other route maps.
 */
import type { PolicySpec, PolicyTerm } from '../router/config.js';
import { WellKnownCommunity, type PathAttributes } from './wire/types.js';
import { ipv4ToNumber, parsePrefix, type IpPrefix } from '../lib/prefix.js';
import { prependAs } from './attr-intern.js';

export interface PrefixRange {
  readonly prefix: IpPrefix;
  /** Accepted prefix lengths, inclusive. */
  readonly ge: number;
  readonly le: number;
}

export interface CompiledTerm {
  /** 0-based position in the spec; humans see `index + 1`. */
  readonly index: number;
  readonly prefixes?: readonly PrefixRange[];
  readonly asPathContains?: readonly number[];
  readonly communities?: readonly number[];
  readonly accept: boolean;
  readonly set?: {
    readonly localPref?: number;
    readonly med?: number;
    readonly communities?: readonly number[];
    readonly prepend?: number;
  };
}

export interface CompiledPolicy {
  readonly terms: readonly CompiledTerm[];
  readonly defaultAccept: boolean;
  /** True when some term looks at the prefix (callers may then skip building one). */
  readonly matchesPrefixes: boolean;
  /** Index of the first term that matches, or -1 (the default applies). */
  match(prefix: IpPrefix, attrs: PathAttributes): number;
  /** Whether term `index` (or the default for -1) accepts. */
  accepts(index: number): boolean;
  /** True when term `index` changes attributes. */
  hasActions(index: number): boolean;
  /** The attributes after term `index`'s set actions; prepends `prependAsn`. */
  apply(attrs: PathAttributes, index: number, prependAsn: number): PathAttributes;
}

export type CompileResult = { ok: true; value: CompiledPolicy } | { ok: false; errors: readonly string[] };

/** Well-known community names (RFC 1997), in the spellings people type. */
export const COMMUNITY_NAMES: Readonly<Record<string, number>> = {
  'no-export': WellKnownCommunity.NO_EXPORT,
  'no-advertise': WellKnownCommunity.NO_ADVERTISE,
  'no-export-subconfed': WellKnownCommunity.NO_EXPORT_SUBCONFED,
  'local-as': WellKnownCommunity.NO_EXPORT_SUBCONFED,
};

/** "65000:100" or a well-known name → 32-bit community; never throws. */
export function parseCommunity(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const t = text.trim().toLowerCase().replace(/_/g, '-');
  const named = COMMUNITY_NAMES[t];
  if (named !== undefined) return { ok: true, value: named };
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(t);
  if (m !== null) {
    const hi = Number(m[1]), lo = Number(m[2]);
    if (hi <= 0xffff && lo <= 0xffff) return { ok: true, value: ((hi << 16) | lo) >>> 0 };
  }
  return { ok: false, error: `not a community: '${text}' (want ASN:VALUE with both at most 65535, or no-export / no-advertise)` };
}

export function formatCommunity(c: number): string {
  for (const [name, v] of Object.entries(COMMUNITY_NAMES)) if (v === c && name !== 'local-as') return name;
  return `${c >>> 16}:${c & 0xffff}`;
}

/** "P", "P le N", "P ge N", "P ge N le M" → range; never throws. */
export function parsePrefixRange(text: string): { ok: true; value: PrefixRange } | { ok: false; error: string } {
  const words = text.trim().split(/\s+/);
  const p = parsePrefix(words[0] ?? '');
  if (!p.ok) return { ok: false, error: p.error };
  const max = p.value.family === 4 ? 32 : 128;
  let ge: number | undefined, le: number | undefined;
  for (let i = 1; i < words.length; i += 2) {
    const op = words[i].toLowerCase();
    const n = words[i + 1];
    if ((op !== 'ge' && op !== 'le') || n === undefined || !/^\d{1,3}$/.test(n)) {
      return { ok: false, error: `bad prefix range '${text}' (want 'PREFIX [ge N] [le M]')` };
    }
    if (op === 'ge') ge = Number(n); else le = Number(n);
  }
  const lo = ge ?? p.value.len;
  const hi = le ?? (ge !== undefined ? max : p.value.len);
  if (lo < p.value.len || hi > max || lo > hi) {
    return { ok: false, error: `bad prefix range '${text}': need ${p.value.len} <= ge <= le <= ${max}` };
  }
  return { ok: true, value: { prefix: p.value, ge: lo, le: hi } };
}

/** Whether `prefix` falls in `range` (covered by its network and length within ge..le). */
export function prefixInRange(prefix: IpPrefix, range: PrefixRange): boolean {
  const r = range.prefix;
  if (prefix.family !== r.family || prefix.len < range.ge || prefix.len > range.le) return false;
  if (r.family === 4) {
    if (r.len === 0) return true;
    const mask = (0xffffffff << (32 - r.len)) >>> 0;
    return ((ipv4ToNumber(prefix.bytes) & mask) >>> 0) === ipv4ToNumber(r.bytes);
  }
  const full = r.len >>> 3, rem = r.len & 7;
  for (let i = 0; i < full; i++) if (prefix.bytes[i] !== r.bytes[i]) return false;
  if (rem === 0) return true;
  const m = (0xff << (8 - rem)) & 0xff;
  return (prefix.bytes[full] & m) === r.bytes[full];
}

export function compilePolicy(spec: PolicySpec): CompileResult {
  const errors: string[] = [];
  const terms: CompiledTerm[] = spec.terms.map((t, index) => compileTerm(t, index, errors));
  if (spec.default !== 'accept' && spec.default !== 'reject') errors.push(`default must be accept or reject, not '${String(spec.default)}'`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: makePolicy(terms, spec.default === 'accept') };
}

/** The explicit accept-all policy the lab generates by default (RFC 8212 wants one written down). */
export const ACCEPT_ALL: CompiledPolicy = makePolicy([], true);
export const REJECT_ALL: CompiledPolicy = makePolicy([], false);

function compileTerm(t: PolicyTerm, index: number, errors: string[]): CompiledTerm {
  const where = `term ${index + 1}`;
  const prefixes: PrefixRange[] = [];
  for (const s of t.match.prefixes ?? []) {
    const r = parsePrefixRange(s);
    if (r.ok) prefixes.push(r.value); else errors.push(`${where}: ${r.error}`);
  }
  const comms = (list: readonly string[] | undefined, field: string): number[] => {
    const out: number[] = [];
    for (const s of list ?? []) {
      const c = parseCommunity(s);
      if (c.ok) out.push(c.value); else errors.push(`${where}: ${field}: ${c.error}`);
    }
    return out;
  };
  const asns = t.match.asPathContains ?? [];
  for (const a of asns) if (!Number.isInteger(a) || a < 0 || a > 0xffffffff) errors.push(`${where}: bad ASN ${a}`);
  if (t.action !== 'accept' && t.action !== 'reject') errors.push(`${where}: action must be accept or reject`);
  const s = t.set;
  const u32 = (v: number | undefined, field: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) errors.push(`${where}: set ${field} ${v} is not a 32-bit unsigned number`);
  };
  u32(s?.localPref, 'local-pref');
  u32(s?.med, 'med');
  if (s?.prepend !== undefined && (!Number.isInteger(s.prepend) || s.prepend < 0 || s.prepend > 32)) {
    errors.push(`${where}: prepend ${s.prepend} must be 0..32`);
  }
  const setComms = comms(s?.communities, 'set communities');
  const set = s === undefined ? undefined : {
    localPref: s.localPref, med: s.med,
    communities: setComms.length > 0 ? setComms : undefined,
    prepend: s.prepend !== undefined && s.prepend > 0 ? s.prepend : undefined,
  };
  return {
    index,
    prefixes: t.match.prefixes !== undefined ? prefixes : undefined,
    asPathContains: t.match.asPathContains !== undefined ? asns.slice() : undefined,
    communities: t.match.communities !== undefined ? comms(t.match.communities, 'communities') : undefined,
    accept: t.action === 'accept',
    set,
  };
}

function termMatches(t: CompiledTerm, prefix: IpPrefix, a: PathAttributes): boolean {
  if (t.prefixes !== undefined && !t.prefixes.some((r) => prefixInRange(prefix, r))) return false;
  if (t.asPathContains !== undefined) {
    const path = a.asPath ?? [];
    if (!t.asPathContains.some((asn) => path.some((s) => s.asns.includes(asn)))) return false;
  }
  if (t.communities !== undefined) {
    const have = a.communities ?? [];
    if (!t.communities.some((c) => have.includes(c))) return false;
  }
  return true;
}

function makePolicy(terms: readonly CompiledTerm[], defaultAccept: boolean): CompiledPolicy {
  const matchesPrefixes = terms.some((t) => t.prefixes !== undefined);
  return {
    terms,
    defaultAccept,
    matchesPrefixes,
    match(prefix, attrs) {
      for (let i = 0; i < terms.length; i++) if (termMatches(terms[i], prefix, attrs)) return i;
      return -1;
    },
    accepts(index) {
      return index < 0 ? defaultAccept : terms[index].accept;
    },
    hasActions(index) {
      if (index < 0) return false;
      const s = terms[index].set;
      return s !== undefined && terms[index].accept &&
        (s.localPref !== undefined || s.med !== undefined || s.communities !== undefined || s.prepend !== undefined);
    },
    apply(attrs, index, prependAsn) {
      if (index < 0) return attrs;
      const s = terms[index].set;
      if (s === undefined) return attrs;
      const out: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...attrs };
      if (s.localPref !== undefined) out.localPref = s.localPref;
      if (s.med !== undefined) out.med = s.med;
      if (s.communities !== undefined) out.communities = [...(attrs.communities ?? []), ...s.communities];
      if (s.prepend !== undefined) out.asPath = prependAs(attrs.asPath, prependAsn, s.prepend);
      return out;
    },
  };
}

/** Human text for a policy outcome, e.g. "filtered on import by term 2". */
export function policyReason(direction: 'import' | 'export', index: number): string {
  return index < 0 ? `filtered on ${direction} by the default action` : `filtered on ${direction} by term ${index + 1}`;
}
