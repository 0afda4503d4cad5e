/**
 * IPv6 (RFC 8200): the fixed header and the walk over extension headers.
 *
 * Owns: the field table; `Ipv6View` (hop-limit decrement in place — IPv6 has
 * no header checksum — and an allocation-free extension-header walk that
 * leaves the upper-layer protocol and offset in the view); the plain
 * `Ipv6Header` with `parseIpv6` / `emitIpv6` / `ipv6Len`; and
 * `parseIpv6Extensions`, the same walk returning each header it passed.
 *
 * The walk follows hop-by-hop options (only directly after the fixed header,
 * RFC 8200 §4.1), routing, fragment, destination options and AH headers. It
 * stops at the first other value (the upper layer, kept as a number even when
 * unknown), at No Next Header (59), and after a fragment header whose offset is
 * not zero (what follows is not a header).
 *
 * Not supported: jumbograms (RFC 2675; a zero payload length is an empty
 * payload), acting on options or routing headers, fragmentation (routers never
 * fragment IPv6) and IPv6 reassembly.
 */
import { getU16, getU32, setU16 } from '../lib/bytes.js';
import { type Result, type Decoded, ok, fail, EMPTY, copyBytes } from './result.js';
import { IpProtocol } from './ip-protocol.js';

export const Ipv6Field = {
  VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HEADER_LEN: 40,
} as const;

/** Byte offsets inside a fragment extension header (RFC 8200 §4.5). */
export const Ipv6FragmentField = { NEXT_HEADER: 0, OFFSET_FLAGS: 2, IDENT: 4, LEN: 8 } as const;

/** The minimum link MTU every IPv6 link carries (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;

export const Ipv6Error = {
  TRUNCATED: 'ipv6.truncated',
  BAD_VERSION: 'ipv6.bad-version',
  BAD_PAYLOAD_LENGTH: 'ipv6.bad-payload-length',
  EXTENSION_TRUNCATED: 'ipv6.extension-truncated',
  MISPLACED_HOP_BY_HOP: 'ipv6.misplaced-hop-by-hop',
} as const;
export type Ipv6ErrorCode = (typeof Ipv6Error)[keyof typeof Ipv6Error];

export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

export interface Ipv6ExtensionHeader {
  /** Its own type (the Next Header value that announced it). */
  readonly type: number;
  /** Offset from the start of the IPv6 packet. */
  readonly offset: number;
  readonly length: number;
}

export interface Ipv6FragmentInfo {
  /** In 8-byte units, as on the wire. */
  readonly offset: number;
  readonly moreFragments: boolean;
  readonly identification: number;
}

export interface Ipv6Chain {
  readonly headers: readonly Ipv6ExtensionHeader[];
  /** The upper-layer protocol (ICMPv6 58, UDP 17, TCP 6, 59 = none, or any other value). */
  readonly upperProtocol: number;
  /** Offset of the upper-layer header from the start of the IPv6 packet. */
  readonly upperOffset: number;
  readonly fragment?: Ipv6FragmentInfo;
}

/** Extension headers with the "(length + 1) * 8" layout, plus AH ("(length + 2) * 4"). */
function isExtension(t: number): boolean {
  return t === IpProtocol.HOPOPT || t === IpProtocol.IPV6_ROUTE || t === IpProtocol.IPV6_FRAG || t === IpProtocol.IPV6_OPTS || t === IpProtocol.AH;
}

function extensionLength(t: number, b: Uint8Array, at: number): number {
  if (t === IpProtocol.IPV6_FRAG) return Ipv6FragmentField.LEN;
  if (t === IpProtocol.AH) return (b[at + 1] + 2) << 2;
  return (b[at + 1] + 1) << 3;
}

/**
 * A reusable view over one IPv6 packet. `walk()` fills `upperProtocol`,
 * `upperOffset` (absolute, in `buf`) and `fragmentOffset8` (-1 when there is
 * no fragment header) without allocating.
 */
