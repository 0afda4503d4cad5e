/**
 * The IPv4 and IPv6 longest-prefix-match structures against the plain
 * reference (a Map per prefix length), over random sequences of inserts,
 * re-inserts with another next hop, removes and lookups (single and batch),
 * with addresses drawn from a few clustered /16s so that prefixes overlap and
 * nest, lengths biased towards the level boundaries (0, 16, 24, 32, ...) and
 * next hops around 253/254 (the IPv4 table's fixed-index limit).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createIpv6Lpm, Ipv4Lpm } from '../../../src/fib/index.js';
import { ReferenceLpm } from './reference.js';

type Op =
  | { kind: 'insert'; words: number[]; len: number; nh: number }
  | { kind: 'remove'; words: number[]; len: number }
  | { kind: 'lookup'; words: number[] };

const hi4 = fc.constantFrom(0x0a00, 0x0a01, 0xc0a8, 0xffff, 0x0000, 0x0aff);
const lo16 = fc.oneof(fc.constantFrom(0, 0xffff, 0x0100, 0x01ff, 0x8000), fc.integer({ min: 0, max: 0xffff }));
const addr4 = fc.tuple(hi4, lo16).map(([h, l]) => [((h << 16) | l) >>> 0]);
const len4 = fc.oneof(fc.constantFrom(0, 1, 8, 15, 16, 17, 20, 23, 24, 25, 28, 31, 32), fc.integer({ min: 0, max: 32 }));

const w0v6 = fc.constantFrom(0x20010db8, 0x2a000000, 0x2a001450, 0, 0xffffffff);
const w1v6 = fc.oneof(fc.constantFrom(0, 0x00010000, 0xffff0000, 0x12345678), fc.integer({ min: 0, max: 0xffffffff }).map((x) => x >>> 0));
const w23v6 = fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x80000000), fc.integer({ min: 0, max: 0xffffffff }).map((x) => x >>> 0));
const addr6 = fc.tuple(w0v6, w1v6, w23v6, w23v6).map((t) => t.map((x) => x >>> 0));
const len6 = fc.oneof(
  fc.constantFrom(0, 3, 16, 29, 32, 33, 40, 47, 48, 56, 63, 64, 96, 120, 127, 128),
  fc.integer({ min: 0, max: 128 }),
);

function ops(addr: fc.Arbitrary<number[]>, len: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  // mostly a few small next hops (so that neighbours share values), and some
  // on both sides of 253/254, where the IPv4 table goes from next hops stored
  // as themselves to escaped value indexes
  const nh = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }) },
    { weight: 1, arbitrary: fc.constantFrom(252, 253, 254, 255, 256, 0x3fffffff) },
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), words: addr, len, nh }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), words: addr, len }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), words: addr }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 120 });
}

/** Probe addresses: first and last address of every prefix touched, plus the op addresses. */
function probes(list: Op[], words: number): number[][] {
  const out: number[][] = [];
  for (const o of list) {
    out.push(o.words);
    if (o.kind === 'lookup') continue;
    const lo = ReferenceLpm.mask(o.words, o.len);
    const hi = lo.map((w, i) => {
      const bits = o.len - i * 32;
      if (bits >= 32) return w;
      if (bits <= 0) return 0xffffffff;
      return (w | (0xffffffff >>> bits)) >>> 0;
    });
    out.push(lo, hi);
    // just outside the prefix on either side
    const below = [...lo];
    for (let i = words - 1; i >= 0; i--) { if (below[i] !== 0) { below[i] = (below[i] - 1) >>> 0; for (let j = i + 1; j < words; j++) below[j] = 0xffffffff; break; } }
    out.push(below);
  }
  return out;
}

// Both ways of the IPv4 table: /16s without a chunk left to the slow path
// (small tables) and written into the level-2 bytes (from 65,536 prefixes on;
// here from the first).
const IPV4_MODES = [['sparse', undefined], ['dense', 0]] as const;

describe.each(IPV4_MODES)('IPv4 LPM against the reference (%s)', (_mode, denseAt) => {
  it('agrees on every lookup, batch lookup and matches() after random updates', () => {
    fc.assert(
      fc.property(ops(addr4, len4), (list) => {
        const lpm = new Ipv4Lpm(denseAt);
        const ref = new ReferenceLpm(1);
        for (const o of list) {
          if (o.kind === 'insert') { lpm.insert(o.words[0], o.len, o.nh); ref.insert(o.words, o.len, o.nh); }
          else if (o.kind === 'remove') expect(lpm.remove(o.words[0], o.len)).toBe(ref.remove(o.words, o.len));
          else expect(lpm.lookup(o.words[0])).toBe(ref.lookup(o.words));
        }
        expect(lpm.size).toBe(ref.size);
        const ps = probes(list, 1);
        const addrs = Uint32Array.from(ps.map((p) => p[0]));
        const out = new Int32Array(addrs.length);
        lpm.lookupBatch(addrs, out);
        ps.forEach((p, i) => {
          const want = ref.lookup(p);
          expect(lpm.lookup(p[0])).toBe(want);
          expect(out[i]).toBe(want);
        });
        const m = lpm.matches(ps[0][0]);
        expect(m.map((x) => [x.len, x.nextHop])).toEqual(ref.matches(ps[0]).map((x) => [x.len, x.value]));
      }),
      { numRuns: 300 },
    );
  });
});

