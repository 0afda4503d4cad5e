/**
 * The RIB against a brute-force oracle (BIRD's filter/trie_test.c approach):
 * random sequences of announcements, withdrawals, session resets,
 * originations, next-hop flaps and output pulls, processed in random chunk
 * sizes. At the end the Loc-RIB must equal best paths recomputed from scratch
 * by a separate, plain implementation of the decision process over the last
 * announcement of every (neighbour, prefix), and what two receivers (one eBGP,
 * one iBGP, sometimes asking for ROUTE-REFRESH) were sent must equal what the export rules give for that Loc-RIB.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatPrefix, type IpPrefix } from '../../../src/lib/prefix.js';
import { WellKnownCommunity, type AsPathSegment, type PathAttributes } from '../../../src/bgp/wire/types.js';
import { compilePolicy, type CompiledPolicy } from '../../../src/bgp/policy.js';
import { Rib, type PeerRef } from '../../../src/bgp/rib/index.js';
import { LOCAL_AS, addr, pfx, rid } from '../../unit/bgp-rib/helpers.js';

const PREFIXES: readonly IpPrefix[] = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.3.0/25', '2001:db8::/32'].map(pfx);
const COMMUNITIES = [WellKnownCommunity.NO_EXPORT, WellKnownCommunity.NO_ADVERTISE, ((65000 << 16) | 1) >>> 0];
const UNREACHABLE_LAST_BYTE = 99;

interface PeerSpec { readonly n: number; readonly asn: number; readonly routerId: string; readonly policy?: CompiledPolicy }

const E3_POLICY = (() => {
  const r = compilePolicy({
    terms: [
      { match: { prefixes: ['10.0.3.0/24 le 32'] }, action: 'reject' },
      { match: { asPathContains: [64512] }, action: 'accept', set: { localPref: 150, med: 9 } },
    ],
    default: 'accept',
  });
  if (!r.ok) throw new Error(r.errors.join());
  return r.value;
})();

// Indices 1..5 in the RIB (0 is the router itself). e1 and e3 share an AS.
const PEERS: readonly PeerSpec[] = [
  { n: 1, asn: 65002, routerId: '3.3.3.3' },
  { n: 2, asn: 65003, routerId: '1.1.1.1' },
  { n: 3, asn: 65002, routerId: '2.2.2.2', policy: E3_POLICY },
  { n: 4, asn: LOCAL_AS, routerId: '4.4.4.4' },
  { n: 5, asn: LOCAL_AS, routerId: '0.0.0.9' },
];
const OUR_RID = rid('10.255.0.1');

type Op =
  | { op: 'announce'; peer: number; prefixes: number[]; attrs: PathAttributes; badNextHop: boolean }
  | { op: 'withdraw'; peer: number; prefixes: number[] }
  | { op: 'reset'; peer: number }
  | { op: 'originate'; prefixes: number[]; med?: number }
  | { op: 'unoriginate'; prefixes: number[] }
  | { op: 'flap' }
  | { op: 'process'; chunk: number }
  | { op: 'pull'; receiver: 0 | 1; chunk: number }
  | { op: 'refresh'; receiver: 0 | 1 };

const arbPath = (peerAsn: number): fc.Arbitrary<AsPathSegment[]> =>
  fc.tuple(fc.array(fc.constantFrom(64512, 64513, 64514, 65003, LOCAL_AS), { maxLength: 3 }), fc.boolean(), fc.boolean()).map(([rest, set, empty]) => {
    const head = peerAsn === LOCAL_AS ? [] : [peerAsn];
    if (empty && peerAsn === LOCAL_AS) return [];
    const segs: AsPathSegment[] = [{ type: 2, asns: [...head, ...rest] }];
    if (set) segs.push({ type: 1, asns: [64600, 64601] });
    return segs.filter((s) => s.asns.length > 0);
  });

const arbAttrs = (peerAsn: number): fc.Arbitrary<PathAttributes> =>
  fc.record({
    origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
    asPath: arbPath(peerAsn),
    med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    localPref: fc.option(fc.constantFrom(50, 100, 200), { nil: undefined }),
    communities: fc.option(fc.subarray(COMMUNITIES, { minLength: 1 }), { nil: undefined }),
  });

const arbSubset = fc.subarray([0, 1, 2, 3, 4], { minLength: 1 });

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: PEERS.length - 1 }).chain((i) =>
    fc.record({ op: fc.constant('announce' as const), peer: fc.constant(i + 1), prefixes: arbSubset, attrs: arbAttrs(PEERS[i].asn), badNextHop: fc.boolean() })) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('withdraw' as const), peer: fc.integer({ min: 1, max: PEERS.length }), prefixes: arbSubset }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), peer: fc.integer({ min: 1, max: PEERS.length }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('originate' as const), prefixes: arbSubset, med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unoriginate' as const), prefixes: arbSubset }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flap' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('process' as const), chunk: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pull' as const), receiver: fc.constantFrom(0 as const, 1 as const), chunk: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('refresh' as const), receiver: fc.constantFrom(0 as const, 1 as const) }) },
);

// ---------------------------------------------------------------- the oracle

interface OraclePath { readonly peer: number; readonly attrs: PathAttributes }

const pathLen = (p: readonly AsPathSegment[] = []): number => p.reduce((n, s) => n + (s.type === 1 ? 1 : s.asns.length), 0);
const holds = (p: readonly AsPathSegment[] = [], asn: number): boolean => p.some((s) => s.asns.includes(asn));
const firstAs = (p: readonly AsPathSegment[] = []): number => (p.length > 0 && p[0].type === 2 ? p[0].asns[0] : LOCAL_AS);
const kindOf = (peer: number): 'local' | 'ebgp' | 'ibgp' => (peer === 0 ? 'local' : PEERS[peer - 1].asn === LOCAL_AS ? 'ibgp' : 'ebgp');
const ridOf = (peer: number): number => (peer === 0 ? OUR_RID : rid(PEERS[peer - 1].routerId));
const addrOf = (peer: number): number => (peer === 0 ? OUR_RID : rid(`10.0.${PEERS[peer - 1].n}.2`));

function keepBest<T>(xs: T[], score: (x: T) => number): T[] {
  const best = Math.min(...xs.map(score));
  return xs.filter((x) => score(x) === best);
}

/** Import as the RIB documents it, or undefined when the route is kept out. */
function oracleImport(peer: number, prefix: IpPrefix, a: PathAttributes): PathAttributes | undefined {
  if (peer === 0) return a;
  if (holds(a.asPath, LOCAL_AS)) return undefined;
  let x: PathAttributes = { ...a, localPref: kindOf(peer) === 'ebgp' ? undefined : a.localPref };
  const pol = PEERS[peer - 1].policy;
  if (pol !== undefined) {
    const t = pol.match(prefix, x);
    if (!pol.accepts(t)) return undefined;
    x = pol.apply(x, t, PEERS[peer - 1].asn);
  }
  return x;
}

