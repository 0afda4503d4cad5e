// Checksum properties against a naive reference, and IPv4 fragmentation +
// reassembly round trips for any payload and any MTU >= 68, DF included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fold, internetChecksum, sum16, updateChecksum16, updateChecksum32 } from '../../../src/lib/checksum.js';
import { FragmentError, Ipv4Flag, Ipv4Reassembler, IPV4_MIN_MTU, emitIpv4, fragmentIpv4, ipv4CopiedOptions, parseIpv4 } from '../../../src/packet/ipv4.js';
import { ipv4Header } from './arbitraries.js';

/** RFC 1071 done the slow way: fold after every addition. */
function referenceChecksum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) {
    s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return ~s & 0xffff;
}

describe('checksum', () => {
  it('matches the fold-every-step reference on any range', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), (b, x, y) => {
      const a = b.length ? x % (b.length + 1) : 0, c = b.length ? y % (b.length + 1) : 0;
      const [s, e] = a <= c ? [a, c] : [c, a];
      expect(internetChecksum(b, s, e)).toBe(referenceChecksum(b, s, e));
    }), { numRuns: 500 });
  });

  it('fold keeps the value modulo 0xffff and lands in 1..0xffff for any non-zero sum', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (x) => {
      const f = fold(x);
      expect(f).toBeGreaterThanOrEqual(1);
      expect(f).toBeLessThanOrEqual(0xffff);
      expect(f % 0xffff).toBe(x % 0xffff);
    }), { numRuns: 500 });
    expect(fold(0)).toBe(0);
  });

  it('RFC 1624 incremental update of any 16-bit header word equals full recomputation', () => {
    fc.assert(fc.property(ipv4Header, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0xffff }), (h, word, value) => {
      const pkt = emitIpv4(h);
      const hlen = (pkt[0] & 15) * 4;
      const at = word === 5 ? 0 : word * 2; // never the checksum word itself (offset 10)
      if (at === 0) value = 0x4000 | ((hlen / 4) << 8) | (value & 0xff); // keep version 4 and IHL
      const oldWord = (pkt[at] << 8) | pkt[at + 1];
      const oldSum = (pkt[10] << 8) | pkt[11];
      pkt[at] = value >>> 8; pkt[at + 1] = value & 0xff;
      const patched = updateChecksum16(oldSum, oldWord, value);
      pkt[10] = 0; pkt[11] = 0;
      expect(patched).toBe(internetChecksum(pkt, 0, hlen));
    }), { numRuns: 500 });
  });

  it('RFC 1624 update of a 32-bit address equals full recomputation', () => {
    fc.assert(fc.property(ipv4Header, fc.integer({ min: 0, max: 0xffffffff }), (h, addr) => {
      const pkt = emitIpv4(h);
      const hlen = (pkt[0] & 15) * 4;
      const old = ((pkt[16] << 24) | (pkt[17] << 16) | (pkt[18] << 8) | pkt[19]) >>> 0;
      const oldSum = (pkt[10] << 8) | pkt[11];
      pkt.set([addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255], 16);
      const patched = updateChecksum32(oldSum, old, addr);
      pkt[10] = 0; pkt[11] = 0;
      expect(patched).toBe(internetChecksum(pkt, 0, hlen));
    }), { numRuns: 300 });
  });

  it('sums chain across even splits', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), fc.nat(), (b, k) => {
      const split = (k % (b.length + 1)) & ~1;
      expect(fold(sum16(b, split, b.length, sum16(b, 0, split)))).toBe(fold(sum16(b)));
    }), { numRuns: 300 });
  });
});

// Options a datagram may carry: NOP, record route (not copied), stream id (copied, type 0x88).
const optionPiece = fc.oneof(
  fc.constant([1]),
  fc.constant([7, 7, 4, 0, 0, 0, 0]),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => [0x88, 4, a, b]),
);
const options = fc.array(optionPiece, { maxLength: 6 }).map((pieces) => {
  const flat = pieces.flat().slice(0, 40);
  const out = new Uint8Array(Math.min(40, (flat.length + 3) & ~3));
  out.set(flat.slice(0, out.length));
  return out;
});

const datagramWith = (minPayload: number) => fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  df: fc.boolean(),
  options,
  payload: fc.uint8Array({ minLength: minPayload, maxLength: 4000 }),
  ttl: fc.integer({ min: 1, max: 255 }),
}).map(({ id, df, options: opts, payload, ttl }) => emitIpv4({
  dscp: 0, ecn: 0, identification: id, flags: df ? Ipv4Flag.DF : 0, fragmentOffset: 0, ttl, protocol: 17,
  src: Uint8Array.of(10, 0, 1, 1), dst: Uint8Array.of(10, 0, 2, 1), options: opts,
}, payload));
const datagram = datagramWith(0);

