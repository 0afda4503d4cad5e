/**
 * Adj-RIB-Out: export rules (RFC 4271 §9.1.3, §5.1; RFC 1997), export policy,
 * grouping by attribute set, End-of-RIB, coalescing. One rule per test.
 */
import { describe, expect, it } from 'vitest';
import { WellKnownCommunity } from '../../../src/bgp/wire/types.js';
import { compilePolicy } from '../../../src/bgp/policy.js';
import { formatPrefix } from '../../../src/lib/prefix.js';
import type { Rib } from '../../../src/bgp/rib/index.js';
import { LOCAL_AS, addUpPeer, addr, announce, attrs, mkRib, pfx } from './helpers.js';

const P = '203.0.113.0/24';

/** E1 (AS 65002), E2 (AS 65003), E3 (AS 65002 again), I1 and I2 (iBGP). */
function lab(): { rib: Rib; e1: number; e2: number; e3: number; i1: number; i2: number } {
  const rib = mkRib();
  return {
    rib,
    e1: addUpPeer(rib, 1, 65002), e2: addUpPeer(rib, 2, 65003), e3: addUpPeer(rib, 3, 65002),
    i1: addUpPeer(rib, 4, LOCAL_AS), i2: addUpPeer(rib, 5, LOCAL_AS),
  };
}

function drain(rib: Rib, ids: number[]): void {
  for (const id of ids) rib.pendingUpdates(id);
}

/** The prefixes sent to `id` since the last call, as text. */
function sent(rib: Rib, id: number): string[] {
  return rib.pendingUpdates(id).batches.flatMap((b) => b.prefixes.map(formatPrefix));
}