function oracleSelect(cands: OraclePath[], reachable: (p: OraclePath) => boolean): { best?: OraclePath; ecmp: OraclePath[] } {
  let s = cands.filter(reachable);
  if (s.length === 0) return { ecmp: [] };
  s = keepBest(s, (c) => -(c.attrs.localPref ?? 100));
  s = keepBest(s, (c) => pathLen(c.attrs.asPath));
  s = keepBest(s, (c) => c.attrs.origin ?? 2);
  s = s.filter((c) => !s.some((d) => firstAs(d.attrs.asPath) === firstAs(c.attrs.asPath) && (d.attrs.med ?? 0) < (c.attrs.med ?? 0)));
  s = keepBest(s, (c) => (kindOf(c.peer) === 'ibgp' ? 1 : 0));
  const ecmp = [...s];
  s = keepBest(s, (c) => ridOf(c.peer));
  s = keepBest(s, (c) => addrOf(c.peer));
  return { best: s[0], ecmp };
}

/** What a neighbour should hold for a best path, as [AS_PATH text, NEXT_HOP text, LOCAL_PREF] or undefined. */
function oracleExport(best: OraclePath | undefined, dst: number, prefix: IpPrefix): string | undefined {
  if (best === undefined) return undefined;
  const a = best.attrs;
  const comms = a.communities ?? [];
  const dk = kindOf(dst), sk = kindOf(best.peer);
  if (comms.includes(WellKnownCommunity.NO_ADVERTISE)) return undefined;
  if (dk === 'ebgp' && comms.includes(WellKnownCommunity.NO_EXPORT)) return undefined;
  if (best.peer === dst) return undefined;
  if (dk === 'ebgp' && sk === 'ebgp' && PEERS[best.peer - 1].asn === PEERS[dst - 1].asn) return undefined;
  if (dk === 'ebgp' && holds(a.asPath, PEERS[dst - 1].asn)) return undefined;
  if (dk === 'ibgp' && sk === 'ibgp') return undefined;
  const path = dk === 'ebgp' ? [LOCAL_AS, ...flat(a.asPath)] : flat(a.asPath);
  const nh = prefix.family === 4 ? `10.0.${PEERS[dst - 1].n}.1` : `fd00:${PEERS[dst - 1].n}::1`;
  const lp = dk === 'ebgp' ? undefined : a.localPref ?? 100;
  return `${path.join(' ')}|${nh}|${lp}`;
}

