/**
 * ICMPv6 (RFC 4443) and the Neighbor Discovery messages a router's data plane
 * needs (RFC 4861 §4.1, §4.3, §4.4, §4.6.1).
 *
 * Owns: the type/code tables; `Icmpv6View` (type, code, checksum, echo fields,
 * NS/NA target and an allocation-free link-layer option lookup); the plain
 * `Icmpv6Message` union with `parseIcmpv6` / `emitIcmpv6` / `icmpv6Len`;
 * `icmpv6ErrorSuppressed` (RFC 4443 §2.4(e)); and `buildIcmpv6Error`, a whole
 * IPv6 packet quoting as much of the offending packet as fits in the minimum
 * MTU of 1280 bytes (RFC 4443 §2.4(c)).
 *
 * The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1): parsing
 * verifies it when the addresses are given; emitting always needs them.
 * ND options are kept as `{ type, data }` (data = the option after its two
 * header bytes, padding included); unknown options and message types are kept.
 *
 * Not supported: router advertisements and redirects as structured messages
 * (they parse as `unknown`), MLD, the ND context checks of RFC 4861 §7.1
 * (hop limit 255, code 0, …: the data plane applies those), rate limiting.
 */
import { getU16, getU32, setU16 } from '../lib/bytes.js';
import { fold, sum16, ipv6PseudoHeaderSum, updateChecksum16 } from '../lib/checksum.js';
import { type Result, ok, fail, EMPTY, copyBytes } from './result.js';
import { IpProtocol } from './ip-protocol.js';
import { type Ipv6ErrorCode, Ipv6Field, Ipv6View, emitIpv6Header } from './ipv6.js';

export const Icmpv6Type = {
  DEST_UNREACHABLE: 1, PACKET_TOO_BIG: 2, TIME_EXCEEDED: 3, PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128, ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133, ROUTER_ADVERTISEMENT: 134, NEIGHBOR_SOLICITATION: 135, NEIGHBOR_ADVERTISEMENT: 136, REDIRECT: 137,
} as const;

export const Icmpv6UnreachableCode = { NO_ROUTE: 0, ADMIN_PROHIBITED: 1, BEYOND_SCOPE: 2, ADDRESS: 3, PORT: 4, SOURCE_POLICY: 5, REJECT_ROUTE: 6 } as const;
export const Icmpv6TimeExceededCode = { HOP_LIMIT: 0, REASSEMBLY: 1 } as const;
export const Icmpv6ParameterProblemCode = { HEADER_FIELD: 0, NEXT_HEADER: 1, OPTION: 2 } as const;

export const NdpOptionType = { SOURCE_LLA: 1, TARGET_LLA: 2, PREFIX_INFO: 3, REDIRECTED_HEADER: 4, MTU: 5 } as const;

export const Icmpv6Field = {
  TYPE: 0, CODE: 1, CHECKSUM: 2, ID: 4, SEQ: 6, MTU: 4, POINTER: 4, NA_FLAGS: 4,
  ERROR_BODY: 8, ECHO_DATA: 8, RS_OPTIONS: 8, TARGET: 8, ND_OPTIONS: 24, HEADER_LEN: 4,
} as const;

const NA_ROUTER = 0x80, NA_SOLICITED = 0x40, NA_OVERRIDE = 0x20;

export const Icmpv6Error = {
  TRUNCATED: 'icmpv6.truncated',
  BAD_CHECKSUM: 'icmpv6.bad-checksum',
  BAD_OPTION_LENGTH: 'icmpv6.bad-option-length',
  OPTION_TRUNCATED: 'icmpv6.option-truncated',
} as const;
export type Icmpv6ErrorCode = (typeof Icmpv6Error)[keyof typeof Icmpv6Error];

export const Icmpv6Suppressed = {
  ABOUT_ICMP_ERROR: 'icmpv6.suppressed.about-icmp-error',
  ABOUT_REDIRECT: 'icmpv6.suppressed.about-redirect',
  MULTICAST_DESTINATION: 'icmpv6.suppressed.multicast-destination',
  INVALID_SOURCE: 'icmpv6.suppressed.invalid-source',
} as const;
export type Icmpv6SuppressedCode = (typeof Icmpv6Suppressed)[keyof typeof Icmpv6Suppressed];