/** A deterministic shuffle driven by generated keys. */
function shuffle<T>(xs: T[], keys: number[]): T[] {
  return xs.map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((e) => e.x);
}

describe('IPv4 fragmentation and reassembly', () => {
  const mtu = fc.integer({ min: IPV4_MIN_MTU, max: 1600 });
  const keys = fc.array(fc.integer(), { minLength: 1, maxLength: 80 });

  it('fragments fit the MTU on 8-byte boundaries and reassemble, in any order, to the original', () => {
    fc.assert(fc.property(datagram, mtu, keys, (pkt, m, k) => {
      const df = (pkt[6] & 0x40) !== 0;
      const f = fragmentIpv4(pkt, m);
      if (df && pkt.length > m) {
        expect(f.ok ? null : f.error.code).toBe(FragmentError.DONT_FRAGMENT);
        return;
      }
      if (!f.ok) throw new Error(f.error.message);
      const orig = parseIpv4(pkt);
      if (!orig.ok) throw new Error('generated datagram invalid');
      const copied = ipv4CopiedOptions(orig.value.header.options);
      f.value.forEach((frag, i) => {
        expect(frag.length).toBeLessThanOrEqual(m);
        const p = parseIpv4(frag);
        if (!p.ok) throw new Error(p.error.message);
        const last = i === f.value.length - 1;
        if (!last) expect(p.value.payload.length % 8).toBe(0);
        expect((p.value.header.flags & Ipv4Flag.MF) !== 0).toBe(!last);
        expect(p.value.header.options).toEqual(i === 0 ? orig.value.header.options : copied);
      });
      const r = new Ipv4Reassembler();
      const outcomes = shuffle(f.value, k).map((frag) => r.push(frag, 0));
      const done = outcomes.filter((o) => o.kind === 'complete');
      expect(done.length).toBe(1);
      expect(done[0].kind === 'complete' && done[0].packet).toEqual(pkt);
      expect(r.size).toBe(0);
    }), { numRuns: 300 });
  });

  it('fragments of fragments reassemble to the original', () => {
    fc.assert(fc.property(datagram, mtu, mtu, keys, (pkt, m1, m2, k) => {
      const hdr = parseIpv4(pkt);
      if (!hdr.ok) throw new Error('generated datagram invalid');
      const fixed = emitIpv4({ ...hdr.value.header, flags: 0 }, hdr.value.payload);
      const first = fragmentIpv4(fixed, Math.max(m1, m2));
      if (!first.ok) throw new Error(first.error.message);
      const pieces: Uint8Array[] = [];
      for (const f of first.value) {
        const again = fragmentIpv4(f, Math.min(m1, m2));
        if (!again.ok) throw new Error(again.error.message);
        pieces.push(...again.value);
      }
      const r = new Ipv4Reassembler();
      const done = shuffle(pieces, k).map((p) => r.push(p, 0)).filter((o) => o.kind === 'complete');
      expect(done.length).toBe(1);
      expect(done[0].kind === 'complete' && done[0].packet).toEqual(fixed);
    }), { numRuns: 200 });
  });

  it('a missing fragment never completes and expires at its deadline', () => {
    fc.assert(fc.property(datagramWith(600), fc.integer({ min: IPV4_MIN_MTU, max: 600 }), fc.nat(), (pkt, m, drop) => {
      const hdr = parseIpv4(pkt);
      if (!hdr.ok) throw new Error('generated datagram invalid');
      const fixed = emitIpv4({ ...hdr.value.header, flags: 0 }, hdr.value.payload);
      const f = fragmentIpv4(fixed, m);
      if (!f.ok) throw new Error(f.error.message);
      fc.pre(f.value.length > 1);
      const skip = drop % f.value.length;
      const r = new Ipv4Reassembler({ timeoutMs: 5000 });
      f.value.forEach((frag, i) => {
        if (i !== skip) expect(r.push(frag, 100).kind).toBe('pending');
      });
      expect(r.expire(5099)).toEqual([]);
      const gone = r.expire(5100);
      expect(gone.length).toBe(1);
      expect(gone[0].firstFragment !== undefined).toBe(skip !== 0);
      expect(r.size).toBe(0);
    }), { numRuns: 200 });
  });
});