export class Ipv6View {
  buf: Uint8Array = EMPTY;
  off = 0;
  upperProtocol = -1;
  upperOffset = -1;
  fragmentOffset8 = -1;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    this.upperProtocol = -1;
    this.upperOffset = -1;
    this.fragmentOffset8 = -1;
    return this;
  }

  /** Fixed-header checks against the `length` bytes available from `off`. */
  validate(length: number): Ipv6ErrorCode | null {
    if (length < Ipv6Field.HEADER_LEN) return Ipv6Error.TRUNCATED;
    if (this.buf[this.off] >>> 4 !== 6) return Ipv6Error.BAD_VERSION;
    if (Ipv6Field.HEADER_LEN + this.payloadLength > length) return Ipv6Error.BAD_PAYLOAD_LENGTH;
    return null;
  }

  get version(): number { return this.buf[this.off] >>> 4; }
  get trafficClass(): number { return (getU16(this.buf, this.off) >>> 4) & 0xff; }
  get flowLabel(): number { return getU32(this.buf, this.off) & 0xfffff; }
  get payloadLength(): number { return getU16(this.buf, this.off + Ipv6Field.PAYLOAD_LEN); }
  get totalLength(): number { return Ipv6Field.HEADER_LEN + this.payloadLength; }
  /** Absolute offset of the first byte after the fixed header. */
  get payloadOffset(): number { return this.off + Ipv6Field.HEADER_LEN; }
  get nextHeader(): number { return this.buf[this.off + Ipv6Field.NEXT_HEADER]; }
  get hopLimit(): number { return this.buf[this.off + Ipv6Field.HOP_LIMIT]; }
  set hopLimit(v: number) { this.buf[this.off + Ipv6Field.HOP_LIMIT] = v; }

  /** Hop limit minus one (no checksum to patch in IPv6). Returns the new value. */
  decrementHopLimit(): number {
    const v = (this.buf[this.off + Ipv6Field.HOP_LIMIT] - 1) & 0xff;
    this.buf[this.off + Ipv6Field.HOP_LIMIT] = v;
    return v;
  }

  /** First word of the source/destination address (for quick scope tests: ff00::/8, fe80::/10). */
  get srcWord0(): number { return getU32(this.buf, this.off + Ipv6Field.SRC); }
  get dstWord0(): number { return getU32(this.buf, this.off + Ipv6Field.DST); }

  /** Address word `i` (0..3) as an unsigned 32-bit number, for the FIB. */
  srcWord(i: number): number { return getU32(this.buf, this.off + Ipv6Field.SRC + 4 * i); }
  dstWord(i: number): number { return getU32(this.buf, this.off + Ipv6Field.DST + 4 * i); }

  /** Walk the extension headers of a validated packet; `null` on success. */
  walk(): Ipv6ErrorCode | null {
    const b = this.buf;
    const end = Math.min(this.off + this.totalLength, b.length);
    let t = b[this.off + Ipv6Field.NEXT_HEADER];
    let at = this.off + Ipv6Field.HEADER_LEN;
    this.fragmentOffset8 = -1;
    let first = true;
    while (isExtension(t)) {
      if (t === IpProtocol.HOPOPT && !first) return Ipv6Error.MISPLACED_HOP_BY_HOP;
      if (at + 2 > end) return Ipv6Error.EXTENSION_TRUNCATED;
      const len = extensionLength(t, b, at);
      if (at + len > end) return Ipv6Error.EXTENSION_TRUNCATED;
      const next = b[at];
      if (t === IpProtocol.IPV6_FRAG) {
        this.fragmentOffset8 = getU16(b, at + Ipv6FragmentField.OFFSET_FLAGS) >>> 3;
        if (this.fragmentOffset8 !== 0) { t = next; at += len; break; }
      }
      t = next;
      at += len;
      first = false;
    }
    this.upperProtocol = t;
    this.upperOffset = at;
    return null;
  }
}

