/**
 * "No out-of-bounds read" (robustness.md row 8; FRR CVE-2022-40302/40318/
 * 43681 were over-reads): in JavaScript a read past a Uint8Array yields
 * undefined, which arithmetic silently turns into 0, so a decoder could
 * "read" bytes that were never received without crashing. Here every input
 * is wrapped in a proxy that throws on any index at or past its length —
 * including views made with subarray — and mutated messages are decoded.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/bgp/wire/message.js';
import { corpus, mutate, rng } from '../../../bench/bgp-fuzz.js';

class OutOfBounds extends Error {}

function strict(b: Uint8Array): Uint8Array {
  return new Proxy(b, {
    get(t, k) {
      if (typeof k === 'string' && /^\d+$/.test(k)) {
        const i = Number(k);
        if (i >= t.length) throw new OutOfBounds(`read of byte ${i} of ${t.length}`);
        return t[i];
      }
      if (k === 'subarray') return (s?: number, e?: number) => strict(t.subarray(s, e));
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

describe('bounds', () => {
  it('the strict wrapper does catch an over-read', () => {
    const b = strict(Uint8Array.of(1, 2, 3));
    expect(b[2]).toBe(3);
    expect(() => b[3]).toThrow(OutOfBounds);
    expect(() => b.subarray(1, 2)[1]).toThrow(OutOfBounds);
  });

  it('decoding 5,000 mutated messages never reads past the bytes received', () => {
    const seeds = corpus();
    const r = rng(99);
    for (let i = 0; i < 5000; i++) {
      const m = mutate(seeds, r);
      expect(() => decodeMessage(strict(m), { fourOctetAs: (i & 1) === 0 })).not.toThrow();
    }
    for (const s of seeds) {
      for (let n = 0; n <= s.length; n += s.length > 200 ? 13 : 1) {
        const cut = s.slice(0, n);
        if (n >= 18) { cut[16] = n >> 8; cut[17] = n & 0xff; }
        expect(() => decodeMessage(strict(cut), { fourOctetAs: true })).not.toThrow();
      }
    }
  });
});
