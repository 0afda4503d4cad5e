/**
 * ICMP for IPv4 (RFC 792), with the router's rules for errors (RFC 1812
 * §4.3.2) and the next-hop MTU of "fragmentation needed" (RFC 1191 §4).
 *
 * Owns: the type/code tables; `Icmpv4View` (type, code, checksum, echo id and
 * sequence in place); the plain `Icmpv4Message` union with `parseIcmpv4` /
 * `emitIcmpv4` / `icmpv4Len`; `icmpv4ErrorSuppressed`, the RFC 1812
 * §4.3.2.7 cases where no error may be sent; and `buildIcmpv4Error`, a whole
 * IPv4 packet quoting the offending datagram's IP header and first 8 data
 * bytes (RFC 792), or more up to a total size the caller picks (RFC 1812
 * §4.3.2.3 suggests 576).
 *
 * Messages of other types (redirect, parameter problem, timestamp, …) parse
 * to `{ kind: 'unknown', type, code, rest, body }` and emit back unchanged.
 *
 * Not supported: RFC 4884 multi-part extensions, rate limiting (the data
 * plane's job), choosing the source address (RFC 1812 §4.3.2.4: the caller
 * passes the address of the interface the error leaves by).
 */
import { getU16, getU32, setU16, setU32 } from '../lib/bytes.js';
import { internetChecksum, updateChecksum16 } from '../lib/checksum.js';
import { type Result, ok, fail, EMPTY } from './result.js';
import { IpProtocol } from './ip-protocol.js';
import { type Ipv4ErrorCode, Ipv4Field, emitIpv4Header, validateIpv4 } from './ipv4.js';

export const Icmpv4Type = { ECHO_REPLY: 0, DEST_UNREACHABLE: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11 } as const;

export const Icmpv4UnreachableCode = {
  NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAGMENTATION_NEEDED: 4, SOURCE_ROUTE_FAILED: 5,
  NET_UNKNOWN: 6, HOST_UNKNOWN: 7, NET_PROHIBITED: 9, HOST_PROHIBITED: 10, ADMIN_PROHIBITED: 13,
} as const;

export const Icmpv4TimeExceededCode = { TTL: 0, REASSEMBLY: 1 } as const;

/** Types that are error messages (no error is ever sent about one of these, RFC 1812 §4.3.2.7). */
const ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

export const Icmpv4Field = { TYPE: 0, CODE: 1, CHECKSUM: 2, ID: 4, SEQ: 6, NEXT_HOP_MTU: 6, REST: 4, BODY: 8, HEADER_LEN: 8 } as const;

export const Icmpv4Error = { TRUNCATED: 'icmpv4.truncated', BAD_CHECKSUM: 'icmpv4.bad-checksum' } as const;
export type Icmpv4ErrorCode = (typeof Icmpv4Error)[keyof typeof Icmpv4Error];

/** Why an ICMP error must not be sent about a packet. */
export const Icmpv4Suppressed = {
  ABOUT_ICMP_ERROR: 'icmpv4.suppressed.about-icmp-error',
  NON_FIRST_FRAGMENT: 'icmpv4.suppressed.non-first-fragment',
  GROUP_DESTINATION: 'icmpv4.suppressed.group-destination',
  INVALID_SOURCE: 'icmpv4.suppressed.invalid-source',
} as const;
export type Icmpv4SuppressedCode = (typeof Icmpv4Suppressed)[keyof typeof Icmpv4Suppressed];

export type Icmpv4Message =
  | { readonly kind: 'echo-request' | 'echo-reply'; readonly code: number; readonly id: number; readonly seq: number; readonly data: Uint8Array }
  /** `nextHopMtu` is meaningful for code 4 (RFC 1191) and zero otherwise. */
  | { readonly kind: 'dest-unreachable'; readonly code: number; readonly nextHopMtu: number; readonly quote: Uint8Array }
  | { readonly kind: 'time-exceeded'; readonly code: number; readonly quote: Uint8Array }
  /** Any other type: the 4 bytes after the checksum as a number, then the body. */
  | { readonly kind: 'unknown'; readonly type: number; readonly code: number; readonly rest: number; readonly body: Uint8Array };

export type Icmpv4Kind = Icmpv4Message['kind'];

const KIND_OF_TYPE: ReadonlyMap<number, Icmpv4Kind> = new Map<number, Icmpv4Kind>([
  [Icmpv4Type.ECHO_REPLY, 'echo-reply'],
  [Icmpv4Type.ECHO_REQUEST, 'echo-request'],
  [Icmpv4Type.DEST_UNREACHABLE, 'dest-unreachable'],
  [Icmpv4Type.TIME_EXCEEDED, 'time-exceeded'],
]);

