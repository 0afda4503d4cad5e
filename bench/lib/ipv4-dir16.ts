/**
 * The previous IPv4 structure, kept only so that the benchmark (bench/fib.ts)
 * can measure the current one (src/fib/ipv4-dir.ts) against it in the same run: a
 * leaf-pushed DIR-16-8-8 table with 16-bit leaves below the first level. It
 * used twice the level-2 memory of src/fib/ipv4-dir.ts (512-byte chunks) and an
 * exact-match table with 32-bit values grown by rehashing. Not used by the FIB.
 *
 * Layout (typed arrays only on the lookup path):
 * - level 1: `l1`, Int32Array(2^S1), one entry per /S1: >= 0 the next hop
 *   itself, -1 no route, <= -2 a level-2 chunk c = -2 - v.
 * - level 2: `l2`, one Uint16Array of chunks of 2^(24 - S1) entries, one per
 *   /24 of the chunk's /S1: < 0x8000 an index into the next-hop value table
 *   `vals` (index 0 = no route), otherwise a level-3 chunk (v & 0x7fff).
 * - level 3: `l3`, Uint16Array chunks of 256 entries (one per address of a
 *   /24 holding prefixes longer than /24), value indexes.
 * A lookup is one read of `l1` and, for a /S1 holding prefixes longer than
 * /S1, one 2-byte read of its chunk, plus a read of the small `vals` table.
 *
 * Limits (RangeError on the insert that would pass them): at most 32,767
 * distinct next-hop values present at once (a FIB holds a few next hops or
 * groups, not millions), and at most 32,768 /24s holding prefixes longer
 * than /24. Next hops are integers in [0, 2^30).
 *
 * Updates are incremental and DIR-style (each entry knows the length of the
 * prefix it came from), with the exact-match table (prefix-table.ts) as the
 * source of truth: a prefix of length <= S1 rewrites the level-1 slots it
 * covers whose source (`l1Len`) is not longer, pushing a new default into the
 * chunks below them (entries whose source is "the default"); a prefix of
 * length S1+1..24 rewrites the entries of its range in one chunk whose source
 * (4 bits per entry, `l2Src`) is not longer; a prefix longer than /24 does the
 * same in one level-3 chunk (`l3Len`). A remove gives the entries that came
 * from the removed prefix to the longest shorter prefix, found by probing the
 * table only at lengths present. Chunks whose last prefix goes are freed. A
 * bulk load into an empty table only fills the exact-match table; the first
 * lookup (or `flush()`) builds the arrays in one pass, shortest prefixes
 * first, chunk by chunk.
 *
 * Not here: IPv6 (src/fib/ipv6-ranges.ts), next-hop meaning (src/fib/fib.ts).
 */
import { PrefixTable } from '../../src/fib/prefix-table.js';

const S1 = 16;
const B2 = 24 - S1;
const C2 = 1 << B2;
const L1N = 1 << S1;
const SH1 = 32 - S1;
/** bytes of the per-chunk source lengths (4 bits per entry) */
const SB = C2 >>> 1;
const MAX_VALUE = 0x3fffffff;
const MAX_VALUES = 0x7fff;
const MAX_L3 = 0x8000;

interface Ipv4LpmMemory {
  structure: number;
  table: number;
  total: number;
}

interface Ipv4LpmMatch {
  addr: number;
  len: number;
  nextHop: number;
}

const mask = (a: number, len: number): number => (len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0);

export class Ipv4Dir16Lpm {
  private readonly table = new PrefixTable(1);
  private readonly key = new Uint32Array(1);
  /** prefixes stored per length */
  private readonly lenCount = new Int32Array(33);

  // next-hop values
  /** index -> next hop; index 0 is "no route" */
  private vals = new Int32Array(64).fill(-1);
  private refs = new Int32Array(64);
  private readonly idxOf = new Map<number, number>();
  private readonly freeVals: number[] = [];
  private valTop = 1;

  // level 1
  private readonly l1 = new Int32Array(L1N).fill(-1);
  /** source prefix length + 1 of each level-1 slot (0: no route) */
  private readonly l1Len = new Uint8Array(L1N);

  // level 2
  private l2 = new Uint16Array(C2 * 64);
  private l2Cap = 64;
  private l2Top = 0;
  private readonly l2Free: number[] = [];
  private l2Def = new Uint16Array(64);
  private l2Cnt = new Int32Array(64);
  /** per entry, 4 bits: source prefix length - S1, or 0 when the value is the chunk's default */
  private l2Src = new Uint8Array(64 * SB);

