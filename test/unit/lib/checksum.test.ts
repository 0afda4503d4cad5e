import { describe, expect, it } from 'vitest';
import {
  fold, internetChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, sum16, updateChecksum16, updateChecksum32,
} from '../../../src/lib/checksum.js';

describe('Internet checksum (RFC 1071)', () => {
  // RFC 1071 §3 numerical example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2
  // (carries folded), so the checksum is its complement, 220d.
  const example = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);

  it('folds the RFC 1071 example to 0xddf2 and complements it', () => {
    expect(fold(sum16(example))).toBe(0xddf2);
    expect(internetChecksum(example)).toBe(0x220d);
  });

  it('verifies to zero once the checksum is appended', () => {
    const withSum = Uint8Array.of(...example, 0x22, 0x0d);
    expect(internetChecksum(withSum)).toBe(0);
  });

  it('pads an odd range with a zero byte', () => {
    expect(fold(sum16(Uint8Array.of(0x12, 0x34, 0x56)))).toBe(0x1234 + 0x5600);
  });

  it('sums sub-ranges and chains even-length pieces', () => {
    const b = Uint8Array.from({ length: 101 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(fold(sum16(b, 10, 60))).toBe(fold(sum16(b.subarray(10, 60))));
    expect(fold(sum16(b, 40, 101, sum16(b, 0, 40)))).toBe(fold(sum16(b)));
  });

  it('verifies a real IPv4 header (tcpdump capture, test/unit/packet/vectors.ts: icmpEchoRequest)', () => {
    // 45 00 00 2c 11 58 40 00 40 01 13 77 0a 00 01 01 0a 00 01 02
    const h = Uint8Array.of(0x45, 0, 0, 0x2c, 0x11, 0x58, 0x40, 0, 0x40, 1, 0x13, 0x77, 10, 0, 1, 1, 10, 0, 1, 2);
    expect(internetChecksum(h)).toBe(0);
    h[10] = 0; h[11] = 0;
    expect(internetChecksum(h)).toBe(0x1377);
  });
});

describe('incremental update (RFC 1624)', () => {
  it('reproduces the RFC 1624 §4 example: m 0x5555 → 0x3285 with HC 0xdd2f gives 0x0000', () => {
    expect(updateChecksum16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('patches a TTL decrement like a full recomputation', () => {
    const h = Uint8Array.of(0x45, 0, 0, 0x2c, 0x11, 0x58, 0x40, 0, 0x40, 1, 0x13, 0x77, 10, 0, 1, 1, 10, 0, 1, 2);
    const old = (h[8] << 8) | h[9];
    h[8] -= 1;
    const patched = updateChecksum16(0x1377, old, (h[8] << 8) | h[9]);
    h[10] = 0; h[11] = 0;
    expect(patched).toBe(internetChecksum(h));
  });

  it('patches a 32-bit address change', () => {
    const h = Uint8Array.of(0x45, 0, 0, 0x2c, 0x11, 0x58, 0x40, 0, 0x40, 1, 0, 0, 10, 0, 1, 1, 10, 0, 1, 2);
    const before = internetChecksum(h);
    h.set([192, 0, 2, 53], 16);
    const after = internetChecksum(h);
    expect(updateChecksum32(before, 0x0a000102, 0xc0000235)).toBe(after);
  });
});

describe('pseudo-headers', () => {
  it('IPv4: addresses, protocol and length as 16-bit words', () => {
    const src = Uint8Array.of(10, 0, 1, 1), dst = Uint8Array.of(10, 0, 1, 2);
    expect(ipv4PseudoHeaderSum(src, dst, 17, 14)).toBe(0x0a00 + 0x0101 + 0x0a00 + 0x0102 + 17 + 14);
  });

  it('IPv6: a 32-bit length split into two words', () => {
    const src = new Uint8Array(16), dst = new Uint8Array(16);
    src[15] = 1; dst[0] = 0xfe; dst[1] = 0x80;
    expect(ipv6PseudoHeaderSum(src, dst, 58, 0x12345)).toBe(1 + 0xfe80 + 58 + 0x1 + 0x2345);
  });
});
