/**
 * A compressed multibit trie with leaf pushing, a 16-bit first level and
 * 8-bit compressed nodes below (IPv4: 16-8-8, IPv6: 16-8-8-...-8, 15
 * levels). It was the structure behind both address families; the FIB now
 * uses ipv4-dir.ts and ipv6-ranges.ts, and this one stays as the "previous
 * trie" the benchmark (bench/fib.ts) measures them against in the same run.
 *
 * Layout (all typed arrays, no objects on the lookup path):
 * - `root`: Int32Array(65536), one entry per /16.
 * - `mem`: one Int32Array holding every node contiguously: 8 bitmap words,
 *   2 words of packed byte counts, the node id, then the node's leaves. The
 *   256 slots of a node are run-length compressed: bit j of bitmap word w is
 *   set when slot 32w+j starts a new run of equal values; count byte w is the
 *   number of runs starting before word w. Slot s = 32w + j is read as
 *   `mem[o + 10 + count_w + popcount(bitmap_w & ((2 << j) - 1))]` (Poptrie's
 *   bitmap-and-popcount idea with a 256-bit node and its leaves inline, so a
 *   lookup step usually touches one or two adjacent cache lines).
 * - Entry encoding in `root` and `mem`: >= 0 next hop, -1 no route,
 *   <= -2 child node at offset (-2 - v). While a node is being rewritten
 *   (decompressed into a 256-entry scratch array) its children appear as
 *   -2 - node id instead, because rewriting a node may move it.
 *
 * Updates are incremental. The exact prefixes live in a PrefixTable; each node
 * also keeps its default (the value pushed down from above), a count of
 * prefixes beneath it, a mask of the prefix lengths it has held (lengths never
 * used need no table probe) and, once it owns a prefix, a 256-bit "explicit"
 * bitmap (slot covered by a prefix stored at this node's own level). An insert
 * or remove updates the table at once and queues the affected range; the
 * queue is applied lazily, grouped by node, before the next lookup. A single
 * update re-derives only its own range: its node's slots, and the defaults of
 * child nodes under that range (pushed down through non-explicit slots). A
 * node made since the last flush is painted from its queued prefixes,
 * shortest first, without probing: that is what a bulk load does.
 *
 * Not here: next-hop meaning (src/fib/fib.ts), lookups (the benchmark's facades).
 * Values must be integers in [0, 2^30).
 */
import { PrefixTable } from '../../src/fib/prefix-table.js';

export const NO_ROUTE = -1;
export const MAX_VALUE = 0x3fffffff;

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Node header: 8 bitmap words, 2 words of packed run counts, the node id; leaves follow. */
const ID = 10;
const HDR = 11;
const COUNTS_0_3_ONE_RUN = 0x01010100; // runs before words 0..3: 0, 1, 1, 1
const COUNTS_4_7_ONE_RUN = 0x01010101;
const UNTOUCHED = -3;

/** Shared engine; the hot-path lookups live in the IPv4/IPv6 facades. */
export class LpmTrie {
  readonly words: number;
  readonly maxLen: number;
  readonly table: PrefixTable;

  root = new Int32Array(65536).fill(NO_ROUTE);
  mem: Int32Array;
  private memTop = 0;
  private readonly freeSegs: number[][] = [];

  // per node id
  private nodeCap: number;
  private nodeTop = 0;
  private freeNodes: number[] = [];
  private nOff: Int32Array;
  private nRuns: Int32Array;
  private nDef: Int32Array;
  private nCount: Int32Array;
  /** parent link: (parent id << 8) | slot, or -1 - slot for a child of the root */
  private nLink: Int32Array;
  /** offset of the node's 8-word "explicit" bitmap in explPool, or -1 (all clear) */
  private nExplAt: Int32Array;
  private explPool = new Int32Array(8 * 1024);
  private explTop = 0;
  private readonly freeExpl: number[] = [];
  private readonly freshList: number[] = [];
  /** 1 when the node was made since the last flush: all its prefixes are queued */
  private nFresh: Uint8Array;
  /** bit i: a prefix of length depth+1+i has been stored in this node (never cleared; skips probes) */
  private nLens: Uint8Array;
  /** the same for the root, bit = length 0..16 */
  private rootLens = 0;
  /** prefixes of length <= 16 now, and when the last flush ended */
  private rootPrefixes = 0;
  private rootPrefixesAtFlush = 0;

