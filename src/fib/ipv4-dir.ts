/**
 * IPv4 longest-prefix match as a leaf-pushed table with one byte per /24 on
 * the lookup path (the structure behind `createIpv4Lpm()`): a DIR-24-8 whose
 * first level is 16 MB of bytes instead of 64 MB of 32-bit entries, with a
 * /16 level behind it for updates and for what a byte cannot hold.
 * Addresses are unsigned 32-bit numbers.
 *
 * Layout (typed arrays only on the lookup path):
 * - next hops are stored as 16-bit value indexes: 0 no route, 1-254 the next
 *   hops 0-253 themselves (index = next hop + 1, so a lookup needs no table
 *   for them), 256 and up the next hops of 254 or more, through the table
 *   `vals`. A level-2 entry's code is a value index or a level-3 chunk
 *   (0x8000 | k).
 * - level 2: `l2`, Uint8Array(2^24), one byte per /24, read at `a >>> 8`:
 *   1-254 a code below 254 plus one (1 no route, 2-254 next hops 0-252); 0
 *   "ask the /16" (a /16 without a chunk, below, or a bulk load pending); 255
 *   "escaped": the code is at the same position in the chunk's wide block
 *   (`wide`, 256 16-bit codes, made for a chunk at its first escaped entry
 *   and kept until the chunk goes): a value index of 254 or more, or a
 *   level-3 chunk.
 * - level 1: `l1v`, Int32Array(2^16), one entry per /16, off the fast path:
 *   the /16's value (>= 0 the next hop, -1 no route) or, for a /16 holding
 *   prefixes longer than /16, its chunk c (-2 - c): the per-chunk update
 *   state (default code `l2Def`, prefix count, wide block, and `l2Has`, a
 *   510-bit map of which /17../24 inside it are stored, from which each
 *   entry's source length follows) whose 256 bytes are written in `l2`.
 *   A /16 without a chunk has its 256 bytes written too once the table holds
 *   `denseAt` prefixes (65,536; "dense"); below that they stay 0 and its
 *   lookups read `l1v`. So a router with a handful of routes touches a few
 *   pages of the 16 MB (allocated zero, mapped on first write; a default
 *   route alone touches none), and a full table has every byte written.
 * - level 3: `l3`, Uint16Array chunks of 256 value indexes, one per address of
 *   a /24 holding prefixes longer than /24.
 * So a lookup is one read, `l2[a >>> 8]`, into 16 MB (DIR-24-8's baseline
 * reads 64 MB, which caches and TLBs hold a quarter as well of), and one
 * test, `((e + 1) & 254) !== 0`, true for bytes 1-254: the next hop is
 * e - 2. Bytes 0 and 255 go to a separate method: every /24 holding longer
 * prefixes (0.1% of a global table), next hops of 253 or more, /16s without
 * a chunk while the table is small, and a pending bulk load. That method is
 * small and has no loop (array reads only: the /16's value, the chunk's wide
 * block, a level-3 chunk), so the JIT inlines it into a caller's lookup loop.
 * Before this layout (until 2026-12-05) a lookup was two dependent reads,
 * a 256 KB /16 level and one byte of a 14.5 MB chunk pool: single lookups at
 * 0.8-1.0x DIR-24-8 against 1.0-1.5x now (docs/benchmarks.md).
 *
 * Limits (RangeError on the insert that would pass them): at most 32,512
 * distinct next-hop values of 254 or more present at once (next hops 0-253
 * have fixed indexes), at most 32,768 /24s holding prefixes longer than /24,
 * and at most 65,535 /16s holding escaped entries. Next hops are integers in [0, 2^30).
 *
 * Updates are incremental and DIR-style (each entry's source, the length of
 * the prefix it came from, is known), with an exact-match table
 * (PrefixTable4: prefix and length to value index) as the source of truth: a
 * prefix of length <= 16 rewrites the level-1 slots (`l1v`) it covers whose
 * source (`l1Len`) is not longer, pushing a new default into the chunks below
 * them (entries whose source is "the default"); a prefix of length 17..24
 * rewrites the entries of its range in one chunk whose source (the longest
 * stored /17../24 covering the entry, from `l2Has`: at most 8 bit tests) is
 * not longer; a
 * prefix longer than /24 does the same in one level-3 chunk (`l3Len`). A
 * remove gives the entries that came from the removed prefix to the longest
 * shorter prefix, found by probing the table only at lengths present. Chunks
 * whose last prefix goes are freed. A bulk load into an empty table only
 * appends to a log; the first lookup (or `flush()`, `get`, `remove`, ...)
 * sizes the exact-match table once, fills it from the log, and the first
 * lookup builds the arrays in one pass, shortest prefixes first, chunk by
 * chunk.
 *
 * Not here: IPv6 (ipv6-ranges.ts), next-hop meaning (fib.ts).
 */
