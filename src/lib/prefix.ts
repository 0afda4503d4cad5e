/**
 * Addresses and prefixes as the rest of the project passes them around.
 *
 * Owns: the plain `IpAddress`/`IpPrefix` value types (family + network-order
 * bytes), conversion to and from text (validated with ip-num), and the
 * numeric forms used on hot paths (IPv4 as one unsigned 32-bit number, IPv6 as
 * four unsigned 32-bit words — never BigInt).
 *
 * Not here: wire codecs (src/packet, src/bgp/wire) and lookup structures (src/fib).
 */
import { createRequire } from 'node:module';
import type * as IpNum from 'ip-num';

// Loaded as CommonJS, its native form: an ESM import of ip-num costs every
// process about 15 MB of resident memory (measured here with Node 20),
// require() about 3 MB. Every router process loads this module.
const { Validator } = createRequire(import.meta.url)('ip-num') as typeof IpNum;

export type Family = 4 | 6;

/** An address: 4 or 16 bytes in network order. */
export interface IpAddress {
  readonly family: Family;
  readonly bytes: Uint8Array;
}

/** A prefix: its address bytes (host bits zero) and length. */
export interface IpPrefix {
  readonly family: Family;
  readonly bytes: Uint8Array;
  readonly len: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function addressByteLength(family: Family): number {
  return family === 4 ? 4 : 16;
}

/** Parse dotted-quad or RFC 5952 text. Never throws. */
export function parseAddress(text: string): ParseResult<IpAddress> {
  const t = text.trim();
  if (Validator.isValidIPv4String(t)[0]) {
    const parts = t.split('.').map(Number);
    return { ok: true, value: { family: 4, bytes: Uint8Array.from(parts) } };
  }
  if (Validator.isValidIPv6String(t)[0]) {
    return { ok: true, value: { family: 6, bytes: ipv6TextToBytes(t) } };
  }
  return { ok: false, error: `not an IPv4 or IPv6 address: '${text}'` };
}

/** Parse "a.b.c.d/len" or "x::/len". Host bits must be zero unless `allowHostBits`. */
export function parsePrefix(text: string, opts: { allowHostBits?: boolean } = {}): ParseResult<IpPrefix> {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, error: `not a prefix (missing /length): '${text}'` };
  const a = parseAddress(text.slice(0, slash));
  if (!a.ok) return { ok: false, error: `not a prefix: '${text}'` };
  const lenText = text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(lenText)) return { ok: false, error: `bad prefix length in '${text}'` };
  const len = Number(lenText);
  const max = a.value.family === 4 ? 32 : 128;
  if (len > max) return { ok: false, error: `prefix length ${len} > ${max} in '${text}'` };
  const masked = maskBytes(a.value.bytes, len);
  if (!opts.allowHostBits && !bytesEqual(masked, a.value.bytes)) {
    return { ok: false, error: `host bits set in '${text}' (did you mean ${formatPrefix({ family: a.value.family, bytes: masked, len })}?)` };
  }
  return { ok: true, value: { family: a.value.family, bytes: masked, len } };
}

export function maskBytes(bytes: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = bits === 0 ? 0 : bytes[i] & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatAddress(a: IpAddress | Uint8Array): string {
  const bytes = a instanceof Uint8Array ? a : a.bytes;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return ipv6BytesToText(bytes);
}

export function formatPrefix(p: IpPrefix): string {
  return `${formatAddress(p.bytes)}/${p.len}`;
}

/** True when `outer` covers `inner` (same family, shorter or equal, same leading bits). */
export function prefixCovers(outer: IpPrefix, inner: IpPrefix | IpAddress): boolean {
  if (outer.family !== inner.family) return false;
  const innerLen = 'len' in inner ? inner.len : inner.bytes.length * 8;
  if (outer.len > innerLen) return false;
  return bytesEqual(maskBytes(inner.bytes, outer.len), outer.bytes);
}

/** IPv4 bytes → unsigned 32-bit number. */
export function ipv4ToNumber(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function numberToIpv4(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** IPv6 bytes → four unsigned 32-bit words, most significant first. */
export function ipv6ToWords(bytes: Uint8Array, offset = 0): [number, number, number, number] {
  return [ipv4ToNumber(bytes, offset), ipv4ToNumber(bytes, offset + 4), ipv4ToNumber(bytes, offset + 8), ipv4ToNumber(bytes, offset + 12)];
}

export function wordsToIpv6(w: readonly number[]): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 4; i++) out.set(numberToIpv4(w[i] >>> 0), i * 4);
  return out;
}

function ipv6TextToBytes(t: string): Uint8Array {
  let text = t;
  const out = new Uint8Array(16);
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let tailWords: number[] = [];
  if (tail.includes('.')) {
    const p = tail.split('.').map(Number);
    tailWords = [(p[0] << 8) | p[1], (p[2] << 8) | p[3]];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headWords = head ? head.split(':').filter((s) => s !== '').map((h) => parseInt(h, 16)) : [];
  const restWords = rest !== undefined && rest !== '' ? rest.split(':').map((h) => parseInt(h, 16)) : [];
  const words = new Array<number>(8).fill(0);
  headWords.forEach((w, i) => (words[i] = w));
  restWords.forEach((w, i) => (words[8 - restWords.length + i] = w));
  if (tailWords.length) { words[6] = tailWords[0]; words[7] = tailWords[1]; }
  words.forEach((w, i) => { out[i * 2] = w >> 8; out[i * 2 + 1] = w & 0xff; });
  return out;
}

/** RFC 5952 canonical text. */
function ipv6BytesToText(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
