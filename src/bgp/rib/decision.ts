/**
 * The BGP decision process (RFC 4271 §9.1.2) as an ordered table of steps,
 * each `{ reason, compare, phrase }`, so that `explain` can say which step
 * removed each candidate and why ("AS_PATH 2 < 3").
 *
 * Selection is by elimination, step by step, as §9.1.2.2 describes it: at
 * each step a candidate is removed when another remaining candidate is
 * strictly better at that step. This makes the MED step (compared only
 * between paths from the same neighbouring AS) well defined and independent
 * of the order in which candidates arrive. A path whose next hop is
 * unreachable is never selected, even when it is the only one.
 *
 * Multipath: the paths left after the last step before `router-id` form the
 * ECMP set (only paths with reachable next hops).
 *
 * Not here: IGP cost to the next hop (§9.1.2.2 e: no IGP in this lab),
 * always-compare-MED, confederations, route reflection (ORIGINATOR_ID,
 * CLUSTER_LIST), AIGP, weight.
 */
import { formatAddress } from '../../lib/prefix.js';
import { asPathLength, neighborAs, type RouteAttrs } from '../attr-intern.js';
import type { DecisionReason, PeerRef } from './types.js';

export interface Candidate {
  readonly peer: PeerRef;
  readonly attrs: RouteAttrs;
  readonly reachable: boolean;
}

export interface DecisionContext {
  readonly localAs: number;
}

export interface DecisionStep {
  readonly reason: DecisionReason;
  /** < 0 when `a` is preferred, > 0 when `b` is, 0 when equal or not comparable at this step. */
  compare(a: Candidate, b: Candidate, ctx: DecisionContext): number;
  /** Why `winner` beats `loser` at this step. */
  phrase(winner: Candidate, loser: Candidate, ctx: DecisionContext): string;
}

export const DEFAULT_LOCAL_PREF = 100;
const ORIGIN_NAMES = ['IGP', 'EGP', 'INCOMPLETE'] as const;

