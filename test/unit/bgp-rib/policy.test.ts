/** Policy compilation, matching and actions (src/bgp/policy.ts), and policy inside the RIB. */
import { describe, expect, it } from 'vitest';
import { compilePolicy, parseCommunity, parsePrefixRange, prefixInRange, formatCommunity, type CompiledPolicy } from '../../../src/bgp/policy.js';
import type { PolicySpec } from '../../../lab/topology/types.js';
import { WellKnownCommunity, type PathAttributes } from '../../../src/bgp/wire/types.js';
import { addUpPeer, announce, attrs, mkRib, pfx } from './helpers.js';

function compile(spec: PolicySpec): CompiledPolicy {
  const r = compilePolicy(spec);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

function range(text: string) {
  const r = parsePrefixRange(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('prefix ranges', () => {
  it('exact match without ge/le', () => {
    const r = range('192.0.2.0/24');
    expect([r.ge, r.le]).toEqual([24, 24]);
    expect(prefixInRange(pfx('192.0.2.0/24'), r)).toBe(true);
    expect(prefixInRange(pfx('192.0.2.0/25'), r)).toBe(false);
    expect(prefixInRange(pfx('192.0.3.0/24'), r)).toBe(false);
  });

  it('"le 32" takes the prefix and everything inside it', () => {
    const r = range('192.0.2.0/24 le 32');
    expect(prefixInRange(pfx('192.0.2.0/24'), r)).toBe(true);
    expect(prefixInRange(pfx('192.0.2.128/25'), r)).toBe(true);
    expect(prefixInRange(pfx('192.0.2.7/32'), r)).toBe(true);
    expect(prefixInRange(pfx('192.0.0.0/16'), r)).toBe(false);
    expect(prefixInRange(pfx('192.0.3.0/25'), r)).toBe(false);
  });

  it('"ge 24 le 28" bounds the length on both sides', () => {
    const r = range('10.0.0.0/8 ge 24 le 28');
    expect(prefixInRange(pfx('10.1.2.0/24'), r)).toBe(true);
    expect(prefixInRange(pfx('10.1.2.16/28'), r)).toBe(true);
    expect(prefixInRange(pfx('10.1.0.0/16'), r)).toBe(false);
    expect(prefixInRange(pfx('10.1.2.0/29'), r)).toBe(false);
    expect(prefixInRange(pfx('11.1.2.0/24'), r)).toBe(false);
  });

  it('"ge N" alone runs to the family maximum', () => {
    const r = range('10.0.0.0/8 ge 30');
    expect([r.ge, r.le]).toEqual([30, 32]);
  });

  it('IPv6 ranges, and families never cross', () => {
    const r = range('2001:db8::/32 le 48');
    expect(prefixInRange(pfx('2001:db8:1::/48'), r)).toBe(true);
    expect(prefixInRange(pfx('2001:db8:1:1::/64'), r)).toBe(false);
    expect(prefixInRange(pfx('2001:db9::/48'), r)).toBe(false);
    expect(prefixInRange(pfx('32.1.13.184/32'), r)).toBe(false);
    expect(prefixInRange(pfx('2001:db8:8000::/33'), range('2001:db8:8000::/33'))).toBe(true);
    expect(prefixInRange(pfx('2001:db8::/33'), range('2001:db8:8000::/33'))).toBe(false);
  });

  it('0.0.0.0/0 le 32 matches everything IPv4', () => {
    const r = range('0.0.0.0/0 le 32');
    expect(prefixInRange(pfx('203.0.113.9/32'), r)).toBe(true);
  });

  it('rejects bad ranges with a message, never throws', () => {
    for (const bad of ['192.0.2.0/24 le 16', '192.0.2.0/24 ge 30 le 28', '192.0.2.0/24 le', '192.0.2.0/24 lt 28', 'x/24', '192.0.2.0/24 le 33']) {
      const r = parsePrefixRange(bad);
      expect(r.ok, bad).toBe(false);
    }
  });
});

describe('communities', () => {
  it('parses ASN:VALUE and the well-known names', () => {
    expect(parseCommunity('65000:100')).toEqual({ ok: true, value: ((65000 << 16) | 100) >>> 0 });
    expect(parseCommunity('no-export')).toEqual({ ok: true, value: WellKnownCommunity.NO_EXPORT });
    expect(parseCommunity('NO_ADVERTISE')).toEqual({ ok: true, value: WellKnownCommunity.NO_ADVERTISE });
    expect(parseCommunity('65536:1').ok).toBe(false);
    expect(parseCommunity('1:2:3').ok).toBe(false);
    expect(formatCommunity(WellKnownCommunity.NO_EXPORT)).toBe('no-export');
    expect(formatCommunity(((65000 << 16) | 7) >>> 0)).toBe('65000:7');
  });
});

describe('matching and actions', () => {
  const path = (asns: number[], extra: Partial<PathAttributes> = {}): PathAttributes => ({ origin: 0, asPath: [{ type: 2, asns }], ...extra });

  it('first matching term wins; the default applies when none matches', () => {
    const pol = compile({
      terms: [
        { match: { prefixes: ['192.0.2.0/24 le 32'] }, action: 'reject' },
        { match: { prefixes: ['192.0.0.0/16 le 24'] }, action: 'accept' },
      ],
      default: 'reject',
    });
    expect(pol.match(pfx('192.0.2.0/24'), path([1]))).toBe(0);
    expect(pol.accepts(0)).toBe(false);
    expect(pol.match(pfx('192.0.3.0/24'), path([1]))).toBe(1);
    expect(pol.accepts(1)).toBe(true);
    expect(pol.match(pfx('10.0.0.0/8'), path([1]))).toBe(-1);
    expect(pol.accepts(-1)).toBe(false);
  });

  it('AS_PATH contains: any listed ASN anywhere in the path (sequences and sets)', () => {
    const pol = compile({ terms: [{ match: { asPathContains: [64512, 64513] }, action: 'reject' }], default: 'accept' });
    expect(pol.match(pfx('10.0.0.0/8'), path([65002, 64513, 65010]))).toBe(0);
    expect(pol.match(pfx('10.0.0.0/8'), { asPath: [{ type: 2, asns: [1] }, { type: 1, asns: [64512] }] })).toBe(0);
    expect(pol.match(pfx('10.0.0.0/8'), path([65002, 65010]))).toBe(-1);
  });

  it('communities: numeric and well-known names', () => {
    const pol = compile({ terms: [{ match: { communities: ['65000:100', 'no-export'] }, action: 'reject' }], default: 'accept' });
    expect(pol.match(pfx('10.0.0.0/8'), path([1], { communities: [((65000 << 16) | 100) >>> 0] }))).toBe(0);
    expect(pol.match(pfx('10.0.0.0/8'), path([1], { communities: [WellKnownCommunity.NO_EXPORT] }))).toBe(0);
    expect(pol.match(pfx('10.0.0.0/8'), path([1], { communities: [((65000 << 16) | 101) >>> 0] }))).toBe(-1);
    expect(pol.match(pfx('10.0.0.0/8'), path([1]))).toBe(-1);
  });

  it('every criterion of a term must hold', () => {
    const pol = compile({ terms: [{ match: { prefixes: ['10.0.0.0/8 le 24'], asPathContains: [7] }, action: 'accept' }], default: 'reject' });
    expect(pol.match(pfx('10.1.0.0/16'), path([7]))).toBe(0);
    expect(pol.match(pfx('10.1.0.0/16'), path([8]))).toBe(-1);
    expect(pol.match(pfx('11.1.0.0/16'), path([7]))).toBe(-1);
  });

  it('set local-pref, MED, add communities, prepend N times', () => {
    const pol = compile({
      terms: [{ match: {}, action: 'accept', set: { localPref: 250, med: 30, communities: ['65000:1', 'no-export'], prepend: 3 } }],
      default: 'reject',
    });
    expect(pol.hasActions(0)).toBe(true);
    const out = pol.apply(path([65002], { communities: [5] }), 0, 65001);
    expect(out.localPref).toBe(250);
    expect(out.med).toBe(30);
    expect(out.communities).toEqual([5, ((65000 << 16) | 1) >>> 0, WellKnownCommunity.NO_EXPORT]);
    expect(out.asPath).toEqual([{ type: 2, asns: [65001, 65001, 65001, 65002] }]);
  });

  it('reports every problem in a bad spec instead of throwing', () => {
    const r = compilePolicy({
      terms: [
        { match: { prefixes: ['192.0.2.0/33'], communities: ['bogus'] }, action: 'accept', set: { prepend: 100 } },
        { match: {}, action: 'accept', set: { med: -1 } },
      ],
      default: 'accept',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toHaveLength(4);
      expect(r.errors[0]).toMatch(/^term 1:/);
      expect(r.errors[3]).toMatch(/^term 2:/);
    }
  });
});

describe('policy in the RIB', () => {
  const P = '203.0.113.0/24';

  it('import reject is remembered with "filtered on import by term N"', () => {
    const rib = mkRib();
    const imp = compile({
      terms: [
        { match: { prefixes: ['198.51.100.0/24'] }, action: 'accept' },
        { match: { prefixes: ['203.0.113.0/24'] }, action: 'reject' },
      ],
      default: 'accept',
    });
    const e1 = addUpPeer(rib, 1, 65002, { importPolicy: imp });
    announce(rib, e1, [P, '198.51.100.0/24'], attrs([65002]));
    rib.processAll();
    expect(rib.bestPath(pfx(P))).toBeUndefined();
    expect(rib.bestPath(pfx('198.51.100.0/24'))?.peer.id).toBe(e1);
    expect(rib.explain(pfx(P)).rejected.map((r) => r.reason)).toEqual(['filtered on import by term 2']);
    expect(rib.rejectedRoutes(e1).map((r) => r.reason)).toEqual(['filtered on import by term 2']);
    const none = compile({ terms: [], default: 'reject' });
    const e2 = addUpPeer(rib, 2, 65003, { importPolicy: none });
    announce(rib, e2, [P], attrs([65003]));
    rib.processAll();
    expect(rib.rejectedRoutes(e2).map((r) => r.reason)).toEqual(['filtered on import by the default action']);
    // Withdrawal clears the memory of the rejected route.
    rib.enqueueWithdraw(e2, [pfx(P)]);
    rib.processAll();
    expect(rib.rejectedRoutes(e2)).toEqual([]);
  });

  it('import set local-pref moves the decision; prepend uses the neighbour\'s AS', () => {
    const rib = mkRib();
    const lp = compile({ terms: [{ match: { prefixes: [P] }, action: 'accept', set: { localPref: 300, prepend: 2 } }], default: 'accept' });
    const e1 = addUpPeer(rib, 1, 65002, { importPolicy: lp, routerId: '9.9.9.9' });
    const e2 = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, e2, [P], attrs([65003]));
    announce(rib, e1, [P], attrs([65002]));
    rib.processAll();
    const best = rib.bestPath(pfx(P));
    expect(best?.peer.id).toBe(e1);
    expect(best?.attrs.localPref).toBe(300);
    expect(best?.attrs.asPath).toEqual([{ type: 2, asns: [65002, 65002, 65002] }]);
    expect(rib.explain(pfx(P)).candidates.find((c) => c.outcome === 'lost')?.detail).toBe('LOCAL_PREF 300 > 100');
  });

  it('max-prefix: reported once when the accepted count exceeds the limit; later announcements ignored', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002, { maxPrefixes: 3 });
    announce(rib, e1, ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'], attrs([65002]));
    const ok = rib.processAll();
    expect(ok.maxPrefixExceeded).toEqual([]);
    announce(rib, e1, ['10.0.4.0/24', '10.0.5.0/24'], attrs([65002]));
    announce(rib, e1, ['10.0.6.0/24'], attrs([65002]));
    const r = rib.processAll();
    expect(r.maxPrefixExceeded).toHaveLength(1);
    expect(r.maxPrefixExceeded[0]).toMatchObject({ limit: 3, count: 4 });
    expect(r.maxPrefixExceeded[0].peer.id).toBe(e1);
    expect(rib.acceptedCount(e1)).toBe(4);
    rib.peerDown(e1);
    rib.processAll();
    expect(rib.stats().locRib).toBe(0);
    rib.peerUp(e1, { routerId: 5 });
    announce(rib, e1, ['10.0.1.0/24'], attrs([65002]));
    rib.processAll();
    expect(rib.stats().locRib).toBe(1);
  });
});
