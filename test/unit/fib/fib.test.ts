import { describe, expect, it } from 'vitest';
import { Fib, GROUP_FLAG, isGroup, type FibChange, type NextHopSpec } from '../../../src/fib/fib.js';
import { ipv4ToNumber, ipv6ToWords, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../../../src/lib/prefix.js';

function pfx(t: string): IpPrefix {
  const r = parsePrefix(t);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
function addr(t: string): IpAddress {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
function via(gw: string, ifName: string, ifIndex: number, source: NextHopSpec['source'] = 'bgp'): NextHopSpec {
  const a = addr(gw);
  return { family: a.family, address: a.bytes, ifIndex, ifName, source };
}
function connected(family: 4 | 6, ifName: string, ifIndex: number): NextHopSpec {
  return { family, address: null, ifIndex, ifName, source: 'connected' };
}

describe('Fib routes', () => {
  it('adds, refuses a duplicate add, replaces and removes', () => {
    const fib = new Fib();
    expect(fib.add(pfx('10.0.0.0/8'), via('192.0.2.1', 'r1-eth0', 2), 'bgp').ok).toBe(true);
    expect(fib.add(pfx('10.0.0.0/8'), via('192.0.2.2', 'r1-eth1', 3), 'bgp')).toEqual({ ok: false, error: 'exists' });
    expect(fib.replace(pfx('10.1.0.0/16'), via('192.0.2.2', 'r1-eth1', 3), 'bgp')).toEqual({ ok: false, error: 'missing' });
    const r = fib.replace(pfx('10.0.0.0/8'), via('192.0.2.2', 'r1-eth1', 3), 'static');
    expect(r.ok && r.route.source).toBe('static');
    expect(fib.resolve(fib.lookup4(ipv4ToNumber(addr('10.9.9.9').bytes)), 0)?.ifName).toBe('r1-eth1');
    expect(fib.remove(pfx('10.0.0.0/8'))).toBe(true);
    expect(fib.remove(pfx('10.0.0.0/8'))).toBe(false);
    expect(fib.lookup4(ipv4ToNumber(addr('10.9.9.9').bytes))).toBe(-1);
    expect(fib.size).toBe(0);
    expect(fib.nextHops()).toEqual([]);
  });

  it('masks host bits of a prefix given with them set', () => {
    const fib = new Fib();
    fib.set({ family: 4, bytes: Uint8Array.of(10, 1, 2, 3), len: 16 }, via('192.0.2.1', 'e0', 1), 'static');
    expect(fib.get(pfx('10.1.0.0/16'))?.prefix.bytes).toEqual(Uint8Array.of(10, 1, 0, 0));
  });

  it('rejects next hops of the other family and empty next-hop lists', () => {
    const fib = new Fib();
    expect(fib.set(pfx('10.0.0.0/8'), via('2001:db8::1', 'e0', 1), 'bgp')).toEqual({ ok: false, error: 'family-mismatch' });
    expect(fib.set(pfx('10.0.0.0/8'), [], 'bgp')).toEqual({ ok: false, error: 'no-next-hop' });
    expect(fib.size).toBe(0);
  });

  it('longest match wins, for IPv4 and IPv6, with the default route as fallback', () => {
    const fib = new Fib();
    fib.set(pfx('0.0.0.0/0'), via('192.0.2.254', 'e9', 9), 'static');
    fib.set(pfx('198.51.100.0/24'), connected(4, 'e1', 1), 'connected');
    fib.set(pfx('198.51.100.128/25'), via('198.51.100.1', 'e1', 1), 'bgp');
    fib.set(pfx('2001:db8::/32'), via('fe80::1', 'e2', 2), 'bgp');
    fib.set(pfx('2001:db8:1::/48'), via('fe80::2', 'e3', 3), 'bgp');
    fib.set(pfx('2001:db8:1::1/128'), connected(6, 'e4', 4), 'connected');
    expect(fib.lookup(addr('198.51.100.200'))?.prefix.len).toBe(25);
    expect(fib.lookup(addr('198.51.100.5'))?.source).toBe('connected');
    expect(fib.lookup(addr('8.8.8.8'))?.prefix.len).toBe(0);
    expect(fib.lookup(addr('2001:db8:1::1'))?.prefix.len).toBe(128);
    expect(fib.lookup(addr('2001:db8:1::2'))?.prefix.len).toBe(48);
    expect(fib.lookup(addr('2001:db8:2::1'))?.prefix.len).toBe(32);
    expect(fib.lookup(addr('2001:db9::1'))).toBeUndefined();
    const w = ipv6ToWords(addr('2001:db8:1::2').bytes);
    expect(fib.resolve(fib.lookup6(w[0], w[1], w[2], w[3]), 0)?.ifName).toBe('e3');
    const out = new Int32Array(2);
    fib.lookupBatch4(Uint32Array.of(ipv4ToNumber(addr('198.51.100.200').bytes), ipv4ToNumber(addr('1.1.1.1').bytes)), out);
    expect(fib.nextHopsOf(out[0])[0].ifName).toBe('e1');
    expect(fib.nextHopsOf(out[1])[0].ifName).toBe('e9');
  });

  it('matches() lists every covering route, longest first, the first selected', () => {
    const fib = new Fib();
    fib.set(pfx('0.0.0.0/0'), via('192.0.2.254', 'e9', 9), 'static');
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.1', 'e1', 1), 'bgp');
    fib.set(pfx('10.1.0.0/16'), via('192.0.2.2', 'e2', 2), 'bgp');
    fib.set(pfx('10.2.0.0/16'), via('192.0.2.3', 'e3', 3), 'bgp');
    const m = fib.matches(addr('10.1.2.3'));
    expect(m.map((x) => [x.route.prefix.len, x.selected])).toEqual([[16, true], [8, false], [0, false]]);
  });

  it('lists routes for show fib in address order, IPv4 first', () => {
    const fib = new Fib();
    fib.set(pfx('2001:db8::/32'), via('fe80::1', 'e2', 2), 'bgp');
    fib.set(pfx('10.2.0.0/16'), via('192.0.2.3', 'e3', 3), 'bgp');
    fib.set(pfx('10.0.0.0/8'), connected(4, 'e1', 1), 'connected');
    fib.set(pfx('10.0.0.0/16'), via('192.0.2.1', 'e1', 1), 'static');
    expect(fib.format()).toEqual([
      '10.0.0.0/8 connected dev e1 (connected)',
      '10.0.0.0/16 static via 192.0.2.1 dev e1',
      '10.2.0.0/16 bgp via 192.0.2.3 dev e3',
      '2001:db8::/32 bgp via fe80::1 dev e2',
    ]);
    expect(fib.list(6).length).toBe(1);
  });
});

describe('Fib next hops and groups', () => {
  it('reuses one next-hop entry for routes through the same gateway and frees it with the last route', () => {
    const fib = new Fib();
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.1', 'e1', 1), 'bgp');
    fib.set(pfx('172.16.0.0/12'), via('192.0.2.1', 'e1', 1), 'bgp');
    fib.set(pfx('192.168.0.0/16'), via('192.0.2.2', 'e1', 1), 'bgp');
    expect(fib.nextHops().length).toBe(2);
    expect(fib.get(pfx('10.0.0.0/8'))?.target).toBe(fib.get(pfx('172.16.0.0/12'))?.target);
    fib.remove(pfx('10.0.0.0/8'));
    expect(fib.nextHops().length).toBe(2);
    fib.remove(pfx('172.16.0.0/12'));
    expect(fib.nextHops().map((h) => h.ifIndex)).toEqual([1]);
    expect(fib.nextHops()[0].address).toEqual(Uint8Array.of(192, 0, 2, 2));
  });

  it('distinguishes next hops by source and interface', () => {
    const fib = new Fib();
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.1', 'e1', 1, 'bgp'), 'bgp');
    fib.set(pfx('10.1.0.0/16'), via('192.0.2.1', 'e1', 1, 'static'), 'static');
    fib.set(pfx('10.2.0.0/16'), via('192.0.2.1', 'e2', 2, 'bgp'), 'bgp');
    expect(new Set(fib.list().map((r) => r.target)).size).toBe(3);
  });

  it('makes one ECMP group per distinct member set and picks members by flow hash', () => {
    const fib = new Fib();
    const a = via('192.0.2.1', 'e1', 1);
    const b = via('192.0.2.2', 'e2', 2);
    const c = via('192.0.2.3', 'e3', 3);
    fib.set(pfx('203.0.113.0/24'), [a, b], 'bgp');
    fib.set(pfx('198.51.100.0/24'), [b, a], 'bgp');
    fib.set(pfx('192.0.2.0/24'), [a, b, c], 'bgp');
    const t1 = fib.get(pfx('203.0.113.0/24'))?.target as number;
    expect(isGroup(t1)).toBe(true);
    expect(fib.get(pfx('198.51.100.0/24'))?.target).toBe(t1);
    expect(fib.groupsInUse().length).toBe(2);
    expect(fib.nextHops().length).toBe(3);
    const v = fib.lookup4(ipv4ToNumber(addr('203.0.113.7').bytes));
    expect(v).toBe(t1);
    const picked = new Set<string>();
    for (let h = 0; h < 16; h++) picked.add(fib.resolve(v, h)?.ifName ?? '');
    expect([...picked].sort()).toEqual(['e1', 'e2']);
    // the same flow hash always gives the same member
    expect(fib.resolve(v, 12345)?.id).toBe(fib.resolve(v, 12345)?.id);
    expect(fib.resolve(v, 0xffffffff)).toBeDefined();
    fib.remove(pfx('203.0.113.0/24'));
    fib.remove(pfx('198.51.100.0/24'));
    expect(fib.groupsInUse().length).toBe(1);
    fib.remove(pfx('192.0.2.0/24'));
    expect(fib.groupsInUse()).toEqual([]);
    expect(fib.nextHops()).toEqual([]);
  });

  it('a one-member list or a list with duplicates is a plain next hop', () => {
    const fib = new Fib();
    const a = via('192.0.2.1', 'e1', 1);
    fib.set(pfx('10.0.0.0/8'), [a, a], 'bgp');
    const t = fib.get(pfx('10.0.0.0/8'))?.target as number;
    expect(isGroup(t)).toBe(false);
    expect(t & GROUP_FLAG).toBe(0);
    fib.remove(pfx('10.0.0.0/8'));
    expect(fib.nextHops()).toEqual([]);
  });

  it('resolve() of no route is undefined', () => {
    expect(new Fib().resolve(-1, 0)).toBeUndefined();
  });
});

describe('Fib change listener', () => {
  it('reports add, replace and remove after each is applied, and stops after unsubscribe', () => {
    const fib = new Fib();
    const seen: string[] = [];
    const lookups: number[] = [];
    const off = fib.onChange((c: FibChange) => {
      const p = c.type === 'remove' ? c.previous.prefix : c.route.prefix;
      seen.push(`${c.type} ${p.len}${c.type === 'replace' ? ` was ${c.previous.nextHops[0].ifName}` : ''}`);
      lookups.push(fib.lookup4(ipv4ToNumber(addr('10.1.1.1').bytes)));
    });
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.1', 'e1', 1), 'bgp');
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.2', 'e2', 2), 'bgp');
    fib.remove(pfx('10.0.0.0/8'));
    fib.remove(pfx('10.0.0.0/8'));
    expect(fib.add(pfx('10.0.0.0/8'), [], 'bgp').ok).toBe(false);
    off();
    fib.set(pfx('10.0.0.0/8'), via('192.0.2.1', 'e1', 1), 'bgp');
    expect(seen).toEqual(['add 8', 'replace 8 was e1', 'remove 8']);
    expect(lookups[0]).toBeGreaterThanOrEqual(0);
    expect(lookups[2]).toBe(-1);
  });
});
