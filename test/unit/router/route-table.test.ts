import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RouteTable, type NextHop, type RouteSource } from '../../../src/router/route-table.js';
import { formatPrefix, parsePrefix, type IpPrefix } from '../../../src/lib/prefix.js';

function p(text: string): IpPrefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const A: readonly NextHop[] = [{ via: '10.0.1.2', interface: 'eth0' }];
const B: readonly NextHop[] = [{ via: '10.0.2.2', interface: 'eth1' }];
const C: readonly NextHop[] = [{ interface: 'eth2' }];

describe('RouteTable', () => {
  it('reports add, replace and remove of the installed route once each', () => {
    const t = new RouteTable();
    expect(t.set(p('10.1.0.0/16'), 'bgp', A)).toMatchObject({ action: 'add', route: { source: 'bgp', nextHops: A } });
    expect(t.set(p('10.1.0.0/16'), 'bgp', A)).toBeUndefined();
    expect(t.set(p('10.1.0.0/16'), 'bgp', [{ via: '10.0.1.2', interface: 'eth0' }])).toBeUndefined();
    expect(t.set(p('10.1.0.0/16'), 'bgp', B)).toMatchObject({ action: 'replace', route: { nextHops: B } });
    expect(t.size).toBe(1);
    const r = t.remove(p('10.1.0.0/16'), 'bgp');
    expect(r).toMatchObject({ action: 'remove', route: { source: 'bgp', nextHops: B } });
    expect(formatPrefix(r!.route.prefix)).toBe('10.1.0.0/16');
    expect(t.size).toBe(0);
    expect(t.remove(p('10.1.0.0/16'), 'bgp')).toBeUndefined();
  });

  it('prefers connected over static over bgp, and falls back when the preferred one goes', () => {
    const t = new RouteTable();
    t.set(p('192.0.2.0/24'), 'bgp', A);
    expect(t.set(p('192.0.2.0/24'), 'connected', C)).toMatchObject({ action: 'replace', route: { source: 'connected' } });
    // A less preferred source changing under the installed one is not a change.
    expect(t.set(p('192.0.2.0/24'), 'static', B)).toBeUndefined();
    expect(t.set(p('192.0.2.0/24'), 'bgp', B)).toBeUndefined();
    expect(t.candidates(p('192.0.2.0/24')).map((r) => r.source)).toEqual(['connected', 'static', 'bgp']);
    expect(t.remove(p('192.0.2.0/24'), 'connected')).toMatchObject({ action: 'replace', route: { source: 'static', nextHops: B } });
    expect(t.remove(p('192.0.2.0/24'), 'static')).toMatchObject({ action: 'replace', route: { source: 'bgp', nextHops: B } });
    expect(t.get(p('192.0.2.0/24'))?.source).toBe('bgp');
    expect(t.installed().map((r) => `${formatPrefix(r.prefix)} ${r.source}`)).toEqual(['192.0.2.0/24 bgp']);
  });

  it('keys IPv4 by network and length: 0.0.0.0/0, /32, high addresses and host bits', () => {
    const t = new RouteTable();
    t.set(p('0.0.0.0/0'), 'static', A);
    t.set(p('255.255.255.255/32'), 'bgp', A);
    t.set(p('128.0.0.0/1'), 'bgp', B);
    t.set(p('128.0.0.0/2'), 'bgp', B);
    t.set({ family: 4, bytes: Uint8Array.of(10, 9, 9, 9), len: 8 }, 'bgp', A);
    expect(t.get(p('10.0.0.0/8'))?.nextHops).toBe(A);
    expect(t.installed().map((r) => formatPrefix(r.prefix)).sort()).toEqual(['0.0.0.0/0', '10.0.0.0/8', '128.0.0.0/1', '128.0.0.0/2', '255.255.255.255/32']);
  });

  it('holds IPv6 prefixes apart from IPv4 ones', () => {
    const t = new RouteTable();
    t.set(p('2001:db8::/32'), 'bgp', A);
    t.set(p('0.0.0.0/0'), 'bgp', B);
    t.set(p('::/0'), 'connected', C);
    expect(t.get(p('2001:db8::/32'))?.nextHops).toBe(A);
    expect(t.installed().map((r) => `${formatPrefix(r.prefix)} ${r.source}`).sort()).toEqual(['0.0.0.0/0 bgp', '2001:db8::/32 bgp', '::/0 connected']);
  });

  it('routesVia lists installed routes over an interface, not shadowed candidates', () => {
    const t = new RouteTable();
    t.set(p('10.1.0.0/16'), 'bgp', A);
    t.set(p('10.2.0.0/16'), 'bgp', B);
    t.set(p('10.3.0.0/16'), 'bgp', A);
    t.set(p('10.3.0.0/16'), 'static', B);
    expect(t.routesVia('eth0').map((r) => formatPrefix(r.prefix))).toEqual(['10.1.0.0/16']);
    expect(t.routesVia('eth1').map((r) => formatPrefix(r.prefix)).sort()).toEqual(['10.2.0.0/16', '10.3.0.0/16']);
  });

  it('agrees with a map-of-text oracle over random operations', () => {
    const sources: RouteSource[] = ['connected', 'static', 'bgp'];
    const hopSets = [A, B, C];
    const op = fc.record({
      a: fc.constantFrom(0, 0x0a000000, 0x0a010000, 0xc0000200, 0xffffff00),
      len: fc.constantFrom(0, 8, 16, 24, 32),
      s: fc.integer({ min: 0, max: 2 }),
      h: fc.integer({ min: -1, max: 2 }),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const t = new RouteTable();
      const oracle = new Map<string, Map<RouteSource, readonly NextHop[]>>();
      const installedOf = (k: string) => {
        const m = oracle.get(k);
        for (const s of sources) if (m?.has(s)) return { source: s, hops: m.get(s)! };
        return undefined;
      };
      for (const o of ops) {
        const n = o.len === 0 ? 0 : (o.a & (-1 << (32 - o.len))) >>> 0;
        const prefix: IpPrefix = { family: 4, bytes: Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), len: o.len };
        const k = formatPrefix(prefix);
        const before = installedOf(k);
        const hops = o.h < 0 ? [] : hopSets[o.h];
        const m = oracle.get(k) ?? new Map();
        if (hops.length) m.set(sources[o.s], hops); else m.delete(sources[o.s]);
        oracle.set(k, m);
        const after = installedOf(k);
        const change = t.set(prefix, sources[o.s], hops);
        const expected = !before && !after ? undefined : !before ? 'add' : !after ? 'remove' : before.source === after.source && before.hops === after.hops ? undefined : 'replace';
        expect(change?.action).toBe(expected);
      }
      const want = [...oracle.keys()].flatMap((k) => { const i = installedOf(k); return i ? [`${k} ${i.source}`] : []; }).sort();
      expect(t.installed().map((r) => `${formatPrefix(r.prefix)} ${r.source}`).sort()).toEqual(want);
      expect(t.size).toBe(want.length);
    }));
  });

  it('agrees with the oracle on thousands of prefixes (table growth, freed slots) with fresh next-hop arrays', () => {
    const sources: RouteSource[] = ['connected', 'static', 'bgp'];
    const hopText = (h: readonly NextHop[]) => h.map((x) => `${x.via ?? ''}%${x.interface}`).join('|');
    const op = fc.record({
      a: fc.integer({ min: 0, max: 0xffffffff }),
      len: fc.integer({ min: 0, max: 32 }),
      s: fc.integer({ min: 0, max: 2 }),
      h: fc.integer({ min: -2, max: 3 }),
    });
    fc.assert(fc.property(fc.array(op, { minLength: 500, maxLength: 3000 }), (ops) => {
      const t = new RouteTable();
      const oracle = new Map<string, Map<RouteSource, string>>();
      const installedOf = (k: string) => {
        const m = oracle.get(k);
        for (const s of sources) if (m?.has(s)) return { source: s, hops: m.get(s)! };
        return undefined;
      };
      const seenKeys: string[] = [];
      for (const [n0, o] of ops.entries()) {
        // Every third operation reuses an earlier prefix, so removals and replacements happen.
        const reuse = n0 % 3 === 2 && seenKeys.length > 0;
        const prefix = reuse ? p(seenKeys[o.a % seenKeys.length]) : (() => {
          const n = o.len === 0 ? 0 : (o.a & (-1 << (32 - o.len))) >>> 0;
          return { family: 4 as const, bytes: Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), len: o.len };
        })();
        const k = formatPrefix(prefix);
        if (!reuse) seenKeys.push(k);
        const before = installedOf(k);
        // A fresh array each time: the table must compare next hops by content.
        const hops: NextHop[] = o.h < 0 ? [] : [{ via: `10.0.${o.h}.1`, interface: `eth${o.h}` }];
        const m = oracle.get(k) ?? new Map();
        if (hops.length) m.set(sources[o.s], hopText(hops)); else m.delete(sources[o.s]);
        oracle.set(k, m);
        const after = installedOf(k);
        const change = t.set(prefix, sources[o.s], hops);
        const expected = !before && !after ? undefined : !before ? 'add' : !after ? 'remove' : before.source === after.source && before.hops === after.hops ? undefined : 'replace';
        expect(change?.action).toBe(expected);
        if (change && change.action !== 'remove') expect(hopText(change.route.nextHops)).toBe(after!.hops);
      }
      const want = [...oracle.keys()].flatMap((k) => { const i = installedOf(k); return i ? [`${k} ${i.source} ${i.hops}`] : []; }).sort();
      expect(t.installed().map((r) => `${formatPrefix(r.prefix)} ${r.source} ${hopText(r.nextHops)}`).sort()).toEqual(want);
      expect(t.size).toBe(want.length);
      for (const k of seenKeys.slice(0, 50)) expect(t.get(p(k))?.source).toBe(installedOf(k)?.source);
    }), { numRuns: 25 });
  });
});
