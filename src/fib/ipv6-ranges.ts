/**
 * IPv6 longest-prefix match as a DIR-style first level on the top 22 bits
 * with a sorted range list per /22 below it (the structure behind
 * `createIpv6Lpm()`; the range idea is DXR's, with 64-bit rather than 32-bit
 * keys).
 *
 * Address form: four unsigned 32-bit words, most significant first (w0 holds
 * bits 0-31). No BigInt and no strings anywhere: below the first level an
 * address is compared as one exact double, bits 22-63 (42 bits):
 * `(w0 & 0x3ff) * 2^32 + w1`.
 *
 * Layout (typed arrays only on the lookup path):
 * - `l1`: Int32Array(2^22) (16 MB, of which the 2000::/3 part is 2 MB), one
 *   entry per /22: >= 0 the next hop itself, -1 no route, <= -2 the /22's
 *   range list at `iv` offset (-2 - v). Prefixes of length <= 22 are written
 *   into it DIR-style (each slot keeps the length of the prefix it came
 *   from, `l1Len`).
 * - `iv`: one Float64Array holding every range list: [count, chunk id,
 *   start 0 (= 0), value 0, start 1, value 1, ...], each list starting on a
 *   64-byte line. Range i covers bits 22-63 from start i up to start i+1, so
 *   prefixes of length 23-64 inside the /22, nested or not, become disjoint
 *   ranges (adjacent equal values merged); the gaps carry the /22's own value
 *   (its longest prefix of length <= 22). A lookup is one read of `l1` and a
 *   search of a few adjacent doubles: a binary search down to 8 ranges, then
 *   a scan in order (fewer mispredicted branches than halving to the end; a
 *   fifth or so faster on the synthetic table). In the 250k-prefix synthetic
 *   table a list has 5 ranges on average (118,508 lists, at most 78 ranges),
 *   but the list a table-derived lookup searches has 10 on average (busy /22s
 *   hold the long lists).
 *   A 20-bit first level (4 MB) made lists of 6.6 ranges and lookups about a
 *   quarter slower: the search, not the first-level read, is the cost.
 * - Prefixes longer than /64 are rare in a global table: the /64 holding one
 *   becomes a range of its own whose value is -3 - (the best match of length
 *   <= 64), and a lookup landing there probes the exact-match table at the
 *   lengths > 64 present, longest first.
 *
 * Updates are incremental. The exact prefixes live in a PrefixTable (the
 * source of truth for `get`, `matches` and the > /64 probes); each /22 with
 * longer prefixes also keeps them in a sorted list (key: start * 128 + length,
 * an exact double; a /64 holding > /64 prefixes appears once with length 65
 * and their count). An insert or remove edits that list at once and marks the
 * /22 dirty; the first lookup after a batch of changes rebuilds the range
 * lists of the dirty /22s, each in one pass over its sorted list (a stack of
 * open prefixes). A prefix of length <= 22 rewrites the `l1` slots it covers
 * whose source is not longer, and marks the /22s below them dirty when their
 * default changes. So one change costs O(prefixes in its /22), and a bulk
 * load is one insertion sort per /22 plus one build per /22.
 *
 * Not supported: more than 2^31 doubles of range lists (about 10^9 prefixes);
 * next hops outside [0, 2^30) (RangeError). A /22 holding thousands of
 * prefixes stays correct, but its updates cost O(its size) and its lookups a
 * binary search of log2(its ranges) steps. The first level reserves 20 MB
 * (with its source lengths) whatever the table size, but only the pages a
 * table writes become resident: entries are stored inverted (~e) so that a
 * new, all-zero first level already reads "no route" (a router with a few
 * IPv6 prefixes pays tens of KB, a prefix shorter than /22 its share).
 *
 * Not here: IPv4 (ipv4-dir.ts), next-hop meaning (fib.ts).
 */
import { PrefixTable } from './prefix-table.js';

const S1 = 22;
const SH1 = 32 - S1;
const LOW = (1 << SH1) - 1;
const L1N = 1 << S1;
const TWO32 = 4294967296;
/** the key space below the first level: bits S1-63 */
const SPAN = 2 ** (64 - S1);
const MAX_VALUE = 0x3fffffff;
/** a lookup's binary search stops at this many ranges and scans them in order */
const SCAN = 8;
/** length tag of the entry for a /64 holding prefixes longer than /64 */
const LONG = 65;

