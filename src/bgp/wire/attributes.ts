/**
 * The path-attribute table: one descriptor per attribute code with its
 * name, expected flags, value decoder, value encoder and RFC 7606 §7 error
 * action. Everything the codec knows about a specific attribute is here.
 *
 * RFC 4271 §4.3/§5.1 (ORIGIN .. AGGREGATOR), RFC 1997 (COMMUNITIES),
 * RFC 4760 (MP_REACH_NLRI, MP_UNREACH_NLRI: IPv4/IPv6 unicast only),
 * RFC 6793 (AS4_PATH, AS4_AGGREGATOR), RFC 7606 §7 (actions), RFC 7607 (AS 0).
 *
 * Not supported: confederation segments, ADD-PATH, RFC 8950 IPv4 NLRI with
 * IPv6 next hop, AFI/SAFI other than IPv4/IPv6 unicast (such MP attributes
 * are discarded with an error record). Any other attribute code is handled
 * by the generic rules in update.ts (kept if optional transitive).
 */
import type { Family, IpPrefix } from '../../lib/prefix.js';
import { ByteWriter, u16, u32 } from './bytes.js';
import { AS_TRANS, decodeAsPath, hasFourOctetAsn, writeAsPath } from './as-path.js';
import { decodePrefixes, writePrefix } from './nlri.js';
import {
  Afi, AttrCode, AttrFlag, Safi, UpdateSubcode,
  type AsPathSegment, type CodecContext, type ErrorAction, type MpReach, type MpUnreach, type OriginValue, type PathAttributes, type UnknownAttribute,
} from './types.js';

/** Attributes as they are collected during decoding (AS4_* kept apart until the merge). */
export interface AttrAccumulator {
  origin?: OriginValue;
  asPath?: AsPathSegment[];
  nextHop?: Uint8Array;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: Uint8Array };
  communities?: number[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  unknown: UnknownAttribute[];
  as4Path?: AsPathSegment[];
  as4Aggregator?: { asn: number; address: Uint8Array };
}

/** Why a value was rejected; `action` overrides the descriptor's when set. */
export interface AttrFailure {
  readonly subcode: number;
  readonly reason: string;
  readonly action?: ErrorAction;
  /** Defaults to the whole attribute as received. */
  readonly data?: Uint8Array;
}

export interface AttributeDescriptor {
  readonly code: number;
  readonly name: string;
  /** Expected Optional and Transitive bits (RFC 4271 §5). */
  readonly flags: number;
  /** RFC 7606 action for a malformed value or wrong flags. */
  readonly action: ErrorAction;
  /** Decode `v` (the value only) into `acc`; undefined on success. */
  decode(v: Uint8Array, ctx: CodecContext, acc: AttrAccumulator): AttrFailure | undefined;
  /** The value to send for `a`, or undefined when the attribute is absent. */
  encode(a: PathAttributes, ctx: CodecContext): Uint8Array | undefined;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPT_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const OPT_NON_TRANSITIVE = AttrFlag.OPTIONAL;

const lengthError = (name: string, len: number, want: string): AttrFailure => ({ subcode: UpdateSubcode.ATTRIBUTE_LENGTH, reason: `${name} length ${len}, expected ${want}` });

function u32Value(n: number): Uint8Array {
  return new ByteWriter(4).u32(n).finish();
}

/** NEXT_HOP values that can never be a next hop: 0/8, 127/8, multicast and class E. */
function martianNextHop(b: Uint8Array): boolean {
  return b[0] === 0 || b[0] === 127 || b[0] >= 224;
}

function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 4;
  if (afi === Afi.IPV6) return 6;
  return undefined;
}

function decodeAggregator(v: Uint8Array, width: 2 | 4, name: string): { asn: number; address: Uint8Array } | AttrFailure {
  if (v.length !== width + 4) return lengthError(name, v.length, String(width + 4));
  const asn = width === 4 ? u32(v, 0) : u16(v, 0);
  if (asn === 0) return { subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `${name} with AS 0 (RFC 7607)` };
  return { asn, address: v.slice(width, width + 4) };
}

function encodePrefixes(w: ByteWriter, prefixes: readonly IpPrefix[]): void {
  for (const p of prefixes) writePrefix(w, p);
}

