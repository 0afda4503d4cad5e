/**
 * IPv4 (RFC 791) as a router sees it (RFC 1812).
 *
 * Owns: the field table; `Ipv4View`, the data plane's in-place view
 * (validation per RFC 1812 §5.2.2 without allocation, TTL decrement with the
 * RFC 1624 incremental checksum, address reads as unsigned 32-bit numbers);
 * the plain `Ipv4Header` with `parseIpv4` / `emitIpv4` / `ipv4Len`;
 * `fragmentIpv4` (RFC 791 §3.2 fragmentation on 8-byte boundaries, DF
 * honoured, only "copied" options repeated after the first fragment); and
 * `Ipv4Reassembler` (RFC 791 / RFC 815 style, keyed by (src, dst, protocol,
 * id), time passed in, bounded memory).
 *
 * Options are carried as raw bytes; unknown protocol numbers and option
 * types are kept as they are.
 *
 * Not supported: interpreting options (source route, record route,
 * timestamps are not acted on); reassembly of overlapping fragments (the
 * whole datagram is dropped, as RFC 5722 requires for IPv6 and Linux does for
 * IPv4); "tiny fragment" attack filtering (RFC 1858).
 */
import { getU16, getU32, setU16, setU32 } from '../lib/bytes.js';
import { internetChecksum, updateChecksum16 } from '../lib/checksum.js';
import { type Result, type Decoded, ok, fail, EMPTY, copyBytes } from './result.js';

export { IpProtocol } from './ip-protocol.js';

export const Ipv4Field = {
  VER_IHL: 0, TOS: 1, TOTAL_LEN: 2, IDENT: 4, FLAGS_FRAG: 6, TTL: 8, PROTOCOL: 9, CHECKSUM: 10,
  SRC: 12, DST: 16, OPTIONS: 20, MIN_HEADER_LEN: 20, MAX_HEADER_LEN: 60,
} as const;

/** The 3-bit flags field (bits 0-2 of byte 6). */
export const Ipv4Flag = { RESERVED: 4, DF: 2, MF: 1 } as const;

/** RFC 791: every internet module must forward a 68-byte datagram unfragmented. */
export const IPV4_MIN_MTU = 68;

export const Ipv4Error = {
  TRUNCATED: 'ipv4.truncated',
  BAD_VERSION: 'ipv4.bad-version',
  BAD_IHL: 'ipv4.bad-ihl',
  HEADER_TRUNCATED: 'ipv4.header-truncated',
  BAD_TOTAL_LENGTH: 'ipv4.bad-total-length',
  BAD_CHECKSUM: 'ipv4.bad-checksum',
} as const;
export type Ipv4ErrorCode = (typeof Ipv4Error)[keyof typeof Ipv4Error];

export const FragmentError = {
  DONT_FRAGMENT: 'ipv4.dont-fragment',
  MTU_TOO_SMALL: 'ipv4.mtu-too-small',
  OFFSET_OVERFLOW: 'ipv4.fragment-offset-overflow',
} as const;
export type FragmentErrorCode = (typeof FragmentError)[keyof typeof FragmentError] | Ipv4ErrorCode;

export interface Ipv4Header {
  readonly dscp: number;
  readonly ecn: number;
  readonly identification: number;
  /** Raw 3-bit flags: `Ipv4Flag.DF`, `Ipv4Flag.MF`, `Ipv4Flag.RESERVED`. */
  readonly flags: number;
  /** In units of 8 bytes, as on the wire. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** Raw option bytes, a multiple of 4 long, at most 40 (padding included). */
  readonly options: Uint8Array;
}

/** Validation of `len` bytes at `b[o]` per RFC 1812 §5.2.2; `null` when the header is sound. */
export function validateIpv4(b: Uint8Array, o: number, len: number): Ipv4ErrorCode | null {
  if (len < Ipv4Field.MIN_HEADER_LEN) return Ipv4Error.TRUNCATED;
  const vi = b[o];
  if (vi >>> 4 !== 4) return Ipv4Error.BAD_VERSION;
  const hlen = (vi & 0x0f) << 2;
  if (hlen < Ipv4Field.MIN_HEADER_LEN) return Ipv4Error.BAD_IHL;
  if (hlen > len) return Ipv4Error.HEADER_TRUNCATED;
  const total = getU16(b, o + Ipv4Field.TOTAL_LEN);
  if (total < hlen || total > len) return Ipv4Error.BAD_TOTAL_LENGTH;
  if (internetChecksum(b, o, o + hlen) !== 0) return Ipv4Error.BAD_CHECKSUM;
  return null;
}