describe('export rules', () => {
  it('eBGP: prepends our AS, next hop self, no LOCAL_PREF, no MED', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, i1, [P], attrs([65010], { localPref: 300, med: 7, communities: [0xfde80064] }));
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches).toHaveLength(1);
    const a = out.batches[0].attrs;
    expect(a.asPath).toEqual([{ type: 2, asns: [LOCAL_AS, 65010] }]);
    expect([...(a.nextHop ?? [])]).toEqual([...addr('10.0.2.1').bytes]);
    expect(a.localPref).toBeUndefined();
    expect(a.med).toBeUndefined();
    expect(a.communities).toEqual([0xfde80064]);
    expect(out.batches[0].prefixes.map(formatPrefix)).toEqual([P]);
  });

  it('never sends a route back to the neighbour it came from', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    expect(sent(rib, e1)).toEqual([]);
    expect(rib.exportVerdict(e1, pfx(P))).toBe('learned from this neighbour');
  });

  it('never sends a route to another session with the AS it came from', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    expect(sent(rib, e3)).toEqual([]);
    expect(sent(rib, e2)).toEqual([P]);
    expect(rib.exportVerdict(e3, pfx(P))).toMatch(/AS/);
  });

  it('does not send a route whose AS_PATH holds the eBGP neighbour\'s AS', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002, 65003, 65010]));
    rib.processAll();
    expect(sent(rib, e2)).toEqual([]);
    expect(rib.exportVerdict(e2, pfx(P))).toBe('AS_PATH holds the neighbour\'s AS (it would drop it)');
    expect(sent(rib, i1)).toEqual([P]);
  });

  it('on import drops routes whose AS_PATH holds our AS, with the reason', () => {
    const { rib, e1 } = lab();
    announce(rib, e1, [P], attrs([65002, LOCAL_AS, 65010]));
    rib.processAll();
    expect(rib.bestPath(pfx(P))).toBeUndefined();
    const ex = rib.explain(pfx(P));
    expect(ex.rejected).toHaveLength(1);
    expect(ex.rejected[0].peer.id).toBe(e1);
    expect(ex.rejected[0].reason).toBe(`AS_PATH contains our AS ${LOCAL_AS} (loop)`);
    // A later clean announcement replaces the rejection.
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    expect(rib.explain(pfx(P)).rejected).toHaveLength(0);
    expect(rib.bestPath(pfx(P))?.peer.id).toBe(e1);
  });

  it('iBGP: next hop self, LOCAL_PREF kept (100 when absent), MED kept, no prepend', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002], { med: 40 }));
    rib.processAll();
    const a = rib.pendingUpdates(i1).batches[0].attrs;
    expect(a.asPath).toEqual([{ type: 2, asns: [65002] }]);
    expect([...(a.nextHop ?? [])]).toEqual([...addr('10.0.4.1').bytes]);
    expect(a.localPref).toBe(100);
    expect(a.med).toBe(40);
  });

  it('iBGP-learned routes are not re-advertised to iBGP neighbours', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, i1, [P], attrs([65010], { localPref: 150 }));
    rib.processAll();
    expect(sent(rib, i2)).toEqual([]);
    expect(rib.exportVerdict(i2, pfx(P))).toBe('learned over iBGP: not re-advertised to iBGP');
    expect(sent(rib, e1)).toEqual([P]);
  });

  it('NO_EXPORT is not sent to eBGP neighbours but is to iBGP ones', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002], { communities: [WellKnownCommunity.NO_EXPORT] }));
    rib.processAll();
    expect(sent(rib, e2)).toEqual([]);
    expect(sent(rib, i1)).toEqual([P]);
  });

  it('NO_ADVERTISE is sent to nobody', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002], { communities: [WellKnownCommunity.NO_ADVERTISE] }));
    rib.processAll();
    for (const id of [e2, i1, i2]) expect(sent(rib, id)).toEqual([]);
    expect(rib.bestPath(pfx(P))?.peer.id).toBe(e1);
  });

  it('unknown optional transitive attributes pass with the Partial bit; non-transitive ones do not', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002], {
      unknown: [{ flags: 0xc0, code: 99, value: Uint8Array.of(1, 2) }, { flags: 0x80, code: 98, value: Uint8Array.of(3) }],
    }));
    rib.processAll();
    const a = rib.pendingUpdates(e2).batches[0].attrs;
    expect(a.unknown).toEqual([{ flags: 0xe0, code: 99, value: Uint8Array.of(1, 2) }]);
  });

  it('originated routes: ORIGIN IGP, our AS only, next hop = the session address', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    rib.originate([pfx('192.0.2.0/24'), pfx('2001:db8::/32')]);
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches.map((b) => b.family).sort()).toEqual([4, 6]);
    const v4 = out.batches.find((b) => b.family === 4)!;
    expect(v4.attrs.origin).toBe(0);
    expect(v4.attrs.asPath).toEqual([{ type: 2, asns: [LOCAL_AS] }]);
    expect([...(v4.attrs.nextHop ?? [])]).toEqual([...addr('10.0.2.1').bytes]);
    const v6 = out.batches.find((b) => b.family === 6)!;
    expect([...(v6.attrs.nextHop ?? [])]).toEqual([...addr('fd00:2::1').bytes]);
    rib.withdrawOriginated(pfx('192.0.2.0/24'));
    rib.processAll();
    expect(rib.pendingUpdates(e2).withdrawals.map(formatPrefix)).toEqual(['192.0.2.0/24']);
  });

  it('IPv6 is not sent to a session without an IPv6 next hop', () => {
    const rib = mkRib();
    const e = rib.addPeer({ address: addr('10.0.9.2'), localAddress: addr('10.0.9.1'), asn: 65009, kind: 'ebgp' }).id;
    rib.peerUp(e, { routerId: 9 });
    rib.originate([pfx('192.0.2.0/24'), pfx('2001:db8::/32')]);
    rib.processAll();
    const out = rib.pendingUpdates(e);
    expect(out.batches.flatMap((b) => b.prefixes.map(formatPrefix))).toEqual(['192.0.2.0/24']);
    expect(out.endOfRib).toEqual([4]);
  });
});

describe('export policy (after the rules)', () => {
  it('sets MED toward eBGP, prepends our AS, and filters by prefix', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    const pol = compilePolicy({
      terms: [
        { match: { prefixes: ['198.51.100.0/24'] }, action: 'reject' },
        { match: {}, action: 'accept', set: { med: 77, prepend: 2, localPref: 999 } },
      ],
      default: 'reject',
    });
    if (!pol.ok) throw new Error(pol.errors.join());
    rib.setExportPolicy(e2, pol.value);
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P, '198.51.100.0/24'], attrs([65002]));
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches.flatMap((b) => b.prefixes.map(formatPrefix))).toEqual([P]);
    const a = out.batches[0].attrs;
    expect(a.med).toBe(77);
    expect(a.localPref).toBeUndefined();
    expect(a.asPath).toEqual([{ type: 2, asns: [LOCAL_AS, LOCAL_AS, LOCAL_AS, 65002] }]);
    expect(rib.exportVerdict(e2, pfx('198.51.100.0/24'))).toBe('filtered on export by term 1');
  });

  it('changing export policy re-evaluates what the neighbour holds', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    expect(sent(rib, e2)).toEqual([P]);
    const rejectAll = compilePolicy({ terms: [], default: 'reject' });
    if (!rejectAll.ok) throw new Error(rejectAll.errors.join());
    rib.setExportPolicy(e2, rejectAll.value);
    expect(rib.pendingUpdates(e2).withdrawals.map(formatPrefix)).toEqual([P]);
    expect([...rib.adjRibOut(e2)]).toEqual([]);
  });
});

