/**
 * Targeted cases for the LPM structures (edges of the address space, level
 * boundaries, argument checks) and one larger seeded workload: a bulk load,
 * then single updates each followed by lookups, checked against the reference.
 */
import { describe, expect, it } from 'vitest';
import { createIpv4Lpm, createIpv6Lpm } from '../../../src/fib/index.js';
import { ReferenceLpm } from '../../property/fib/reference.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

describe('IPv4 LPM edges', () => {
  it('default route, host routes at 0.0.0.0 and 255.255.255.255, and /16 and /24 boundaries', () => {
    const l = createIpv4Lpm();
    expect(l.lookup(0)).toBe(-1);
    l.insert(0, 0, 1);
    l.insert(0xffffffff, 32, 2);
    l.insert(0, 32, 3);
    l.insert(0x0a000000, 16, 4);
    l.insert(0x0a000100, 24, 5);
    l.insert(0x0a000180, 25, 6);
    expect([l.lookup(0), l.lookup(1), l.lookup(0xffffffff), l.lookup(0xfffffffe)]).toEqual([3, 1, 2, 1]);
    expect([l.lookup(0x0a0000ff), l.lookup(0x0a000100), l.lookup(0x0a00017f), l.lookup(0x0a000180), l.lookup(0x0a0001ff), l.lookup(0x0a000200), l.lookup(0x0a010000)])
      .toEqual([4, 5, 5, 6, 6, 4, 1]);
    expect(l.remove(0x0a000100, 24)).toBe(true);
    expect([l.lookup(0x0a000100), l.lookup(0x0a000180)]).toEqual([4, 6]);
    expect(l.remove(0, 0)).toBe(true);
    expect([l.lookup(1), l.lookup(0x0a000100)]).toEqual([-1, 4]);
    expect(l.matches(0x0a000181).map((m) => [m.addr >>> 0, m.len, m.nextHop])).toEqual([[0x0a000000, 16, 4], [0x0a000180, 25, 6]]);
  });

  it('ignores host bits, reports unknown removes, and rejects bad lengths and next hops', () => {
    const l = createIpv4Lpm();
    l.insert(0x0a0102ff, 8, 7);
    expect(l.get(0x0a000000, 8)).toBe(7);
    expect(l.lookup(0x0affffff)).toBe(7);
    expect(l.remove(0x0b000000, 8)).toBe(false);
    expect(l.remove(0x0a000000, 33)).toBe(false);
    expect(() => l.insert(0, 33, 1)).toThrow(RangeError);
    expect(() => l.insert(0, 8, -1)).toThrow(RangeError);
    expect(() => l.insert(0, 8, 2 ** 30)).toThrow(RangeError);
    expect(l.size).toBe(1);
  });

  it('a batch lookup with fewer out slots than addresses fills only what fits', () => {
    const l = createIpv4Lpm();
    l.insert(0x0a000000, 8, 1);
    const out = new Int32Array(2).fill(9);
    l.lookupBatch(Uint32Array.of(0x0a000001, 0x0b000001, 0x0a000002), out);
    expect(Array.from(out)).toEqual([1, -1]);
  });

  it('stays equal to the reference through a bulk load and 3000 single updates', () => {
    const r = rng(42);
    const l = createIpv4Lpm();
    const ref = new ReferenceLpm(1);
    const his = [0x0a00, 0x0a01, 0xc0a8, 0x6440];
    const lens = [8, 12, 15, 16, 17, 19, 20, 22, 23, 24, 24, 24, 25, 28, 32];
    const pick = (): [number, number] => {
      const a = ((his[r() % his.length] << 16) | (r() & 0xffff)) >>> 0;
      return [a, lens[r() % lens.length]];
    };
    const prefixes: Array<[number, number]> = [];
    for (let i = 0; i < 6000; i++) {
      const [a, len] = pick();
      l.insert(a, len, r() % 50);
      prefixes.push([a, len]);
    }
    prefixes.forEach(([a, len]) => ref.insert([a], len, l.get(a, len)));
    const check = (a: number): void => expect(l.lookup(a)).toBe(ref.lookup([a]));
    for (let i = 0; i < 3000; i++) {
      const a = ((his[r() % his.length] << 16) | (r() & 0xffff)) >>> 0;
      check(a);
    }
    for (let i = 0; i < 3000; i++) {
      const [a, len] = i % 3 === 0 ? pick() : prefixes[r() % prefixes.length];
      if (r() % 2 === 0) {
        expect(l.remove(a, len)).toBe(ref.remove([a], len));
      } else {
        const nh = r() % 50;
        l.insert(a, len, nh);
        ref.insert([a], len, nh);
      }
      check(a);
      check((a | 0xff) >>> 0);
      check(((his[r() % his.length] << 16) | (r() & 0xffff)) >>> 0);
    }
    expect(l.size).toBe(ref.size);
  });
});

