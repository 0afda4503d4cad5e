/**
 * AS_PATH and AS4_PATH values (RFC 4271 §4.3 and §5.1.2, RFC 6793 §4).
 *
 * Owns: segment decoding for 2- and 4-octet AS widths, encoding (segments of
 * more than 255 ASes are split), mapping to AS_TRANS for old speakers, and
 * the AS_PATH + AS4_PATH merge of RFC 6793 §4.2.3.
 * Rejects: segment types other than AS_SET (1) and AS_SEQUENCE (2), empty
 * segments, overruns, and AS 0 (RFC 7607) — each reported as a reason string;
 * the attribute table turns it into an error with the right action.
 * Not supported: confederation segments (RFC 5065), which are malformed here.
 */
import type { ByteWriter } from './bytes.js';
import { u16, u32 } from './bytes.js';
import { AsPathSegmentType, type AsPathSegment } from './types.js';

export const AS_TRANS = 23456;

export type AsPathResult = { readonly ok: true; readonly segments: AsPathSegment[] } | { readonly ok: false; readonly reason: string };

export function decodeAsPath(b: Uint8Array, start: number, end: number, asWidth: 2 | 4): AsPathResult {
  const segments: AsPathSegment[] = [];
  let o = start;
  while (o < end) {
    if (o + 2 > end) return { ok: false, reason: 'truncated segment header' };
    const type = b[o];
    const count = b[o + 1];
    if (type !== AsPathSegmentType.AS_SET && type !== AsPathSegmentType.AS_SEQUENCE) return { ok: false, reason: `segment type ${type}` };
    if (count === 0) return { ok: false, reason: 'empty segment' };
    o += 2;
    if (o + count * asWidth > end) return { ok: false, reason: 'segment overruns the attribute' };
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const asn = asWidth === 4 ? u32(b, o) : u16(b, o);
      if (asn === 0) return { ok: false, reason: 'AS 0 in path (RFC 7607)' };
      asns[i] = asn;
      o += asWidth;
    }
    segments.push({ type: type as 1 | 2, asns });
  }
  return { ok: true, segments };
}

/** Bytes `encodeAsPath` would write. */
export function asPathWireLen(segments: readonly AsPathSegment[], asWidth: 2 | 4): number {
  let n = 0;
  for (const s of segments) n += Math.ceil(s.asns.length / 255) * 2 + s.asns.length * asWidth;
  return n;
}

/** Write segments; with width 2, ASNs above 65535 become AS_TRANS (RFC 6793 §4.2.2). */
export function writeAsPath(w: ByteWriter, segments: readonly AsPathSegment[], asWidth: 2 | 4): void {
  for (const s of segments) {
    for (let i = 0; i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      w.u8(s.type).u8(chunk.length);
      for (const asn of chunk) {
        if (asWidth === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
}

export function hasFourOctetAsn(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((a) => a > 0xffff));
}

/** Path length as the decision process counts it: an AS_SET counts 1 (RFC 4271 §9.1.2.2). */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) n += s.type === AsPathSegmentType.AS_SET ? 1 : s.asns.length;
  return n;
}

/**
 * RFC 6793 §4.2.3: rebuild the real path from a 2-octet AS_PATH and the
 * AS4_PATH. When AS_PATH is shorter than AS4_PATH the AS4_PATH is ignored.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const diff = asPathLength(asPath) - asPathLength(as4Path);
  if (diff < 0) return asPath.slice();
  const out: AsPathSegment[] = [];
  let need = diff;
  for (const s of asPath) {
    if (need === 0) break;
    if (s.type === AsPathSegmentType.AS_SET) {
      out.push(s);
      need -= 1;
    } else if (s.asns.length <= need) {
      out.push(s);
      need -= s.asns.length;
    } else {
      out.push({ type: s.type, asns: s.asns.slice(0, need) });
      need = 0;
    }
  }
  for (const s of as4Path) out.push(s);
  return out;
}
