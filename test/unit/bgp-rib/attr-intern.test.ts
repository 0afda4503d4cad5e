/** Interned attribute sets: identity for equal sets, immutability, and cleanup (src/bgp/attr-intern.ts). */
import { describe, expect, it } from 'vitest';
import { AttrCache, asPathLength, attrKey, neighborAs, prependAs } from '../../../src/bgp/attr-intern.js';
import type { PathAttributes } from '../../../src/bgp/wire/types.js';
import { addUpPeer, announce, attrs, mkRib, pfx } from './helpers.js';

const base = (): PathAttributes => ({
  origin: 0, asPath: [{ type: 2, asns: [65002, 65010] }], nextHop: Uint8Array.of(10, 0, 0, 1), med: 5, communities: [3, 1, 2],
});

describe('AttrCache', () => {
  it('returns the same frozen object for equal attributes', () => {
    const c = new AttrCache();
    const a = c.intern(base());
    const b = c.intern(base());
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.asPath)).toBe(true);
    expect(Object.isFrozen(a.asPath?.[0].asns)).toBe(true);
    expect(c.size).toBe(1);
    expect(c.refs(a)).toBe(2);
  });

  it('treats communities as a set (order and duplicates do not matter)', () => {
    const c = new AttrCache();
    const a = c.intern(base());
    const b = c.intern({ ...base(), communities: [2, 2, 3, 1] });
    expect(b).toBe(a);
    expect(a.communities).toEqual([1, 2, 3]);
  });

  it('distinguishes sets differing in any attribute', () => {
    const c = new AttrCache();
    const a = c.intern(base());
    const variants: PathAttributes[] = [
      { ...base(), origin: 2 },
      { ...base(), asPath: [{ type: 2, asns: [65002] }, { type: 1, asns: [65010] }] },
      { ...base(), nextHop: Uint8Array.of(10, 0, 0, 2) },
      { ...base(), med: undefined },
      { ...base(), localPref: 100 },
      { ...base(), atomicAggregate: true },
      { ...base(), aggregator: { asn: 1, address: Uint8Array.of(1, 2, 3, 4) } },
      { ...base(), communities: [1, 2] },
      { ...base(), unknown: [{ flags: 0xc0, code: 99, value: Uint8Array.of(1) }] },
    ];
    const keys = new Set(variants.map(attrKey));
    expect(keys.size).toBe(variants.length);
    for (const v of variants) expect(c.intern(v)).not.toBe(a);
    expect(c.size).toBe(variants.length + 1);
  });

  it('ignores MP_REACH/MP_UNREACH and copies byte arrays out of the message buffer', () => {
    const c = new AttrCache();
    const msg = Uint8Array.of(9, 9, 10, 0, 0, 1, 9);
    const a = c.intern({ ...base(), nextHop: msg.subarray(2, 6), mpUnreach: { afi: 2, safi: 1, withdrawn: [] } });
    expect(a.mpUnreach).toBeUndefined();
    expect(a.nextHop?.buffer).not.toBe(msg.buffer);
    expect(c.intern(base())).toBe(a);
  });

  it('releases sets (and next hops) when the last reference goes', () => {
    const c = new AttrCache();
    const a = c.intern(base());
    c.retain(a);
    c.release(a);
    expect(c.isLive(a)).toBe(true);
    c.release(a);
    expect(c.size).toBe(0);
    expect(c.nextHopCount).toBe(0);
    expect(c.isLive(a)).toBe(false);
    expect(() => c.release(a)).toThrow();
    // A new intern of an equal set is a new object: the old one is gone from the cache.
    const b = c.intern(base());
    expect(b).not.toBe(a);
    expect(c.size).toBe(1);
  });
});

describe('AS_PATH helpers', () => {
  it('length counts a set as one and a sequence per AS', () => {
    expect(asPathLength([{ type: 2, asns: [1, 2, 3] }, { type: 1, asns: [4, 5, 6] }])).toBe(4);
    expect(asPathLength([])).toBe(0);
  });
  it('neighbour AS is the first of a leading sequence', () => {
    expect(neighborAs([{ type: 2, asns: [7, 8] }])).toBe(7);
    expect(neighborAs([{ type: 1, asns: [7, 8] }])).toBeUndefined();
    expect(neighborAs([])).toBeUndefined();
  });
  it('prepend joins the leading sequence and splits at 255 ASNs', () => {
    expect(prependAs([{ type: 2, asns: [2] }], 1, 2)).toEqual([{ type: 2, asns: [1, 1, 2] }]);
    expect(prependAs([{ type: 1, asns: [2, 3] }], 1)).toEqual([{ type: 2, asns: [1] }, { type: 1, asns: [2, 3] }]);
    const long = prependAs([{ type: 2, asns: new Array<number>(255).fill(9) }], 1);
    expect(long.map((s) => s.asns.length)).toEqual([255, 1]);
    expect(long[0].asns[0]).toBe(1);
  });
});

describe('interning inside the RIB', () => {
  it('all prefixes of one UPDATE share one attribute object in Adj-RIB-In and Loc-RIB', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    announce(rib, e1, ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'], attrs([65002]));
    announce(rib, e1, ['10.0.4.0/24'], attrs([65002]));
    rib.processAll();
    const objs = new Set([...rib.adjRibIn(e1)].map((r) => r.attrs));
    expect(objs.size).toBe(1);
    expect(rib.bestPath(pfx('10.0.4.0/24'))?.attrs).toBe([...objs][0]);
  });

  it('after everything is withdrawn and sent, no attribute set or prefix id remains', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    const e2 = addUpPeer(rib, 2, 65003);
    for (let i = 0; i < 50; i++) announce(rib, e1, [`10.${i}.0.0/16`, `10.${i}.1.0/24`], attrs([65002, 64512 + (i % 7)], { med: i % 3 }));
    rib.originate(pfx('2001:db8::/32'), { communities: [1] });
    rib.processAll();
    rib.pendingUpdates(e1);
    rib.pendingUpdates(e2);
    expect(rib.stats().attrSets).toBeGreaterThan(10);
    for (let i = 0; i < 50; i++) rib.enqueueWithdraw(e1, [pfx(`10.${i}.0.0/16`), pfx(`10.${i}.1.0/24`)]);
    rib.withdrawOriginated(pfx('2001:db8::/32'));
    rib.processAll();
    rib.pendingUpdates(e1);
    const out = rib.pendingUpdates(e2);
    expect(out.withdrawals).toHaveLength(101);
    expect(rib.stats()).toMatchObject({ prefixes: 0, locRib: 0, attrSets: 0 });
    expect(rib.attrs.nextHopCount).toBe(0);
  });

  it('a session going down releases its Adj-RIB-Out and Adj-RIB-In', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    const e2 = addUpPeer(rib, 2, 65003);
    announce(rib, e1, ['10.0.1.0/24', '10.0.2.0/24'], attrs([65002]));
    rib.processAll();
    rib.pendingUpdates(e2);
    expect([...rib.adjRibOut(e2)]).toHaveLength(2);
    rib.peerDown(e2);
    rib.peerDown(e1);
    rib.processAll();
    expect(rib.stats()).toMatchObject({ prefixes: 0, locRib: 0, attrSets: 0 });
  });
});