describe('IPv4 batch lookups', () => {
  it('send each address that the level-2 byte cannot answer to the full lookup, at every position of a batch', () => {
    const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const l = createIpv4Lpm();
    l.insert(ip(10, 1, 0, 0), 24, 5); // a /16 with a chunk: its bytes answer
    l.insert(ip(20, 0, 0, 0), 8, 7); // /16s without a chunk: byte 0
    l.insert(ip(10, 1, 1, 128), 25, 9); // a level-3 /24: byte 255
    l.insert(ip(10, 1, 2, 0), 24, 300); // a next hop past the byte: byte 255
    l.insert(ip(10, 1, 3, 0), 24, 253); // the first next hop that does not fit the byte
    l.insert(ip(10, 1, 4, 0), 24, 252); // the last one that does
    const kinds: [number, number][] = [[ip(20, 5, 6, 7), 7], [ip(10, 1, 1, 129), 9], [ip(10, 1, 2, 1), 300], [ip(10, 1, 3, 1), 253], [ip(10, 1, 4, 1), 252], [ip(30, 0, 0, 1), -1]];
    for (const n of [1, 7, 8, 9, 17]) {
      for (let p = 0; p < n; p++) {
        for (const [addr, want] of kinds) {
          const addrs = new Uint32Array(n).fill(ip(10, 1, 0, 1));
          addrs[p] = addr;
          const out = new Int32Array(n);
          l.lookupBatch(addrs, out);
          const expected = Array.from({ length: n }, (_, i) => (i === p ? want : 5));
          expect(Array.from(out)).toEqual(expected);
        }
      }
    }
  });
});

