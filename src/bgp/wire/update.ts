/**
 * UPDATE messages (RFC 4271 §4.3) with the revised error handling of
 * RFC 7606: decode never throws and reports every error with its action;
 * the strongest action wins (§3(h)).
 *
 * Owns: the UPDATE layout (withdrawn routes, path attributes, NLRI), the
 * generic attribute rules (flags check §3(c), duplicates §3(g), unknown
 * attributes, overrun §4, missing mandatory attributes §3(d)), the AS4 merge
 * for 2-octet sessions (RFC 6793 §4.2.3), and encoding.
 * Per-attribute knowledge lives in attributes.ts.
 *
 * Treat-as-withdraw (TaW): the result's `withdraw` lists every prefix the
 * message mentions (IPv4 withdrawn and NLRI, MP_UNREACH and MP_REACH); the
 * receiver withdraws those and ignores the rest of the message.
 * An attribute overrun with no IPv4 NLRI and no MP_REACH seen resets the session
 * (robustness rows 11/12; the unparsed tail may have hidden MP attributes).
 * Optional session checks (UpdateDecodeContext): on iBGP a missing
 * LOCAL_PREF is treat-as-withdraw (§3(d)); on eBGP a received LOCAL_PREF is
 * ignored (RFC 4271 §5.1.5) and, when asked, the leftmost AS must be the
 * peer's (RFC 4271 §6.3, TaW per RFC 7606 §7.2).
 * Not supported: ADD-PATH, confederations.
 */
import type { IpPrefix } from '../../lib/prefix.js';
import { ByteWriter, u16 } from './bytes.js';
import { bgpError, strongestAction, strongestError } from './errors.js';
import { frame, HEADER_LEN, MAX_MESSAGE_LEN } from './header.js';
import { mergeAs4Path, AS_TRANS } from './as-path.js';
import { ATTRIBUTES_BY_CODE, ENCODE_ORDER, type AttrAccumulator } from './attributes.js';
import { decodePrefixes, writePrefix } from './nlri.js';
import {
  AsPathSegmentType, AttrCode, AttrFlag, ErrorCode, HeaderSubcode, MessageType, UpdateSubcode,
  type BgpError, type CodecContext, type ErrorAction, type PathAttributes, type UnknownAttribute, type UpdateMessage,
} from './types.js';

export interface UpdateDecodeResult {
  /** What could be decoded; attributes discarded by RFC 7606 are absent. */
  readonly update: UpdateMessage;
  /** Every error found, in order. */
  readonly errors: readonly BgpError[];
  /** The strongest action among `errors`, or undefined for a clean message. */
  readonly action: ErrorAction | undefined;
  /** With action 'session-reset': the NOTIFICATION to send. */
  readonly notification?: BgpError;
  /** With action 'treat-as-withdraw': every prefix the message mentions, to withdraw. Otherwise empty. */
  readonly withdraw: readonly IpPrefix[];
}

/** The codec context plus optional per-session checks. */
export interface UpdateDecodeContext extends CodecContext {
  /** true: iBGP (LOCAL_PREF mandatory); false: eBGP (LOCAL_PREF ignored); absent: neither check. */
  readonly ibgp?: boolean;
  /** eBGP: the AS the AS_PATH must start with (the peer's). */
  readonly enforceFirstAs?: number;
}

const EMPTY_UPDATE: UpdateMessage = { type: 'update', withdrawn: [], attributes: {}, nlri: [] };

/**
 * Attribute codes seen in the message being decoded. decodeUpdate never
 * re-enters itself, so one table serves every call: the codes it set are
 * cleared on the way out (a message has a few attributes; clearing them is
 * cheaper than a fresh 256-byte array per UPDATE).
 */
const SEEN = new Uint8Array(256);
const SEEN_CODES: number[] = [];
const REQUIRED_WITH_NLRI = [AttrCode.ORIGIN, AttrCode.AS_PATH, AttrCode.NEXT_HOP];
const REQUIRED_WITH_NLRI_IBGP = [AttrCode.ORIGIN, AttrCode.AS_PATH, AttrCode.NEXT_HOP, AttrCode.LOCAL_PREF];
const REQUIRED_MP_ONLY = [AttrCode.ORIGIN, AttrCode.AS_PATH];
const REQUIRED_MP_ONLY_IBGP = [AttrCode.ORIGIN, AttrCode.AS_PATH, AttrCode.LOCAL_PREF];

function malformedList(reason: string): BgpError {
  return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'session-reset', reason);
}

function invalidNetwork(what: string, reason: string): BgpError {
  return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, 'session-reset', `${what}: ${reason}`);
}

function reset(error: BgpError, errors: BgpError[] = [], update: UpdateMessage = EMPTY_UPDATE): UpdateDecodeResult {
  const all = [...errors, error];
  return { update, errors: all, action: 'session-reset', notification: strongestError(all), withdraw: [] };
}

/** Decode one whole UPDATE message (header included), as produced by the stream splitter. */
export function decodeUpdate(msg: Uint8Array, ctx: UpdateDecodeContext): UpdateDecodeResult {
  try {
    return decodeUpdateWith(msg, ctx, SEEN, SEEN_CODES);
  } finally {
    for (const c of SEEN_CODES) SEEN[c] = 0;
    SEEN_CODES.length = 0;
  }
}