  // level 3
  private l3 = new Uint16Array(256 * 16);
  private l3Len = new Uint8Array(256 * 16);
  private l3Cap = 16;
  private l3Top = 0;
  private readonly l3Free: number[] = [];
  private l3Def = new Uint16Array(16);
  private l3Cnt = new Int32Array(16);

  private readonly batchTmp = new Int32Array(256);
  /** true while the arrays are empty and inserts only fill the table */
  private deferred = true;

  get size(): number {
    return this.table.size;
  }

  // ---- next-hop value table -------------------------------------------

  private valueIndex(v: number): number {
    return v < 0 ? 0 : (this.idxOf.get(v) as number);
  }

  private acquire(v: number): number {
    let i = this.idxOf.get(v);
    if (i === undefined) {
      const f = this.freeVals.pop();
      if (f !== undefined) i = f;
      else {
        if (this.valTop > MAX_VALUES) throw new RangeError(`more than ${MAX_VALUES} distinct next-hop values`);
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

  private release(v: number): void {
    const i = this.idxOf.get(v) as number;
    if (--this.refs[i] === 0) {
      this.idxOf.delete(v);
      this.freeVals.push(i);
    }
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
    const src = new Uint8Array(cap * SB);
    src.set(this.l2Src.subarray(0, Math.min(this.l2Src.length, cap * SB)));
    this.l2Src = src;
    this.l2 = g16(this.l2, C2);
    this.l2Def = g16(this.l2Def, 1);
    this.l2Cnt = g32(this.l2Cnt, 1);
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
    const e = this.l1[s];
    if (e <= -2) return -2 - e;
    const c = this.allocL2();
    const d = this.valueIndex(e);
    this.l2.fill(d, c * C2, c * C2 + C2);
    this.l2Def[c] = d;
    this.l2Cnt[c] = 0;
    this.l2Src.fill(0, c * SB, c * SB + SB);
    this.l1[s] = -2 - c;
    return c;
  }

  private ensureL3(c: number, s: number): number {
    const at = c * C2 + s;
    const e = this.l2[at];
    if (e >= 0x8000) return e & 0x7fff;
    const k = this.allocL3();
    this.l3.fill(e, k * 256, k * 256 + 256);
    this.l3Len.fill(0, k * 256, k * 256 + 256);
    this.l3Def[k] = e;
    this.l3Cnt[k] = 0;
    this.l2[at] = 0x8000 | k;
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

  private setL2Slot(c: number, s: number, d: number): void {
    const at = c * C2 + s;
    const e = this.l2[at];
    if (e < 0x8000) this.l2[at] = d;
    else this.setL3Def(e & 0x7fff, d);
  }

  private setChunkDef(c: number, d: number): void {
    if (this.l2Def[c] === d) return;
    this.l2Def[c] = d;
    for (let s = 0; s < C2; s++) if (this.srcOf(c, s) === 0) this.setL2Slot(c, s, d);
  }

  private setL1(s: number, v: number, tag: number): void {
    this.l1Len[s] = tag;
    const e = this.l1[s];
    if (e >= -1) this.l1[s] = v;
    else this.setChunkDef(-2 - e, this.valueIndex(v));
  }

  private srcOf(c: number, s: number): number {
    return (this.l2Src[c * SB + (s >>> 1)] >>> ((s & 1) << 2)) & 15;
  }

  private setSrc(c: number, s: number, tag: number): void {
    const i = c * SB + (s >>> 1);
    const sh = (s & 1) << 2;
    this.l2Src[i] = (this.l2Src[i] & ~(15 << sh)) | (tag << sh);
  }

  /** Longest stored prefix covering a with length in [minLen, len), or -1; its length in coverLen. */
  private coverLen = -1;
  private cover(a: number, len: number, minLen: number): number {
    const k = this.key;
    for (let l = len - 1; l >= minLen; l--) {
      if (this.lenCount[l] === 0) continue;
      k[0] = mask(a, l);
      const v = this.table.get(k, l);
      if (v >= 0) { this.coverLen = l; return v; }
    }
    this.coverLen = -1;
    return -1;
  }

  private freeChunk(s1: number, c: number): void {
    this.l1[s1] = this.vals[this.l2Def[c]];
    this.l2Free.push(c);
  }

  private freeL3(c: number, s: number, k: number): void {
    this.l2[c * C2 + s] = this.l3Def[k];
    this.l3Free.push(k);
  }

  // ---- updates -----------------------------------------------------------

  insert(addr: number, len: number, nextHop: number): void {
    if (!Number.isInteger(len) || len < 0 || len > 32) throw new RangeError(`prefix length ${len} out of range 0..32`);
    if (!Number.isInteger(nextHop) || nextHop < 0 || nextHop > MAX_VALUE) throw new RangeError(`next hop ${nextHop} out of range 0..${MAX_VALUE}`);
    const a = mask(addr, len);
    this.key[0] = a;
    if (len > 24 && !this.deferred && this.l3Free.length === 0 && this.l3Top >= MAX_L3) {
      const e = this.l1[a >>> SH1];
      if (e >= -1 || this.l2[(-2 - e) * C2 + ((a >>> 8) & (C2 - 1))] < 0x8000) {
        throw new RangeError(`more than ${MAX_L3} /24s holding longer prefixes`);
      }
    }
    const d = this.acquire(nextHop);
    const prev = this.table.set(this.key, len, nextHop);
    if (prev === nextHop) { this.release(nextHop); return; }
    if (prev < 0) this.lenCount[len]++;
    if (!this.deferred) this.applyInsert(a, len, nextHop, d, prev < 0);
    if (prev >= 0) this.release(prev);
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
      // DIR-style: entries whose source is not longer take the new value.
      const tag = len - S1;
      const lo = (a >>> 8) & (C2 - 1);
      const hi = lo + (1 << (24 - len));
      for (let s = lo; s < hi; s++) {
        if (this.srcOf(c, s) <= tag) { this.setL2Slot(c, s, d); this.setSrc(c, s, tag); }
      }
      return;
    }
    const k = this.ensureL3(c, (a >>> 8) & (C2 - 1));
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
    const a = mask(addr, len);
    this.key[0] = a;
    const old = this.table.delete(this.key, len);
    if (old < 0) return false;
    this.lenCount[len]--;
    if (this.table.size === 0) this.reset();
    else if (!this.deferred) this.applyRemove(a, len);
    this.release(old);
    return true;
  }

  private applyRemove(a: number, len: number): void {
    if (len <= S1) {
      const r = this.cover(a, len, 0);
      const tag = this.coverLen + 1;
      const first = a >>> SH1;
      const n = 2 ** (S1 - len);
      const from = len + 1;
      const l1Len = this.l1Len;
      for (let s = first; s < first + n; s++) if (l1Len[s] === from) this.setL1(s, r, tag);
      return;
    }
    const s1 = a >>> SH1;
    const c = -2 - this.l1[s1];
    if (len <= 24) {
      // Entries that came from the removed prefix take the longest shorter one.
      const r = this.cover(a, len, S1 + 1);
      const d = r >= 0 ? this.valueIndex(r) : this.l2Def[c];
      const tag = r >= 0 ? this.coverLen - S1 : 0;
      const from = len - S1;
      const lo = (a >>> 8) & (C2 - 1);
      const hi = lo + (1 << (24 - len));
      for (let s = lo; s < hi; s++) {
        if (this.srcOf(c, s) === from) { this.setL2Slot(c, s, d); this.setSrc(c, s, tag); }
      }
    } else {
      const s = (a >>> 8) & (C2 - 1);
      const k = this.l2[c * C2 + s] & 0x7fff;
      const r = this.cover(a, len, 25);
      const d = r >= 0 ? this.valueIndex(r) : this.l3Def[k];
      const tag = r >= 0 ? this.coverLen + 1 : 0;
      const from = k * 256 + (a & 255);
      const end = from + 2 ** (32 - len);
      const old = len + 1;
      for (let j = from; j < end; j++) {
        if (this.l3Len[j] === old) { this.l3[j] = d; this.l3Len[j] = tag; }
      }
      if (--this.l3Cnt[k] === 0) this.freeL3(c, s, k);
    }
    if (--this.l2Cnt[c] === 0) this.freeChunk(s1, c);
  }

  /** Empty arrays; the next inserts are a bulk load again. */
  private reset(): void {
    this.l1.fill(-1);
    this.l1Len.fill(0);
    this.l2Top = 0;
    this.l2Free.length = 0;
    this.l3Top = 0;
    this.l3Free.length = 0;
    this.deferred = true;
  }

  /** Build the arrays from the table in one pass, shortest prefixes first. */
  private build(): void {
    this.deferred = false;
    const n = this.table.size;
    const byLen = new Int32Array(34);
    const addrs = new Uint32Array(n);
    const lens = new Uint8Array(n);
    const vs = new Int32Array(n);
    let i = 0;
    this.table.forEach((k, len, v) => { addrs[i] = k[0]; lens[i] = len; vs[i] = v; i++; byLen[len + 1]++; });
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
    const l1 = this.l1;
    const l1Len = this.l1Len;
    for (let j = 0; j < n; j++) {
      const p = order[j];
      const a = addrs[p];
      const len = lens[p];
      const v = vs[p];
      if (len <= S1) {
        const first = a >>> SH1;
        l1.fill(v, first, first + 2 ** (S1 - len));
        l1Len.fill(len + 1, first, first + 2 ** (S1 - len));
        continue;
      }
      const d = this.valueIndex(v);
      const c = this.ensureChunk(a >>> SH1);
      this.l2Cnt[c]++;
      if (len <= 24) {
        const lo = (a >>> 8) & (C2 - 1);
        const w = 1 << (24 - len);
        const l2 = this.l2;
        const base = c * C2;
        for (let s = lo; s < lo + w; s++) { l2[base + s] = d; this.setSrc(c, s, len - S1); }
      } else {
        const k = this.ensureL3(c, (a >>> 8) & (C2 - 1));
        this.l3Cnt[k]++;
        const from = k * 256 + (a & 255);
        const w = 2 ** (32 - len);
        this.l3.fill(d, from, from + w);
        this.l3Len.fill(len + 1, from, from + w);
      }
    }
  }

  // ---- lookups -----------------------------------------------------------

  lookup(addr: number): number {
    if (this.deferred) this.build();
    const v = this.l1[addr >>> SH1];
    if (v >= -1) return v;
    const e = this.l2[((-2 - v) << B2) | ((addr >>> 8) & (C2 - 1))];
    if (e < 0x8000) return this.vals[e];
    return this.vals[this.l3[((e & 0x7fff) << 8) | (addr & 255)]];
  }

  /**
   * Look up addrs[i] into out[i] for i < min(lengths). Works in blocks of 256
   * addresses and in waves: all level-1 reads (cache-resident), then a
   * branch-free loop of the level-2 reads so that their cache misses overlap,
   * then the values.
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    if (this.deferred) this.build();
    const l1 = this.l1;
    const l2 = this.l2;
    const l3 = this.l3;
    const vals = this.vals;
    const at = this.batchTmp;
    const n = Math.min(addrs.length, out.length);
    for (let b = 0; b < n; b += 256) {
      const m = Math.min(256, n - b);
      for (let i = 0; i < m; i++) {
        const a = addrs[b + i];
        const v = l1[a >>> SH1];
        out[b + i] = v;
        at[i] = v <= -2 ? ((-2 - v) << B2) | ((a >>> 8) & (C2 - 1)) : 0;
      }
      for (let i = 0; i < m; i++) at[i] = l2[at[i]];
      for (let i = 0; i < m; i++) {
        if (out[b + i] <= -2) {
          const e = at[i];
          out[b + i] = e < 0x8000 ? vals[e] : vals[l3[((e & 0x7fff) << 8) | (addrs[b + i] & 255)]];
        }
      }
    }
  }

  /** The next hop stored for exactly this prefix, or -1. */
  get(addr: number, len: number): number {
    if (!Number.isInteger(len) || len < 0 || len > 32) return -1;
    this.key[0] = mask(addr, len);
    return this.table.get(this.key, len);
  }

  /** Every stored prefix covering addr, shortest first (for `explain`). */
  matches(addr: number): Ipv4LpmMatch[] {
    const out: Ipv4LpmMatch[] = [];
    for (let l = 0; l <= 32; l++) {
      if (this.lenCount[l] === 0) continue;
      const a = mask(addr, l);
      this.key[0] = a;
      const v = this.table.get(this.key, l);
      if (v >= 0) out.push({ addr: a, len: l, nextHop: v });
    }
    return out;
  }

  forEach(fn: (addr: number, len: number, nextHop: number) => void): void {
    this.table.forEach((k, len, v) => fn(k[0], len, v));
  }

  memory(): Ipv4LpmMemory {
    const structure = this.l1.byteLength + this.l1Len.byteLength + this.l2.byteLength + this.l2Def.byteLength +
      this.l2Cnt.byteLength + this.l2Src.byteLength + this.l3.byteLength +
      this.l3Len.byteLength + this.l3Def.byteLength + this.l3Cnt.byteLength + this.vals.byteLength + this.refs.byteLength;
    const table = this.table.byteLength();
    return { structure, table, total: structure + table };
  }

  /** Build now if a bulk load is pending (lookups do this themselves). */
  flush(): void {
    if (this.deferred) this.build();
  }
}