describe('output to a neighbour', () => {
  it('groups prefixes by attribute object, one batch per set', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, ['203.0.113.0/24', '203.0.113.0/25', '198.51.100.0/24'], attrs([65002, 65010]));
    announce(rib, e1, ['192.0.2.0/24'], attrs([65002, 65020]));
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches).toHaveLength(2);
    const big = out.batches.find((b) => b.prefixes.length === 3)!;
    expect(big.prefixes.map(formatPrefix).sort()).toEqual(['198.51.100.0/24', '203.0.113.0/24', '203.0.113.0/25']);
    expect(big.attrs.asPath).toEqual([{ type: 2, asns: [LOCAL_AS, 65002, 65010] }]);
    // The Adj-RIB-Out remembers the Loc-RIB sets it sent: no rewritten set outlives the call.
    expect(rib.stats().attrSets).toBe(2);
    const held = [...rib.adjRibOut(e2)];
    expect(held).toHaveLength(4);
    for (const e of held) if (formatPrefix(e.prefix) !== '192.0.2.0/24') expect(e.attrs).toEqual(big.attrs);
  });

  it('sends End-of-RIB once the initial dump is out, and only once', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    announce(rib, e1, ['203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/24'], attrs([65002]));
    rib.processAll();
    const e2 = addUpPeer(rib, 2, 65003);
    expect(rib.initialDumpDone(e2)).toBe(false);
    expect(rib.hasPendingOutput(e2)).toBe(true);
    const first = rib.pendingUpdates(e2, 2);
    expect(first.more).toBe(true);
    expect(first.endOfRib).toEqual([]);
    expect(first.batches[0].prefixes).toHaveLength(2);
    const second = rib.pendingUpdates(e2, 2);
    expect(second.more).toBe(false);
    expect(second.endOfRib).toEqual([4, 6]);
    expect(rib.initialDumpDone(e2)).toBe(true);
    expect(rib.pendingUpdates(e2).endOfRib).toEqual([]);
    expect(rib.hasPendingOutput(e2)).toBe(false);
  });

  it('coalesces: a prefix announced and withdrawn before output is never sent', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    rib.enqueueWithdraw(e1, [pfx(P)]);
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches).toEqual([]);
    expect(out.withdrawals).toEqual([]);
  });

  it('a change of best path sends the new attributes without a withdrawal', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, [P], attrs([65002, 65010, 65011]));
    rib.processAll();
    expect(sent(rib, i1)).toEqual([P]);
    announce(rib, e2, [P], attrs([65003]));
    rib.processAll();
    const out = rib.pendingUpdates(i1);
    expect(out.withdrawals).toEqual([]);
    expect(out.batches[0].attrs.asPath).toEqual([{ type: 2, asns: [65003] }]);
  });
});

describe('ROUTE-REFRESH (RFC 2918)', () => {
  it('sends everything the neighbour holds again, then End-of-RIB', () => {
    const { rib, e1, e2, e3, i1, i2 } = lab();
    drain(rib, [e1, e2, e3, i1, i2]);
    announce(rib, e1, ['203.0.113.0/24', '198.51.100.0/24'], attrs([65002]));
    rib.processAll();
    expect(sent(rib, e2).sort()).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    expect(sent(rib, e2)).toEqual([]);
    rib.routeRefresh(e2);
    // A change after the refresh request is merged into the same pass.
    rib.enqueueWithdraw(e1, [pfx('198.51.100.0/24')]);
    rib.processAll();
    const out = rib.pendingUpdates(e2);
    expect(out.batches.flatMap((b) => b.prefixes.map(formatPrefix))).toEqual(['203.0.113.0/24']);
    expect(out.withdrawals.map(formatPrefix)).toEqual(['198.51.100.0/24']);
    expect(out.endOfRib).toEqual([4, 6]);
    expect(sent(rib, e2)).toEqual([]);
  });
});