/** Parse the fixed header; the payload (extension headers included) is cut at the payload length. */
export function parseIpv6(bytes: Uint8Array): Result<Decoded<Ipv6Header>, Ipv6ErrorCode> {
  if (bytes.length < Ipv6Field.HEADER_LEN) return fail(Ipv6Error.TRUNCATED, `${bytes.length} bytes is shorter than the 40-byte IPv6 header`);
  if (bytes[0] >>> 4 !== 6) return fail(Ipv6Error.BAD_VERSION, `version ${bytes[0] >>> 4} is not 6`);
  const plen = getU16(bytes, Ipv6Field.PAYLOAD_LEN);
  if (Ipv6Field.HEADER_LEN + plen > bytes.length) {
    return fail(Ipv6Error.BAD_PAYLOAD_LENGTH, `payload length ${plen} exceeds the ${bytes.length - 40} bytes received`);
  }
  const w0 = getU32(bytes, 0);
  return ok({
    header: {
      trafficClass: (w0 >>> 20) & 0xff,
      flowLabel: w0 & 0xfffff,
      nextHeader: bytes[Ipv6Field.NEXT_HEADER],
      hopLimit: bytes[Ipv6Field.HOP_LIMIT],
      src: copyBytes(bytes, Ipv6Field.SRC, 16),
      dst: copyBytes(bytes, Ipv6Field.DST, 16),
    },
    payload: bytes.subarray(Ipv6Field.HEADER_LEN, Ipv6Field.HEADER_LEN + plen),
  });
}

/** Validate the fixed header and walk the extension headers to the upper layer. */
export function parseIpv6Extensions(packet: Uint8Array): Result<Ipv6Chain, Ipv6ErrorCode> {
  const p = parseIpv6(packet);
  if (!p.ok) return p;
  const end = Ipv6Field.HEADER_LEN + p.value.payload.length;
  const headers: Ipv6ExtensionHeader[] = [];
  let fragment: Ipv6FragmentInfo | undefined;
  let t = p.value.header.nextHeader;
  let at = Ipv6Field.HEADER_LEN;
  while (isExtension(t)) {
    if (t === IpProtocol.HOPOPT && headers.length > 0) return fail(Ipv6Error.MISPLACED_HOP_BY_HOP, `hop-by-hop options header at offset ${at}, not first`);
    if (at + 2 > end) return fail(Ipv6Error.EXTENSION_TRUNCATED, `extension header ${t} at offset ${at} overruns the payload`);
    const len = extensionLength(t, packet, at);
    if (at + len > end) return fail(Ipv6Error.EXTENSION_TRUNCATED, `extension header ${t} of ${len} bytes at offset ${at} overruns the payload`);
    headers.push({ type: t, offset: at, length: len });
    const next = packet[at];
    if (t === IpProtocol.IPV6_FRAG) {
      const of = getU16(packet, at + Ipv6FragmentField.OFFSET_FLAGS);
      fragment = { offset: of >>> 3, moreFragments: (of & 1) === 1, identification: getU32(packet, at + Ipv6FragmentField.IDENT) };
      if (fragment.offset !== 0) { t = next; at += len; break; }
    }
    t = next;
    at += len;
  }
  return ok(fragment ? { headers, upperProtocol: t, upperOffset: at, fragment } : { headers, upperProtocol: t, upperOffset: at });
}

/** Total bytes `emitIpv6(h, payload)` produces. */
export function ipv6Len(_h: Ipv6Header, payloadLength = 0): number {
  return Ipv6Field.HEADER_LEN + payloadLength;
}

/** Write the fixed header at `buf[off]` for `payloadLength` bytes of payload; returns 40. */
export function emitIpv6Header(h: Ipv6Header, payloadLength: number, buf: Uint8Array, off = 0): number {
  if (payloadLength > 0xffff) throw new RangeError(`IPv6 payload of ${payloadLength} bytes needs a jumbogram`);
  const w0 = (0x60000000 | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff)) >>> 0;
  buf[off] = w0 >>> 24; buf[off + 1] = (w0 >>> 16) & 0xff; buf[off + 2] = (w0 >>> 8) & 0xff; buf[off + 3] = w0 & 0xff;
  setU16(buf, off + Ipv6Field.PAYLOAD_LEN, payloadLength);
  buf[off + Ipv6Field.NEXT_HEADER] = h.nextHeader;
  buf[off + Ipv6Field.HOP_LIMIT] = h.hopLimit;
  buf.set(h.src.subarray(0, 16), off + Ipv6Field.SRC);
  buf.set(h.dst.subarray(0, 16), off + Ipv6Field.DST);
  return Ipv6Field.HEADER_LEN;
}

export function emitIpv6(h: Ipv6Header, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(ipv6Len(h, payload.length));
  emitIpv6Header(h, payload.length, out, 0);
  out.set(payload, Ipv6Field.HEADER_LEN);
  return out;
}