const TYPE_OF_KIND: Record<Exclude<Icmpv4Kind, 'unknown'>, number> = {
  'echo-reply': Icmpv4Type.ECHO_REPLY,
  'echo-request': Icmpv4Type.ECHO_REQUEST,
  'dest-unreachable': Icmpv4Type.DEST_UNREACHABLE,
  'time-exceeded': Icmpv4Type.TIME_EXCEEDED,
};

export function icmpv4TypeOf(m: Icmpv4Message): number {
  return m.kind === 'unknown' ? m.type : TYPE_OF_KIND[m.kind];
}

/** A reusable view over one ICMP message; no allocation per packet. */
export class Icmpv4View {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  get type(): number { return this.buf[this.off + Icmpv4Field.TYPE]; }
  get code(): number { return this.buf[this.off + Icmpv4Field.CODE]; }
  get checksum(): number { return getU16(this.buf, this.off + Icmpv4Field.CHECKSUM); }
  set checksum(v: number) { setU16(this.buf, this.off + Icmpv4Field.CHECKSUM, v); }
  get id(): number { return getU16(this.buf, this.off + Icmpv4Field.ID); }
  get seq(): number { return getU16(this.buf, this.off + Icmpv4Field.SEQ); }

  /** Set type and code, patching the checksum incrementally (RFC 1624). */
  setTypeCode(type: number, code: number): void {
    const b = this.buf, o = this.off;
    const oldWord = (b[o] << 8) | b[o + 1];
    b[o] = type;
    b[o + 1] = code;
    this.checksum = updateChecksum16(this.checksum, oldWord, (type << 8) | code);
  }

  /** True when the checksum over `length` bytes verifies. */
  checksumValid(length: number): boolean {
    return internetChecksum(this.buf, this.off, this.off + length) === 0;
  }
}

export function parseIcmpv4(bytes: Uint8Array): Result<Icmpv4Message, Icmpv4ErrorCode> {
  if (bytes.length < Icmpv4Field.HEADER_LEN) return fail(Icmpv4Error.TRUNCATED, `${bytes.length} bytes is shorter than the 8-byte ICMP header`);
  if (internetChecksum(bytes) !== 0) return fail(Icmpv4Error.BAD_CHECKSUM, `ICMP checksum 0x${getU16(bytes, 2).toString(16)} does not verify`);
  const type = bytes[Icmpv4Field.TYPE], code = bytes[Icmpv4Field.CODE];
  const body = bytes.subarray(Icmpv4Field.BODY);
  const kind = KIND_OF_TYPE.get(type);
  switch (kind) {
    case 'echo-request':
    case 'echo-reply':
      return ok({ kind, code, id: getU16(bytes, Icmpv4Field.ID), seq: getU16(bytes, Icmpv4Field.SEQ), data: body });
    case 'dest-unreachable':
      return ok({ kind, code, nextHopMtu: getU16(bytes, Icmpv4Field.NEXT_HOP_MTU), quote: body });
    case 'time-exceeded':
      return ok({ kind, code, quote: body });
    default:
      return ok({ kind: 'unknown', type, code, rest: getU32(bytes, Icmpv4Field.REST), body });
  }
}

function bodyOf(m: Icmpv4Message): Uint8Array {
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply': return m.data;
    case 'dest-unreachable':
    case 'time-exceeded': return m.quote;
    case 'unknown': return m.body;
  }
}

export function icmpv4Len(m: Icmpv4Message): number {
  return Icmpv4Field.HEADER_LEN + bodyOf(m).length;
}

/** Write the message (checksum filled in) at `buf[off]`; returns its length. */
export function emitIcmpv4Into(m: Icmpv4Message, buf: Uint8Array, off = 0): number {
  const len = icmpv4Len(m);
  buf.fill(0, off, off + Icmpv4Field.HEADER_LEN);
  buf[off + Icmpv4Field.TYPE] = icmpv4TypeOf(m);
  buf[off + Icmpv4Field.CODE] = m.code;
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      setU16(buf, off + Icmpv4Field.ID, m.id);
      setU16(buf, off + Icmpv4Field.SEQ, m.seq);
      break;
    case 'dest-unreachable':
      setU16(buf, off + Icmpv4Field.NEXT_HOP_MTU, m.nextHopMtu);
      break;
    case 'time-exceeded':
      break;
    case 'unknown':
      setU32(buf, off + Icmpv4Field.REST, m.rest);
      break;
  }
  buf.set(bodyOf(m), off + Icmpv4Field.BODY);
  setU16(buf, off + Icmpv4Field.CHECKSUM, internetChecksum(buf, off, off + len));
  return len;
}

export function emitIcmpv4(m: Icmpv4Message): Uint8Array {
  const out = new Uint8Array(icmpv4Len(m));
  emitIcmpv4Into(m, out, 0);
  return out;
}

// ------------------------------------------------------------------ errors