export interface NdpOption {
  readonly type: number;
  /** The option's bytes after type and length (8 * length - 2 bytes on the wire). */
  readonly data: Uint8Array;
}

export type Icmpv6Message =
  | { readonly kind: 'dest-unreachable'; readonly code: number; readonly quote: Uint8Array }
  | { readonly kind: 'packet-too-big'; readonly code: number; readonly mtu: number; readonly quote: Uint8Array }
  | { readonly kind: 'time-exceeded'; readonly code: number; readonly quote: Uint8Array }
  | { readonly kind: 'parameter-problem'; readonly code: number; readonly pointer: number; readonly quote: Uint8Array }
  | { readonly kind: 'echo-request' | 'echo-reply'; readonly code: number; readonly id: number; readonly seq: number; readonly data: Uint8Array }
  | { readonly kind: 'router-solicitation'; readonly code: number; readonly options: readonly NdpOption[] }
  | { readonly kind: 'neighbor-solicitation'; readonly code: number; readonly target: Uint8Array; readonly options: readonly NdpOption[] }
  | {
      readonly kind: 'neighbor-advertisement'; readonly code: number;
      readonly router: boolean; readonly solicited: boolean; readonly override: boolean;
      readonly target: Uint8Array; readonly options: readonly NdpOption[];
    }
  /** Any other type: everything after the checksum. */
  | { readonly kind: 'unknown'; readonly type: number; readonly code: number; readonly body: Uint8Array };

export type Icmpv6Kind = Icmpv6Message['kind'];

const TYPE_OF_KIND: Record<Exclude<Icmpv6Kind, 'unknown'>, number> = {
  'dest-unreachable': Icmpv6Type.DEST_UNREACHABLE,
  'packet-too-big': Icmpv6Type.PACKET_TOO_BIG,
  'time-exceeded': Icmpv6Type.TIME_EXCEEDED,
  'parameter-problem': Icmpv6Type.PARAMETER_PROBLEM,
  'echo-request': Icmpv6Type.ECHO_REQUEST,
  'echo-reply': Icmpv6Type.ECHO_REPLY,
  'router-solicitation': Icmpv6Type.ROUTER_SOLICITATION,
  'neighbor-solicitation': Icmpv6Type.NEIGHBOR_SOLICITATION,
  'neighbor-advertisement': Icmpv6Type.NEIGHBOR_ADVERTISEMENT,
};

const KIND_OF_TYPE: ReadonlyMap<number, Exclude<Icmpv6Kind, 'unknown'>> = new Map(
  (Object.entries(TYPE_OF_KIND) as [Exclude<Icmpv6Kind, 'unknown'>, number][]).map(([k, t]) => [t, k]),
);

/** Minimum length of each known message, header included. */
const MIN_LEN: Record<Exclude<Icmpv6Kind, 'unknown'>, number> = {
  'dest-unreachable': 8, 'packet-too-big': 8, 'time-exceeded': 8, 'parameter-problem': 8,
  'echo-request': 8, 'echo-reply': 8, 'router-solicitation': 8, 'neighbor-solicitation': 24, 'neighbor-advertisement': 24,
};

export function icmpv6TypeOf(m: Icmpv6Message): number {
  return m.kind === 'unknown' ? m.type : TYPE_OF_KIND[m.kind];
}

/** The checksum-field value for `b[start, end)` between `src` and `dst` (the field itself must be zero). */
function checksumOf(b: Uint8Array, start: number, end: number, src: Uint8Array, dst: Uint8Array, srcOff = 0, dstOff = 0): number {
  return ~fold(sum16(b, start, end, ipv6PseudoHeaderSum(src, dst, IpProtocol.ICMPV6, end - start, srcOff, dstOff))) & 0xffff;
}

