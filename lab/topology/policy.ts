/**
 * Per-neighbour route policy in a topology: the generated defaults and the
 * YAML form.
 *
 * Owns: `accept-all`/`reject-all`, the "only the anycast prefixes" filters
 * generated for router ↔ anycast-server sessions, and reading policy terms
 * (match prefixes with ge/le, as-path-contains, communities; set local-pref,
 * med, communities, prepend). Every session gets explicit import and export
 * policies, as RFC 8212 asks of eBGP speakers.
 *
 * Not here: evaluating policy (src/bgp/policy).
 */
import type { PolicySpec, PolicyTerm } from './types.js';
import { checkAsn, checkCommunity, checkUint32, formatPrefixRange, parsePrefixRange } from './values.js';
import type { Y, YamlReader } from './yaml-reader.js';

export const ACCEPT_ALL: PolicySpec = Object.freeze({ terms: Object.freeze([]) as readonly PolicyTerm[], default: 'accept' });
export const REJECT_ALL: PolicySpec = Object.freeze({ terms: Object.freeze([]) as readonly PolicyTerm[], default: 'reject' });

/** Accept exactly these prefixes, reject everything else. */
export function onlyPrefixes(prefixes: readonly string[]): PolicySpec {
  if (prefixes.length === 0) return REJECT_ALL;
  return { terms: [{ match: { prefixes: [...prefixes] }, action: 'accept' }], default: 'reject' };
}

export const POLICY_KEYS = ['terms', 'default'] as const;
export const TERM_KEYS = ['match', 'action', 'set'] as const;
export const MATCH_KEYS = ['prefixes', 'as-path-contains', 'communities'] as const;
export const SET_KEYS = ['local-pref', 'med', 'communities', 'prepend'] as const;
export const MAX_PREPEND = 16;

/**
 * `accept-all`, `reject-all`, a list of terms (default reject), or
 * `{ terms: [...], default: accept|reject }`.
 */
export function readPolicy(r: YamlReader, n: Y, field: string): PolicySpec | undefined {
  const s = r.scalar(n);
  if (typeof s === 'string' && !r.isMap(n) && !r.isSeq(n)) {
    if (s === 'accept-all') return ACCEPT_ALL;
    if (s === 'reject-all') return REJECT_ALL;
    r.err(field, `policy must be 'accept-all', 'reject-all', a list of terms, or {terms, default}; got '${s}'`, n);
    return undefined;
  }
  if (r.isSeq(n)) {
    const terms = readTerms(r, n, `${field}.terms`);
    return terms && { terms, default: 'reject' };
  }
  const entries = r.entries(n, field);
  if (!entries) return undefined;
  r.checkKeys(entries, POLICY_KEYS, 'a policy');
  let terms: PolicyTerm[] | undefined = [];
  let dflt: 'accept' | 'reject' = 'reject';
  let bad = false;
  for (const e of entries) {
    if (e.key === 'terms') terms = readTerms(r, e.value, e.field);
    else if (e.key === 'default') {
      const v = r.scalar(e.value);
      if (v === 'accept' || v === 'reject') dflt = v;
      else { r.err(e.field, `default must be 'accept' or 'reject', got '${String(v)}'`, e.value); bad = true; }
    }
  }
  if (!terms || bad) return undefined;
  return { terms, default: dflt };
}

function readTerms(r: YamlReader, n: Y, field: string): PolicyTerm[] | undefined {
  const items = r.items(n, field);
  if (!items) return undefined;
  const out: PolicyTerm[] = [];
  let bad = false;
  for (const it of items) {
    const t = readTerm(r, it.value, it.field);
    if (t) out.push(t); else bad = true;
  }
  return bad ? undefined : out;
}

function readTerm(r: YamlReader, n: Y, field: string): PolicyTerm | undefined {
  const entries = r.entries(n, field);
  if (!entries) return undefined;
  const before = r.errors.length;
  r.checkKeys(entries, TERM_KEYS, 'a policy term');
  const match: { prefixes?: string[]; asPathContains?: number[]; communities?: string[] } = {};
  let action: 'accept' | 'reject' | undefined;
  let set: { localPref?: number; med?: number; communities?: string[]; prepend?: number } | undefined;
  for (const e of entries) {
    if (e.key === 'action') {
      const v = r.scalar(e.value);
      if (v === 'accept' || v === 'reject') action = v;
      else r.err(e.field, `action must be 'accept' or 'reject', got '${String(v)}'`, e.value);
    } else if (e.key === 'match') {
      if (r.isNull(e.value)) continue;
      const me = r.entries(e.value, e.field);
      if (!me) continue;
      r.checkKeys(me, MATCH_KEYS, 'a match');
      for (const m of me) {
        const items = r.itemsOrOne(m.value, m.field) ?? [];
        if (m.key === 'prefixes') {
          match.prefixes = items.map((i) => r.check(i.value, i.field, parsePrefixRange)).filter((x) => x !== undefined).map(formatPrefixRange);
        } else if (m.key === 'as-path-contains') {
          match.asPathContains = items.map((i) => r.check(i.value, i.field, checkAsn)).filter((x): x is number => x !== undefined);
        } else if (m.key === 'communities') {
          match.communities = items.map((i) => r.check(i.value, i.field, checkCommunity)).filter((x): x is string => x !== undefined);
        }
      }
    } else if (e.key === 'set') {
      const se = r.entries(e.value, e.field);
      if (!se) continue;
      r.checkKeys(se, SET_KEYS, 'a set clause');
      set = {};
      for (const s of se) {
        if (s.key === 'local-pref') set.localPref = r.check(s.value, s.field, (v) => checkUint32(v, 'local-pref'));
        else if (s.key === 'med') set.med = r.check(s.value, s.field, (v) => checkUint32(v, 'med'));
        else if (s.key === 'prepend') {
          set.prepend = r.check(s.value, s.field, (v) =>
            typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_PREPEND
              ? { ok: true, value: v } : { ok: false, error: `prepend must be an integer 1..${MAX_PREPEND}, got '${String(v)}'` });
        } else if (s.key === 'communities') {
          set.communities = (r.itemsOrOne(s.value, s.field) ?? []).map((i) => r.check(i.value, i.field, checkCommunity)).filter((x): x is string => x !== undefined);
        }
      }
    }
  }
  if (action === undefined && !entries.some((e) => e.key === 'action')) r.err(field, `a policy term needs 'action: accept' or 'action: reject'`, n);
  if (r.errors.length > before || action === undefined) return undefined;
  if (action === 'reject' && set) {
    r.err(`${field}.set`, `'set' has no effect on a term whose action is reject`);
    return undefined;
  }
  const term: PolicyTerm = set ? { match, action, set } : { match, action };
  return term;
}
