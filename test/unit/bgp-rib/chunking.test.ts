/** Large UPDATEs are processed in bounded chunks, with the same result as all at once. */
import { describe, expect, it } from 'vitest';
import { numberToIpv4, formatPrefix, type IpPrefix } from '../../../src/lib/prefix.js';
import { PrefixTable } from '../../../src/bgp/rib/index.js';
import { addUpPeer, attrs, mkRib, pfx } from './helpers.js';

function prefixes(n: number, base = 0x0a000000): IpPrefix[] {
  return Array.from({ length: n }, (_, i) => ({ family: 4 as const, bytes: numberToIpv4(base + i * 256), len: 24 }));
}

describe('chunked processing', () => {
  it('a 10,000-prefix UPDATE is processed 1,000 prefixes at a time', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    const e2 = addUpPeer(rib, 2, 65003);
    rib.pendingUpdates(e2);
    const ps = prefixes(10_000);
    rib.enqueueUpdate(e1, { type: 'update', withdrawn: [], attributes: { ...attrs([65002]), nextHop: Uint8Array.of(10, 0, 1, 2) }, nlri: ps });
    let calls = 0;
    let changes = 0;
    let r;
    do {
      r = rib.processSome(1000);
      calls++;
      changes += r.changes.length;
      expect(r.processed).toBeLessThanOrEqual(1000);
    } while (r.more);
    expect(calls).toBe(10);
    expect(changes).toBe(10_000);
    expect(rib.stats().locRib).toBe(10_000);
    // Output in chunks too, all in one attribute batch per chunk.
    let sent = 0;
    let out;
    do {
      out = rib.pendingUpdates(e2, 4000);
      expect(out.batches.length).toBeLessThanOrEqual(1);
      sent += out.batches.reduce((n, b) => n + b.prefixes.length, 0);
    } while (out.more);
    expect(sent).toBe(10_000);
  });

  it('chunked and all-at-once reach the same Loc-RIB', () => {
    const build = () => {
      const rib = mkRib();
      const a = addUpPeer(rib, 1, 65002);
      const b = addUpPeer(rib, 2, 65003);
      const ps = prefixes(3000);
      rib.enqueueUpdate(a, { type: 'update', withdrawn: [], attributes: { ...attrs([65002, 1]), nextHop: Uint8Array.of(10, 0, 1, 2) }, nlri: ps });
      rib.enqueueUpdate(b, { type: 'update', withdrawn: [], attributes: { ...attrs([65003]), nextHop: Uint8Array.of(10, 0, 2, 2) }, nlri: ps.filter((_, i) => i % 3 === 0) });
      rib.enqueueUpdate(b, { type: 'update', withdrawn: ps.filter((_, i) => i % 6 === 0), attributes: {}, nlri: [] });
      rib.peerDown(a);
      rib.peerUp(a, { routerId: 77 });
      rib.enqueueUpdate(a, { type: 'update', withdrawn: [], attributes: { ...attrs([65002]), nextHop: Uint8Array.of(10, 0, 1, 2) }, nlri: ps.slice(0, 100) });
      return rib;
    };
    const once = build();
    once.processAll();
    const chunked = build();
    let guard = 0;
    while (chunked.processSome(7).more) guard++;
    expect(guard).toBeGreaterThan(100);
    const dump = (rib: ReturnType<typeof mkRib>) => [...rib.locRib()].map((r) => `${formatPrefix(r.prefix)} ${r.peer.id}`).sort();
    expect(dump(chunked)).toEqual(dump(once));
    const expected = new Set<number>();
    for (let i = 0; i < 3000; i++) if ((i % 3 === 0 && i % 6 !== 0) || i < 100) expected.add(i);
    expect(dump(once).length).toBe(expected.size);
  });

  it('a session with many routes is withdrawn in chunks when it goes down', () => {
    const rib = mkRib();
    const e1 = addUpPeer(rib, 1, 65002);
    rib.enqueueUpdate(e1, { type: 'update', withdrawn: [], attributes: { ...attrs([65002]), nextHop: Uint8Array.of(10, 0, 1, 2) }, nlri: prefixes(5000) });
    rib.processAll();
    rib.peerDown(e1);
    const r = rib.processSome(1000);
    expect(r.more).toBe(true);
    expect(r.changes.length).toBeLessThanOrEqual(1000);
    expect(rib.stats().locRib).toBeGreaterThan(3000);
    rib.processAll();
    expect(rib.stats().locRib).toBe(0);
  });

  it('next-hop changes re-run the decision through the queue', () => {
    let down = false;
    const rib = mkRib({ nextHopReachable: (nh) => !(down && nh[2] === 1) });
    const a = addUpPeer(rib, 1, 65002);
    const b = addUpPeer(rib, 2, 65003);
    const ps = prefixes(100);
    rib.enqueueUpdate(a, { type: 'update', withdrawn: [], attributes: { ...attrs([65002]), nextHop: Uint8Array.of(10, 0, 1, 2) }, nlri: ps });
    rib.enqueueUpdate(b, { type: 'update', withdrawn: [], attributes: { ...attrs([65003, 1]), nextHop: Uint8Array.of(10, 0, 2, 2) }, nlri: ps });
    rib.processAll();
    expect(rib.bestPath(ps[0])?.peer.id).toBe(a);
    down = true;
    rib.nextHopsChanged();
    const r = rib.processAll();
    expect(r.changes).toHaveLength(100);
    expect(r.changes[0].newBest?.peer.id).toBe(b);
    expect(r.changes[0].reason).toBe('next hop 10.0.1.2 unreachable');
  });
});

describe('PrefixTable', () => {
  it('gives stable ids, reuses freed ones, and survives growth and rehash', () => {
    const t = new PrefixTable();
    const ps = prefixes(5000).concat([pfx('2001:db8::/32'), pfx('2001:db8::/48'), pfx('0.0.0.0/0')]);
    const ids = ps.map((p) => t.intern(p));
    for (const id of ids) t.ref(id);
    expect(new Set(ids).size).toBe(ps.length);
    expect(ps.filter((p, i) => t.lookup(p) !== ids[i])).toEqual([]);
    expect(ps.filter((p, i) => formatPrefix(t.prefix(ids[i])) !== formatPrefix(p))).toEqual([]);
    for (let i = 0; i < ps.length; i += 2) t.unref(ids[i]);
    expect(ps.filter((p, i) => t.lookup(p) !== (i % 2 === 0 ? -1 : ids[i]))).toEqual([]);
    const again = t.intern(ps[0]);
    expect(ids.filter((_, i) => i % 2 === 0)).toContain(again);
    expect(t.size).toBe(Math.floor(ps.length / 2) + 1);
  });
});