/** A reusable view over one ICMPv6 message; no allocation per packet. */
export class Icmpv6View {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  get type(): number { return this.buf[this.off + Icmpv6Field.TYPE]; }
  get code(): number { return this.buf[this.off + Icmpv6Field.CODE]; }
  get checksum(): number { return getU16(this.buf, this.off + Icmpv6Field.CHECKSUM); }
  set checksum(v: number) { setU16(this.buf, this.off + Icmpv6Field.CHECKSUM, v); }
  get id(): number { return getU16(this.buf, this.off + Icmpv6Field.ID); }
  get seq(): number { return getU16(this.buf, this.off + Icmpv6Field.SEQ); }
  /** NS/NA target address word `i` (0..3). */
  targetWord(i: number): number { return getU32(this.buf, this.off + Icmpv6Field.TARGET + 4 * i); }

  /** Set type and code, patching the checksum incrementally (RFC 1624). */
  setTypeCode(type: number, code: number): void {
    const b = this.buf, o = this.off;
    const oldWord = (b[o] << 8) | b[o + 1];
    b[o] = type;
    b[o + 1] = code;
    this.checksum = updateChecksum16(this.checksum, oldWord, (type << 8) | code);
  }

  /** Verify the checksum of `length` bytes given the IPv6 header at `ipOff` of the same buffer. */
  checksumValid(length: number, ipOff: number): boolean {
    const s = sum16(this.buf, this.off, this.off + length, ipv6PseudoHeaderSum(this.buf, this.buf, IpProtocol.ICMPV6, length, ipOff + Ipv6Field.SRC, ipOff + Ipv6Field.DST));
    return fold(s) === 0xffff;
  }

  /** Recompute the checksum of `length` bytes given the IPv6 header at `ipOff` of the same buffer. */
  fillChecksum(length: number, ipOff: number): void {
    this.checksum = 0;
    this.checksum = checksumOf(this.buf, this.off, this.off + length, this.buf, this.buf, ipOff + Ipv6Field.SRC, ipOff + Ipv6Field.DST);
  }

  /**
   * Absolute offset of the 6-byte link-layer address in the first option of
   * `optionType` (source or target LLA) of an NS/NA/RS of `length` bytes; -1
   * when absent or the options are malformed.
   */
  findLinkLayerAddress(optionType: number, length: number): number {
    const t = this.type;
    let at = this.off + (t === Icmpv6Type.ROUTER_SOLICITATION ? Icmpv6Field.RS_OPTIONS : Icmpv6Field.ND_OPTIONS);
    const end = this.off + length;
    while (at + 2 <= end) {
      const len = this.buf[at + 1] << 3;
      if (len === 0 || at + len > end) return -1;
      if (this.buf[at] === optionType && len >= 8) return at + 2;
      at += len;
    }
    return -1;
  }
}

function parseOptions(b: Uint8Array, at: number): Result<NdpOption[], Icmpv6ErrorCode> {
  const out: NdpOption[] = [];
  while (at < b.length) {
    if (at + 2 > b.length) return fail(Icmpv6Error.OPTION_TRUNCATED, `ND option header at offset ${at} is cut short`);
    const len = b[at + 1] << 3;
    if (len === 0) return fail(Icmpv6Error.BAD_OPTION_LENGTH, `ND option ${b[at]} at offset ${at} has length 0`);
    if (at + len > b.length) return fail(Icmpv6Error.OPTION_TRUNCATED, `ND option ${b[at]} of ${len} bytes at offset ${at} overruns the message`);
    out.push({ type: b[at], data: copyBytes(b, at + 2, len - 2) });
    at += len;
  }
  return ok(out);
}

/**
 * Parse an ICMPv6 message (the upper-layer bytes). With `addrs` (the IPv6
 * source and destination) the checksum is verified.
 */
