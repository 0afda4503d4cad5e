/**
 * UDP (RFC 768) over IPv4 and IPv6 (RFC 8200 §8.1).
 *
 * Owns: the field table; `UdpView` (ports, length, checksum in place); the
 * plain `UdpHeader` with `parseUdp` / `emitUdp` / `udpLen`.
 *
 * Checksums use the pseudo-header of the enclosing IP packet, given as its
 * source and destination addresses (4 bytes: IPv4; 16 bytes: IPv6). Over IPv4
 * a zero checksum means "none" and is accepted; over IPv6 a zero checksum is
 * an error (RFC 8200 §8.1). A computed checksum of zero is sent as 0xffff.
 *
 * Not supported: UDP-Lite, zero-checksum IPv6 tunnels (RFC 6935), UDP options
 * in the surplus area (bytes past the UDP length are ignored).
 */
import { getU16, setU16 } from '../lib/bytes.js';
import { fold, sum16, pseudoHeaderSum } from '../lib/checksum.js';
import { type Result, type Decoded, ok, fail, EMPTY } from './result.js';
import { IpProtocol } from './ip-protocol.js';

export const UdpField = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6, HEADER_LEN: 8 } as const;

export const UdpError = {
  TRUNCATED: 'udp.truncated',
  BAD_LENGTH: 'udp.bad-length',
  BAD_CHECKSUM: 'udp.bad-checksum',
  ZERO_CHECKSUM_IPV6: 'udp.zero-checksum-ipv6',
} as const;
export type UdpErrorCode = (typeof UdpError)[keyof typeof UdpError];

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
}

/** The addresses of the enclosing IP header, for the pseudo-header. */
export interface PseudoAddresses {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** A reusable view over one UDP header; no allocation per packet. */
export class UdpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  get srcPort(): number { return getU16(this.buf, this.off + UdpField.SRC_PORT); }
  set srcPort(v: number) { setU16(this.buf, this.off + UdpField.SRC_PORT, v); }
  get dstPort(): number { return getU16(this.buf, this.off + UdpField.DST_PORT); }
  set dstPort(v: number) { setU16(this.buf, this.off + UdpField.DST_PORT, v); }
  get length(): number { return getU16(this.buf, this.off + UdpField.LENGTH); }
  get checksum(): number { return getU16(this.buf, this.off + UdpField.CHECKSUM); }
  set checksum(v: number) { setU16(this.buf, this.off + UdpField.CHECKSUM, v); }
}

/** The checksum field value for `segment` (header with checksum zeroed, plus payload). */
function computeChecksum(segment: Uint8Array, start: number, end: number, addrs: PseudoAddresses): number {
  const c = ~fold(sum16(segment, start, end, pseudoHeaderSum(addrs.src, addrs.dst, IpProtocol.UDP, end - start))) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/**
 * Parse a UDP datagram (the IP payload). With `addrs`, the checksum is
 * verified; without, it is not looked at.
 */
export function parseUdp(bytes: Uint8Array, addrs?: PseudoAddresses): Result<Decoded<UdpHeader>, UdpErrorCode> {
  if (bytes.length < UdpField.HEADER_LEN) return fail(UdpError.TRUNCATED, `${bytes.length} bytes is shorter than the 8-byte UDP header`);
  const len = getU16(bytes, UdpField.LENGTH);
  if (len < UdpField.HEADER_LEN || len > bytes.length) return fail(UdpError.BAD_LENGTH, `UDP length ${len} is below 8 or above the ${bytes.length} bytes received`);
  if (addrs) {
    const c = getU16(bytes, UdpField.CHECKSUM);
    if (c === 0) {
      if (addrs.src.length === 16) return fail(UdpError.ZERO_CHECKSUM_IPV6, 'UDP over IPv6 with a zero checksum');
    } else if (fold(sum16(bytes, 0, len, pseudoHeaderSum(addrs.src, addrs.dst, IpProtocol.UDP, len))) !== 0xffff) {
      return fail(UdpError.BAD_CHECKSUM, `UDP checksum 0x${c.toString(16)} does not verify`);
    }
  }
  return ok({ header: { srcPort: getU16(bytes, UdpField.SRC_PORT), dstPort: getU16(bytes, UdpField.DST_PORT) }, payload: bytes.subarray(UdpField.HEADER_LEN, len) });
}

export function udpLen(_h: UdpHeader, payloadLength = 0): number {
  return UdpField.HEADER_LEN + payloadLength;
}

/**
 * Build a datagram. With `addrs` the checksum is computed (always, for IPv6);
 * without, it is zero — "no checksum", valid only over IPv4.
 */
export function emitUdp(h: UdpHeader, payload: Uint8Array = EMPTY, addrs?: PseudoAddresses): Uint8Array {
  const len = udpLen(h, payload.length);
  if (len > 0xffff) throw new RangeError(`UDP datagram of ${len} bytes exceeds 65535`);
  const out = new Uint8Array(len);
  setU16(out, UdpField.SRC_PORT, h.srcPort);
  setU16(out, UdpField.DST_PORT, h.dstPort);
  setU16(out, UdpField.LENGTH, len);
  out.set(payload, UdpField.HEADER_LEN);
  if (addrs) setU16(out, UdpField.CHECKSUM, computeChecksum(out, 0, len, addrs));
  return out;
}
