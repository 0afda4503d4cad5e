/**
 * Prefix ranges of policy terms against a plain oracle: a prefix is in
 * "P ge A le B" exactly when P covers it (src/lib/prefix.ts prefixCovers)
 * and its length lies in A..B.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskBytes, prefixCovers, formatPrefix, type IpPrefix } from '../../../src/lib/prefix.js';
import { parsePrefixRange, prefixInRange } from '../../../src/bgp/policy.js';

const arbPrefix = (family: 4 | 6): fc.Arbitrary<IpPrefix> => {
  const n = family === 4 ? 4 : 16;
  const max = family === 4 ? 32 : 128;
  return fc.tuple(fc.uint8Array({ minLength: n, maxLength: n }), fc.integer({ min: 0, max })).map(([b, len]) => ({ family, bytes: maskBytes(b, len), len }));
};

/** A prefix inside `net` (its bits, then random ones), or an unrelated one. */
function candidate(net: IpPrefix, random: Uint8Array, len: number, inside: boolean): IpPrefix {
  if (!inside) return { family: net.family, bytes: maskBytes(random, len), len };
  const l = Math.max(net.len, len);
  const netMask = maskBytes(new Uint8Array(random.length).fill(0xff), net.len);
  const bytes = Uint8Array.from(random, (b, i) => (net.bytes[i] & netMask[i]) | (b & ~netMask[i]));
  return { family: net.family, bytes: maskBytes(bytes, l), len: l };
}

describe('policy prefix ranges vs oracle', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: prefixInRange equals covers-and-length-in-range`, () => {
      const n = family === 4 ? 4 : 16;
      const max = family === 4 ? 32 : 128;
      let hits = 0;
      fc.assert(fc.property(
        arbPrefix(family), fc.uint8Array({ minLength: n, maxLength: n }), fc.integer({ min: 0, max }), fc.boolean(),
        fc.integer({ min: 0, max }), fc.integer({ min: 0, max }),
        (net, random, len, inside, x, y) => {
          const ge = Math.max(net.len, Math.min(x, y));
          const le = Math.max(ge, Math.max(x, y));
          const text = `${formatPrefix(net)} ge ${ge} le ${le}`;
          const r = parsePrefixRange(text);
          expect(r.ok, text).toBe(true);
          if (!r.ok) return;
          const p = candidate(net, random, len, inside);
          const want = prefixCovers(net, p) && p.len >= ge && p.len <= le;
          if (want) hits++;
          expect(prefixInRange(p, r.value), `${formatPrefix(p)} in ${text}`).toBe(want);
        }), { numRuns: 1000 });
      // The generator must exercise both outcomes.
      expect(hits).toBeGreaterThan(50);
    });
  }
});