/**
 * A reusable view over one IPv4 header: point it with `at()`, call
 * `validate()` before trusting any field. No allocation per packet.
 */
export class Ipv4View {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** RFC 1812 §5.2.2 checks against the `length` bytes available from `off`. */
  validate(length: number): Ipv4ErrorCode | null {
    return validateIpv4(this.buf, this.off, length);
  }

  get version(): number { return this.buf[this.off] >>> 4; }
  get headerLength(): number { return (this.buf[this.off] & 0x0f) << 2; }
  get payloadOffset(): number { return this.off + this.headerLength; }
  get dscp(): number { return this.buf[this.off + Ipv4Field.TOS] >>> 2; }
  get ecn(): number { return this.buf[this.off + Ipv4Field.TOS] & 3; }
  get totalLength(): number { return getU16(this.buf, this.off + Ipv4Field.TOTAL_LEN); }
  get identification(): number { return getU16(this.buf, this.off + Ipv4Field.IDENT); }
  get flags(): number { return this.buf[this.off + Ipv4Field.FLAGS_FRAG] >>> 5; }
  get dontFragment(): boolean { return (this.buf[this.off + Ipv4Field.FLAGS_FRAG] & 0x40) !== 0; }
  get moreFragments(): boolean { return (this.buf[this.off + Ipv4Field.FLAGS_FRAG] & 0x20) !== 0; }
  /** In 8-byte units. */
  get fragmentOffset(): number { return getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & 0x1fff; }
  /** Part of a fragmented datagram (MF set or a non-zero offset). */
  get isFragment(): boolean { return (getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & 0x3fff) !== 0; }
  get ttl(): number { return this.buf[this.off + Ipv4Field.TTL]; }
  /** Raw write: does not touch the checksum (see `decrementTtl`). */
  set ttl(v: number) { this.buf[this.off + Ipv4Field.TTL] = v; }
  get protocol(): number { return this.buf[this.off + Ipv4Field.PROTOCOL]; }
  get checksum(): number { return getU16(this.buf, this.off + Ipv4Field.CHECKSUM); }
  set checksum(v: number) { setU16(this.buf, this.off + Ipv4Field.CHECKSUM, v); }
  get src(): number { return getU32(this.buf, this.off + Ipv4Field.SRC); }
  set src(v: number) { setU32(this.buf, this.off + Ipv4Field.SRC, v); }
  get dst(): number { return getU32(this.buf, this.off + Ipv4Field.DST); }
  set dst(v: number) { setU32(this.buf, this.off + Ipv4Field.DST, v); }

  /** TTL minus one with the checksum patched per RFC 1624 (RFC 1812 §5.3.1). Returns the new TTL. */
  decrementTtl(): number {
    const b = this.buf, o = this.off;
    const oldWord = (b[o + Ipv4Field.TTL] << 8) | b[o + Ipv4Field.PROTOCOL];
    const ttl = (b[o + Ipv4Field.TTL] - 1) & 0xff;
    b[o + Ipv4Field.TTL] = ttl;
    this.checksum = updateChecksum16(this.checksum, oldWord, (ttl << 8) | b[o + Ipv4Field.PROTOCOL]);
    return ttl;
  }

  /** Recompute the header checksum from scratch. */
  fillChecksum(): void {
    setU16(this.buf, this.off + Ipv4Field.CHECKSUM, 0);
    this.checksum = internetChecksum(this.buf, this.off, this.off + this.headerLength);
  }
}

/** Parse and validate (RFC 1812 §5.2.2); the payload is cut at the total length (link padding dropped). */
export function parseIpv4(bytes: Uint8Array): Result<Decoded<Ipv4Header>, Ipv4ErrorCode> {
  const bad = validateIpv4(bytes, 0, bytes.length);
  if (bad !== null) return fail(bad, describe(bad, bytes));
  const hlen = (bytes[0] & 0x0f) << 2;
  const total = getU16(bytes, Ipv4Field.TOTAL_LEN);
  const ff = getU16(bytes, Ipv4Field.FLAGS_FRAG);
  return ok({
    header: {
      dscp: bytes[Ipv4Field.TOS] >>> 2,
      ecn: bytes[Ipv4Field.TOS] & 3,
      identification: getU16(bytes, Ipv4Field.IDENT),
      flags: ff >>> 13,
      fragmentOffset: ff & 0x1fff,
      ttl: bytes[Ipv4Field.TTL],
      protocol: bytes[Ipv4Field.PROTOCOL],
      src: copyBytes(bytes, Ipv4Field.SRC, 4),
      dst: copyBytes(bytes, Ipv4Field.DST, 4),
      options: copyBytes(bytes, Ipv4Field.OPTIONS, hlen - Ipv4Field.MIN_HEADER_LEN),
    },
    payload: bytes.subarray(hlen, total),
  });
}