export const ATTRIBUTE_TABLE: readonly AttributeDescriptor[] = [
  {
    code: AttrCode.ORIGIN, name: 'ORIGIN', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    decode(v, _ctx, acc) {
      if (v.length !== 1) return lengthError('ORIGIN', v.length, '1');
      if (v[0] > 2) return { subcode: UpdateSubcode.INVALID_ORIGIN, reason: `ORIGIN value ${v[0]}` };
      acc.origin = v[0] as OriginValue;
      return undefined;
    },
    encode: (a) => (a.origin === undefined ? undefined : Uint8Array.of(a.origin)),
  },
  {
    code: AttrCode.AS_PATH, name: 'AS_PATH', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    decode(v, ctx, acc) {
      const r = decodeAsPath(v, 0, v.length, ctx.fourOctetAs ? 4 : 2);
      if (!r.ok) return { subcode: UpdateSubcode.MALFORMED_AS_PATH, reason: `AS_PATH: ${r.reason}`, data: new Uint8Array(0) };
      acc.asPath = r.segments;
      return undefined;
    },
    encode(a, ctx) {
      if (a.asPath === undefined) return undefined;
      const w = new ByteWriter();
      writeAsPath(w, a.asPath, ctx.fourOctetAs ? 4 : 2);
      return w.finish();
    },
  },
  {
    code: AttrCode.NEXT_HOP, name: 'NEXT_HOP', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    decode(v, _ctx, acc) {
      if (v.length !== 4) return lengthError('NEXT_HOP', v.length, '4');
      if (martianNextHop(v)) return { subcode: UpdateSubcode.INVALID_NEXT_HOP, reason: `NEXT_HOP ${v.join('.')} is not a unicast address` };
      acc.nextHop = v.slice();
      return undefined;
    },
    encode: (a) => a.nextHop?.slice(0, 4),
  },
  {
    code: AttrCode.MULTI_EXIT_DISC, name: 'MULTI_EXIT_DISC', flags: OPT_NON_TRANSITIVE, action: 'treat-as-withdraw',
    decode(v, _ctx, acc) {
      if (v.length !== 4) return lengthError('MULTI_EXIT_DISC', v.length, '4');
      acc.med = u32(v, 0);
      return undefined;
    },
    encode: (a) => (a.med === undefined ? undefined : u32Value(a.med)),
  },
  {
    code: AttrCode.LOCAL_PREF, name: 'LOCAL_PREF', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    decode(v, _ctx, acc) {
      if (v.length !== 4) return lengthError('LOCAL_PREF', v.length, '4');
      acc.localPref = u32(v, 0);
      return undefined;
    },
    encode: (a) => (a.localPref === undefined ? undefined : u32Value(a.localPref)),
  },
  {
    code: AttrCode.ATOMIC_AGGREGATE, name: 'ATOMIC_AGGREGATE', flags: WELL_KNOWN, action: 'attribute-discard',
    decode(v, _ctx, acc) {
      if (v.length !== 0) return lengthError('ATOMIC_AGGREGATE', v.length, '0');
      acc.atomicAggregate = true;
      return undefined;
    },
    encode: (a) => (a.atomicAggregate ? new Uint8Array(0) : undefined),
  },
  {
    code: AttrCode.AGGREGATOR, name: 'AGGREGATOR', flags: OPT_TRANSITIVE, action: 'attribute-discard',
    decode(v, ctx, acc) {
      const r = decodeAggregator(v, ctx.fourOctetAs ? 4 : 2, 'AGGREGATOR');
      if ('subcode' in r) return r;
      acc.aggregator = r;
      return undefined;
    },
    encode(a, ctx) {
      if (!a.aggregator) return undefined;
      const w = new ByteWriter(8);
      if (ctx.fourOctetAs) w.u32(a.aggregator.asn);
      else w.u16(a.aggregator.asn > 0xffff ? AS_TRANS : a.aggregator.asn);
      return w.bytes(a.aggregator.address.subarray(0, 4)).finish();
    },
  },
  {
    code: AttrCode.COMMUNITIES, name: 'COMMUNITIES', flags: OPT_TRANSITIVE, action: 'treat-as-withdraw',
    decode(v, _ctx, acc) {
      if (v.length === 0 || v.length % 4 !== 0) return lengthError('COMMUNITIES', v.length, 'a non-zero multiple of 4');
      const list = new Array<number>(v.length / 4);
      for (let i = 0; i < list.length; i++) list[i] = u32(v, i * 4);
      acc.communities = list;
      return undefined;
    },
    encode(a) {
      if (!a.communities || a.communities.length === 0) return undefined;
      const w = new ByteWriter(a.communities.length * 4);
      for (const c of a.communities) w.u32(c);
      return w.finish();
    },
  },
  {
    code: AttrCode.MP_REACH_NLRI, name: 'MP_REACH_NLRI', flags: OPT_NON_TRANSITIVE, action: 'session-reset',
    decode(v, _ctx, acc) {
      const bad = (reason: string): AttrFailure => ({ subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `MP_REACH_NLRI: ${reason}` });
      if (v.length < 5) return bad(`length ${v.length} < 5`);
      const afi = u16(v, 0);
      const safi = v[2];
      const nhLen = v[3];
      if (4 + nhLen + 1 > v.length) return bad(`next hop length ${nhLen} overruns the attribute`);
      const family = familyOf(afi, safi);
      if (family === undefined) return { subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `MP_REACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, action: 'attribute-discard' };
      if (family === 4 ? nhLen !== 4 : nhLen !== 16 && nhLen !== 32) return bad(`next hop length ${nhLen} for AFI ${afi}`);
      const r = decodePrefixes(v, 4 + nhLen + 1, v.length, family);
      if (!r.ok) return bad(r.reason);
      acc.mpReach = { afi, safi, nextHop: v.slice(4, 4 + nhLen), nlri: r.prefixes };
      return undefined;
    },
    encode(a) {
      const m = a.mpReach;
      if (!m) return undefined;
      const w = new ByteWriter(5 + m.nextHop.length + m.nlri.length * 9);
      w.u16(m.afi).u8(m.safi).u8(m.nextHop.length).bytes(m.nextHop).u8(0);
      encodePrefixes(w, m.nlri);
      return w.finish();
    },
  },
  {
    code: AttrCode.MP_UNREACH_NLRI, name: 'MP_UNREACH_NLRI', flags: OPT_NON_TRANSITIVE, action: 'session-reset',
    decode(v, _ctx, acc) {
      if (v.length < 3) return { subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `MP_UNREACH_NLRI length ${v.length} < 3` };
      const afi = u16(v, 0);
      const safi = v[2];
      const family = familyOf(afi, safi);
      if (family === undefined) return { subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `MP_UNREACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, action: 'attribute-discard' };
      const r = decodePrefixes(v, 3, v.length, family);
      if (!r.ok) return { subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE, reason: `MP_UNREACH_NLRI: ${r.reason}` };
      acc.mpUnreach = { afi, safi, withdrawn: r.prefixes };
      return undefined;
    },
    encode(a) {
      const m = a.mpUnreach;
      if (!m) return undefined;
      const w = new ByteWriter(3 + m.withdrawn.length * 9);
      w.u16(m.afi).u8(m.safi);
      encodePrefixes(w, m.withdrawn);
      return w.finish();
    },
  },
  {
    code: AttrCode.AS4_PATH, name: 'AS4_PATH', flags: OPT_TRANSITIVE, action: 'attribute-discard',
    decode(v, _ctx, acc) {
      const r = decodeAsPath(v, 0, v.length, 4);
      if (!r.ok) return { subcode: UpdateSubcode.MALFORMED_AS_PATH, reason: `AS4_PATH: ${r.reason}` };
      acc.as4Path = r.segments;
      return undefined;
    },
    encode(a, ctx) {
      if (ctx.fourOctetAs || !a.asPath || !hasFourOctetAsn(a.asPath)) return undefined;
      const w = new ByteWriter();
      writeAsPath(w, a.asPath, 4);
      return w.finish();
    },
  },
  {
    code: AttrCode.AS4_AGGREGATOR, name: 'AS4_AGGREGATOR', flags: OPT_TRANSITIVE, action: 'attribute-discard',
    decode(v, _ctx, acc) {
      const r = decodeAggregator(v, 4, 'AS4_AGGREGATOR');
      if ('subcode' in r) return r;
      acc.as4Aggregator = r;
      return undefined;
    },
    encode(a, ctx) {
      if (ctx.fourOctetAs || !a.aggregator || a.aggregator.asn <= 0xffff) return undefined;
      return new ByteWriter(8).u32(a.aggregator.asn).bytes(a.aggregator.address.subarray(0, 4)).finish();
    },
  },
];

/** Descriptor by attribute code (sparse array indexed by code). */
export const ATTRIBUTES_BY_CODE: readonly (AttributeDescriptor | undefined)[] = (() => {
  const t: (AttributeDescriptor | undefined)[] = new Array(256).fill(undefined);
  for (const d of ATTRIBUTE_TABLE) t[d.code] = d;
  return t;
})();

/** Attribute codes emitted first (RFC 7606 §5.1: MP attributes lead the list), then the rest in code order. */
export const ENCODE_ORDER: readonly number[] = [
  AttrCode.MP_UNREACH_NLRI, AttrCode.MP_REACH_NLRI,
  ...ATTRIBUTE_TABLE.map((d) => d.code).filter((c) => c !== AttrCode.MP_REACH_NLRI && c !== AttrCode.MP_UNREACH_NLRI).sort((x, y) => x - y),
];