export interface Ipv6RangeMatch {
  words: [number, number, number, number];
  len: number;
  nextHop: number;
}

function maskWord(w: number, bits: number): number {
  return bits >= 32 ? w >>> 0 : bits <= 0 ? 0 : (w & (0xffffffff << (32 - bits))) >>> 0;
}

function log2Ceil(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

export class Ipv6RangeLpm {
  private readonly table = new PrefixTable(4);
  private readonly kb = new Uint32Array(4);
  private readonly kt = new Uint32Array(4);
  private readonly lenCount = new Int32Array(129);
  /** lengths > 64 present, longest first */
  private longLens = new Int32Array(0);

  // level 1
  /** Entries stored bitwise-inverted (~e), so that the all-zero array of a new table means "no route" everywhere and its pages stay untouched (not resident) until written. */
  private readonly l1 = new Int32Array(L1N);
  private readonly l1Len = new Uint8Array(L1N);

  // range lists
  iv = new Float64Array(4096);
  private ivTop = 0;
  /** free range-list segments by capacity (ranges) */
  private readonly ivFree = new Map<number, number[]>();

  // per chunk (a /22 with longer prefixes)
  private cCap = 256;
  private cTop = 0;
  private readonly cFreeIds: number[] = [];
  private cSlot = new Int32Array(256);
  private cDef = new Int32Array(256);
  private cIb = new Int32Array(256);
  private cIcap = new Int32Array(256);
  private cPb = new Int32Array(256);
  private cPcnt = new Int32Array(256);
  private cPcap = new Int32Array(256);
  private cDirty = new Uint8Array(256);
  private dirty = new Int32Array(256);
  private nDirty = 0;

  // sorted prefix lists: key start * 128 + len, value
  private pKey = new Float64Array(4096);
  private pVal = new Int32Array(4096);
  private pTop = 0;
  private readonly pFree: number[][] = [];

  // scratch for rebuilds
  private outS = new Float64Array(256);
  private outV = new Float64Array(256);
  private readonly stEnd = new Float64Array(72);
  private readonly stVal = new Float64Array(72);
  private readonly batchAt = new Int32Array(256);
  private readonly batchCnt = new Int32Array(256);
  /** sink for the batch's second-line reads (keeps them from being dropped) */
  touched = 0;

  constructor() {
    for (let i = 0; i < 32; i++) this.pFree.push([]);
  }

  get size(): number {
    return this.table.size;
  }

  /** true when changes are waiting for the next lookup or flush() */
  get pending(): boolean {
    return this.nDirty !== 0;
  }

  // ---- storage -----------------------------------------------------------

  private allocChunkId(): number {
    const f = this.cFreeIds.pop();
    if (f !== undefined) return f;
    if (this.cTop === this.cCap) {
      const cap = Math.ceil(this.cCap * 1.5);
      const g = (a: Int32Array): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap); b.set(a); return b; };
      this.cSlot = g(this.cSlot); this.cDef = g(this.cDef); this.cIb = g(this.cIb); this.cIcap = g(this.cIcap);
      this.cPb = g(this.cPb); this.cPcnt = g(this.cPcnt); this.cPcap = g(this.cPcap);
      const d = new Uint8Array(cap); d.set(this.cDirty); this.cDirty = d;
      this.cCap = cap;
    }
    return this.cTop++;
  }

  /**
   * A range-list segment for `cap` ranges (2 header doubles + 2 per range);
   * with cap = 4k + 3 it starts on a 64-byte line (the pool is page-aligned)
   * and a list of up to 3 ranges is one line.
   */
  private allocIv(cap: number): number {
    const f = this.ivFree.get(cap)?.pop();
    if (f !== undefined) return f;
    const size = 2 + 2 * cap;
    if (this.ivTop + size > this.iv.length) {
      const b = new Float64Array(Math.max(this.ivTop + size, Math.ceil(this.iv.length * 1.5)));
      b.set(this.iv.subarray(0, this.ivTop));
      this.iv = b;
    }
    const at = this.ivTop;
    this.ivTop += size;
    return at;
  }

  private freeIv(at: number, cap: number): void {
    let l = this.ivFree.get(cap);
    if (l === undefined) { l = []; this.ivFree.set(cap, l); }
    l.push(at);
  }

  private allocP(cls: number): number {
    const f = this.pFree[cls].pop();
    if (f !== undefined) return f;
    const size = 1 << cls;
    if (this.pTop + size > this.pKey.length) {
      const n = Math.max(this.pTop + size, Math.ceil(this.pKey.length * 1.5));
      const k = new Float64Array(n); k.set(this.pKey.subarray(0, this.pTop)); this.pKey = k;
      const v = new Int32Array(n); v.set(this.pVal.subarray(0, this.pTop)); this.pVal = v;
    }
    const at = this.pTop;
    this.pTop += size;
    return at;
  }

  private markDirty(c: number): void {
    if (this.cDirty[c] !== 0) return;
    this.cDirty[c] = 1;
    if (this.nDirty === this.dirty.length) {
      const b = new Int32Array(this.dirty.length * 2); b.set(this.dirty); this.dirty = b;
    }
    this.dirty[this.nDirty++] = c;
  }

  /** The chunk of l1 slot s, made (one range: the slot's value) if absent. */
  private ensureChunk(s: number): number {
    const e = ~this.l1[s];
    if (e <= -2) return this.iv[-2 - e + 1];
    const c = this.allocChunkId();
    const b = this.allocIv(3);
    const iv = this.iv;
    iv[b] = 1; iv[b + 1] = c; iv[b + 2] = 0; iv[b + 3] = e;
    this.cSlot[c] = s; this.cDef[c] = e; this.cIb[c] = b; this.cIcap[c] = 3;
    this.cPb[c] = this.allocP(2); this.cPcnt[c] = 0; this.cPcap[c] = 2;
    this.cDirty[c] = 0;
    this.l1[s] = ~(-2 - b);
    return c;
  }

  private freeChunk(c: number): void {
    this.l1[this.cSlot[c]] = ~this.cDef[c];
    this.freeIv(this.cIb[c], this.cIcap[c]);
    this.pFree[log2Ceil(this.cPcap[c])].push(this.cPb[c]);
    this.cDirty[c] = 0;
    this.cFreeIds.push(c);
  }

  // ---- sorted prefix lists ------------------------------------------------

  /** Index in the chunk's list of the first key >= k. */
  private lowerBound(c: number, k: number): number {
    const keys = this.pKey;
    let lo = this.cPb[c];
    let hi = lo + this.cPcnt[c];
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (keys[m] < k) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** Set key k to v in chunk c's list (inserting it); returns true when it was new. */
  private listSet(c: number, k: number, v: number): boolean {
    let i = this.lowerBound(c, k);
    const b = this.cPb[c];
    const n = this.cPcnt[c];
    if (i < b + n && this.pKey[i] === k) { this.pVal[i] = v; return false; }
    if (n === this.cPcap[c]) {
      const cls = log2Ceil(n) + 1;
      const nb = this.allocP(cls);
      this.pKey.copyWithin(nb, b, b + n);
      this.pVal.copyWithin(nb, b, b + n);
      this.pFree[log2Ceil(n)].push(b);
      this.cPb[c] = nb;
      this.cPcap[c] = 1 << cls;
      i = nb + (i - b);
      const end = nb + n;
      this.pKey.copyWithin(i + 1, i, end);
      this.pVal.copyWithin(i + 1, i, end);
    } else {
      const end = b + n;
      this.pKey.copyWithin(i + 1, i, end);
      this.pVal.copyWithin(i + 1, i, end);
    }
    this.pKey[i] = k;
    this.pVal[i] = v;
    this.cPcnt[c] = n + 1;
    return true;
  }

  /** Index of key k in chunk c's list, or -1. */
  private listFind(c: number, k: number): number {
    const i = this.lowerBound(c, k);
    return i < this.cPb[c] + this.cPcnt[c] && this.pKey[i] === k ? i : -1;
  }

  private listRemoveAt(c: number, i: number): void {
    const end = this.cPb[c] + this.cPcnt[c];
    this.pKey.copyWithin(i, i + 1, end);
    this.pVal.copyWithin(i, i + 1, end);
    this.cPcnt[c]--;
  }

  // ---- updates -----------------------------------------------------------

  private maskKey(w0: number, w1: number, w2: number, w3: number, len: number): Uint32Array {
    const k = this.kb;
    k[0] = maskWord(w0, len); k[1] = maskWord(w1, len - 32); k[2] = maskWord(w2, len - 64); k[3] = maskWord(w3, len - 96);
    return k;
  }

  private setL1(s: number, v: number, tag: number): void {
    this.l1Len[s] = tag;
    const e = ~this.l1[s];
    if (e >= -1) { this.l1[s] = ~v; return; }
    const c = this.iv[-2 - e + 1];
    if (this.cDef[c] !== v) { this.cDef[c] = v; this.markDirty(c); }
  }

  private refreshLongLens(): void {
    const ls: number[] = [];
    for (let l = 128; l > 64; l--) if (this.lenCount[l] !== 0) ls.push(l);
    this.longLens = Int32Array.from(ls);
  }

  insert(w0: number, w1: number, w2: number, w3: number, len: number, nextHop: number): void {
    if (!Number.isInteger(len) || len < 0 || len > 128) throw new RangeError(`prefix length ${len} out of range 0..128`);
    if (!Number.isInteger(nextHop) || nextHop < 0 || nextHop > MAX_VALUE) throw new RangeError(`next hop ${nextHop} out of range 0..${MAX_VALUE}`);
    const k = this.maskKey(w0, w1, w2, w3, len);
    const prev = this.table.set(k, len, nextHop);
    if (prev === nextHop) return;
    if (prev < 0 && this.lenCount[len]++ === 0 && len > 64) this.refreshLongLens();
    if (len <= S1) {
      const first = k[0] >>> SH1;
      const end = first + 2 ** (S1 - len);
      const tag = len + 1;
      const l1Len = this.l1Len;
      for (let s = first; s < end; s++) if (l1Len[s] <= tag) this.setL1(s, nextHop, tag);
      return;
    }
    const c = this.ensureChunk(k[0] >>> SH1);
    const start = (k[0] & LOW) * TWO32 + k[1];
    if (len <= 64) {
      this.listSet(c, start * 128 + len, nextHop);
      this.markDirty(c);
    } else if (prev < 0) {
      const i = this.listFind(c, start * 128 + LONG);
      if (i >= 0) this.pVal[i]++;
      else { this.listSet(c, start * 128 + LONG, 1); this.markDirty(c); }
    }
  }

  remove(w0: number, w1: number, w2: number, w3: number, len: number): boolean {
    if (!Number.isInteger(len) || len < 0 || len > 128) return false;
    const k = this.maskKey(w0, w1, w2, w3, len);
    if (this.table.delete(k, len) < 0) return false;
    if (--this.lenCount[len] === 0 && len > 64) this.refreshLongLens();
    if (len <= S1) {
      // Slots that came from the removed prefix take the longest shorter one.
      let r = -1;
      let rl = -1;
      const kt = this.kt;
      kt[1] = 0; kt[2] = 0; kt[3] = 0;
      for (let l = len - 1; l >= 0; l--) {
        if (this.lenCount[l] === 0) continue;
        kt[0] = maskWord(k[0], l);
        const v = this.table.get(kt, l);
        if (v >= 0) { r = v; rl = l; break; }
      }
      const first = k[0] >>> SH1;
      const end = first + 2 ** (S1 - len);
      const from = len + 1;
      const l1Len = this.l1Len;
      for (let s = first; s < end; s++) if (l1Len[s] === from) this.setL1(s, r, rl + 1);
      return true;
    }
    const c = this.iv[-2 - ~this.l1[k[0] >>> SH1] + 1];
    const start = (k[0] & LOW) * TWO32 + k[1];
    if (len <= 64) {
      this.listRemoveAt(c, this.listFind(c, start * 128 + len));
    } else {
      const i = this.listFind(c, start * 128 + LONG);
      if (--this.pVal[i] !== 0) return true;
      this.listRemoveAt(c, i);
    }
    if (this.cPcnt[c] === 0) this.freeChunk(c);
    else this.markDirty(c);
    return true;
  }

  /** Rebuild the range lists of every /22 changed since the last flush. */
  flush(): void {
    const n = this.nDirty;
    for (let i = 0; i < n; i++) {
      const c = this.dirty[i];
      if (this.cDirty[c] === 0) continue; // freed since
      this.cDirty[c] = 0;
      this.rebuild(c);
    }
    this.nDirty = 0;
    if (n >= 4096) this.trim();
  }

  /** After a bulk load: give back the growth slack of the pools. */
  private trim(): void {
    const cap = Math.max(256, Math.ceil(this.cTop * 1.02) + 64);
    if (this.cCap > cap) {
      const cut = (a: Int32Array): Int32Array<ArrayBuffer> => a.slice(0, cap);
      this.cSlot = cut(this.cSlot); this.cDef = cut(this.cDef); this.cIb = cut(this.cIb); this.cIcap = cut(this.cIcap);
      this.cPb = cut(this.cPb); this.cPcnt = cut(this.cPcnt); this.cPcap = cut(this.cPcap);
      this.cDirty = this.cDirty.slice(0, cap);
      this.cCap = cap;
    }
    if (this.dirty.length > 4096) this.dirty = new Int32Array(256);
    if (this.iv.length > this.ivTop * 1.05 + 4096) this.iv = this.iv.slice(0, Math.ceil(this.ivTop * 1.02) + 1024);
    if (this.pKey.length > this.pTop * 1.05 + 4096) {
      const n = Math.ceil(this.pTop * 1.02) + 1024;
      this.pKey = this.pKey.slice(0, n);
      this.pVal = this.pVal.slice(0, n);
    }
  }

  private outN = 0;

  /** Rebuild output: the range from s on has value v (equal neighbours merged). */
  private emit(s: number, v: number): void {
    const outS = this.outS;
    const outV = this.outV;
    const n = this.outN;
    if (n > 0 && outS[n - 1] === s) {
      outV[n - 1] = v;
      if (n > 1 && outV[n - 2] === v) this.outN = n - 1;
      return;
    }
    if (n > 0 && outV[n - 1] === v) return;
    outS[n] = s;
    outV[n] = v;
    this.outN = n + 1;
  }

  /** One pass over the chunk's sorted prefixes with a stack of open ones. */
  private rebuild(c: number): void {
    const cnt = this.cPcnt[c];
    if (this.outS.length < 2 * cnt + 2) {
      this.outS = new Float64Array(2 * cnt + 2);
      this.outV = new Float64Array(2 * cnt + 2);
    }
    const outS = this.outS;
    const outV = this.outV;
    const stEnd = this.stEnd;
    const stVal = this.stVal;
    const keys = this.pKey;
    const vals = this.pVal;
    this.outN = 0;
    let top = 0;
    stEnd[0] = SPAN;
    stVal[0] = this.cDef[c];
    this.emit(0, stVal[0]);
    const b = this.cPb[c];
    for (let i = b; i < b + cnt; i++) {
      const key = keys[i];
      const start = Math.floor(key / 128);
      const len = key - start * 128;
      while (stEnd[top] <= start) { const e = stEnd[top]; top--; this.emit(e, stVal[top]); }
      const v = len === LONG ? -3 - stVal[top] : vals[i];
      top++;
      stEnd[top] = start + 2 ** (64 - (len === LONG ? 64 : len));
      stVal[top] = v;
      this.emit(start, v);
    }
    while (top > 0) { const e = stEnd[top]; top--; if (e < SPAN) this.emit(e, stVal[top]); }
    const n = this.outN;
    let ib = this.cIb[c];
    if (n > this.cIcap[c] || n + 8 < this.cIcap[c]) {
      // 4k + 3 ranges: the segment is a whole number of 64-byte lines
      const cap = n | 3;
      this.freeIv(ib, this.cIcap[c]);
      ib = this.allocIv(cap);
      this.cIb[c] = ib;
      this.cIcap[c] = cap;
      this.l1[this.cSlot[c]] = ~(-2 - ib);
    }
    const iv = this.iv;
    iv[ib] = n;
    iv[ib + 1] = c;
    for (let i = 0; i < n; i++) { iv[ib + 2 + 2 * i] = outS[i]; iv[ib + 3 + 2 * i] = outV[i]; }
  }

  // ---- lookups -----------------------------------------------------------

  lookup(w0: number, w1: number, w2: number, w3: number): number {
    if (this.nDirty !== 0) this.flush();
    const e = ~this.l1[w0 >>> SH1];
    if (e >= -1) return e;
    const iv = this.iv;
    const b = -2 - e;
    const key = (w0 & LOW) * TWO32 + (w1 >>> 0);
    // binary search down to at most SCAN ranges, then a linear scan
    let lo = b + 2;
    let n = iv[b] | 0;
    while (n > SCAN) {
      const h = n >>> 1;
      if (iv[lo + (h << 1)] <= key) lo += h << 1;
      n -= h;
    }
    const end = lo + (n << 1);
    lo += 2;
    while (lo < end && iv[lo] <= key) lo += 2;
    const v = iv[lo - 1] | 0;
    return v >= -1 ? v : this.longMatch(w0, w1, w2, w3, -3 - v);
  }

  /** The /64 of the address holds prefixes longer than /64: probe them, longest first. */
  private longMatch(w0: number, w1: number, w2: number, w3: number, best: number): number {
    const ls = this.longLens;
    const k = this.kt;
    k[0] = w0 >>> 0; k[1] = w1 >>> 0;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      k[2] = maskWord(w2, l - 64); k[3] = maskWord(w3, l - 96);
      const v = this.table.get(k, l);
      if (v >= 0) return v;
    }
    return best;
  }

  /**
   * addrs holds 4 words per address; out[i] for i < min(addrs.length / 4,
   * out.length). Works in blocks of 256 and in waves: all first-level reads,
   * then the first word of every range list touched (so that their cache
   * misses overlap), then the binary searches.
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    if (this.nDirty !== 0) this.flush();
    const l1 = this.l1;
    const iv = this.iv;
    const at = this.batchAt;
    const cnt = this.batchCnt;
    const m = Math.min(addrs.length >>> 2, out.length);
    for (let base = 0; base < m; base += 256) {
      const k = Math.min(256, m - base);
      for (let i = 0; i < k; i++) {
        const e = ~l1[addrs[(base + i) << 2] >>> SH1];
        out[base + i] = e;
        at[i] = e <= -2 ? -2 - e : 0;
      }
      // the count and (for lists longer than 3 ranges) the second line
      let touch = 0;
      for (let i = 0; i < k; i++) {
        const n = iv[at[i]] | 0;
        cnt[i] = n;
        if (n > 3) touch += iv[at[i] + 8];
      }
      this.touched = touch;
      for (let i = 0; i < k; i++) {
        if (out[base + i] >= -1) continue;
        const o = (base + i) << 2;
        const w0 = addrs[o];
        const key = (w0 & LOW) * TWO32 + addrs[o + 1];
        let lo = at[i] + 2;
        let n = cnt[i];
        while (n > 1) {
          const h = n >>> 1;
          if (iv[lo + (h << 1)] <= key) lo += h << 1;
          n -= h;
        }
        const v = iv[lo + 1] | 0;
        out[base + i] = v >= -1 ? v : this.longMatch(w0, addrs[o + 1], addrs[o + 2], addrs[o + 3], -3 - v);
      }
    }
  }

  // ---- exact prefixes ----------------------------------------------------

  /** The next hop stored for exactly this prefix, or -1. */
  get(w0: number, w1: number, w2: number, w3: number, len: number): number {
    if (!Number.isInteger(len) || len < 0 || len > 128) return -1;
    return this.table.get(this.maskKey(w0, w1, w2, w3, len), len);
  }

  /** Every stored prefix covering the address, shortest first (for `explain`). */
  matches(w0: number, w1: number, w2: number, w3: number): Ipv6RangeMatch[] {
    const out: Ipv6RangeMatch[] = [];
    for (let l = 0; l <= 128; l++) {
      if (this.lenCount[l] === 0) continue;
      const k = this.maskKey(w0, w1, w2, w3, l);
      const v = this.table.get(k, l);
      if (v >= 0) out.push({ words: [k[0], k[1], k[2], k[3]], len: l, nextHop: v });
    }
    return out;
  }

  forEach(fn: (words: Uint32Array, len: number, nextHop: number) => void): void {
    this.table.forEach(fn);
  }

  /** Number of /22s holding longer prefixes, and of ranges (for reports). */
  stats(): { chunks: number; ranges: number; largest: number } {
    let ranges = 0;
    let largest = 0;
    for (let s = 0; s < L1N; s++) {
      const e = ~this.l1[s];
      if (e <= -2) {
        const r = this.iv[-2 - e];
        ranges += r;
        if (r > largest) largest = r;
      }
    }
    return { chunks: this.cTop - this.cFreeIds.length, ranges, largest };
  }

  memory(): { structure: number; table: number; total: number } {
    const structure = this.l1.byteLength + this.l1Len.byteLength + this.iv.byteLength + this.pKey.byteLength +
      this.pVal.byteLength + 7 * 4 * this.cCap + this.cCap + this.dirty.byteLength + this.outS.byteLength * 2;
    const table = this.table.byteLength();
    return { structure, table, total: structure + table };
  }
}