function describe(code: Ipv4ErrorCode, b: Uint8Array): string {
  switch (code) {
    case Ipv4Error.TRUNCATED: return `${b.length} bytes is shorter than the 20-byte IPv4 header`;
    case Ipv4Error.BAD_VERSION: return `version ${b[0] >>> 4} is not 4`;
    case Ipv4Error.BAD_IHL: return `IHL ${b[0] & 0x0f} is below 5`;
    case Ipv4Error.HEADER_TRUNCATED: return `header length ${(b[0] & 0x0f) << 2} exceeds the ${b.length} bytes received`;
    case Ipv4Error.BAD_TOTAL_LENGTH: return `total length ${getU16(b, 2)} is below the header length or above the ${b.length} bytes received`;
    case Ipv4Error.BAD_CHECKSUM: return `header checksum 0x${getU16(b, 10).toString(16)} does not verify`;
  }
}

export function ipv4HeaderLen(h: Ipv4Header): number {
  return Ipv4Field.MIN_HEADER_LEN + ((h.options.length + 3) & ~3);
}

/** Total bytes `emitIpv4(h, payload)` produces for `payloadLength` bytes of payload. */
export function ipv4Len(h: Ipv4Header, payloadLength = 0): number {
  return ipv4HeaderLen(h) + payloadLength;
}

/**
 * Write the header (checksum filled in) at `buf[off]` for a payload of
 * `payloadLength` bytes; returns the header length. Throws on programmer
 * errors: options over 40 bytes or a datagram over 65535 bytes.
 */
export function emitIpv4Header(h: Ipv4Header, payloadLength: number, buf: Uint8Array, off = 0): number {
  const hlen = ipv4HeaderLen(h);
  if (hlen > Ipv4Field.MAX_HEADER_LEN) throw new RangeError(`IPv4 options of ${h.options.length} bytes exceed 40`);
  const total = hlen + payloadLength;
  if (total > 0xffff) throw new RangeError(`IPv4 datagram of ${total} bytes exceeds 65535`);
  buf[off] = 0x40 | (hlen >>> 2);
  buf[off + Ipv4Field.TOS] = ((h.dscp & 0x3f) << 2) | (h.ecn & 3);
  setU16(buf, off + Ipv4Field.TOTAL_LEN, total);
  setU16(buf, off + Ipv4Field.IDENT, h.identification);
  setU16(buf, off + Ipv4Field.FLAGS_FRAG, ((h.flags & 7) << 13) | (h.fragmentOffset & 0x1fff));
  buf[off + Ipv4Field.TTL] = h.ttl;
  buf[off + Ipv4Field.PROTOCOL] = h.protocol;
  setU16(buf, off + Ipv4Field.CHECKSUM, 0);
  buf.set(h.src.subarray(0, 4), off + Ipv4Field.SRC);
  buf.set(h.dst.subarray(0, 4), off + Ipv4Field.DST);
  buf.fill(0, off + Ipv4Field.OPTIONS, off + hlen);
  buf.set(h.options, off + Ipv4Field.OPTIONS);
  setU16(buf, off + Ipv4Field.CHECKSUM, internetChecksum(buf, off, off + hlen));
  return hlen;
}

export function emitIpv4(h: Ipv4Header, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(ipv4Len(h, payload.length));
  const hlen = emitIpv4Header(h, payload.length, out, 0);
  out.set(payload, hlen);
  return out;
}

// ---------------------------------------------------------------- options

/**
 * The options to repeat in every fragment after the first: those with the
 * "copied" bit (RFC 791 §3.1), padded to a multiple of 4 with End of Option
 * List. Malformed option lists stop the walk (nothing after is copied).
 */
export function ipv4CopiedOptions(options: Uint8Array): Uint8Array {
  const kept: number[] = [];
  let i = 0;
  while (i < options.length) {
    const t = options[i];
    if (t === 0) break; // End of Option List
    if (t === 1) { i++; continue; } // No Operation
    if (i + 1 >= options.length) break;
    const l = options[i + 1];
    if (l < 2 || i + l > options.length) break;
    if (t & 0x80) for (let k = 0; k < l; k++) kept.push(options[i + k]);
    i += l;
  }
  const out = new Uint8Array((kept.length + 3) & ~3);
  out.set(kept);
  return out;
}

// ----------------------------------------------------------- fragmentation

