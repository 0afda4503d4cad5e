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
 * IPv4 is a leaf-pushed DIR-16-8-8 table with 16-bit leaves (ipv4-dir.ts):
 * a lookup is one read of a 256 KB first level and, under a /16 holding longer
 * prefixes, one 2-byte read of its 512-byte chunk. Its limits: at most 32,767
 * distinct next-hop values present at once and 32,768 /24s holding prefixes
 * longer than /24 (RangeError past them).
 *
 * IPv6 uses lpm-trie.ts: a 16-bit first level and 8-bit nodes, each run-length
 * compressed behind a 256-bit bitmap with per-word byte counts and the leaves
 * inline (44 bytes + 4 per run), leaf-pushed, with incremental updates
 * re-deriving only the changed range from an exact-match hash table. It sits
 * between the two plain choices measured here (an uncompressed 16-8-8 trie:
 * fast but 371 MB; a hash per length: small but one probe per prefix length
 * present): 250k prefixes fit in about 60 MB, a miss outside the table costs
 * one read, a /48 the first level plus 4 node reads. See docs/benchmarks.md
 * for where both stand.
 *
 * Host bits of inserted/removed prefixes are ignored (masked). Next hops are
 * integers in [0, 2^30); anything else is a programming error (RangeError).
 * IPv6 changes are applied lazily: the first lookup after a batch of updates
 * applies them, grouped per node. IPv4 changes apply at once, except a bulk
 * load into an empty table, which is built by the first lookup or flush().
 *
 * Not here: what a next hop means (fib.ts).
 */
import { LpmTrie, popcount32 } from './lpm-trie.js';
import { Ipv4Lpm } from './ipv4-dir.js';

export { Ipv4Lpm };

export { NO_ROUTE, MAX_VALUE } from './lpm-trie.js';

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

export class Ipv6Lpm {
  private readonly t = new LpmTrie(4);
  private readonly key = new Uint32Array(4);

  get size(): number {
    return this.t.size;
  }

  private setKey(w0: number, w1: number, w2: number, w3: number): Uint32Array {
    const k = this.key;
    k[0] = w0; k[1] = w1; k[2] = w2; k[3] = w3;
    return k;
  }

  insert(w0: number, w1: number, w2: number, w3: number, len: number, nextHop: number): void {
    this.t.insert(this.setKey(w0, w1, w2, w3), len, nextHop);
  }

  remove(w0: number, w1: number, w2: number, w3: number, len: number): boolean {
    return this.t.remove(this.setKey(w0, w1, w2, w3), len);
  }

  get(w0: number, w1: number, w2: number, w3: number, len: number): number {
    return this.t.get(this.setKey(w0, w1, w2, w3), len);
  }

  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    let v = t.root[w0 >>> 16];
    if (v >= -1) return v;
    const mem = t.mem;
    let d = 16;
    do {
      const word = d < 64 ? (d < 32 ? w0 : w1) : d < 96 ? w2 : w3;
      const s = (word >>> (24 - (d & 31))) & 255;
      const o = -2 - v;
      const w = s >>> 5;
      v = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << (s & 31)) - 1))];
      d += 8;
    } while (v <= -2);
    return v;
  }

  /** addrs holds 4 words per address; works in waves like the IPv4 batch. */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    const root = t.root;
    const mem = t.mem;
    const n = Math.min(addrs.length >>> 2, out.length);
    let deeper = 0;
    for (let i = 0; i < n; i++) {
      const v = root[addrs[i << 2] >>> 16];
      out[i] = v;
      if (v <= -2) deeper = 1;
    }
    for (let d = 16; deeper !== 0 && d < 128; d += 8) {
      deeper = 0;
      const wi = d >>> 5;
      const sh = 24 - (d & 31);
      for (let i = 0; i < n; i++) {
        const v = out[i];
        if (v <= -2) {
          const s = (addrs[(i << 2) + wi] >>> sh) & 255;
          const o = -2 - v;
          const w = s >>> 5;
          let x = mem[o + w] & ((2 << (s & 31)) - 1);
          x = x - ((x >>> 1) & 0x55555555);
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          x = (x + (x >>> 4)) & 0x0f0f0f0f;
          const r = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + (Math.imul(x, 0x01010101) >>> 24)];
          out[i] = r;
          if (r <= -2) deeper = 1;
        }
      }
    }
  }

  matches(w0: number, w1: number, w2: number, w3: number): Ipv6Match[] {
    return this.t.matches(this.setKey(w0, w1, w2, w3)).map((m) => ({
      words: [m.key[0], m.key[1], m.key[2], m.key[3]] as [number, number, number, number],
      len: m.len,
      nextHop: m.value,
    }));
  }

  forEach(fn: (words: Uint32Array, len: number, nextHop: number) => void): void {
    this.t.forEach(fn);
  }

  memory(): LpmMemory {
    return this.t.byteLength();
  }

  flush(): void {
    this.t.flush();
  }
}

export function createIpv4Lpm(): Ipv4Lpm {
  return new Ipv4Lpm();
}

export function createIpv6Lpm(): Ipv6Lpm {
  return new Ipv6Lpm();
}
