/**
 * route-batch.ts: route changes packed for the data-plane thread come out
 * as they went in, in order, across batches; next-hop sets are sent once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RouteBatchDecoder, RouteBatchEncoder } from '../../../src/dataplane/route-batch.js';
import type { NextHop, RouteChange } from '../../../src/router/route-table.js';

const hopSets: NextHop[][] = [
  [{ interface: 'r1-eth0' }],
  [{ via: '10.0.0.1', interface: 'r1-eth1' }],
  [{ via: '10.0.0.1', interface: 'r1-eth1' }, { via: '10.0.0.3', interface: 'r1-eth2' }],
  [{ via: '2001:db8::1', interface: 'r1-eth1' }],
];

const changeArb: fc.Arbitrary<RouteChange> = fc.record({
  action: fc.constantFrom('add' as const, 'replace' as const, 'remove' as const),
  source: fc.constantFrom('connected' as const, 'static' as const, 'bgp' as const),
  family: fc.constantFrom(4 as const, 6 as const),
  bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  len: fc.nat(128),
  hops: fc.nat(hopSets.length - 1),
  copy: fc.boolean(),
}).map((r) => ({
  action: r.action,
  route: {
    prefix: { family: r.family, bytes: r.bytes.slice(0, r.family === 4 ? 4 : 16), len: r.family === 4 ? r.len % 33 : r.len },
    source: r.source,
    // A copy (equal content, another array) must map to the same set.
    nextHops: r.copy ? hopSets[r.hops].map((h) => ({ ...h })) : hopSets[r.hops],
  },
}));

function drain(d: RouteBatchDecoder): RouteChange[] {
  const out: RouteChange[] = [];
  for (let c = d.next(); c; c = d.next()) out.push(c);
  return out;
}

describe('route batches', () => {
  it('round trip, in order, across batches taken at any point', () => {
    fc.assert(fc.property(fc.array(fc.array(changeArb, { maxLength: 40 }), { maxLength: 6 }), (batches) => {
      const enc = new RouteBatchEncoder();
      const dec = new RouteBatchDecoder();
      for (const b of batches) {
        for (const c of b) enc.add(c);
        const msg = enc.take();
        expect(msg.count).toBe(b.length);
        dec.push(structuredClone(msg, { transfer: [msg.buffer] }));
      }
      const all = batches.flat();
      expect(dec.pending).toBe(all.length);
      expect(drain(dec)).toEqual(all.map((c) => ({ action: c.action, route: { ...c.route, nextHops: c.route.nextHops.map((h) => ({ ...h })) } })));
      expect(dec.pending).toBe(0);
    }));
  });

  it('a next-hop set is sent with the first batch that uses it, never again', () => {
    const enc = new RouteBatchEncoder();
    const c = (i: number, hops: NextHop[]): RouteChange => ({ action: 'add', route: { prefix: { family: 4, bytes: Uint8Array.of(10, i, 0, 0), len: 16 }, source: 'bgp', nextHops: hops } });
    for (let i = 0; i < 100; i++) enc.add(c(i, hopSets[1]));
    const first = enc.take();
    expect(first.hopSets).toEqual([[0, hopSets[1]]]);
    expect(first.length).toBe(100 * 12);
    enc.add(c(1, [{ via: '10.0.0.1', interface: 'r1-eth1' }]));
    enc.add(c(2, hopSets[2]));
    expect(enc.take().hopSets).toEqual([[1, hopSets[2]]]);
  });

  it('grows past its first buffer (100,000 IPv6 changes in one batch)', () => {
    const enc = new RouteBatchEncoder();
    const dec = new RouteBatchDecoder();
    for (let i = 0; i < 100_000; i++) {
      const bytes = new Uint8Array(16);
      bytes[0] = 0x20; bytes[1] = 0x01; bytes[12] = i >>> 16; bytes[13] = (i >>> 8) & 255; bytes[14] = i & 255;
      enc.add({ action: 'add', route: { prefix: { family: 6, bytes, len: 120 }, source: 'bgp', nextHops: hopSets[3] } });
    }
    dec.push(enc.take());
    const got = drain(dec);
    expect(got).toHaveLength(100_000);
    expect(Array.from(got[99_999].route.prefix.bytes.slice(12, 15))).toEqual([1, 134, 159]);
  });
});