/**
 * Split a valid IPv4 datagram for a link of `mtu` bytes (RFC 791 §3.2,
 * RFC 1812 §5.2.6). A datagram that fits comes back alone (the input array,
 * cut at its total length). DF set and too big: `ipv4.dont-fragment` — the
 * caller answers with ICMP fragmentation needed carrying `mtu`. Fragments of
 * an already fragmented datagram keep its offset and, on the last piece, its
 * MF flag. Every fragment gets a fresh header checksum.
 */
export function fragmentIpv4(packet: Uint8Array, mtu: number): Result<Uint8Array[], FragmentErrorCode> {
  const p = parseIpv4(packet);
  if (!p.ok) return p;
  const { header, payload } = p.value;
  const hlen = ipv4HeaderLen(header);
  const total = hlen + payload.length;
  if (total <= mtu) return ok([packet.subarray(0, total)]);
  if (header.flags & Ipv4Flag.DF) return fail(FragmentError.DONT_FRAGMENT, `datagram of ${total} bytes exceeds MTU ${mtu} and has DF set`);
  const copied = ipv4CopiedOptions(header.options);
  const restHlen = Ipv4Field.MIN_HEADER_LEN + copied.length;
  const firstChunk = ((mtu - hlen) >> 3) << 3;
  const restChunk = ((mtu - restHlen) >> 3) << 3;
  if (mtu < IPV4_MIN_MTU || firstChunk < 8 || restChunk < 8) {
    return fail(FragmentError.MTU_TOO_SMALL, `MTU ${mtu} cannot carry a ${hlen}-byte header and 8 bytes of data`);
  }
  if ((header.fragmentOffset << 3) + payload.length > 0xffff) {
    return fail(FragmentError.OFFSET_OVERFLOW, `fragment offset ${header.fragmentOffset * 8} plus ${payload.length} bytes passes 65535`);
  }
  const out: Uint8Array[] = [];
  const origMf = header.flags & Ipv4Flag.MF;
  let pos = 0;
  while (pos < payload.length) {
    const first = pos === 0;
    const chunk = first ? firstChunk : restChunk;
    const last = pos + chunk >= payload.length;
    const size = last ? payload.length - pos : chunk;
    const h: Ipv4Header = {
      ...header,
      options: first ? header.options : copied,
      flags: (header.flags & ~Ipv4Flag.MF) | (last ? origMf : Ipv4Flag.MF),
      fragmentOffset: header.fragmentOffset + (pos >> 3),
    };
    out.push(emitIpv4(h, payload.subarray(pos, pos + size)));
    pos += size;
  }
  return ok(out);
}

// -------------------------------------------------------------- reassembly

export type ReassemblyOutcome =
  /** A whole datagram: the input itself when it was not a fragment, else a new array. */
  | { readonly kind: 'complete'; readonly packet: Uint8Array }
  | { readonly kind: 'pending' }
  | { readonly kind: 'invalid'; readonly error: { readonly code: Ipv4ErrorCode; readonly message: string } }
  /** The fragment (and, for overlap or inconsistency, its whole datagram) was discarded. */
  | { readonly kind: 'dropped'; readonly reason: 'overlap' | 'inconsistent-length' | 'bad-fragment-length' | 'too-large' | 'too-many-fragments' };

export interface ExpiredDatagram {
  readonly key: string;
  /** The offset-0 fragment as received, when it arrived: RFC 792 time exceeded (code 1) quotes it. */
  readonly firstFragment?: Uint8Array;
}

export interface ReassemblerOptions {
  /** Lifetime of an incomplete datagram, in ms (RFC 791 suggests 15 s as the lower bound; Linux uses 30 s). */
  readonly timeoutMs?: number;
  readonly maxDatagrams?: number;
  readonly maxBytes?: number;
  /** Pieces one datagram may arrive in (bounds the per-fragment overlap scan). */
  readonly maxFragments?: number;
}

interface Piece { readonly start: number; readonly end: number; readonly data: Uint8Array }
interface Pending {
  readonly deadline: number;
  readonly pieces: Piece[];
  /** End of the payload, known once the MF=0 fragment arrived; -1 before. */
  payloadEnd: number;
  first?: Uint8Array;
  bytes: number;
}

/**
 * Reassembly of IPv4 fragments, pure: time comes in as `now` (ms), nothing is
 * scheduled. Incomplete datagrams are held until `expire(now)` reports them;
 * memory is bounded by `maxDatagrams` and `maxBytes` (oldest evicted first).
 */
export class Ipv4Reassembler {
  private readonly timeoutMs: number;
  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly maxFragments: number;
  private readonly pending = new Map<string, Pending>();
  private bytes = 0;