describe('IPv6 LPM against the reference', () => {
  it('agrees on every lookup, batch lookup and matches() after random updates', () => {
    fc.assert(
      fc.property(ops(addr6, len6), (list) => {
        const lpm = createIpv6Lpm();
        const ref = new ReferenceLpm(4);
        for (const o of list) {
          const [a, b, c, d] = o.words;
          if (o.kind === 'insert') { lpm.insert(a, b, c, d, o.len, o.nh); ref.insert(o.words, o.len, o.nh); }
          else if (o.kind === 'remove') expect(lpm.remove(a, b, c, d, o.len)).toBe(ref.remove(o.words, o.len));
          else expect(lpm.lookup(a, b, c, d)).toBe(ref.lookup(o.words));
        }
        expect(lpm.size).toBe(ref.size);
        const ps = probes(list, 4);
        const addrs = new Uint32Array(ps.length * 4);
        ps.forEach((p, i) => addrs.set(p, i * 4));
        const out = new Int32Array(ps.length);
        lpm.lookupBatch(addrs, out);
        ps.forEach((p, i) => {
          const want = ref.lookup(p);
          expect(lpm.lookup(p[0], p[1], p[2], p[3])).toBe(want);
          expect(out[i]).toBe(want);
        });
        const m = lpm.matches(ps[0][0], ps[0][1], ps[0][2], ps[0][3]);
        expect(m.map((x) => [x.len, x.nextHop])).toEqual(ref.matches(ps[0]).map((x) => [x.len, x.value]));
      }),
      { numRuns: 200 },
    );
  });
});

describe.each(IPV4_MODES)('IPv4 LPM (%s), dense updates inside one /16 checked after every change', (_mode, denseAt) => {
  it('agrees with the reference on every /24 of the /16 after each insert or remove', () => {
    const op = fc.record({
      remove: fc.boolean(),
      reuse: fc.nat(),
      third: fc.integer({ min: 0, max: 7 }),
      fourth: fc.constantFrom(0, 0, 0x80, 0xc0),
      len: fc.constantFrom(8, 16, 21, 22, 23, 24, 24, 25, 26),
      nh: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (list) => {
        const lpm = new Ipv4Lpm(denseAt);
        const ref = new ReferenceLpm(1);
        const inserted: Array<[number, number]> = [];
        for (const o of list) {
          if (o.remove && inserted.length > 0) {
            // mostly withdraw something that is there
            const [a, len] = inserted[o.reuse % inserted.length];
            expect(lpm.remove(a, len)).toBe(ref.remove([a], len));
          } else {
            const a = (0x0a000000 | (o.third << 8) | o.fourth) >>> 0;
            lpm.insert(a, o.len, o.nh);
            ref.insert([a], o.len, o.nh);
            inserted.push([a, o.len]);
          }
          for (let x = 0; x < 8; x++) {
            for (const y of [5, 0x85, 0xc5]) {
              const b = (0x0a000000 | (x << 8) | y) >>> 0;
              expect(lpm.lookup(b)).toBe(ref.lookup([b]));
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('IPv6 LPM, dense updates around a first-level boundary checked after every change', () => {
  it('agrees with the reference on probes on both sides after each insert or remove', () => {
    // Prefixes in and around 2001:c00::/22 (the first level indexes the top
    // 22 bits; 0x20010bff.. and 0x20011000.. are its neighbours): lengths at
    // the first-level boundary (<= 22), the range lists (23-64) and past /64.
    const op = fc.record({
      remove: fc.boolean(),
      reuse: fc.nat(),
      w0: fc.constantFrom(0x20010c00, 0x20010c00, 0x20010c08, 0x20010fff, 0x20010bff, 0x20011000),
      w1: fc.constantFrom(0, 0, 0x00010000, 0x00018000, 0x80000000, 0xffffffff),
      w3: fc.constantFrom(0, 0, 1, 0x80),
      len: fc.constantFrom(12, 19, 20, 21, 22, 23, 24, 29, 32, 33, 47, 48, 49, 63, 64, 64, 65, 96, 127, 128),
      nh: fc.integer({ min: 0, max: 2 }),
    });
    const probesW1 = [0, 5, 0x00010000, 0x00017fff, 0x00018005, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 50 }), (list) => {
        const lpm = createIpv6Lpm();
        const ref = new ReferenceLpm(4);
        const inserted: number[][] = [];
        for (const o of list) {
          if (o.remove && inserted.length > 0) {
            const [a, b, c, d, len] = inserted[o.reuse % inserted.length];
            expect(lpm.remove(a, b, c, d, len)).toBe(ref.remove([a, b, c, d], len));
          } else {
            const w = [o.w0 >>> 0, o.w1 >>> 0, 0, o.w3];
            lpm.insert(w[0], w[1], w[2], w[3], o.len, o.nh);
            ref.insert(w, o.len, o.nh);
            inserted.push([...w, o.len]);
          }
          for (const w0 of [0x20010bff, 0x20010c00, 0x20010c08, 0x20010e00, 0x20010fff, 0x20011000]) {
            for (const w1 of probesW1) {
              for (const w3 of [0, 1, 0x80, 0x81]) {
                const p = [w0 >>> 0, w1 >>> 0, 0, w3];
                expect(lpm.lookup(p[0], p[1], p[2], p[3])).toBe(ref.lookup(p));
              }
            }
          }
        }
        expect(lpm.size).toBe(ref.size);
      }),
      { numRuns: 150 },
    );
  });
});
