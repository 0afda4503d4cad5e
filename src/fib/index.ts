/**
 * Longest-prefix match for IPv4 and IPv6: the benchmark entry points and the
 * structures the FIB (fib.ts) is built on.
 *
 * IPv4 (`createIpv4Lpm()`): addresses are unsigned 32-bit numbers.
 *   insert(addr, len, nextHop)   remove(addr, len) -> boolean
 *   lookup(addr) -> nextHop | -1 lookupBatch(addrs: Uint32Array, out: Int32Array)
 *   matches(addr) -> every stored prefix covering addr, shortest first
 * IPv6 (`createIpv6Lpm()`): addresses are four unsigned 32-bit words, most
 * significant first (w0 holds bits 0-31); no BigInt anywhere.
 *   insert(w0, w1, w2, w3, len, nextHop)   remove(w0, w1, w2, w3, len)
 *   lookup(w0, w1, w2, w3) -> nextHop | -1
 *   lookupBatch(addrs: Uint32Array /4 words per address/, out: Int32Array)
 *   matches(w0, w1, w2, w3)
 *
 * IPv4 is a leaf-pushed table with one byte per /24 (ipv4-dir.ts): a lookup
 * is one read of a 16 MB byte array at `a >>> 8`, whose byte is the next hop
 * + 2 for next hops 0-252 (1: no route). /24s holding longer prefixes, next
 * hops of 253 or more and, while the table is small, /16s without longer
 * prefixes go through a /16 level and a 16-bit block beside it (array reads,
 * no probe). The 16 MB are mapped as they are written: a small table touches
 * a few pages.
 * Its limits: at most 32,512 distinct next-hop values of 254 or more present
 * at once, 32,768 /24s holding prefixes longer than /24 and 65,535 /16s
 * holding either (RangeError past them).
 *
 * IPv6 is a DIR-style first level on the top 22 bits (16 MB) with a sorted
 * range list per /22 below it (ipv6-ranges.ts): prefixes of length 23-64 in
 * a /22 become disjoint ranges of bits 22-63, compared as one exact double,
 * so a lookup is one read of the first level and a search of a few adjacent
 * doubles. Prefixes longer than /64 are supported but slower: the
 * /64 holding one is a range of its own that sends the lookup to probe the
 * exact-match table at the lengths > 64 present.
 *
 * Host bits of inserted/removed prefixes are ignored (masked). Next hops are
 * integers in [0, 2^30); anything else is a programming error (RangeError).
 * IPv6 changes are applied lazily: the first lookup after a batch of updates
 * rebuilds the range list of each /22 they touched, once. IPv4 changes
 * apply at once, except a bulk load into an empty table, which is built by
 * the first lookup or flush().
 *
 * Not here: what a next hop means (fib.ts).
 */
import { Ipv4Lpm } from './ipv4-dir.js';
import { Ipv6RangeLpm as Ipv6Lpm } from './ipv6-ranges.js';

export { Ipv4Lpm, Ipv6Lpm };

/** What lookup returns when no prefix covers the address. */
export const NO_ROUTE = -1;
/** The largest next-hop value a table takes. */
export const MAX_VALUE = 0x3fffffff;

export interface LpmMemory {
  /** bytes of the lookup structure (first level, nodes, leaves, bookkeeping) */
  structure: number;
  /** bytes of the exact-match table kept for updates and `matches` */
  table: number;
  total: number;
}

export interface Ipv4Match {
  addr: number;
  len: number;
  nextHop: number;
}

export interface Ipv6Match {
  words: [number, number, number, number];
  len: number;
  nextHop: number;
}

export function createIpv4Lpm(): Ipv4Lpm {
  return new Ipv4Lpm();
}

export function createIpv6Lpm(): Ipv6Lpm {
  return new Ipv6Lpm();
}