function decodeUpdateWith(msg: Uint8Array, ctx: UpdateDecodeContext, seen: Uint8Array, seenCodes: number[]): UpdateDecodeResult {
  const len = msg.length;
  if (len < HEADER_LEN + 4) {
    return reset(bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, 'session-reset', `UPDATE of ${len} bytes`, msg.slice(16, Math.min(18, len))));
  }
  const wLen = u16(msg, HEADER_LEN);
  const wStart = HEADER_LEN + 2;
  const wEnd = wStart + wLen;
  if (wEnd + 2 > len) return reset(malformedList(`withdrawn length ${wLen} overruns the message`));
  const aLen = u16(msg, wEnd);
  const aStart = wEnd + 2;
  const aEnd = aStart + aLen;
  if (aEnd > len) return reset(malformedList(`withdrawn length ${wLen} + attribute length ${aLen} + 23 > message length ${len}`));

  const w = decodePrefixes(msg, wStart, wEnd, 4);
  if (!w.ok) return reset(invalidNetwork('withdrawn routes', w.reason));
  const n = decodePrefixes(msg, aEnd, len, 4);
  if (!n.ok) return reset(invalidNetwork('NLRI', n.reason));
  const withdrawn = w.prefixes;
  const nlri = n.prefixes;

  const errors: BgpError[] = [];
  const acc: AttrAccumulator = { unknown: [] };
  let o = aStart;
  while (o < aEnd) {
    const flags = msg[o];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    let overrun = o + hdr > aEnd;
    const code = overrun && o + 1 >= aEnd ? -1 : msg[o + 1];
    let vEnd = 0;
    if (!overrun) {
      vEnd = o + hdr + (ext ? u16(msg, o + 2) : msg[o + 2]);
      overrun = vEnd > aEnd;
    }
    if (overrun) {
      const reason = `attribute ${code < 0 ? '?' : code} at offset ${o} overruns the attribute block`;
      if (nlri.length > 0 || acc.mpReach !== undefined) {
        errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'treat-as-withdraw', reason));
        break;
      }
      return reset(malformedList(`${reason}, and no NLRI to withdraw`), errors);
    }
    const vStart = o + hdr;
    const attrStart = o;
    o = vEnd;
    if (seen[code]) {
      if (code === AttrCode.MP_REACH_NLRI || code === AttrCode.MP_UNREACH_NLRI) {
        return reset(malformedList(`attribute ${code} appears twice`), errors);
      }
      errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'attribute-discard', `attribute ${code} appears again; the first is kept`));
      continue;
    }
    seen[code] = 1;
    seenCodes.push(code);
    const desc = ATTRIBUTES_BY_CODE[code];
    if (desc === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        return reset(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.UNRECOGNIZED_WELL_KNOWN, 'session-reset', `unrecognized well-known attribute ${code}`, msg.slice(attrStart, vEnd)), errors);
      }
      if ((flags & AttrFlag.TRANSITIVE) !== 0) {
        acc.unknown.push({ flags: flags & ~AttrFlag.EXTENDED_LENGTH, code, value: msg.slice(vStart, vEnd) });
      }
      continue;
    }
    if ((flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== desc.flags) {
      errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.ATTRIBUTE_FLAGS, desc.action, `${desc.name} flags 0x${flags.toString(16)}`, msg.slice(attrStart, vEnd)));
      continue;
    }
    const fail = desc.decode(msg.subarray(vStart, vEnd), ctx, acc);
    if (fail) errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, fail.subcode, fail.action ?? desc.action, fail.reason, fail.data ?? msg.slice(attrStart, vEnd)));
  }

  const hasReach = nlri.length > 0 || acc.mpReach !== undefined;
  if (hasReach) {
    const ibgp = ctx.ibgp === true;
    const required = nlri.length > 0 ? (ibgp ? REQUIRED_WITH_NLRI_IBGP : REQUIRED_WITH_NLRI) : (ibgp ? REQUIRED_MP_ONLY_IBGP : REQUIRED_MP_ONLY);
    for (const code of required) {
      if (!seen[code]) {
        errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MISSING_WELL_KNOWN, 'treat-as-withdraw', `missing well-known attribute ${code}`, Uint8Array.of(code)));
      }
    }
  }
  if (errors.some((e) => e.action === 'session-reset')) {
    return { update: EMPTY_UPDATE, errors, action: 'session-reset', notification: strongestError(errors), withdraw: [] };
  }

  if (ctx.ibgp === false) acc.localPref = undefined;
  const attributes = finishAttributes(acc, ctx);
  if (ctx.enforceFirstAs !== undefined && hasReach && attributes.asPath !== undefined) {
    const first = attributes.asPath[0];
    if (first === undefined || first.type !== AsPathSegmentType.AS_SEQUENCE || first.asns[0] !== ctx.enforceFirstAs) {
      errors.push(bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_AS_PATH, 'treat-as-withdraw', `AS_PATH does not start with the peer's AS ${ctx.enforceFirstAs}`));
    }
  }
  const update: UpdateMessage = { type: 'update', withdrawn, attributes, nlri };
  const action = strongestAction(errors);
  let withdraw: IpPrefix[] = [];
  if (action === 'treat-as-withdraw') {
    withdraw = [...withdrawn, ...nlri, ...(acc.mpUnreach?.withdrawn ?? []), ...(acc.mpReach?.nlri ?? [])];
  }
  return { update, errors, action, withdraw };
}

