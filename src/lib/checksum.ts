/**
 * The Internet checksum.
 *
 * Owns: the 16-bit one's-complement sum over byte ranges (RFC 1071), with the
 * carries accumulated in a plain number and folded once at the end; the IPv4
 * (RFC 768, RFC 793) and IPv6 (RFC 8200 §8.1) pseudo-header sums for UDP, TCP
 * and ICMPv6; and the incremental update of a checksum after one 16-bit field
 * changes (RFC 1624 eqn. 3), which the data plane uses for the TTL decrement.
 *
 * Sums are "unfolded accumulators": non-negative numbers that can be added
 * together and passed to `fold`. A range of odd length is padded with a zero
 * byte; chaining sums is only exact when every range but the last has even
 * length (RFC 1071 §2(B) byte-order independence does not cover odd splits).
 *
 * Not here: where each protocol keeps its checksum (the codecs in src/packet).
 */

/** One's-complement sum of `b[start, end)` as 16-bit big-endian words, added to `acc`, unfolded. */
export function sum16(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  let s = acc;
  let i = start;
  const even = end - ((end - start) & 1);
  // Four words per iteration; the accumulator stays far below 2^53 for any
  // buffer a network can carry, so folding is deferred to the end.
  const unrolled = even - ((even - i) & 7);
  for (; i < unrolled; i += 8) {
    s += ((b[i] << 8) | b[i + 1]) + ((b[i + 2] << 8) | b[i + 3]) + ((b[i + 4] << 8) | b[i + 5]) + ((b[i + 6] << 8) | b[i + 7]);
  }
  for (; i < even; i += 2) s += (b[i] << 8) | b[i + 1];
  if (even !== end) s += b[even] << 8;
  return s;
}

/** Fold an unfolded sum to 16 bits with end-around carry. */
export function fold(sum: number): number {
  let s = sum;
  // Bring the sum under 2^32 without 32-bit overflow, then fold twice.
  while (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The Internet checksum (one's complement of the folded sum) of `b[start, end)`, with `acc` added in. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  return ~fold(sum16(b, start, end, acc)) & 0xffff;
}

/** Pseudo-header sum for IPv4 (RFC 768): addresses are 4 bytes at `srcOff`/`dstOff` of their arrays. */
export function ipv4PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, upperLength: number, srcOff = 0, dstOff = 0): number {
  return (
    ((src[srcOff] << 8) | src[srcOff + 1]) + ((src[srcOff + 2] << 8) | src[srcOff + 3]) +
    ((dst[dstOff] << 8) | dst[dstOff + 1]) + ((dst[dstOff + 2] << 8) | dst[dstOff + 3]) +
    (protocol & 0xff) + (upperLength & 0xffff)
  );
}

/** Pseudo-header sum for IPv6 (RFC 8200 §8.1): 16-byte addresses, 32-bit upper-layer length. */
export function ipv6PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, upperLength: number, srcOff = 0, dstOff = 0): number {
  let s = (nextHeader & 0xff) + (upperLength >>> 16) + (upperLength & 0xffff);
  for (let i = 0; i < 16; i += 2) {
    s += ((src[srcOff + i] << 8) | src[srcOff + i + 1]) + ((dst[dstOff + i] << 8) | dst[dstOff + i + 1]);
  }
  return s;
}

/** Pseudo-header sum for addresses of either family (4 or 16 bytes, same family). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, upperLength: number): number {
  return src.length === 4 ? ipv4PseudoHeaderSum(src, dst, protocol, upperLength) : ipv6PseudoHeaderSum(src, dst, protocol, upperLength);
}

/**
 * RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered data
 * changes from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m').
 *
 * Equals a full recomputation whenever the covered data is not all zeros
 * after the change (always true of an IPv4 header: its version nibble is 4).
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const s = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(s) & 0xffff;
}

/** RFC 1624 for a 32-bit field (an IPv4 address, for NAT-like rewrites): two 16-bit updates. */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const s =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) + ((newValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) + (newValue & 0xffff);
  return ~fold(s) & 0xffff;
}