import { PrefixTable4 } from './prefix-table.js';

export const S1 = 16;
const B2 = 24 - S1;
const C2 = 1 << B2;
const L1N = 1 << S1;
const SH1 = 32 - S1;
const MAX_VALUE = 0x3fffffff;
const MAX_VALUES = 0x7fff;
/** next hops below this have the fixed value index next hop + 1 */
const SMALL = 254;
/** first value index for next hops >= SMALL */
const BIG0 = 256;
/** Int32 words of a chunk's presence bitmap (bit (1 << (m - 16)) + i: the i-th /m, m in 17..24, is stored) */
const HW = 16;
const MAX_L3 = 0x8000;
/** wide blocks (one per chunk holding escaped entries), numbered from 1 */
const MAX_WIDE = 0xffff;
/** level-2 byte: the entry's code is in the chunk's wide block */
const ESC = 255;
/** codes below this are stored in their level-2 byte, as code + 1 (so byte 1 is "no route" and 0 is free for "no chunk") */
const FAST = 254;
/** from this many prefixes on, /16s without a chunk have their bytes written too (see the header) */
const DENSE_AT = 1 << 16;

export interface Ipv4LpmMemory {
  structure: number;
  table: number;
  total: number;
}

export interface Ipv4LpmMatch {
  addr: number;
  len: number;
  nextHop: number;
}

const mask = (a: number, len: number): number => (len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0);

export class Ipv4Lpm {
  /** exact prefixes: (address, length) -> value index */
  private readonly table = new PrefixTable4();
  /** prefixes stored per length */
  private readonly lenCount = new Int32Array(33);

  // bulk-load log (inserts into an empty table, replayed by settle())
  private logA = new Uint32Array(0);
  private logL = new Uint8Array(0);
  private logV = new Uint16Array(0);
  private logN = 0;

  // next-hop values
  /** index -> next hop; index 0 is "no route" */
  private vals = Ipv4Lpm.initialVals();
  private refs = new Int32Array(BIG0 + 64);
  private readonly idxOf = new Map<number, number>();
  private readonly freeVals: number[] = [];
  private valTop = BIG0;

  // level 1
  /** the /16's value: >= 0 next hop, -1 no route, <= -2 its chunk c = -2 - v */
  private readonly l1v = new Int32Array(L1N).fill(-1);
  /** source prefix length + 1 of each level-1 slot (0: no route) */
  private readonly l1Len = new Uint8Array(L1N);

  // level 2
  /** one byte per /24, the lookup's only read (see the header); allocated zero, so untouched pages stay unmapped */
  private l2 = new Uint8Array(1 << 24);
  private l2Cap = 64;
  private l2Top = 0;
  private readonly l2Free: number[] = [];
  private l2Def = new Uint16Array(64);
  private l2Cnt = new Int32Array(64);
  /** per chunk, HW words: which of its /17../24 prefixes are stored (the entries' source lengths follow from it) */
  private l2Has = new Int32Array(64 * HW);
  /** per chunk: its wide block b (256 codes at `wide[b << B2]`), or 0 for none */
  private l2Wide = new Uint16Array(64);
  /** wide blocks: the codes of escaped level-2 entries, at their position in the chunk (block 0 unused) */
  private wide = new Uint16Array(4 * C2);
  private wideCap = 4;
  private wideTop = 1;
  private readonly wideFree: number[] = [];

  // level 3
  private l3 = new Uint16Array(256 * 16);
  private l3Len = new Uint8Array(256 * 16);
  private l3Cap = 16;
  private l3Top = 0;
  private readonly l3Free: number[] = [];
  private l3Def = new Uint16Array(16);
  private l3Cnt = new Int32Array(16);