  /** pending ranges: W key words + length per op */
  private queue: Uint32Array;
  pending = 0;

  private readonly scratch: Int32Array[] = [];
  private readonly painted: Int32Array[] = [];
  private readonly runTmp = new Int32Array(256);
  private readonly hdrTmp = new Int32Array(HDR);
  private readonly rootPainted = new Int32Array(65536);
  private readonly kb: Uint32Array;
  private readonly kt: Uint32Array;

  constructor(words: number) {
    this.words = words;
    this.maxLen = words * 32;
    this.table = new PrefixTable(words);
    this.nodeCap = 64;
    this.nOff = new Int32Array(this.nodeCap);
    this.nRuns = new Int32Array(this.nodeCap);
    this.nDef = new Int32Array(this.nodeCap);
    this.nCount = new Int32Array(this.nodeCap);
    this.nLink = new Int32Array(this.nodeCap);
    this.nExplAt = new Int32Array(this.nodeCap);
    this.nFresh = new Uint8Array(this.nodeCap);
    this.nLens = new Uint8Array(this.nodeCap);
    this.mem = new Int32Array(4096);
    for (let i = 0; i <= 256; i++) this.freeSegs.push([]);
    const levels = (this.maxLen - 16) / 8 + 1;
    for (let i = 0; i <= levels; i++) {
      this.scratch.push(new Int32Array(256));
      this.painted.push(new Int32Array(256));
    }
    this.queue = new Uint32Array(64 * (words + 1));
    this.kb = new Uint32Array(words);
    this.kt = new Uint32Array(words);
  }

  get size(): number {
    return this.table.size;
  }

  byteLength(): { structure: number; table: number; total: number } {
    const structure = this.root.byteLength + this.mem.byteLength + this.nOff.byteLength +
      this.nRuns.byteLength + this.nDef.byteLength + this.nCount.byteLength + this.nLink.byteLength +
      this.nExplAt.byteLength + this.explPool.byteLength + this.nFresh.byteLength + this.nLens.byteLength + this.queue.byteLength;
    const table = this.table.byteLength();
    return { structure, table, total: structure + table };
  }

  /** Node count (for reports). */
  nodeCount(): number {
    return this.nodeTop - this.freeNodes.length;
  }

  // ---- key helpers -------------------------------------------------------

  /** Copy `src` masked to `len` bits into `dst`. */
  private maskInto(src: ArrayLike<number>, len: number, dst: Uint32Array): void {
    for (let i = 0; i < this.words; i++) {
      const bits = len - i * 32;
      const w = src[i] >>> 0;
      dst[i] = bits >= 32 ? w : bits <= 0 ? 0 : (w & (0xffffffff << (32 - bits))) >>> 0;
    }
  }

  private static slotAt(key: ArrayLike<number>, depth: number): number {
    return (key[depth >>> 5] >>> (24 - (depth & 31))) & 255;
  }

  // ---- node storage ------------------------------------------------------

  private allocNode(): number {
    const f = this.freeNodes.pop();
    if (f !== undefined) return f;
    if (this.nodeTop === this.nodeCap) this.growNodes();
    return this.nodeTop++;
  }

  private growNodes(): void {
    const cap = Math.ceil(this.nodeCap * 1.5);
    const g = (a: Int32Array, per: number): Int32Array => {
      const b = new Int32Array(cap * per);
      b.set(a);
      return b;
    };
    this.nOff = g(this.nOff, 1);
    this.nRuns = g(this.nRuns, 1);
    this.nDef = g(this.nDef, 1);
    this.nCount = g(this.nCount, 1);
    this.nLink = g(this.nLink, 1);
    this.nExplAt = g(this.nExplAt, 1);
    const f = new Uint8Array(cap);
    f.set(this.nFresh);
    this.nFresh = f;
    const lens = new Uint8Array(cap);
    lens.set(this.nLens);
    this.nLens = lens;
    this.nodeCap = cap;
  }