const localPref = (c: Candidate): number => c.attrs.localPref ?? DEFAULT_LOCAL_PREF;
const pathLen = (c: Candidate): number => asPathLength(c.attrs.asPath);
/** A missing ORIGIN ranks as INCOMPLETE. */
const origin = (c: Candidate): number => c.attrs.origin ?? 2;
/** Missing MED counts as 0 (RFC 4271 §9.1.2.2 c). */
const med = (c: Candidate): number => c.attrs.med ?? 0;
/** Neighbouring AS; an empty path means a route from our own AS. */
const nbrAs = (c: Candidate, ctx: DecisionContext): number => neighborAs(c.attrs.asPath) ?? ctx.localAs;
const kindRank = (c: Candidate): number => (c.peer.kind === 'ibgp' ? 1 : 0);
const routerIdText = (n: number): string => formatAddress(Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export const DECISION_STEPS: readonly DecisionStep[] = [
  {
    reason: 'next-hop-reachable',
    compare: (a, b) => (a.reachable === b.reachable ? 0 : a.reachable ? -1 : 1),
    phrase: (_w, l) => `next hop ${l.attrs.nextHop ? formatAddress(l.attrs.nextHop.subarray(0, l.attrs.nextHop.length >= 16 ? 16 : 4)) : '(none)'} unreachable`,
  },
  {
    reason: 'local-pref',
    compare: (a, b) => localPref(b) - localPref(a),
    phrase: (w, l) => `LOCAL_PREF ${localPref(w)} > ${localPref(l)}`,
  },
  {
    reason: 'as-path-length',
    compare: (a, b) => pathLen(a) - pathLen(b),
    phrase: (w, l) => `AS_PATH ${pathLen(w)} < ${pathLen(l)}`,
  },
  {
    reason: 'origin',
    compare: (a, b) => origin(a) - origin(b),
    phrase: (w, l) => `ORIGIN ${ORIGIN_NAMES[origin(w)]} < ${ORIGIN_NAMES[origin(l)]}`,
  },
  {
    reason: 'med',
    compare: (a, b, ctx) => (nbrAs(a, ctx) === nbrAs(b, ctx) ? med(a) - med(b) : 0),
    phrase: (w, l, ctx) => `MED ${med(w)} < ${med(l)} (both from AS ${nbrAs(w, ctx)})`,
  },
  {
    reason: 'ebgp-over-ibgp',
    compare: (a, b) => kindRank(a) - kindRank(b),
    phrase: (w) => (w.peer.kind === 'local' ? 'local over iBGP' : 'eBGP over iBGP'),
  },
  {
    reason: 'router-id',
    compare: (a, b) => (a.peer.routerId >>> 0) - (b.peer.routerId >>> 0),
    phrase: (w, l) => `router id ${routerIdText(w.peer.routerId)} < ${routerIdText(l.peer.routerId)}`,
  },
  {
    reason: 'peer-address',
    compare: (a, b) => compareBytes(a.peer.address.bytes, b.peer.address.bytes),
    phrase: (w, l) => `peer address ${formatAddress(w.peer.address)} < ${formatAddress(l.peer.address)}`,
  },
];

/** Index of the first step that does not count for ECMP. */
export const MULTIPATH_CUT = DECISION_STEPS.findIndex((s) => s.reason === 'router-id');

export interface Elimination {
  /** Index of the step (in DECISION_STEPS) that removed the candidate. */
  readonly step: number;
  /** Index of a remaining candidate strictly better at that step. */
  readonly by: number;
}

export interface Selection {
  /** Index of the best candidate, or -1 (none, or none with a reachable next hop). */
  readonly best: number;
  /** Indices equal to the best up to the router-id step (best first); [best] without multipath. */
  readonly ecmp: readonly number[];
  /** Per candidate: how it was removed (undefined for the survivor). */
  readonly eliminated: readonly (Elimination | undefined)[];
  /** The step that removed the last competitor (-1 with a single candidate). */
  readonly decidingStep: number;
}

/** Runs the steps over `cands` (at least one). */
export function selectBest(cands: readonly Candidate[], ctx: DecisionContext, multipath = false): Selection {
  const n = cands.length;
  const eliminated: (Elimination | undefined)[] = new Array<Elimination | undefined>(n).fill(undefined);
  if (n === 1) {
    const ok = cands[0].reachable;
    if (!ok) eliminated[0] = { step: 0, by: 0 };
    return { best: ok ? 0 : -1, ecmp: ok ? [0] : [], eliminated, decidingStep: -1 };
  }
  if (!cands.some((c) => c.reachable)) {
    for (let i = 0; i < n; i++) eliminated[i] = { step: 0, by: i };
    return { best: -1, ecmp: [], eliminated, decidingStep: 0 };
  }
  let alive: number[] = Array.from({ length: n }, (_, i) => i);
  let ecmp: number[] | undefined;
  let decidingStep = -1;
  for (let k = 0; k < DECISION_STEPS.length && alive.length > 1; k++) {
    if (k === MULTIPATH_CUT) ecmp = alive.slice();
    const step = DECISION_STEPS[k];
    const next: number[] = [];
    for (const x of alive) {
      let by = -1;
      for (const y of alive) {
        if (y !== x && step.compare(cands[y], cands[x], ctx) < 0) { by = y; break; }
      }
      if (by < 0) next.push(x);
      else eliminated[x] = { step: k, by };
    }
    if (next.length < alive.length) decidingStep = k;
    alive = next;
  }
  // Ties through every step cannot happen between distinct peers; keep the first.
  for (let i = 1; i < alive.length; i++) eliminated[alive[i]] = { step: DECISION_STEPS.length - 1, by: alive[0] };
  const best = alive[0];
  if (!multipath || ecmp === undefined) return { best, ecmp: [best], eliminated, decidingStep };
  const set = ecmp.filter((i) => cands[i].reachable);
  set.sort((a, b) => (a === best ? -1 : b === best ? 1 : a - b));
  return { best, ecmp: set, eliminated, decidingStep };
}

/** Human text for a candidate's elimination. */
export function eliminationPhrase(cands: readonly Candidate[], i: number, e: Elimination, ctx: DecisionContext): string {
  const step = DECISION_STEPS[e.step];
  if (e.by === i) return DECISION_STEPS[0].phrase(cands[i], cands[i], ctx);
  return step.phrase(cands[e.by], cands[i], ctx);
}