  /** true while the arrays are empty and inserts only fill the log and the table */
  private deferred = true;
  /** true once /16s without a chunk have their level-2 bytes written (denseAt) */
  private dense = false;

  /** @param denseAt the table size from which /16s without a chunk have their bytes written (tests set 0) */
  constructor(private readonly denseAt = DENSE_AT) {}

  get size(): number {
    this.settle();
    return this.table.size;
  }

  private static initialVals(): Int32Array<ArrayBuffer> {
    const v = new Int32Array(BIG0 + 64).fill(-1);
    for (let i = 1; i <= SMALL; i++) v[i] = i - 1;
    return v;
  }

  // ---- next-hop value table -------------------------------------------

  private valueIndex(v: number): number {
    return v < 0 ? 0 : v < SMALL ? v + 1 : (this.idxOf.get(v) as number);
  }

  private setL1v(s: number, v: number): void {
    this.l1v[s] = v;
    if (this.dense && v >= -1) this.l2.fill(Ipv4Lpm.byteOf(v), s << B2, (s + 1) << B2);
  }

  /** The level-2 byte of a /16 without a chunk whose value is v, once the table is dense: 0 (the slow path) for a value index past the byte. */
  private static byteOf(v: number): number {
    return v < 0 ? 1 : v < FAST - 1 ? v + 2 : 0;
  }

  /** Write the bytes of every /16 without a chunk (once the table holds denseAt prefixes). */
  private makeDense(): void {
    this.dense = true;
    const l1v = this.l1v;
    for (let s = 0; s < L1N; s++) if (l1v[s] >= -1) this.l2.fill(Ipv4Lpm.byteOf(l1v[s]), s << B2, (s + 1) << B2);
  }

  private acquire(v: number): number {
    if (v < SMALL) {
      this.refs[v + 1]++;
      return v + 1;
    }
    let i = this.idxOf.get(v);
    if (i === undefined) {
      const f = this.freeVals.pop();
      if (f !== undefined) i = f;
      else {
        if (this.valTop > MAX_VALUES) throw new RangeError(`more than ${MAX_VALUES + 1 - BIG0} distinct next-hop values of ${SMALL} or more`);
        i = this.valTop++;
        if (i >= this.vals.length) {
          const n = Math.min(MAX_VALUES + 1, this.vals.length * 2);
          const a = new Int32Array(n); a.set(this.vals); this.vals = a;
          const r = new Int32Array(n); r.set(this.refs); this.refs = r;
        }
      }
      this.vals[i] = v;
      this.refs[i] = 0;
      this.idxOf.set(v, i);
    }
    this.refs[i]++;
    return i;
  }

  private releaseIdx(i: number): void {
    if (--this.refs[i] === 0 && i >= BIG0) {
      this.idxOf.delete(this.vals[i]);
      this.freeVals.push(i);
    }
  }

  // ---- level-2 entries (at: the /24's index a >>> 8, in a chunk; codes: value index, or 0x8000 | level-3 chunk) --

  private readL2(at: number): number {
    const b = this.l2[at];
    return b !== ESC ? b - 1 : this.wide[(this.l2Wide[-2 - this.l1v[at >>> B2]] << B2) | (at & (C2 - 1))];
  }

  private writeL2(at: number, code: number): void {
    if (code < FAST) {
      this.l2[at] = code + 1;
      return;
    }
    const c = -2 - this.l1v[at >>> B2];
    let w = this.l2Wide[c];
    if (w === 0) {
      w = this.allocWide();
      this.l2Wide[c] = w;
    }
    this.l2[at] = ESC;
    this.wide[(w << B2) | (at & (C2 - 1))] = code;
  }

  private allocWide(): number {
    const f = this.wideFree.pop();
    if (f !== undefined) return f;
    if (this.wideTop > MAX_WIDE) throw new RangeError(`more than ${MAX_WIDE} /16s holding escaped entries`);
    if (this.wideTop === this.wideCap) {
      const cap = Math.min(MAX_WIDE + 1, Math.ceil(this.wideCap * 1.5));
      const a = new Uint16Array(cap * C2); a.set(this.wide); this.wide = a;
      this.wideCap = cap;
    }
    return this.wideTop++;
  }

  // ---- chunk storage ------------------------------------------------------