export function parseIcmpv6(bytes: Uint8Array, addrs?: { readonly src: Uint8Array; readonly dst: Uint8Array }): Result<Icmpv6Message, Icmpv6ErrorCode> {
  if (bytes.length < Icmpv6Field.HEADER_LEN) return fail(Icmpv6Error.TRUNCATED, `${bytes.length} bytes is shorter than the 4-byte ICMPv6 header`);
  const type = bytes[Icmpv6Field.TYPE], code = bytes[Icmpv6Field.CODE];
  const kind = KIND_OF_TYPE.get(type);
  if (kind !== undefined && bytes.length < MIN_LEN[kind]) {
    return fail(Icmpv6Error.TRUNCATED, `${kind} of ${bytes.length} bytes is shorter than ${MIN_LEN[kind]}`);
  }
  if (addrs && fold(sum16(bytes, 0, bytes.length, ipv6PseudoHeaderSum(addrs.src, addrs.dst, IpProtocol.ICMPV6, bytes.length))) !== 0xffff) {
    return fail(Icmpv6Error.BAD_CHECKSUM, `ICMPv6 checksum 0x${getU16(bytes, 2).toString(16)} does not verify`);
  }
  switch (kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
      return ok({ kind, code, quote: bytes.subarray(Icmpv6Field.ERROR_BODY) });
    case 'packet-too-big':
      return ok({ kind, code, mtu: getU32(bytes, Icmpv6Field.MTU), quote: bytes.subarray(Icmpv6Field.ERROR_BODY) });
    case 'parameter-problem':
      return ok({ kind, code, pointer: getU32(bytes, Icmpv6Field.POINTER), quote: bytes.subarray(Icmpv6Field.ERROR_BODY) });
    case 'echo-request':
    case 'echo-reply':
      return ok({ kind, code, id: getU16(bytes, Icmpv6Field.ID), seq: getU16(bytes, Icmpv6Field.SEQ), data: bytes.subarray(Icmpv6Field.ECHO_DATA) });
    case 'router-solicitation': {
      const o = parseOptions(bytes, Icmpv6Field.RS_OPTIONS);
      if (!o.ok) return fail(o.error.code, o.error.message);
      return ok({ kind, code, options: o.value });
    }
    case 'neighbor-solicitation': {
      const o = parseOptions(bytes, Icmpv6Field.ND_OPTIONS);
      if (!o.ok) return fail(o.error.code, o.error.message);
      return ok({ kind, code, target: copyBytes(bytes, Icmpv6Field.TARGET, 16), options: o.value });
    }
    case 'neighbor-advertisement': {
      const o = parseOptions(bytes, Icmpv6Field.ND_OPTIONS);
      if (!o.ok) return fail(o.error.code, o.error.message);
      const f = bytes[Icmpv6Field.NA_FLAGS];
      return ok({
        kind, code,
        router: (f & NA_ROUTER) !== 0, solicited: (f & NA_SOLICITED) !== 0, override: (f & NA_OVERRIDE) !== 0,
        target: copyBytes(bytes, Icmpv6Field.TARGET, 16), options: o.value,
      });
    }
    default:
      return ok({ kind: 'unknown', type, code, body: bytes.subarray(Icmpv6Field.HEADER_LEN) });
  }
}

function optionsLen(opts: readonly NdpOption[]): number {
  let n = 0;
  for (const o of opts) n += (o.data.length + 2 + 7) & ~7;
  return n;
}

export function icmpv6Len(m: Icmpv6Message): number {
  switch (m.kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
    case 'packet-too-big':
    case 'parameter-problem': return 8 + m.quote.length;
    case 'echo-request':
    case 'echo-reply': return 8 + m.data.length;
    case 'router-solicitation': return 8 + optionsLen(m.options);
    case 'neighbor-solicitation':
    case 'neighbor-advertisement': return 24 + optionsLen(m.options);
    case 'unknown': return 4 + m.body.length;
  }
}

function writeOptions(opts: readonly NdpOption[], buf: Uint8Array, at: number): void {
  for (const o of opts) {
    const len = (o.data.length + 2 + 7) & ~7;
    if (len > 255 * 8) throw new RangeError(`ND option of ${len} bytes is too long`);
    buf[at] = o.type;
    buf[at + 1] = len >>> 3;
    buf.set(o.data, at + 2);
    at += len;
  }
}