/** Build the readonly attribute set; on a 2-octet session merge AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.3). */
function finishAttributes(acc: AttrAccumulator, ctx: CodecContext): PathAttributes {
  const out: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = {};
  let asPath = acc.asPath;
  let aggregator = acc.aggregator;
  if (!ctx.fourOctetAs) {
    // AS4_* are used only when AGGREGATOR (if any) carries AS_TRANS (RFC 6793 §4.2.3).
    const useAs4 = aggregator === undefined || aggregator.asn === AS_TRANS;
    if (useAs4 && aggregator && acc.as4Aggregator) aggregator = acc.as4Aggregator;
    if (useAs4 && asPath && acc.as4Path) asPath = mergeAs4Path(asPath, acc.as4Path);
  }
  if (acc.origin !== undefined) out.origin = acc.origin;
  if (asPath !== undefined) out.asPath = asPath;
  if (acc.nextHop !== undefined) out.nextHop = acc.nextHop;
  if (acc.med !== undefined) out.med = acc.med;
  if (acc.localPref !== undefined) out.localPref = acc.localPref;
  if (acc.atomicAggregate) out.atomicAggregate = true;
  if (aggregator !== undefined) out.aggregator = aggregator;
  if (acc.communities !== undefined) out.communities = acc.communities;
  if (acc.mpReach !== undefined) out.mpReach = acc.mpReach;
  if (acc.mpUnreach !== undefined) out.mpUnreach = acc.mpUnreach;
  if (acc.unknown.length > 0) out.unknown = acc.unknown;
  return out;
}

function writeAttribute(w: ByteWriter, flags: number, code: number, value: Uint8Array): void {
  if (value.length > 255) w.u8(flags | AttrFlag.EXTENDED_LENGTH).u8(code).u16(value.length);
  else w.u8(flags & ~AttrFlag.EXTENDED_LENGTH).u8(code).u8(value.length);
  w.bytes(value);
}

/**
 * The path attribute block for `a`: MP attributes first, then by code. Known
 * attributes get their table flags; unknown optional transitive ones are
 * re-sent with the Partial bit set (RFC 4271 §5).
 */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext): Uint8Array {
  const w = new ByteWriter(128);
  const unknown = [...(a.unknown ?? [])].sort((x, y) => x.code - y.code);
  let u = 0;
  const flushUnknownBefore = (code: number) => {
    while (u < unknown.length && unknown[u].code < code) writeUnknown(w, unknown[u++]);
  };
  for (const code of ENCODE_ORDER) {
    const desc = ATTRIBUTES_BY_CODE[code]!;
    if (code !== AttrCode.MP_REACH_NLRI && code !== AttrCode.MP_UNREACH_NLRI) flushUnknownBefore(code);
    const v = desc.encode(a, ctx);
    if (v !== undefined) writeAttribute(w, desc.flags, code, v);
  }
  flushUnknownBefore(256);
  return w.finish();
}

function writeUnknown(w: ByteWriter, x: UnknownAttribute): void {
  if (ATTRIBUTES_BY_CODE[x.code] !== undefined) return;
  const transitive = (x.flags & AttrFlag.OPTIONAL) !== 0 && (x.flags & AttrFlag.TRANSITIVE) !== 0;
  writeAttribute(w, transitive ? x.flags | AttrFlag.PARTIAL : x.flags, x.code, x.value);
}

/** Encode a whole UPDATE (header included). Throws RangeError when it exceeds 4096 bytes: use update-builder.ts to pack. */
export function encodeUpdate(u: UpdateMessage, ctx: CodecContext): Uint8Array {
  const attrs = encodeAttributes(u.attributes, ctx);
  return encodeUpdateParts(u.withdrawn, attrs, u.nlri);
}

/** Encode from an already encoded attribute block (the builder reuses one block for many messages). */
export function encodeUpdateParts(withdrawn: readonly IpPrefix[], attrs: Uint8Array, nlri: readonly IpPrefix[]): Uint8Array {
  const w = new ByteWriter(64 + attrs.length);
  w.u16(0);
  for (const p of withdrawn) writePrefix(w, p);
  w.patchU16(0, w.length - 2);
  w.u16(attrs.length).bytes(attrs);
  for (const p of nlri) writePrefix(w, p);
  const body = w.finish();
  if (body.length + HEADER_LEN > MAX_MESSAGE_LEN) throw new RangeError(`UPDATE of ${body.length + HEADER_LEN} bytes exceeds ${MAX_MESSAGE_LEN}`);
  return frame(MessageType.UPDATE, body);
}