function isGroupOrBroadcast(a: number): boolean {
  return a >>> 28 === 0xe || a === 0xffffffff;
}

/** Not a valid unicast source: 0/8, 127/8, multicast, class E, limited broadcast (RFC 1812 §4.3.2.7, §5.3.7). */
function isInvalidSource(a: number): boolean {
  const top = a >>> 24;
  return top === 0 || top === 127 || a >>> 28 >= 0xe;
}

/**
 * The RFC 1812 §4.3.2.7 cases in which no ICMP error may be sent about a
 * (validated) IPv4 datagram; `null` when an error may be sent. Subnet-directed
 * broadcasts are not known here: the caller checks those against its
 * interfaces.
 */
export function icmpv4ErrorSuppressed(packet: Uint8Array): Icmpv4SuppressedCode | null {
  const hlen = (packet[0] & 0x0f) << 2;
  if ((getU16(packet, Ipv4Field.FLAGS_FRAG) & 0x1fff) !== 0) return Icmpv4Suppressed.NON_FIRST_FRAGMENT;
  if (isGroupOrBroadcast(getU32(packet, Ipv4Field.DST))) return Icmpv4Suppressed.GROUP_DESTINATION;
  if (isInvalidSource(getU32(packet, Ipv4Field.SRC))) return Icmpv4Suppressed.INVALID_SOURCE;
  if (packet[Ipv4Field.PROTOCOL] === IpProtocol.ICMP) {
    // An ICMP message too short to show its type is treated as an error message.
    if (packet.length <= hlen || ERROR_TYPES.has(packet[hlen])) return Icmpv4Suppressed.ABOUT_ICMP_ERROR;
  }
  return null;
}

export type Icmpv4ErrorSpec =
  | { readonly kind: 'dest-unreachable'; readonly code: number; readonly nextHopMtu?: number }
  | { readonly kind: 'time-exceeded'; readonly code: number };

export interface Icmpv4ErrorOptions {
  /** The router's address on the interface the error leaves by (RFC 1812 §4.3.2.4). */
  readonly src: Uint8Array;
  readonly identification?: number;
  readonly ttl?: number;
  /**
   * Largest IPv4 packet to build. Default: quote exactly the offending
   * header plus 8 bytes (RFC 792); 576 quotes as much as RFC 1812 §4.3.2.3 allows.
   */
  readonly maxLength?: number;
}

/**
 * A whole IPv4 packet carrying the ICMP error about `offending` (an IPv4
 * datagram from its first header byte). Refused, as an error value, when
 * `offending` fails validation or when RFC 1812 §4.3.2.7 forbids an error.
 * The error is sent with precedence 6 (internetwork control, RFC 1812 §4.3.2.5).
 */
export function buildIcmpv4Error(
  offending: Uint8Array,
  spec: Icmpv4ErrorSpec,
  opts: Icmpv4ErrorOptions,
): Result<Uint8Array, Ipv4ErrorCode | Icmpv4SuppressedCode> {
  const bad = validateIpv4(offending, 0, offending.length);
  if (bad !== null) return fail(bad, `offending datagram is not valid IPv4 (${bad})`);
  const total = getU16(offending, Ipv4Field.TOTAL_LEN);
  const datagram = offending.subarray(0, total);
  const why = icmpv4ErrorSuppressed(datagram);
  if (why !== null) return fail(why, `no ICMP error may be sent about this datagram (${why})`);
  const hlen = (offending[0] & 0x0f) << 2;
  const quoteLen = opts.maxLength === undefined
    ? Math.min(total, hlen + 8)
    : Math.max(Math.min(total, opts.maxLength - Ipv4Field.MIN_HEADER_LEN - Icmpv4Field.HEADER_LEN), Math.min(total, hlen + 8));
  const quote = datagram.subarray(0, quoteLen);
  const msg: Icmpv4Message = spec.kind === 'dest-unreachable'
    ? { kind: 'dest-unreachable', code: spec.code, nextHopMtu: spec.nextHopMtu ?? 0, quote }
    : { kind: 'time-exceeded', code: spec.code, quote };
  const icmpLen = icmpv4Len(msg);
  const out = new Uint8Array(Ipv4Field.MIN_HEADER_LEN + icmpLen);
  emitIpv4Header(
    {
      dscp: 0x30, ecn: 0, identification: opts.identification ?? 0, flags: 0, fragmentOffset: 0,
      ttl: opts.ttl ?? 64, protocol: IpProtocol.ICMP,
      src: opts.src, dst: offending.subarray(Ipv4Field.SRC, Ipv4Field.SRC + 4), options: EMPTY,
    },
    icmpLen, out, 0,
  );
  emitIcmpv4Into(msg, out, Ipv4Field.MIN_HEADER_LEN);
  return ok(out);
}