/** Write the message at `buf[off]` with its checksum for `src` → `dst`; returns its length. */
export function emitIcmpv6Into(m: Icmpv6Message, src: Uint8Array, dst: Uint8Array, buf: Uint8Array, off = 0): number {
  const len = icmpv6Len(m);
  buf.fill(0, off, off + len);
  buf[off + Icmpv6Field.TYPE] = icmpv6TypeOf(m);
  buf[off + Icmpv6Field.CODE] = m.code;
  switch (m.kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
      buf.set(m.quote, off + Icmpv6Field.ERROR_BODY);
      break;
    case 'packet-too-big':
      buf[off + 4] = m.mtu >>> 24; buf[off + 5] = (m.mtu >>> 16) & 0xff; setU16(buf, off + 6, m.mtu & 0xffff);
      buf.set(m.quote, off + Icmpv6Field.ERROR_BODY);
      break;
    case 'parameter-problem':
      buf[off + 4] = m.pointer >>> 24; buf[off + 5] = (m.pointer >>> 16) & 0xff; setU16(buf, off + 6, m.pointer & 0xffff);
      buf.set(m.quote, off + Icmpv6Field.ERROR_BODY);
      break;
    case 'echo-request':
    case 'echo-reply':
      setU16(buf, off + Icmpv6Field.ID, m.id);
      setU16(buf, off + Icmpv6Field.SEQ, m.seq);
      buf.set(m.data, off + Icmpv6Field.ECHO_DATA);
      break;
    case 'router-solicitation':
      writeOptions(m.options, buf, off + Icmpv6Field.RS_OPTIONS);
      break;
    case 'neighbor-solicitation':
      buf.set(m.target.subarray(0, 16), off + Icmpv6Field.TARGET);
      writeOptions(m.options, buf, off + Icmpv6Field.ND_OPTIONS);
      break;
    case 'neighbor-advertisement':
      buf[off + Icmpv6Field.NA_FLAGS] = (m.router ? NA_ROUTER : 0) | (m.solicited ? NA_SOLICITED : 0) | (m.override ? NA_OVERRIDE : 0);
      buf.set(m.target.subarray(0, 16), off + Icmpv6Field.TARGET);
      writeOptions(m.options, buf, off + Icmpv6Field.ND_OPTIONS);
      break;
    case 'unknown':
      buf.set(m.body, off + Icmpv6Field.HEADER_LEN);
      break;
  }
  setU16(buf, off + Icmpv6Field.CHECKSUM, checksumOf(buf, off, off + len, src, dst));
  return len;
}

export function emitIcmpv6(m: Icmpv6Message, addrs: { readonly src: Uint8Array; readonly dst: Uint8Array }): Uint8Array {
  const out = new Uint8Array(icmpv6Len(m));
  emitIcmpv6Into(m, addrs.src, addrs.dst, out, 0);
  return out;
}

/** The link-layer address carried by the first option of `type` (source or target LLA), if any. */
export function ndpLinkLayerAddress(options: readonly NdpOption[], type: number): Uint8Array | undefined {
  for (const o of options) if (o.type === type && o.data.length >= 6) return o.data.subarray(0, 6);
  return undefined;
}

/** A source/target link-layer address option for an Ethernet MAC. */
export function ndpLinkLayerOption(type: number, mac: Uint8Array): NdpOption {
  return { type, data: mac.slice(0, 6) };
}

// ------------------------------------------------------------------ errors

const scratch = new Ipv6View();

/**
 * The RFC 4443 §2.4(e) cases in which no ICMPv6 error may be sent about a
 * (validated) IPv6 packet; `null` when one may be sent. `kind`/`code` of the
 * intended error matter for multicast destinations: only packet too big and
 * parameter problem code 2 are allowed there. Link-layer multicast and
 * anycast sources are the caller's knowledge.
 */