function flat(p: readonly AsPathSegment[] = []): string[] {
  return p.map((s) => (s.type === 1 ? `{${s.asns.join(',')}}` : s.asns.join(' '))).filter((x) => x !== '');
}

function describeOut(a: PathAttributes, family: 4 | 6): string {
  const nh = a.nextHop === undefined ? '-' : family === 4 ? [...a.nextHop].join('.') : formatPrefix({ family: 6, bytes: a.nextHop, len: 128 }).replace('/128', '');
  return `${flat(a.asPath).join(' ')}|${nh}|${a.localPref}`;
}

// ---------------------------------------------------------------- the run

function run(ops: readonly Op[], multipath: boolean, eager: boolean): void {
  let flapped = false;
  const reach = (nh: Uint8Array): boolean => !(flapped && nh.length === 4 && nh[3] === UNREACHABLE_LAST_BYTE);
  const rib = new Rib({ localAs: LOCAL_AS, routerId: OUR_RID, multipath, nextHopReachable: reach });
  const refs: PeerRef[] = PEERS.map((p) => rib.addPeer({
    address: addr(`10.0.${p.n}.2`), localAddress: addr(`10.0.${p.n}.1`), localAddress6: addr(`fd00:${p.n}::1`),
    asn: p.asn, kind: p.asn === LOCAL_AS ? 'ibgp' : 'ebgp', importPolicy: p.policy,
  }));
  for (const r of refs) rib.peerUp(r.id, { routerId: rid(PEERS[r.id - 1].routerId) });
  const receivers = [2, 4]; // e2 (eBGP) and i1 (iBGP)
  const received = receivers.map(() => new Map<string, string>());
  const table = new Map<string, OraclePath>(); // `${peer} ${prefix}` → last announcement
  const pull = (which: number, max: number): void => {
    const out = rib.pendingUpdates(receivers[which], max);
    for (const w of out.withdrawals) {
      expect(received[which].has(formatPrefix(w)), `withdrawal of ${formatPrefix(w)} never announced`).toBe(true);
      received[which].delete(formatPrefix(w));
    }
    for (const b of out.batches) for (const p of b.prefixes) received[which].set(formatPrefix(p), describeOut(b.attrs, b.family));
  };

  for (const op of ops) {
    switch (op.op) {
      case 'announce': {
        const peerAddr = addr(`10.0.${PEERS[op.peer - 1].n}.2`).bytes;
        const nh4 = op.badNextHop ? Uint8Array.of(192, 0, 2, UNREACHABLE_LAST_BYTE) : peerAddr;
        const ps = op.prefixes.map((i) => PREFIXES[i]);
        const v4 = ps.filter((p) => p.family === 4), v6 = ps.filter((p) => p.family === 6);
        const nh6 = addr(`fd00:${PEERS[op.peer - 1].n}::2`).bytes;
        rib.enqueueUpdate(op.peer, {
          type: 'update', withdrawn: [], nlri: v4,
          attributes: { ...op.attrs, nextHop: nh4, mpReach: v6.length > 0 ? { afi: 2, safi: 1, nextHop: nh6, nlri: v6 } : undefined },
        });
        for (const p of v4) table.set(`${op.peer} ${formatPrefix(p)}`, { peer: op.peer, attrs: { ...op.attrs, nextHop: nh4 } });
        for (const p of v6) table.set(`${op.peer} ${formatPrefix(p)}`, { peer: op.peer, attrs: { ...op.attrs, nextHop: nh6 } });
        break;
      }
      case 'withdraw':
        rib.enqueueWithdraw(op.peer, op.prefixes.map((i) => PREFIXES[i]));
        for (const i of op.prefixes) table.delete(`${op.peer} ${formatPrefix(PREFIXES[i])}`);
        break;
      case 'reset': {
        rib.peerDown(op.peer);
        rib.peerUp(op.peer, { routerId: rid(PEERS[op.peer - 1].routerId) });
        for (const k of [...table.keys()]) if (k.startsWith(`${op.peer} `)) table.delete(k);
        const w = receivers.indexOf(op.peer);
        if (w >= 0) received[w].clear();
        break;
      }
      case 'originate':
        rib.originate(op.prefixes.map((i) => PREFIXES[i]), { med: op.med });
        for (const i of op.prefixes) {
          const p = PREFIXES[i];
          table.set(`0 ${formatPrefix(p)}`, { peer: 0, attrs: { origin: 0, asPath: [], med: op.med, nextHop: new Uint8Array(p.family === 4 ? 4 : 16) } });
        }
        break;
      case 'unoriginate':
        rib.withdrawOriginated(op.prefixes.map((i) => PREFIXES[i]));
        for (const i of op.prefixes) table.delete(`0 ${formatPrefix(PREFIXES[i])}`);
        break;
      case 'flap':
        flapped = !flapped;
        rib.nextHopsChanged();
        break;
      case 'process':
        rib.processSome(op.chunk);
        break;
      case 'pull':
        pull(op.receiver, op.chunk);
        break;
      case 'refresh':
        rib.routeRefresh(receivers[op.receiver]);
        break;
    }
    if (eager) rib.processAll();
  }
  rib.processAll();
  for (let w = 0; w < receivers.length; w++) while (rib.hasPendingOutput(receivers[w])) pull(w, 2);

  for (const prefix of PREFIXES) {
    const key = formatPrefix(prefix);
    const cands: OraclePath[] = [];
    for (let peer = 0; peer <= PEERS.length; peer++) {
      const t = table.get(`${peer} ${key}`);
      if (t === undefined) continue;
      const imported = oracleImport(peer, prefix, t.attrs);
      if (imported !== undefined) cands.push({ peer, attrs: imported });
    }
    const want = oracleSelect(cands, (c) => c.peer === 0 || reach(c.attrs.nextHop as Uint8Array));
    const got = rib.bestPath(prefix);
    expect(got?.peer.id, `best peer for ${key}`).toBe(want.best?.peer);
    if (want.best !== undefined && got !== undefined) {
      expect(flat(got.attrs.asPath), `AS_PATH for ${key}`).toEqual(flat(want.best.attrs.asPath));
      expect(got.attrs.localPref).toBe(want.best.attrs.localPref);
      expect(got.attrs.med).toBe(want.best.attrs.med);
    }
    const wantEcmp = multipath ? want.ecmp.map((c) => c.peer).sort() : want.best ? [want.best.peer] : [];
    expect(rib.ecmpPaths(prefix).map((r) => r.peer.id).sort(), `ECMP for ${key}`).toEqual(wantEcmp);
    for (let w = 0; w < receivers.length; w++) {
      expect(received[w].get(key), `receiver ${receivers[w]} for ${key}`).toBe(oracleExport(want.best, receivers[w], prefix));
    }
  }
  for (let w = 0; w < receivers.length; w++) {
    const held = new Map([...rib.adjRibOut(receivers[w])].map((e) => [formatPrefix(e.prefix), describeOut(e.attrs, e.prefix.family)]));
    expect(held).toEqual(received[w]);
  }
}