  /** A segment for a node with `runs` leaves (free lists per exact size). */
  private allocSeg(runs: number): number {
    const f = this.freeSegs[runs].pop();
    if (f !== undefined) return f;
    const size = HDR + runs;
    if (this.memTop + size > this.mem.length) {
      const b = new Int32Array(Math.max(this.memTop + size, Math.ceil(this.mem.length * 1.5)));
      b.set(this.mem.subarray(0, this.memTop));
      this.mem = b;
    }
    const at = this.memTop;
    this.memTop += size;
    return at;
  }

  /** Raw slot value (offset form) of the node at offset o. */
  private rawSlot(o: number, s: number): number {
    return this.mem[this.leafIndex(o, s)];
  }

  /** Index in mem of the leaf holding slot s of the node at offset o. */
  private leafIndex(o: number, s: number): number {
    const mem = this.mem;
    const w = s >>> 5;
    return o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << (s & 31)) - 1));
  }

  /** Child node id of slot s of node n, or -1 when the slot is a leaf. */
  private childOf(n: number, s: number): number {
    const v = this.rawSlot(this.nOff[n], s);
    return v <= -2 ? this.mem[-2 - v + ID] : -1;
  }

  private decompress(n: number, sc: Int32Array): void {
    const mem = this.mem;
    const o = this.nOff[n];
    let k = o + HDR;
    let prevPos = 0;
    let prevVal = mem[k];
    if (prevVal <= -2) prevVal = -2 - mem[-2 - prevVal + ID];
    for (let w = 0; w < 8; w++) {
      let bm = mem[o + w];
      while (bm !== 0) {
        const low = bm & -bm;
        const pos = (w << 5) + (31 - Math.clz32(low));
        bm ^= low;
        if (pos === 0) continue;
        sc.fill(prevVal, prevPos, pos);
        prevPos = pos;
        prevVal = mem[++k];
        if (prevVal <= -2) prevVal = -2 - mem[-2 - prevVal + ID];
      }
    }
    sc.fill(prevVal, prevPos, 256);
  }

  private compress(n: number, sc: Int32Array): void {
    // One pass: run values into a temporary, bitmaps and counts into the header words.
    const tmp = this.runTmp;
    const hdr = this.hdrTmp;
    const nOff = this.nOff;
    let runs = 0;
    let prev = sc[0];
    tmp[runs++] = prev <= -2 ? -2 - nOff[-2 - prev] : prev;
    let c03 = 0;
    let c47 = 0;
    for (let w = 0; w < 8; w++) {
      if (w > 0) {
        if (w < 4) c03 |= runs << (w << 3);
        else c47 |= runs << ((w - 4) << 3);
      }
      let bm = w === 0 ? 1 : 0;
      const base = w << 5;
      for (let j = w === 0 ? 1 : 0; j < 32; j++) {
        const v = sc[base + j];
        if (v !== prev) {
          bm |= 1 << j;
          tmp[runs++] = v <= -2 ? -2 - nOff[-2 - v] : v;
          prev = v;
        }
      }
      hdr[w] = bm;
    }
    hdr[8] = c03;
    hdr[9] = c47;
    hdr[10] = n;
    let o = nOff[n];
    if (runs !== this.nRuns[n]) {
      this.freeSegs[this.nRuns[n]].push(o);
      o = this.allocSeg(runs);
      nOff[n] = o;
      this.nRuns[n] = runs;
      this.relink(n);
    }
    const mem = this.mem;
    mem.set(hdr, o);
    mem.set(tmp.subarray(0, runs), o + HDR);
  }

  /** Point n's parent at n's current offset (after n moved). */
  private relink(n: number): void {
    const link = this.nLink[n];
    const ptr = -2 - this.nOff[n];
    if (link < 0) this.root[-1 - link] = ptr;
    else this.mem[this.leafIndex(this.nOff[link >>> 8], link & 255)] = ptr;
  }

  /** Make a child node of `parent` (-1: root) at slot `pslot`, all 256 slots `value`. */
  private newNode(value: number, parent: number, pslot: number): number {
    const n = this.allocNode();
    this.nDef[n] = value;
    this.nCount[n] = 0;
    this.nLink[n] = parent < 0 ? -1 - pslot : (parent << 8) | pslot;
    this.nRuns[n] = 1;
    const o = this.allocSeg(1);
    this.nOff[n] = o;
    const mem = this.mem;
    mem[o] = 1;
    for (let w = 1; w < 8; w++) mem[o + w] = 0;
    mem[o + 8] = COUNTS_0_3_ONE_RUN;
    mem[o + 9] = COUNTS_4_7_ONE_RUN;
    mem[o + ID] = n;
    mem[o + HDR] = value;
    this.nExplAt[n] = -1;
    this.nLens[n] = 0;
    this.nFresh[n] = 1;
    this.freshList.push(n);
    return n;
  }

  private freeSubtree(n: number): void {
    const o = this.nOff[n];
    const runs = this.nRuns[n];
    for (let i = o + HDR; i < o + HDR + runs; i++) {
      const v = this.mem[i];
      if (v <= -2) this.freeSubtree(this.mem[-2 - v + ID]);
    }
    this.freeSegs[runs].push(o);
    this.nRuns[n] = 0;
    if (this.nExplAt[n] >= 0) this.freeExpl.push(this.nExplAt[n]);
    this.nExplAt[n] = -1;
    this.freeNodes.push(n);
  }

  private explSet(n: number, s: number): void {
    let e = this.nExplAt[n];
    if (e < 0) {
      const f = this.freeExpl.pop();
      if (f !== undefined) e = f;
      else {
        if (this.explTop + 8 > this.explPool.length) {
          const b = new Int32Array(Math.ceil(this.explPool.length * 1.5) + 8);
          b.set(this.explPool);
          this.explPool = b;
        }
        e = this.explTop;
        this.explTop += 8;
      }
      this.explPool.fill(0, e, e + 8);
      this.nExplAt[n] = e;
    }
    this.explPool[e + (s >>> 5)] |= 1 << (s & 31);
  }

  private explClear(n: number, s: number): void {
    const e = this.nExplAt[n];
    if (e >= 0) this.explPool[e + (s >>> 5)] &= ~(1 << (s & 31));
  }

  /** Set one slot of node n (level lvl) to v (scratch form), immediately. */
  private setSlot(n: number, lvl: number, s: number, v: number): void {
    const sc = this.scratch[lvl];
    this.decompress(n, sc);
    sc[s] = v;
    this.compress(n, sc);
  }

  // ---- updates -----------------------------------------------------------

  /** The stored value of an exact prefix, or -1. */
  get(key: ArrayLike<number>, len: number): number {
    this.maskInto(key, len, this.kt);
    return this.table.get(this.kt, len);
  }

  insert(key: ArrayLike<number>, len: number, value: number): void {
    if (!Number.isInteger(len) || len < 0 || len > this.maxLen) throw new RangeError(`prefix length ${len} out of range 0..${this.maxLen}`);
    if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE) throw new RangeError(`value ${value} out of range 0..${MAX_VALUE}`);
    const kb = this.kb;
    this.maskInto(key, len, kb);
    const old = this.table.set(kb, len, value);
    if (old === value) return;
    if (old < 0 && len <= 16) {
      this.rootPrefixes++;
      this.rootLens |= 1 << len;
    }
    if (old < 0 && len > 16) {
      // A new prefix below the first level: count it along its path, making nodes.
      const rs = kb[0] >>> 16;
      const v = this.root[rs];
      let n: number;
      if (v <= -2) n = this.mem[-2 - v + ID];
      else {
        n = this.newNode(v, -1, rs);
        this.root[rs] = -2 - this.nOff[n];
      }
      this.nCount[n]++;
      let depth = 16;
      let lvl = 1;
      while (len > depth + 8) {
        const s = LpmTrie.slotAt(kb, depth);
        let c = this.childOf(n, s);
        if (c < 0) {
          c = this.newNode(this.rawSlot(this.nOff[n], s), n, s);
          this.setSlot(n, lvl, s, -2 - c);
        }
        this.nCount[c]++;
        n = c;
        depth += 8;
        lvl++;
      }
      this.nLens[n] |= 1 << (len - depth - 1);
    }
    this.enqueue(kb, len);
  }

  remove(key: ArrayLike<number>, len: number): boolean {
    if (!Number.isInteger(len) || len < 0 || len > this.maxLen) return false;
    const kb = this.kb;
    this.maskInto(key, len, kb);
    if (this.table.delete(kb, len) < 0) return false;
    if (len <= 16) this.rootPrefixes--;
    if (len > 16) {
      const rs = kb[0] >>> 16;
      let n = this.mem[-2 - this.root[rs] + ID];
      if (--this.nCount[n] === 0) {
        this.root[rs] = this.nDef[n];
        this.freeSubtree(n);
        return true; // nothing left beneath this /16: no range to re-derive
      }
      let depth = 16;
      let lvl = 1;
      while (len > depth + 8) {
        const s = LpmTrie.slotAt(kb, depth);
        const c = this.childOf(n, s);
        if (--this.nCount[c] === 0) {
          this.setSlot(n, lvl, s, this.nDef[c]);
          this.freeSubtree(c);
          return true;
        }
        n = c;
        depth += 8;
        lvl++;
      }
    }
    this.enqueue(kb, len);
    return true;
  }

  private enqueue(kb: Uint32Array, len: number): void {
    const W = this.words;
    const per = W + 1;
    if ((this.pending + 1) * per > this.queue.length) {
      const b = new Uint32Array(this.queue.length * 2);
      b.set(this.queue);
      this.queue = b;
    }
    const o = this.pending * per;
    for (let i = 0; i < W; i++) this.queue[o + i] = kb[i];
    this.queue[o + W] = len;
    this.pending++;
  }

  /** Which node owns op i: -1 for the root, -2 when its node is gone, else the id. */
  private ownerOf(q: Uint32Array, o: number, len: number): number {
    if (len <= 16) return -1;
    let v = this.root[q[o] >>> 16];
    let depth = 16;
    for (;;) {
      if (v > -2) return -2;
      if (len <= depth + 8) return this.mem[-2 - v + ID];
      const s = (q[o + (depth >>> 5)] >>> (24 - (depth & 31))) & 255;
      v = this.rawSlot(-2 - v, s);
      depth += 8;
    }
  }

  private depthOf(len: number): number {
    return len <= 16 ? 0 : ((len - 1) >>> 3) << 3;
  }

  /** Apply all queued ranges. Called before every lookup that sees pending work. */
  flush(): void {
    const count = this.pending;
    if (count === 0) return;
    const W = this.words;
    const per = W + 1;
    const q = this.queue;
    if (count === 1) {
      const len = q[W];
      const owner = this.ownerOf(q, 0, len);
      if (owner !== -2) {
        if (owner >= 0) {
          const depth = this.depthOf(len);
          if (len !== depth + 8 || !this.setOneSlot(q, len, owner, depth)) {
            const lvl = (depth - 8) >>> 3;
            const sc = this.scratch[lvl];
            this.decompress(owner, sc);
            this.applyOp(q, 0, len, owner, lvl, sc);
            this.compress(owner, sc);
          }
        } else {
          this.applyOp(q, 0, len, -1, 0, this.root);
        }
      }
      this.endFlush(1);
      return;
    }
    // Group ops by owner node (counting sort) so each node is rewritten once.
    const owners = new Int32Array(count);
    let maxOwner = -1;
    for (let i = 0; i < count; i++) {
      const o = this.ownerOf(q, i * per, q[i * per + W]);
      owners[i] = o;
      if (o > maxOwner) maxOwner = o;
    }
    const buckets = new Int32Array(maxOwner + 3);
    for (let i = 0; i < count; i++) buckets[owners[i] + 2]++;
    for (let b = 1; b < buckets.length; b++) buckets[b] += buckets[b - 1];
    const order = new Int32Array(count);
    for (let i = count - 1; i >= 0; i--) order[--buckets[owners[i] + 2]] = i;
    let i = 0;
    const rootFresh = this.rootPrefixesAtFlush === 0;
    while (i < count) {
      const owner = owners[order[i]];
      let j = i;
      while (j < count && owners[order[j]] === owner) j++;
      if (owner === -1) {
        if (rootFresh) this.paintGroup(q, order, i, j, -1, 0, 0, this.root);
        else for (let k = i; k < j; k++) this.applyOp(q, order[k] * per, q[order[k] * per + W], -1, 0, this.root);
      } else if (owner >= 0) {
        const depth = this.depthOf(q[order[i] * per + W]);
        const lvl = (depth - 8) >>> 3;
        const sc = this.scratch[lvl];
        this.decompress(owner, sc);
        if (this.nFresh[owner]) this.paintGroup(q, order, i, j, owner, depth, lvl, sc);
        else for (let k = i; k < j; k++) this.applyOp(q, order[k] * per, q[order[k] * per + W], owner, lvl, sc);
        this.compress(owner, sc);
      }
      i = j;
    }
    this.endFlush(count);
  }

  private endFlush(count: number): void {
    this.pending = 0;
    this.rootPrefixesAtFlush = this.rootPrefixes;
    const fl = this.freshList;
    for (let i = 0; i < fl.length; i++) this.nFresh[fl[i]] = 0;
    fl.length = 0;
    if (count >= 65536) this.trim();
  }

  /** After a bulk load: give back growth slack and the queue. */
  private trim(): void {
    this.queue = new Uint32Array(64 * (this.words + 1));
    if (this.mem.length > this.memTop * 1.05 + 4096) this.mem = this.mem.slice(0, Math.ceil(this.memTop * 1.02) + 1024);
    if (this.explPool.length > this.explTop * 1.05 + 4096) this.explPool = this.explPool.slice(0, Math.ceil(this.explTop * 1.02) + 1024);
    const cap = Math.max(64, Math.ceil(this.nodeTop * 1.02) + 16);
    if (this.nodeCap > cap) {
      const cut = (a: Int32Array, per: number): Int32Array => a.slice(0, cap * per);
      this.nOff = cut(this.nOff, 1);
      this.nRuns = cut(this.nRuns, 1);
      this.nDef = cut(this.nDef, 1);
      this.nCount = cut(this.nCount, 1);
      this.nLink = cut(this.nLink, 1);
      this.nExplAt = cut(this.nExplAt, 1);
      this.nFresh = this.nFresh.slice(0, cap);
      this.nLens = this.nLens.slice(0, cap);
      this.nodeCap = cap;
    }
  }

  /**
   * Re-derive a node made since the last flush (or a root that held no
   * prefixes then): every prefix it owns is among the queued ops, so painting
   * their ranges from the shortest length to the longest gives the result
   * without probing the table for the lengths in between.
   */
  private paintGroup(q: Uint32Array, order: Int32Array, i: number, j: number, n: number, depth: number, lvl: number, sc: Int32Array): void {
    const W = this.words;
    const per = W + 1;
    const kb = this.kb;
    const minLen = n < 0 ? 0 : depth + 1;
    const slotLen = n < 0 ? 16 : depth + 8;
    const slots = n < 0 ? 65536 : 256;
    // Values painted over child slots are collected first and pushed down once.
    const pv = n < 0 ? this.rootPainted : this.painted[lvl];
    let anyChild = false;
    for (let L = minLen; L <= slotLen; L++) {
      for (let k = i; k < j; k++) {
        const o = order[k] * per;
        if (q[o + W] !== L) continue;
        for (let x = 0; x < W; x++) kb[x] = q[o + x];
        const val = this.table.get(kb, L);
        if (val < 0) continue; // removed again since it was queued
        const first = n < 0 ? kb[0] >>> 16 : LpmTrie.slotAt(kb, depth);
        const last = first + (1 << (slotLen - L));
        for (let s = first; s < last; s++) {
          if (sc[s] > -2) sc[s] = val;
          else {
            if (!anyChild) { pv.fill(UNTOUCHED, 0, slots); anyChild = true; }
            pv[s] = val;
          }
        }
        if (n >= 0) for (let s = first; s < last; s++) this.explSet(n, s);
      }
    }
    if (!anyChild) return;
    for (let s = 0; s < slots; s++) {
      const val = pv[s];
      if (val === UNTOUCHED) continue;
      const cur = sc[s];
      const c = n < 0 ? this.mem[-2 - cur + ID] : -2 - cur;
      if (this.nDef[c] !== val) this.pushDown(c, lvl + 1, val);
    }
  }

  /**
   * One queued prefix covering exactly one leaf slot of node n (a /24 in a /16
   * node, say): edit the compressed node in place, re-deciding only whether
   * slots s and s+1 start runs, instead of decompressing and recompressing.
   * Returns false (nothing done) when the slot holds a child.
   */
  private setOneSlot(q: Uint32Array, len: number, n: number, depth: number): boolean {
    const kb = this.kb;
    for (let i = 0; i < this.words; i++) kb[i] = q[i];
    const s = LpmTrie.slotAt(kb, depth);
    let o = this.nOff[n];
    const curIdx = this.leafIndex(o, s);
    const cur = this.mem[curIdx];
    if (cur <= -2) return false;
    let val = this.table.get(kb, len);
    let ex = val >= 0; // covered by a prefix stored at this node's level
    if (!ex) {
      const kt = this.kt;
      const lm = this.nLens[n];
      const minLen = depth + 1;
      for (let l = len - 1; l >= minLen; l--) {
        if (((lm >>> (l - minLen)) & 1) === 0) continue;
        this.maskInto(kb, l, kt);
        const v = this.table.get(kt, l);
        if (v >= 0) { val = v; ex = true; break; }
      }
      if (!ex) val = this.nDef[n];
    }
    if (ex) this.explSet(n, s);
    else this.explClear(n, s);
    if (cur === val) return true;
    let mem = this.mem;
    const hasL = s > 0;
    const hasR = s < 255;
    const L = hasL ? mem[this.leafIndex(o, s - 1)] : 0;
    const R = hasR ? mem[this.leafIndex(o, s + 1)] : 0;
    const oldS = !hasL || cur !== L; // s starts a run
    const oldR = hasR && R !== cur; // s + 1 starts a run
    const newS = !hasL || val !== L;
    const newR = hasR && R !== val;
    // The window of runs covering slots s-1..s+1, before and after.
    const base = o + HDR;
    const kA = (hasL ? this.leafIndex(o, s - 1) : curIdx) - base;
    const oldCount = (hasL ? 1 : 0) + (hasL && oldS ? 1 : 0) + (!hasL ? 1 : 0) + (oldR ? 1 : 0);
    const win = this.runTmp;
    let nw = 0;
    if (hasL) win[nw++] = L;
    if (!hasL || newS) win[nw++] = val;
    if (newR) win[nw++] = R;
    const runs = this.nRuns[n];
    const newRuns = runs - oldCount + nw;
    // header: bits for s and s+1, counts of later words
    const hdr = this.hdrTmp;
    for (let i = 0; i < HDR; i++) hdr[i] = mem[o + i];
    const dS = (newS ? 1 : 0) - (oldS ? 1 : 0);
    const dR = (newR ? 1 : 0) - (oldR ? 1 : 0);
    if (dS !== 0) {
      hdr[s >>> 5] ^= 1 << (s & 31);
      this.addCounts(hdr, (s >>> 5) + 1, dS);
    }
    if (dR !== 0) {
      const t = s + 1;
      hdr[t >>> 5] ^= 1 << (t & 31);
      this.addCounts(hdr, (t >>> 5) + 1, dR);
    }
    if (newRuns === runs) {
      for (let i = 0; i < nw; i++) mem[base + kA + i] = win[i];
      mem.set(hdr, o);
      return true;
    }
    // The size changed: build the new leaves, then move the node.
    const leaves = this.scratch[0];
    let k = 0;
    for (let i = 0; i < kA; i++) leaves[k++] = mem[base + i];
    for (let i = 0; i < nw; i++) leaves[k++] = win[i];
    for (let i = kA + oldCount; i < runs; i++) leaves[k++] = mem[base + i];
    this.freeSegs[runs].push(o);
    o = this.allocSeg(newRuns);
    this.nOff[n] = o;
    this.nRuns[n] = newRuns;
    this.relink(n);
    mem = this.mem;
    mem.set(hdr, o);
    mem.set(leaves.subarray(0, newRuns), o + HDR);
    return true;
  }

  /** Add d to the packed run counts of words from..7. */
  private addCounts(hdr: Int32Array, from: number, d: number): void {
    for (let w = from; w < 8; w++) {
      const word = 8 + (w >>> 2);
      hdr[word] += d << ((w & 3) << 3);
    }
  }

  /**
   * Re-derive the slots of the range of one queued prefix in node n (or the
   * root when n = -1) from the table: the inherited value (longest covering
   * prefix at this level, else the node's default) then a walk down every
   * length to the slot length, probing the table at each.
   */
  private applyOp(q: Uint32Array, o: number, len: number, n: number, lvl: number, sc: Int32Array): void {
    const kb = this.kb;
    const W = this.words;
    for (let i = 0; i < W; i++) kb[i] = q[o + i];
    const depth = this.depthOf(len);
    const minLen = n < 0 ? 0 : depth + 1;
    // lengths that have held prefixes at this level: others need no probe
    const lm = n < 0 ? this.rootLens : this.nLens[n];
    let val = this.table.get(kb, len);
    let ex = val >= 0;
    if (!ex) {
      const kt = this.kt;
      for (let l = len - 1; l >= minLen; l--) {
        if (((lm >>> (l - minLen)) & 1) === 0) continue;
        this.maskInto(kb, l, kt);
        const v = this.table.get(kt, l);
        if (v >= 0) { val = v; ex = true; break; }
      }
      if (!ex) val = n < 0 ? NO_ROUTE : this.nDef[n];
    }
    const slotLen = n < 0 ? 16 : depth + 8;
    this.walk(kb, len, slotLen, depth, val, ex, n, lvl, sc, lm, minLen);
  }

  /** lm: bit (L - lb) set when length L may hold prefixes at this level. */
  private walk(kb: Uint32Array, len: number, slotLen: number, depth: number, val: number, ex: boolean, n: number, lvl: number, sc: Int32Array, lm: number, lb: number): void {
    if (len === slotLen) {
      const s = n < 0 ? kb[0] >>> 16 : LpmTrie.slotAt(kb, depth);
      if (n >= 0) {
        if (ex) this.explSet(n, s);
        else this.explClear(n, s);
      }
      const cur = sc[s];
      if (cur <= -2) {
        // the root holds offsets, an open node's scratch holds ids
        const c = n < 0 ? this.mem[-2 - cur + ID] : -2 - cur;
        if (this.nDef[c] !== val) this.pushDown(c, lvl + 1, val);
      } else {
        sc[s] = val;
      }
      return;
    }
    const b = len; // next bit to branch on
    const wi = b >>> 5;
    const bit = 1 << (31 - (b & 31));
    const saved = kb[wi];
    kb[wi] = saved & ~bit;
    const probe = ((lm >>> (len + 1 - lb)) & 1) !== 0;
    let v0 = val, e0 = ex;
    const h0 = probe ? this.table.get(kb, len + 1) : -1;
    if (h0 >= 0) { v0 = h0; e0 = true; }
    this.walk(kb, len + 1, slotLen, depth, v0, e0, n, lvl, sc, lm, lb);
    kb[wi] = (saved | bit) >>> 0;
    let v1 = val, e1 = ex;
    const h1 = probe ? this.table.get(kb, len + 1) : -1;
    if (h1 >= 0) { v1 = h1; e1 = true; }
    this.walk(kb, len + 1, slotLen, depth, v1, e1, n, lvl, sc, lm, lb);
    kb[wi] = saved;
  }

  /** A node's default changed: rewrite its non-explicit slots (and their children). */
  private pushDown(c: number, lvl: number, val: number): void {
    this.nDef[c] = val;
    const sc = this.scratch[lvl];
    this.decompress(c, sc);
    const e = this.nExplAt[c];
    const pool = this.explPool;
    let changed = false;
    for (let s = 0; s < 256; s++) {
      if (e >= 0 && (pool[e + (s >>> 5)] >>> (s & 31)) & 1) continue;
      const cur = sc[s];
      if (cur <= -2) {
        const g = -2 - cur;
        if (this.nDef[g] !== val) this.pushDown(g, lvl + 1, val);
      } else if (cur !== val) {
        sc[s] = val;
        changed = true;
      }
    }
    if (changed) this.compress(c, sc);
  }

  /** Every stored prefix covering `key` (a full address), shortest first. */
  matches(key: ArrayLike<number>): Array<{ key: Uint32Array; len: number; value: number }> {
    const out: Array<{ key: Uint32Array; len: number; value: number }> = [];
    for (let l = 0; l <= this.maxLen; l++) {
      const k = new Uint32Array(this.words);
      this.maskInto(key, l, k);
      const v = this.table.get(k, l);
      if (v >= 0) out.push({ key: k, len: l, value: v });
    }
    return out;
  }

  forEach(fn: (key: Uint32Array, len: number, value: number) => void): void {
    this.table.forEach(fn);
  }
}