export function icmpv6ErrorSuppressed(packet: Uint8Array, kind: Icmpv6ErrorSpec['kind'], code = 0): Icmpv6SuppressedCode | null {
  const src0 = getU32(packet, Ipv6Field.SRC);
  let srcZero = true;
  for (let i = 0; i < 16; i++) if (packet[Ipv6Field.SRC + i] !== 0) { srcZero = false; break; }
  if (srcZero || src0 >>> 24 === 0xff) return Icmpv6Suppressed.INVALID_SOURCE;
  if (packet[Ipv6Field.DST] === 0xff && kind !== 'packet-too-big' && !(kind === 'parameter-problem' && code === Icmpv6ParameterProblemCode.OPTION)) {
    return Icmpv6Suppressed.MULTICAST_DESTINATION;
  }
  const v = scratch.at(packet, 0);
  if (v.walk() === null && v.upperProtocol === IpProtocol.ICMPV6 && v.fragmentOffset8 <= 0) {
    const end = Math.min(v.totalLength, packet.length);
    // A message too short to show its type is treated as an error message.
    if (v.upperOffset >= end || packet[v.upperOffset] < 128) return Icmpv6Suppressed.ABOUT_ICMP_ERROR;
    if (packet[v.upperOffset] === Icmpv6Type.REDIRECT) return Icmpv6Suppressed.ABOUT_REDIRECT;
  }
  return null;
}

export type Icmpv6ErrorSpec =
  | { readonly kind: 'dest-unreachable' | 'time-exceeded'; readonly code: number }
  | { readonly kind: 'packet-too-big'; readonly mtu: number }
  | { readonly kind: 'parameter-problem'; readonly code: number; readonly pointer: number };

export interface Icmpv6ErrorOptions {
  /** The router's address on the interface the error leaves by. */
  readonly src: Uint8Array;
  readonly hopLimit?: number;
  readonly flowLabel?: number;
  /** Largest packet to build; default the IPv6 minimum MTU, 1280 (RFC 4443 §2.4(c)). */
  readonly maxLength?: number;
}

/**
 * A whole IPv6 packet carrying the ICMPv6 error about `offending` (an IPv6
 * packet from its first header byte), quoting as much of it as fits.
 */
export function buildIcmpv6Error(
  offending: Uint8Array,
  spec: Icmpv6ErrorSpec,
  opts: Icmpv6ErrorOptions,
): Result<Uint8Array, Ipv6ErrorCode | Icmpv6SuppressedCode> {
  const bad = scratch.at(offending, 0).validate(offending.length);
  if (bad !== null) return fail(bad, `offending packet is not valid IPv6 (${bad})`);
  const total = scratch.totalLength;
  const why = icmpv6ErrorSuppressed(offending, spec.kind, spec.kind === 'packet-too-big' ? 0 : spec.code);
  if (why !== null) return fail(why, `no ICMPv6 error may be sent about this packet (${why})`);
  const max = opts.maxLength ?? 1280;
  const quote = offending.subarray(0, Math.max(0, Math.min(total, max - Ipv6Field.HEADER_LEN - 8)));
  let msg: Icmpv6Message;
  switch (spec.kind) {
    case 'dest-unreachable':
    case 'time-exceeded': msg = { kind: spec.kind, code: spec.code, quote }; break;
    case 'packet-too-big': msg = { kind: 'packet-too-big', code: 0, mtu: spec.mtu, quote }; break;
    case 'parameter-problem': msg = { kind: 'parameter-problem', code: spec.code, pointer: spec.pointer, quote }; break;
  }
  const icmpLen = icmpv6Len(msg);
  const out = new Uint8Array(Ipv6Field.HEADER_LEN + icmpLen);
  const dst = offending.subarray(Ipv6Field.SRC, Ipv6Field.SRC + 16);
  emitIpv6Header({ trafficClass: 0, flowLabel: opts.flowLabel ?? 0, nextHeader: IpProtocol.ICMPV6, hopLimit: opts.hopLimit ?? 64, src: opts.src, dst }, icmpLen, out, 0);
  emitIcmpv6Into(msg, opts.src, dst, out, Ipv6Field.HEADER_LEN);
  return ok(out);
}
