/**
 * Packing routes into UPDATE messages: many prefixes sharing one attribute
 * set go into as few messages of at most 4096 bytes as possible; IPv4 in the
 * NLRI / withdrawn fields, IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI
 * (RFC 4760 §3, §4). Also the End-of-RIB markers of RFC 4724 §2.
 *
 * The attribute block is encoded once per call. Messages for announcements
 * never mix families.
 * Not supported: ADD-PATH, families other than IPv4/IPv6 unicast.
 */
import type { IpPrefix } from '../../lib/prefix.js';
import { encodeAttributes, encodeUpdateParts } from './update.js';
import { HEADER_LEN, MARKER_LEN, MAX_MESSAGE_LEN } from './header.js';
import type { ByteWriter } from './bytes.js';
import { prefixWireLen, writeIpv4Prefix } from './nlri.js';
import { Afi, MessageType, Safi, type CodecContext, type PathAttributes, type UpdateMessage } from './types.js';

/** Body bytes before the attributes and NLRI: withdrawn length (2) and attribute length (2). */
const FIXED = HEADER_LEN + 4;
/** MP attribute header with extended length (4) + AFI/SAFI (3). */
const MP_UNREACH_OVERHEAD = 4 + 3;

export interface AnnounceInput {
  /** Shared attributes: without mpReach/mpUnreach (the builder adds them). IPv4 NLRI need `nextHop`. */
  readonly attributes: PathAttributes;
  readonly prefixes: readonly IpPrefix[];
  /** IPv6 next hop (16 bytes, or 32 with the link-local) when `prefixes` has IPv6 ones. */
  readonly ipv6NextHop?: Uint8Array;
}

/** Split `items` greedily into runs whose encoded size stays within `room`. */
function pack(items: readonly IpPrefix[], room: number): IpPrefix[][] {
  const out: IpPrefix[][] = [];
  let cur: IpPrefix[] = [];
  let used = 0;
  for (const p of items) {
    const n = prefixWireLen(p);
    if (used + n > room && cur.length > 0) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(p);
    used += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function stripMp(a: PathAttributes): PathAttributes {
  if (a.mpReach === undefined && a.mpUnreach === undefined) return a;
  const { mpReach: _r, mpUnreach: _u, ...rest } = a;
  return rest;
}

/** The attribute block of IPv4 announcements with `attributes` (what `appendIpv4Announcements` takes). */
export function ipv4AttributeBlock(attributes: PathAttributes, ctx: CodecContext): Uint8Array {
  return encodeAttributes(stripMp(attributes), ctx);
}

/** UPDATEs announcing `prefixes` with one attribute set. Returns encoded messages. Throws RangeError (a caller bug) for IPv6 without a next hop. */
export function buildAnnouncements(input: AnnounceInput, ctx: CodecContext): Uint8Array[] {
  const base = stripMp(input.attributes);
  const v4 = input.prefixes.filter((p) => p.family === 4);
  const v6 = input.prefixes.filter((p) => p.family === 6);
  const out: Uint8Array[] = [];
  if (v4.length > 0) {
    const attrs = encodeAttributes(base, ctx);
    for (const run of pack(v4, MAX_MESSAGE_LEN - FIXED - attrs.length)) out.push(encodeUpdateParts([], attrs, run));
  }
  if (v6.length > 0) {
    const nextHop = input.ipv6NextHop;
    if (nextHop === undefined || (nextHop.length !== 16 && nextHop.length !== 32)) throw new RangeError('IPv6 announcements need a 16- or 32-byte ipv6NextHop');
    // Without the IPv4 NEXT_HOP: MP_REACH carries the next hop.
    const { nextHop: _nh, ...rest } = base;
    const others = encodeAttributes(rest, ctx);
    const room = MAX_MESSAGE_LEN - FIXED - others.length - (4 + 5 + nextHop.length);
    for (const run of pack(v6, room)) {
      const attrs = encodeAttributes({ ...rest, mpReach: { afi: Afi.IPV6, safi: Safi.UNICAST, nextHop, nlri: run } }, ctx);
      out.push(encodeUpdateParts([], attrs, []));
    }
  }
  return out;
}

/**
 * IPv4 prefixes read by id where they are stored (the RIB's prefix table),
 * so that announcing them needs no IpPrefix object per prefix.
 */
export interface Ipv4PrefixSource {
  /** Prefix length in bits. */
  len(id: number): number;
  /** The network address, host bits zero, as an unsigned 32-bit number. */
  ipv4(id: number): number;
}

/**
 * Appends to `out` the UPDATEs announcing the IPv4 prefixes `ids` of `src`
 * with the encoded attribute block `attrs` (NEXT_HOP included, no MP
 * attributes): byte for byte the messages `buildAnnouncements` makes for the
 * same prefixes in the same order, written in place (header, empty
 * withdrawn field, attributes, as many NLRI as fit in 4096 bytes).
 * Returns the number of messages.
 */
export function appendIpv4Announcements(out: ByteWriter, attrs: Uint8Array, ids: readonly number[], src: Ipv4PrefixSource): number {
  const limit = MAX_MESSAGE_LEN;
  let messages = 0;
  let i = 0;
  while (i < ids.length) {
    const start = out.length;
    out.fill(0xff, MARKER_LEN).u16(0).u8(MessageType.UPDATE).u16(0).u16(attrs.length).bytes(attrs);
    let size = FIXED + attrs.length;
    let inThis = 0;
    while (i < ids.length) {
      const id = ids[i];
      const len = src.len(id);
      const n = (len + 7) >>> 3;
      if (size + 1 + n > limit && inThis > 0) break;
      writeIpv4Prefix(out, src.ipv4(id), len);
      size += 1 + n;
      inThis++;
      i++;
    }
    out.patchU16(start + MARKER_LEN, out.length - start);
    messages++;
  }
  return messages;
}

/** UPDATEs withdrawing `prefixes` (IPv4 in the withdrawn field, IPv6 in MP_UNREACH_NLRI). */
export function buildWithdrawals(prefixes: readonly IpPrefix[], ctx: CodecContext): Uint8Array[] {
  const v4 = prefixes.filter((p) => p.family === 4);
  const v6 = prefixes.filter((p) => p.family === 6);
  const out: Uint8Array[] = [];
  const empty = new Uint8Array(0);
  for (const run of pack(v4, MAX_MESSAGE_LEN - FIXED)) out.push(encodeUpdateParts(run, empty, []));
  for (const run of pack(v6, MAX_MESSAGE_LEN - FIXED - MP_UNREACH_OVERHEAD)) {
    out.push(encodeUpdateParts([], encodeAttributes({ mpUnreach: { afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: run } }, ctx), []));
  }
  return out;
}

/** End-of-RIB (RFC 4724 §2): empty UPDATE for IPv4 unicast, empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(afi: number, safi: number = Safi.UNICAST): Uint8Array {
  if (afi === Afi.IPV4 && safi === Safi.UNICAST) return encodeUpdateParts([], new Uint8Array(0), []);
  return encodeUpdateParts([], encodeAttributes({ mpUnreach: { afi, safi, withdrawn: [] } }, { fourOctetAs: true }), []);
}

/** The family an UPDATE marks the end of, or undefined when it is not an End-of-RIB. */
export function endOfRibFamily(u: UpdateMessage): { afi: number; safi: number } | undefined {
  const a = u.attributes;
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return undefined;
  const keys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return { afi: Afi.IPV4, safi: Safi.UNICAST };
  if (keys.length === 1 && a.mpUnreach && a.mpUnreach.withdrawn.length === 0) return { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi };
  return undefined;
}