  constructor(opts: ReassemblerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxDatagrams = opts.maxDatagrams ?? 64;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxFragments = opts.maxFragments ?? 1024;
  }

  get size(): number {
    return this.pending.size;
  }

  push(packet: Uint8Array, now: number): ReassemblyOutcome {
    const p = parseIpv4(packet);
    if (!p.ok) return { kind: 'invalid', error: p.error };
    const { header, payload } = p.value;
    const mf = (header.flags & Ipv4Flag.MF) !== 0;
    const hlen = ipv4HeaderLen(header);
    if (!mf && header.fragmentOffset === 0) return { kind: 'complete', packet: packet.subarray(0, hlen + payload.length) };
    const start = header.fragmentOffset << 3;
    const end = start + payload.length;
    if (mf && (payload.length === 0 || (payload.length & 7) !== 0)) return { kind: 'dropped', reason: 'bad-fragment-length' };
    const key = reassemblyKey(header);
    if (hlen + end > 0xffff) { this.drop(key); return { kind: 'dropped', reason: 'too-large' }; }

    let d = this.pending.get(key);
    if (d === undefined) {
      this.makeRoom(payload.length);
      d = { deadline: now + this.timeoutMs, pieces: [], payloadEnd: -1, bytes: 0 };
      this.pending.set(key, d);
    }
    if (!mf) {
      if (d.payloadEnd >= 0 && d.payloadEnd !== end) { this.drop(key); return { kind: 'dropped', reason: 'inconsistent-length' }; }
      for (const q of d.pieces) if (q.end > end) { this.drop(key); return { kind: 'dropped', reason: 'inconsistent-length' }; }
      d.payloadEnd = end;
    } else if (d.payloadEnd >= 0 && end > d.payloadEnd) {
      this.drop(key);
      return { kind: 'dropped', reason: 'inconsistent-length' };
    }
    for (const q of d.pieces) {
      if (q.start < end && start < q.end) {
        if (q.start === start && q.end === end && sameBytes(q.data, payload)) return { kind: 'pending' }; // duplicate
        this.drop(key);
        return { kind: 'dropped', reason: 'overlap' };
      }
    }
    if (d.pieces.length >= this.maxFragments) { this.drop(key); return { kind: 'dropped', reason: 'too-many-fragments' }; }
    d.pieces.push({ start, end, data: payload.slice() });
    d.bytes += payload.length;
    this.bytes += payload.length;
    if (start === 0) d.first = packet.slice(0, hlen + payload.length);

    const whole = this.tryAssemble(d);
    if (whole === undefined) return { kind: 'pending' };
    this.drop(key);
    return { kind: 'complete', packet: whole };
  }

  /** Remove and report every datagram whose deadline has passed. */
  expire(now: number): ExpiredDatagram[] {
    const out: ExpiredDatagram[] = [];
    for (const [key, d] of this.pending) {
      if (d.deadline > now) continue;
      out.push(d.first ? { key, firstFragment: d.first } : { key });
      this.drop(key);
    }
    return out;
  }

  private tryAssemble(d: Pending): Uint8Array | undefined {
    if (d.payloadEnd < 0 || d.first === undefined) return undefined;
    d.pieces.sort((a, b) => a.start - b.start);
    let covered = 0;
    for (const q of d.pieces) {
      if (q.start !== covered) return undefined;
      covered = q.end;
    }
    if (covered !== d.payloadEnd) return undefined;
    const hlen = (d.first[0] & 0x0f) << 2;
    const out = new Uint8Array(hlen + d.payloadEnd);
    out.set(d.first.subarray(0, hlen));
    for (const q of d.pieces) out.set(q.data, hlen + q.start);
    setU16(out, Ipv4Field.TOTAL_LEN, out.length);
    setU16(out, Ipv4Field.FLAGS_FRAG, getU16(out, Ipv4Field.FLAGS_FRAG) & 0xc000); // MF and offset cleared
    scratch.at(out).fillChecksum();
    return out;
  }

  private makeRoom(incoming: number): void {
    for (const key of this.pending.keys()) {
      if (this.pending.size < this.maxDatagrams && this.bytes + incoming <= this.maxBytes) return;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const d = this.pending.get(key);
    if (d === undefined) return;
    this.bytes -= d.bytes;
    this.pending.delete(key);
  }
}

const scratch = new Ipv4View();

/** The RFC 791 reassembly key: source, destination, protocol, identification. */
export function reassemblyKey(h: Ipv4Header): string {
  return `${getU32(h.src, 0)}/${getU32(h.dst, 0)}/${h.protocol}/${h.identification}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