describe('IPv4 LPM with more next hops than fit a level-2 byte', () => {
  it('a /16 whose escaped entries (next hop >= 254, a level-3 /24) all go is reused by another /16 with nothing stale showing', () => {
    const l = createIpv4Lpm();
    const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const both = (a: number): number => {
      const out = new Int32Array(1);
      l.lookupBatch(Uint32Array.of(a), out);
      expect(out[0]).toBe(l.lookup(a));
      return out[0];
    };
    l.insert(ip(192, 168, 0, 0), 16, 1); // keeps the table from emptying (an empty table starts afresh)
    l.insert(ip(10, 1, 5, 0), 24, 500);
    l.insert(ip(10, 1, 6, 128), 25, 7);
    l.insert(ip(10, 1, 6, 0), 24, 9);
    expect([both(ip(10, 1, 5, 1)), both(ip(10, 1, 6, 129)), both(ip(10, 1, 6, 1)), both(ip(10, 1, 7, 1))]).toEqual([500, 7, 9, -1]);
    l.remove(ip(10, 1, 5, 0), 24);
    l.remove(ip(10, 1, 6, 128), 25);
    l.remove(ip(10, 1, 6, 0), 24);
    expect([both(ip(10, 1, 5, 1)), both(ip(10, 1, 6, 129))]).toEqual([-1, -1]);
    l.insert(ip(10, 2, 3, 0), 24, 5);
    expect([both(ip(10, 2, 3, 1)), both(ip(10, 2, 5, 1)), both(ip(10, 2, 6, 129))]).toEqual([5, -1, -1]);
    l.insert(ip(10, 2, 9, 0), 24, 600);
    expect([both(ip(10, 2, 9, 1)), both(ip(10, 2, 5, 1))]).toEqual([600, -1]);
    // Another /16 with an escaped entry at the same position: each keeps its own.
    l.insert(ip(10, 3, 9, 0), 24, 900);
    expect([both(ip(10, 2, 9, 1)), both(ip(10, 3, 9, 1))]).toEqual([600, 900]);
    l.insert(ip(10, 2, 9, 0), 24, 3);
    expect(both(ip(10, 2, 9, 1))).toBe(3);
    l.insert(ip(10, 2, 9, 0), 24, 700);
    l.insert(ip(10, 2, 0, 0), 16, 800);
    expect([both(ip(10, 2, 9, 1)), both(ip(10, 2, 5, 1)), both(ip(10, 2, 3, 1))]).toEqual([700, 800, 5]);
  });

  it('stays equal to the reference with 1000 distinct next hops, bulk-loaded and then updated', () => {
    const r = rng(7);
    const l = createIpv4Lpm();
    const ref = new ReferenceLpm(1);
    const his = [0x0a00, 0x0a01, 0xc0a8];
    const lens = [8, 16, 17, 20, 23, 24, 24, 24, 26, 32];
    const pick = (): [number, number] => [((his[r() % his.length] << 16) | (r() & 0xffff)) >>> 0, lens[r() % lens.length]];
    const prefixes: Array<[number, number]> = [];
    for (let i = 0; i < 4000; i++) {
      const [a, len] = pick();
      const nh = 100_000 + (r() % 1000);
      l.insert(a, len, nh);
      ref.insert([a], len, nh);
      prefixes.push([a, len]);
    }
    const check = (a: number): void => expect(l.lookup(a)).toBe(ref.lookup([a]));
    const sweep = (): void => {
      const addrs = new Uint32Array(2048);
      for (let i = 0; i < addrs.length; i++) addrs[i] = ((his[r() % his.length] << 16) | (r() & 0xffff)) >>> 0;
      const out = new Int32Array(addrs.length);
      l.lookupBatch(addrs, out);
      addrs.forEach((a, i) => { expect(out[i]).toBe(ref.lookup([a])); check(a); });
    };
    sweep();
    for (let i = 0; i < 3000; i++) {
      const [a, len] = i % 3 === 0 ? pick() : prefixes[r() % prefixes.length];
      if (r() % 2 === 0) expect(l.remove(a, len)).toBe(ref.remove([a], len));
      else {
        const nh = 100_000 + (r() % 1000);
        l.insert(a, len, nh);
        ref.insert([a], len, nh);
        prefixes.push([a, len]);
      }
      check(a);
      check((a | 0xff) >>> 0);
    }
    sweep();
    // Withdraw everything: the table is empty again and a new bulk load works.
    for (const [a, len] of prefixes) { l.remove(a, len); ref.remove([a], len); }
    expect(l.size).toBe(0);
    expect(l.lookup(0x0a000001)).toBe(-1);
    l.insert(0x0a000000, 24, 123_456);
    expect(l.lookup(0x0a0000ff)).toBe(123_456);
    expect(l.size).toBe(1);
  });
});