  private allocL2(): number {
    const f = this.l2Free.pop();
    if (f !== undefined) return f;
    if (this.l2Top === this.l2Cap) this.growL2(Math.ceil(this.l2Cap * 1.5));
    return this.l2Top++;
  }

  private growL2(cap: number): void {
    const g16 = (a: Uint16Array, per: number): Uint16Array<ArrayBuffer> => { const b = new Uint16Array(cap * per); b.set(a.subarray(0, Math.min(a.length, cap * per))); return b; };
    const g32 = (a: Int32Array, per: number): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap * per); b.set(a.subarray(0, Math.min(a.length, cap * per))); return b; };
    this.l2Has = g32(this.l2Has, HW);
    this.l2Def = g16(this.l2Def, 1);
    this.l2Cnt = g32(this.l2Cnt, 1);
    this.l2Wide = g16(this.l2Wide, 1);
    this.l2Cap = cap;
  }

  private allocL3(): number {
    const f = this.l3Free.pop();
    if (f !== undefined) return f;
    if (this.l3Top >= MAX_L3) throw new RangeError(`more than ${MAX_L3} /24s holding longer prefixes`);
    if (this.l3Top === this.l3Cap) {
      const cap = Math.min(MAX_L3, Math.ceil(this.l3Cap * 1.5));
      const a = new Uint16Array(cap * 256); a.set(this.l3); this.l3 = a;
      const l = new Uint8Array(cap * 256); l.set(this.l3Len); this.l3Len = l;
      const d = new Uint16Array(cap); d.set(this.l3Def); this.l3Def = d;
      const c = new Int32Array(cap); c.set(this.l3Cnt); this.l3Cnt = c;
      this.l3Cap = cap;
    }
    return this.l3Top++;
  }

  /** The chunk under level-1 slot s, made (all entries the slot's value) if absent. */
  private ensureChunk(s: number): number {
    const e = this.l1v[s];
    if (e <= -2) return -2 - e;
    const c = this.allocL2();
    const d = this.valueIndex(e);
    this.setL1v(s, -2 - c);
    const b = s << B2;
    if (d < FAST) this.l2.fill(d + 1, b, b + C2);
    else for (let j = b; j < b + C2; j++) this.writeL2(j, d);
    this.l2Def[c] = d;
    this.l2Cnt[c] = 0;
    this.l2Has.fill(0, c * HW, c * HW + HW);
    return c;
  }

  /** The level-3 chunk under the /24 at (in a chunk), made (all entries its code) if absent. */
  private ensureL3(at: number): number {
    const e = this.readL2(at);
    if (e >= 0x8000) return e & 0x7fff;
    const k = this.allocL3();
    this.l3.fill(e, k * 256, k * 256 + 256);
    this.l3Len.fill(0, k * 256, k * 256 + 256);
    this.l3Def[k] = e;
    this.l3Cnt[k] = 0;
    this.writeL2(at, 0x8000 | k);
    return k;
  }

  // ---- slot writes -------------------------------------------------------

  private setL3Def(k: number, d: number): void {
    if (this.l3Def[k] === d) return;
    this.l3Def[k] = d;
    const l3 = this.l3;
    const lens = this.l3Len;
    for (let j = k * 256, end = j + 256; j < end; j++) if (lens[j] === 0) l3[j] = d;
  }

  private setL2Slot(at: number, d: number): void {
    const e = this.readL2(at);
    if (e < 0x8000) this.writeL2(at, d);
    else this.setL3Def(e & 0x7fff, d);
  }

  private setChunkDef(s1: number, c: number, d: number): void {
    if (this.l2Def[c] === d) return;
    this.l2Def[c] = d;
    for (let s = 0; s < C2; s++) if (this.srcOf(c, s) === 0) this.setL2Slot((s1 << B2) | s, d);
  }

  private setL1(s: number, v: number, tag: number): void {
    this.l1Len[s] = tag;
    const e = this.l1v[s];
    if (e >= -1) this.setL1v(s, v);
    else this.setChunkDef(s, -2 - e, this.valueIndex(v));
  }

  /** Source of entry s of chunk c: the longest stored /17../24 covering it, as length - 16, or 0 for the chunk's default. */
  private srcOf(c: number, s: number): number {
    const has = this.l2Has;
    const o = c * HW;
    for (let b = C2 + s, t = 24 - S1; t > 0; b >>>= 1, t--) if ((has[o + (b >>> 5)] >>> (b & 31)) & 1) return t;
    return 0;
  }

  /** Mark the /len (17..24) at entry lo of chunk c as stored or not. */
  private setHas(c: number, len: number, lo: number, on: boolean): void {
    const b = (1 << (len - S1)) + (lo >>> (24 - len));
    const i = c * HW + (b >>> 5);
    if (on) this.l2Has[i] |= 1 << (b & 31);
    else this.l2Has[i] &= ~(1 << (b & 31));
  }

  /** Value index of the longest stored prefix covering a with length in [minLen, len), or -1; its length in coverLen. */
  private coverLen = -1;
  private cover(a: number, len: number, minLen: number): number {
    for (let l = len - 1; l >= minLen; l--) {
      if (this.lenCount[l] === 0) continue;
      const v = this.table.get(mask(a, l), l);
      if (v >= 0) { this.coverLen = l; return v; }
    }
    this.coverLen = -1;
    return -1;
  }

  private freeChunk(s1: number, c: number): void {
    if (!this.dense) this.l2.fill(0, s1 << B2, (s1 + 1) << B2);
    this.setL1v(s1, this.vals[this.l2Def[c]]);
    const w = this.l2Wide[c];
    if (w !== 0) {
      this.wideFree.push(w);
      this.l2Wide[c] = 0;
    }
    this.l2Free.push(c);
  }

  private freeL3(at: number, k: number): void {
    this.writeL2(at, this.l3Def[k]);
    this.l3Free.push(k);
  }

  // ---- updates -----------------------------------------------------------

  insert(addr: number, len: number, nextHop: number): void {
    if (!Number.isInteger(len) || len < 0 || len > 32) throw new RangeError(`prefix length ${len} out of range 0..32`);
    if (!Number.isInteger(nextHop) || nextHop < 0 || nextHop > MAX_VALUE) throw new RangeError(`next hop ${nextHop} out of range 0..${MAX_VALUE}`);
    const a = mask(addr, len);
    if (this.deferred) {
      // bulk load: log it; settle() puts it in the table, build() in the arrays
      const d = this.acquire(nextHop);
      if (this.logN === this.logA.length) {
        const n = Math.max(1024, this.logN * 2);
        const la = new Uint32Array(n); la.set(this.logA); this.logA = la;
        const ll = new Uint8Array(n); ll.set(this.logL); this.logL = ll;
        const lv = new Uint16Array(n); lv.set(this.logV); this.logV = lv;
      }
      this.logA[this.logN] = a;
      this.logL[this.logN] = len;
      this.logV[this.logN] = d;
      this.logN++;
      return;
    }
    if (len > 24 && this.l3Free.length === 0 && this.l3Top >= MAX_L3) {
      const e = this.l1v[a >>> SH1];
      if (e >= -1 || this.readL2(a >>> 8) < 0x8000) {
        throw new RangeError(`more than ${MAX_L3} /24s holding longer prefixes`);
      }
    }
    const d = this.acquire(nextHop);
    const prev = this.table.set(a, len, d);
    if (prev === d) { this.releaseIdx(d); return; }
    if (prev < 0) this.lenCount[len]++;
    this.applyInsert(a, len, nextHop, d, prev < 0);
    if (!this.dense && this.table.size >= this.denseAt) this.makeDense();
    if (prev >= 0) this.releaseIdx(prev);
  }

  /** Move the bulk-load log into the exact-match table (sized once). */
  private settle(): void {
    const n = this.logN;
    if (n === 0) return;
    const t = this.table;
    t.reserve(t.size + n);
    const la = this.logA;
    const ll = this.logL;
    const lv = this.logV;
    for (let i = 0; i < n; i++) {
      const prev = t.set(la[i], ll[i], lv[i]);
      if (prev >= 0) this.releaseIdx(prev);
      else this.lenCount[ll[i]]++;
    }
    this.logN = 0;
    this.logA = new Uint32Array(0);
    this.logL = new Uint8Array(0);
    this.logV = new Uint16Array(0);
  }

  private applyInsert(a: number, len: number, v: number, d: number, isNew: boolean): void {
    if (len <= S1) {
      const first = a >>> SH1;
      const n = 2 ** (S1 - len);
      const tag = len + 1;
      const l1Len = this.l1Len;
      for (let s = first; s < first + n; s++) if (l1Len[s] <= tag) this.setL1(s, v, tag);
      return;
    }
    const c = this.ensureChunk(a >>> SH1);
    if (isNew) this.l2Cnt[c]++;
    if (len <= 24) {
      // DIR-style: entries whose source is not longer take the new value
      // (with the prefix marked stored, those whose source is this prefix).
      const tag = len - S1;
      const lo = (a >>> 8) & (C2 - 1);
      const hi = lo + (1 << (24 - len));
      const base = (a >>> 8) & ~(C2 - 1);
      this.setHas(c, len, lo, true);
      for (let s = lo; s < hi; s++) {
        if (this.srcOf(c, s) <= tag) this.setL2Slot(base | s, d);
      }
      return;
    }
    const k = this.ensureL3(a >>> 8);
    if (isNew) this.l3Cnt[k]++;
    const tag = len + 1;
    const from = k * 256 + (a & 255);
    const end = from + 2 ** (32 - len);
    const l3 = this.l3;
    const lens = this.l3Len;
    for (let j = from; j < end; j++) {
      if (lens[j] <= tag) { l3[j] = d; lens[j] = tag; }
    }
  }

  remove(addr: number, len: number): boolean {
    if (!Number.isInteger(len) || len < 0 || len > 32) return false;
    this.settle();
    const a = mask(addr, len);
    const old = this.table.delete(a, len);
    if (old < 0) return false;
    this.lenCount[len]--;
    if (this.table.size === 0) this.reset();
    else if (!this.deferred) this.applyRemove(a, len);
    this.releaseIdx(old);
    return true;
  }

  private applyRemove(a: number, len: number): void {
    if (len <= S1) {
      const r = this.cover(a, len, 0);
      const tag = this.coverLen + 1;
      const v = r >= 0 ? this.vals[r] : -1;
      const first = a >>> SH1;
      const n = 2 ** (S1 - len);
      const from = len + 1;
      const l1Len = this.l1Len;
      for (let s = first; s < first + n; s++) if (l1Len[s] === from) this.setL1(s, v, tag);
      return;
    }
    const s1 = a >>> SH1;
    const c = -2 - this.l1v[s1];
    if (len <= 24) {
      // Entries that came from the removed prefix take the longest shorter one.
      const r = this.cover(a, len, S1 + 1);
      const d = r >= 0 ? r : this.l2Def[c];
      const from = len - S1;
      const lo = (a >>> 8) & (C2 - 1);
      const hi = lo + (1 << (24 - len));
      const base = (a >>> 8) & ~(C2 - 1);
      for (let s = lo; s < hi; s++) {
        if (this.srcOf(c, s) === from) this.setL2Slot(base | s, d);
      }
      this.setHas(c, len, lo, false);
    } else {
      const at = a >>> 8;
      const k = this.readL2(at) & 0x7fff;
      const r = this.cover(a, len, 25);
      const d = r >= 0 ? r : this.l3Def[k];
      const tag = r >= 0 ? this.coverLen + 1 : 0;
      const from = k * 256 + (a & 255);
      const end = from + 2 ** (32 - len);
      const old = len + 1;
      for (let j = from; j < end; j++) {
        if (this.l3Len[j] === old) { this.l3[j] = d; this.l3Len[j] = tag; }
      }
      if (--this.l3Cnt[k] === 0) this.freeL3(at, k);
    }
    if (--this.l2Cnt[c] === 0) this.freeChunk(s1, c);
  }

  /** Empty arrays; the next inserts are a bulk load again. */
  private reset(): void {
    this.l2 = new Uint8Array(1 << 24);
    this.dense = false;
    this.l1v.fill(-1);
    this.l1Len.fill(0);
    this.l2Top = 0;
    this.l2Free.length = 0;
    this.l2Wide.fill(0);
    this.wideTop = 1;
    this.wideFree.length = 0;
    this.l3Top = 0;
    this.l3Free.length = 0;
    this.deferred = true;
  }

  /** Build the arrays from the table in one pass, shortest prefixes first. */
  private build(): void {
    this.settle();
    this.deferred = false;
    const n = this.table.size;
    const byLen = new Int32Array(34);
    const addrs = new Uint32Array(n);
    const lens = new Uint8Array(n);
    const ds = new Uint16Array(n);
    let i = 0;
    this.table.forEach((k, len, d) => { addrs[i] = k; lens[i] = len; ds[i] = d; i++; byLen[len + 1]++; });
    for (let l = 1; l < 34; l++) byLen[l] += byLen[l - 1];
    const byLenOrder = new Int32Array(n);
    for (let j = 0; j < n; j++) byLenOrder[byLen[lens[j]]++] = j;
    // Prefixes up to /S1 first (by length), then the longer ones grouped by
    // their /S1 (stable, so by length within it): one chunk at a time, in
    // address order, which keeps the writes local.
    const short = byLen[S1];
    const order = new Int32Array(n);
    order.set(byLenOrder.subarray(0, short));
    const bucket = new Int32Array(L1N + 1);
    for (let j = short; j < n; j++) bucket[(addrs[byLenOrder[j]] >>> SH1) + 1]++;
    let chunks = 0;
    for (let b = 1; b <= L1N; b++) {
      if (bucket[b] !== 0) chunks++;
      bucket[b] += bucket[b - 1];
    }
    for (let j = short; j < n; j++) {
      const p = byLenOrder[j];
      order[short + bucket[addrs[p] >>> SH1]++] = p;
    }
    // Allocate the level-2 arrays once, to size.
    if (chunks > this.l2Cap) this.growL2(chunks);
    const l1v = this.l1v;
    const l1Len = this.l1Len;
    const vals = this.vals;
    for (let j = 0; j < n; j++) {
      const p = order[j];
      const a = addrs[p];
      const len = lens[p];
      const d = ds[p];
      if (len <= S1) {
        const first = a >>> SH1;
        l1v.fill(vals[d], first, first + 2 ** (S1 - len));
        l1Len.fill(len + 1, first, first + 2 ** (S1 - len));
        continue;
      }
      const c = this.ensureChunk(a >>> SH1);
      this.l2Cnt[c]++;
      if (len <= 24) {
        const lo = (a >>> 8) & (C2 - 1);
        const w = 1 << (24 - len);
        const base = (a >>> 8) & ~(C2 - 1);
        this.setHas(c, len, lo, true);
        if (d < FAST) {
          const l2 = this.l2;
          for (let s = lo; s < lo + w; s++) {
            if (l2[base | s] === ESC) this.setL2Slot(base | s, d);
            else l2[base | s] = d + 1;
          }
        } else {
          for (let s = lo; s < lo + w; s++) this.setL2Slot(base | s, d);
        }
      } else {
        const k = this.ensureL3(a >>> 8);
        this.l3Cnt[k]++;
        const from = k * 256 + (a & 255);
        const w = 2 ** (32 - len);
        this.l3.fill(d, from, from + w);
        this.l3Len.fill(len + 1, from, from + w);
      }
    }
    if (n >= this.denseAt) this.makeDense();
    // Give back the growth slack of the pools the build filled.
    if (this.wideCap > this.wideTop) {
      this.wide = this.wide.slice(0, this.wideTop * C2);
      this.wideCap = this.wideTop;
    }
    if (this.l3Cap > this.l3Top && this.l3Top > 0) {
      const cap = this.l3Top;
      this.l3 = this.l3.slice(0, cap * 256);
      this.l3Len = this.l3Len.slice(0, cap * 256);
      this.l3Def = this.l3Def.slice(0, cap);
      this.l3Cnt = this.l3Cnt.slice(0, cap);
      this.l3Cap = cap;
    }
  }

  // ---- lookups -----------------------------------------------------------

  lookup(addr: number): number {
    const e = this.l2[addr >>> 8];
    return ((e + 1) & 254) !== 0 ? e - 2 : this.escaped(addr);
  }

  /** A level-2 byte of 0 or 255: a pending bulk load, a /16 without a chunk, a value index >= 254, or a level-3 chunk. */
  private escaped(addr: number): number {
    if (this.deferred) {
      this.build();
      return this.lookup(addr);
    }
    const v = this.l1v[addr >>> SH1];
    if (v >= -1) return v;
    const code = this.wide[(this.l2Wide[-2 - v] << B2) | ((addr >>> 8) & (C2 - 1))];
    if (code < 0x8000) return this.vals[code];
    return this.vals[this.l3[((code & 0x7fff) << 8) | (addr & 255)]];
  }

  /**
   * Look up addrs[i] into out[i] for i < min(lengths): the level-2 bytes of
   * 8 addresses a step, the 8 reads written out one after the other so that
   * their misses overlap (the plain loop has fewer in flight), with no branch;
   * then, only if some byte was 0 or 255, a pass that looks those addresses
   * up again (their out[i] is -2 or 253, which no byte of the fast path gives).
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    const l2 = this.l2;
    const n = Math.min(addrs.length, out.length);
    const m = n & ~7;
    let esc = 0;
    let i = 0;
    for (; i < m; i += 8) {
      const e0 = l2[addrs[i] >>> 8], e1 = l2[addrs[i + 1] >>> 8], e2 = l2[addrs[i + 2] >>> 8], e3 = l2[addrs[i + 3] >>> 8];
      const e4 = l2[addrs[i + 4] >>> 8], e5 = l2[addrs[i + 5] >>> 8], e6 = l2[addrs[i + 6] >>> 8], e7 = l2[addrs[i + 7] >>> 8];
      out[i] = e0 - 2; out[i + 1] = e1 - 2; out[i + 2] = e2 - 2; out[i + 3] = e3 - 2;
      out[i + 4] = e4 - 2; out[i + 5] = e5 - 2; out[i + 6] = e6 - 2; out[i + 7] = e7 - 2;
      // ((e + 1) & 254) is 0 exactly for bytes 0 and 255, so minus 1 it is negative exactly for them
      esc |= (((e0 + 1) & 254) - 1) | (((e1 + 1) & 254) - 1) | (((e2 + 1) & 254) - 1) | (((e3 + 1) & 254) - 1) |
        (((e4 + 1) & 254) - 1) | (((e5 + 1) & 254) - 1) | (((e6 + 1) & 254) - 1) | (((e7 + 1) & 254) - 1);
    }
    for (; i < n; i++) {
      const e = l2[addrs[i] >>> 8];
      out[i] = e - 2;
      esc |= ((e + 1) & 254) - 1;
    }
    if (esc >= 0) return;
    for (i = 0; i < n; i++) if (out[i] === -2 || out[i] === ESC - 2) out[i] = this.lookup(addrs[i]);
  }

  /** The next hop stored for exactly this prefix, or -1. */
  get(addr: number, len: number): number {
    if (!Number.isInteger(len) || len < 0 || len > 32) return -1;
    this.settle();
    const d = this.table.get(mask(addr, len), len);
    return d < 0 ? -1 : this.vals[d];
  }

  /** Every stored prefix covering addr, shortest first (for `explain`). */
  matches(addr: number): Ipv4LpmMatch[] {
    this.settle();
    const out: Ipv4LpmMatch[] = [];
    for (let l = 0; l <= 32; l++) {
      if (this.lenCount[l] === 0) continue;
      const a = mask(addr, l);
      const d = this.table.get(a, l);
      if (d >= 0) out.push({ addr: a, len: l, nextHop: this.vals[d] });
    }
    return out;
  }

  forEach(fn: (addr: number, len: number, nextHop: number) => void): void {
    this.settle();
    this.table.forEach((k, len, d) => fn(k, len, this.vals[d]));
  }

  memory(): Ipv4LpmMemory {
    const structure = this.l1v.byteLength + this.l1Len.byteLength + this.l2.byteLength + this.l2Def.byteLength +
      this.l2Cnt.byteLength + this.l2Has.byteLength + this.l2Wide.byteLength + this.wide.byteLength + this.l3.byteLength +
      this.l3Len.byteLength + this.l3Def.byteLength + this.l3Cnt.byteLength + this.vals.byteLength + this.refs.byteLength +
      this.logA.byteLength + this.logL.byteLength + this.logV.byteLength;
    const table = this.table.byteLength();
    return { structure, table, total: structure + table };
  }

  /** Build now if a bulk load is pending (lookups do this themselves). */
  flush(): void {
    if (this.deferred) this.build();
  }
}