describe('RIB vs brute-force oracle', () => {
  it('final Loc-RIB, ECMP sets and Adj-RIB-Out equal the oracle after random chunked operations', () => {
    fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 40 }), fc.boolean(), (ops, multipath) => run(ops, multipath, false)), { numRuns: 300 });
  });

  it('processing all at once after every operation reaches the same (oracle) state as chunked processing', () => {
    fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 40 }), fc.boolean(), (ops, multipath) => {
      run(ops, multipath, true);
      run(ops, multipath, false);
    }), { numRuns: 100 });
  });

  it('withdrawing everything leaves no prefix ids or attribute sets behind', () => {
    fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 30 }), (ops) => {
      const rib = new Rib({ localAs: LOCAL_AS, routerId: OUR_RID });
      const refs = PEERS.map((p) => rib.addPeer({
        address: addr(`10.0.${p.n}.2`), localAddress: addr(`10.0.${p.n}.1`), asn: p.asn,
        kind: p.asn === LOCAL_AS ? 'ibgp' : 'ebgp', importPolicy: p.policy,
      }));
      for (const r of refs) rib.peerUp(r.id, { routerId: r.id });
      for (const op of ops) {
        if (op.op === 'announce') {
          rib.enqueueAnnounce(op.peer, op.attrs, op.prefixes.map((i) => PREFIXES[i]).filter((p) => p.family === 4), Uint8Array.of(10, 0, op.peer, 2));
        } else if (op.op === 'originate') rib.originate(op.prefixes.map((i) => PREFIXES[i]));
        else if (op.op === 'process') rib.processSome(op.chunk);
        else if (op.op === 'pull') rib.pendingUpdates(refs[op.receiver].id, op.chunk);
      }
      rib.processAll();
      for (const r of refs) rib.peerDown(r.id);
      rib.withdrawOriginated(PREFIXES);
      rib.processAll();
      expect(rib.stats()).toMatchObject({ prefixes: 0, locRib: 0, attrSets: 0 });
    }), { numRuns: 150 });
  });
});