describe('IPv6 LPM edges', () => {
  it('::/0, ::/128, the all-ones /128 and nested /32 /48 /64 prefixes', () => {
    const l = createIpv6Lpm();
    l.insert(0, 0, 0, 0, 0, 1);
    l.insert(0, 0, 0, 0, 128, 2);
    l.insert(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 128, 3);
    l.insert(0x20010db8, 0, 0, 0, 32, 4);
    l.insert(0x20010db8, 0x00010000, 0, 0, 48, 5);
    l.insert(0x20010db8, 0x00010001, 0, 0, 64, 6);
    expect(l.lookup(0, 0, 0, 0)).toBe(2);
    expect(l.lookup(0, 0, 0, 1)).toBe(1);
    expect(l.lookup(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toBe(3);
    expect(l.lookup(0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe)).toBe(1);
    expect(l.lookup(0x20010db8, 0x00010001, 5, 5)).toBe(6);
    expect(l.lookup(0x20010db8, 0x00010002, 5, 5)).toBe(5);
    expect(l.lookup(0x20010db8, 0x00020000, 0, 0)).toBe(4);
    expect(l.remove(0x20010db8, 0x00010000, 0, 0, 48)).toBe(true);
    expect(l.lookup(0x20010db8, 0x00010002, 5, 5)).toBe(4);
    expect(l.lookup(0x20010db8, 0x00010001, 5, 5)).toBe(6);
    expect(l.matches(0x20010db8, 0x00010001, 0, 0).map((m) => m.len)).toEqual([0, 32, 64]);
    const out = new Int32Array(2);
    l.lookupBatch(Uint32Array.of(0x20010db8, 0x00010001, 0, 0, 0x30000000, 0, 0, 0), out);
    expect(Array.from(out)).toEqual([6, 1]);
  });

  it('prefixes longer than /64 next to /64 and /48 ones, a /20 emptied and refilled, and a /12 under it', () => {
    const l = createIpv6Lpm();
    l.insert(0x2a000000, 0, 0, 0, 12, 1);
    l.insert(0x2a001450, 0x00010000, 0, 0, 48, 2);
    l.insert(0x2a001450, 0x00010001, 0, 0, 64, 3);
    l.insert(0x2a001450, 0x00010001, 0xabcd0000, 0, 96, 4);
    l.insert(0x2a001450, 0x00010001, 0xabcd0000, 7, 128, 5);
    l.insert(0x2a001450, 0x00010002, 0x11110000, 0, 80, 6);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 7)).toBe(5);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 8)).toBe(4);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabce0000, 8)).toBe(3);
    expect(l.lookup(0x2a001450, 0x00010002, 0x11110000, 9)).toBe(6);
    expect(l.lookup(0x2a001450, 0x00010002, 0x11120000, 9)).toBe(2);
    expect(l.lookup(0x2a001450, 0x00020000, 0, 0)).toBe(1);
    expect(l.lookup(0x2a0f0000, 0, 0, 0)).toBe(1);
    expect(l.lookup(0x2a100000, 0, 0, 0)).toBe(-1);
    // the /12 changes under existing range lists; the long ones keep their place
    l.insert(0x2a000000, 0, 0, 0, 12, 9);
    expect(l.lookup(0x2a001450, 0x00020000, 0, 0)).toBe(9);
    expect(l.remove(0x2a001450, 0x00010001, 0, 0, 64)).toBe(true);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabce0000, 8)).toBe(2);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 8)).toBe(4);
    expect(l.remove(0x2a001450, 0x00010001, 0xabcd0000, 0, 96)).toBe(true);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 8)).toBe(2);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 7)).toBe(5);
    for (const [w2, w3, len] of [[0xabcd0000, 7, 128], [0x11110000, 0, 80]] as const) {
      expect(l.remove(0x2a001450, w2 === 0x11110000 ? 0x00010002 : 0x00010001, w2, w3, len)).toBe(true);
    }
    expect(l.remove(0x2a001450, 0x00010000, 0, 0, 48)).toBe(true);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 7)).toBe(9);
    expect(l.remove(0x2a000000, 0, 0, 0, 12)).toBe(true);
    expect(l.lookup(0x2a001450, 0x00010001, 0xabcd0000, 7)).toBe(-1);
    expect(l.size).toBe(0);
    l.insert(0x2a001450, 0x00010000, 0, 0, 48, 2);
    expect(l.lookup(0x2a001450, 0x0001ffff, 1, 1)).toBe(2);
    expect(l.get(0x2a001450, 0x0001ffff, 1, 1, 48)).toBe(2);
  });
});
