/**
 * thread-fib.ts against the router's FibRouteLookup (over src/fib/fib.ts)
 * as the oracle: after any sequence of adds, replaces and removes in both
 * families, fed through route-batch.ts as the worker is fed, every lookup
 * gives the same next hops and traces the same matched prefix.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThreadFib } from '../../../src/dataplane/thread-fib.js';
import { RouteBatchDecoder, RouteBatchEncoder, type RawRouteChange } from '../../../src/dataplane/route-batch.js';
import { FibRouteLookup } from '../../../src/router/fib-lookup.js';
import { ipv6ToWords, parseAddress, parsePrefix } from '../../../src/lib/prefix.js';
import type { NextHop, RouteChange } from '../../../src/router/route-table.js';

const SETS: NextHop[][] = [
  [{ interface: 'eth0' }],
  [{ via: '10.0.1.2', interface: 'eth0' }],
  [{ via: '10.0.1.2', interface: 'eth0' }, { via: '10.0.2.2', interface: 'eth1' }],
  [{ via: '2001:db8:1::2', interface: 'eth0' }],
];
const V4 = ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25', '10.1.2.200/32', '10.200.0.0/16', '192.0.2.0/24'];
const V6 = ['::/0', '2001:db8::/32', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:1:2::1/128', '2001:db8:ff00::/40'];
const ADDR4 = ['10.1.2.200', '10.1.2.129', '10.1.2.7', '10.1.9.9', '10.9.9.9', '10.200.1.1', '192.0.2.1', '8.8.8.8'];
const ADDR6 = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:3::1', '2001:db8:2::1', '2001:db8:ff01::1', '2001:dead::1'];

const prefix = (t: string) => {
  const p = parsePrefix(t);
  if (!p.ok) throw new Error(p.error);
  return p.value;
};
const num4 = (t: string) => {
  const a = parseAddress(t);
  if (!a.ok) throw new Error(a.error);
  const b = a.value.bytes;
  return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
};

/** Next hops in a canonical order: a group's member order is each structure's own (ECMP hashes over it). */
const hopsOf = (r: { nextHops: readonly { interface: string; gateway?: Uint8Array }[] } | undefined) =>
  r?.nextHops.map((h) => `${h.interface}>${h.gateway ? Array.from(h.gateway).join('.') : ''}`).sort();

const opArb = fc.record({
  remove: fc.boolean(),
  six: fc.boolean(),
  p: fc.nat(100),
  set: fc.nat(SETS.length - 1),
});

describe('ThreadFib', () => {
  it('answers as FibRouteLookup after any sequence of changes, both families', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(5), (ops, every) => {
      const oracle = new FibRouteLookup(['eth0', 'eth1']);
      const fib = new ThreadFib();
      const enc = new RouteBatchEncoder();
      const dec = new RouteBatchDecoder();
      const raw: RawRouteChange = { remove: false, family: 4, len: 0, hopSet: 0, w0: 0, w1: 0, w2: 0, w3: 0 };
      const present = new Set<string>();
      const deliver = () => {
        const m = enc.take();
        for (const [id, hops] of m.hopSets) fib.defineHopSet(id, hops);
        dec.push(m);
        while (dec.read(raw)) fib.apply(raw);
        fib.flush();
      };
      ops.forEach((op, i) => {
        const text = op.six ? V6[op.p % V6.length] : V4[op.p % V4.length];
        // Connected sets only for either family; gateways of the prefix's own family.
        const set = op.six ? SETS[op.set % 2 === 0 ? 0 : 3] : SETS[op.set === 3 ? 1 : op.set];
        const action: RouteChange['action'] = op.remove ? 'remove' : present.has(text) ? 'replace' : 'add';
        if (op.remove && !present.has(text)) return; // the routing table never removes what it did not install
        if (op.remove) present.delete(text);
        else present.add(text);
        const change: RouteChange = { action, route: { prefix: prefix(text), source: 'bgp', nextHops: set } };
        oracle.apply(change);
        enc.add(change);
        if (i % (every + 1) === 0) deliver();
      });
      deliver();
      for (const a of ADDR4) {
        const want = oracle.lookup4(num4(a));
        const got = fib.lookup4(num4(a));
        expect(hopsOf(got), a).toEqual(hopsOf(want));
        if (want) expect(got!.prefixText).toBe(want.prefixText);
      }
      for (const a of ADDR6) {
        const b = parseAddress(a);
        if (!b.ok) throw new Error(b.error);
        const [w0, w1, w2, w3] = ipv6ToWords(b.value.bytes).map((w) => w | 0);
        const want = oracle.lookup6(w0, w1, w2, w3);
        const got = fib.lookup6(w0, w1, w2, w3);
        expect(hopsOf(got), a).toEqual(hopsOf(want));
        if (want) expect(got!.prefixText).toBe(want.prefixText);
      }
    }), { numRuns: 100 });
  });

  it('an add naming a next-hop set never defined is a RangeError', () => {
    const fib = new ThreadFib();
    expect(() => fib.apply({ remove: false, family: 4, len: 8, hopSet: 7, w0: 0x0a000000, w1: 0, w2: 0, w3: 0 })).toThrow(RangeError);
  });
});
