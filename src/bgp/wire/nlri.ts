/**
 * NLRI prefix encoding (RFC 4271 §4.3, RFC 4760 §5): a length byte in bits
 * followed by the fewest bytes that hold it.
 *
 * Owns: decoding a run of prefixes between two offsets (never reading past
 * `end`), encoding, and the encoded size. Trailing bits past the length are
 * masked off on decode (the RFC says they are irrelevant), so decoded
 * prefixes always have their host bits zero.
 * Not supported: ADD-PATH (RFC 7911) path identifiers.
 */
import type { Family, IpPrefix } from '../../lib/prefix.js';
import type { ByteWriter } from './bytes.js';

export type PrefixRunResult =
  | { readonly ok: true; readonly prefixes: IpPrefix[] }
  | { readonly ok: false; readonly reason: string };

const LOW_MASK = [0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe];

export function decodePrefixes(b: Uint8Array, start: number, end: number, family: Family): PrefixRunResult {
  const maxLen = family === 4 ? 32 : 128;
  const size = family === 4 ? 4 : 16;
  const prefixes: IpPrefix[] = [];
  let o = start;
  while (o < end) {
    const len = b[o++];
    if (len > maxLen) return { ok: false, reason: `prefix length ${len} > ${maxLen} at offset ${o - 1}` };
    const n = (len + 7) >>> 3;
    if (o + n > end) return { ok: false, reason: `prefix /${len} overruns its field at offset ${o - 1}` };
    const bytes = new Uint8Array(size);
    for (let i = 0; i < n; i++) bytes[i] = b[o + i];
    const rem = len & 7;
    if (rem !== 0) bytes[n - 1] &= LOW_MASK[rem];
    prefixes.push({ family, bytes, len });
    o += n;
  }
  return { ok: true, prefixes };
}

export function prefixWireLen(p: IpPrefix): number {
  return 1 + ((p.len + 7) >>> 3);
}

/** An IPv4 prefix given as its address (an unsigned 32-bit number) and length, as writePrefix writes it. */
export function writeIpv4Prefix(w: ByteWriter, addr: number, len: number): void {
  const n = (len + 7) >>> 3;
  w.u8(len);
  for (let k = 0; k < n; k++) {
    const b = (addr >>> (24 - 8 * k)) & 0xff;
    w.u8(k === n - 1 && (len & 7) !== 0 ? b & LOW_MASK[len & 7] : b);
  }
}

export function writePrefix(w: ByteWriter, p: IpPrefix): void {
  const n = (p.len + 7) >>> 3;
  w.u8(p.len);
  if (n === 0) return;
  w.bytes(p.bytes.subarray(0, n - 1));
  const rem = p.len & 7;
  w.u8(rem === 0 ? p.bytes[n - 1] : p.bytes[n - 1] & LOW_MASK[rem]);
}
