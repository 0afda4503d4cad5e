/**
 * The longest-prefix-match engine shared by IPv4 and IPv6: a multibit trie
 * with leaf pushing, a 16-bit first level and 8-bit compressed nodes below
 * (IPv4: 16-8-8, IPv6: 16-8-8-...-8, 15 levels).
 *
 * Layout (all typed arrays, no objects on the lookup path):
 * - `root`: Int32Array(65536), one entry per /16.
 * - `nodes`: 16 Int32 per node = 8 pairs (bitmap word, leaf base). The 256
 *   slots of a node are run-length compressed: bit j of bitmap word w is set
 *   when slot 32w+j starts a new run of equal values; the run values live in
 *   `leaves`. Slot s is read as
 *   `leaves[base_w + popcount(bitmap_w & (0xffffffff >>> (31 - j))) - 1]`
 *   (Poptrie's bitmap-and-popcount idea with a 256-bit node), so a node is one
 *   64-byte cache line plus its leaves.
 * - Entry encoding: >= 0 next hop, -1 no route, <= -2 child node (-2 - id).
 *
 * Updates are incremental. The exact prefixes live in a PrefixTable; each node
 * also keeps a 256-bit "explicit" bitmap (slot covered by a prefix stored at
 * this node's own level), its default (the value pushed down from above) and
 * a count of prefixes beneath it. An insert or remove updates the table at
 * once and queues the affected range; the queue is applied lazily, grouped by
 * node, before the next lookup (so a bulk load decompresses and recompresses
 * each node once, and a single update touches only its own range: its node's
 * slots, plus the defaults of child nodes under that range).
 *
 * Not here: next-hop meaning (fib.ts), the address-family facades (index.ts).
 * Values must be integers in [0, 2^30).
 */
import { PrefixTable } from './prefix-table.js';

export const NO_ROUTE = -1;
export const MAX_VALUE = 0x3fffffff;

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Shared engine; the hot-path lookups live in the IPv4/IPv6 facades. */
export class LpmTrie {
  readonly words: number;
  readonly maxLen: number;
  readonly table: PrefixTable;

  root = new Int32Array(65536).fill(NO_ROUTE);
  nodes: Int32Array;
  leaves: Int32Array;

  private nodeCap: number;
  private nodeTop = 0;
  private freeNodes: number[] = [];
  private nDef: Int32Array;
  private nCount: Int32Array;
  private nLeafStart: Int32Array;
  private nLeafLen: Int32Array;
  private nExpl: Int32Array;

  private leafTop = 0;
  private freeLeaves: number[][] = [];

  /** pending ranges: W key words + length per op */
  private queue: Uint32Array;
  pending = 0;

  private readonly scratch: Int32Array[] = [];
  private readonly kb: Uint32Array;
  private readonly kt: Uint32Array;

  constructor(words: number) {
    this.words = words;
    this.maxLen = words * 32;
    this.table = new PrefixTable(words);
    this.nodeCap = 64;
    this.nodes = new Int32Array(this.nodeCap * 16);
    this.nDef = new Int32Array(this.nodeCap);
    this.nCount = new Int32Array(this.nodeCap);
    this.nLeafStart = new Int32Array(this.nodeCap);
    this.nLeafLen = new Int32Array(this.nodeCap);
    this.nExpl = new Int32Array(this.nodeCap * 8);
    this.leaves = new Int32Array(1024);
    for (let i = 0; i <= 256; i++) this.freeLeaves.push([]);
    const levels = (this.maxLen - 16) / 8 + 1;
    for (let i = 0; i <= levels; i++) this.scratch.push(new Int32Array(256));
    this.queue = new Uint32Array(64 * (words + 1));
    this.kb = new Uint32Array(words);
    this.kt = new Uint32Array(words);
  }

  get size(): number {
    return this.table.size;
  }

  byteLength(): { structure: number; table: number; total: number } {
    const structure = this.root.byteLength + this.nodes.byteLength + this.leaves.byteLength +
      this.nDef.byteLength + this.nCount.byteLength + this.nLeafStart.byteLength +
      this.nLeafLen.byteLength + this.nExpl.byteLength + this.queue.byteLength;
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
    this.nodes = g(this.nodes, 16);
    this.nDef = g(this.nDef, 1);
    this.nCount = g(this.nCount, 1);
    this.nLeafStart = g(this.nLeafStart, 1);
    this.nLeafLen = g(this.nLeafLen, 1);
    this.nExpl = g(this.nExpl, 8);
    this.nodeCap = cap;
  }

  private allocLeaves(size: number): number {
    const f = this.freeLeaves[size].pop();
    if (f !== undefined) return f;
    if (this.leafTop + size > this.leaves.length) {
      const b = new Int32Array(Math.max(this.leafTop + size, Math.ceil(this.leaves.length * 1.5)));
      b.set(this.leaves.subarray(0, this.leafTop));
      this.leaves = b;
    }
    const at = this.leafTop;
    this.leafTop += size;
    return at;
  }

  /** Read one slot of a node (compressed form). */
  slotValue(n: number, s: number): number {
    const w = (n << 4) + ((s >>> 5) << 1);
    return this.leaves[this.nodes[w + 1] + popcount32(this.nodes[w] & (0xffffffff >>> (31 - (s & 31)))) - 1];
  }

  private decompress(n: number, sc: Int32Array): void {
    const nodes = this.nodes;
    const leaves = this.leaves;
    let k = this.nLeafStart[n];
    let prevPos = 0;
    let prevVal = leaves[k];
    for (let w = 0; w < 8; w++) {
      let bm = nodes[(n << 4) + (w << 1)];
      while (bm !== 0) {
        const low = bm & -bm;
        const pos = (w << 5) + (31 - Math.clz32(low));
        bm ^= low;
        if (pos === 0) continue;
        sc.fill(prevVal, prevPos, pos);
        prevPos = pos;
        prevVal = leaves[++k];
      }
    }
    sc.fill(prevVal, prevPos, 256);
  }

  private compress(n: number, sc: Int32Array): void {
    let runs = 1;
    for (let s = 1; s < 256; s++) if (sc[s] !== sc[s - 1]) runs++;
    let start = this.nLeafStart[n];
    const oldLen = this.nLeafLen[n];
    if (runs !== oldLen) {
      if (oldLen > 0) this.freeLeaves[oldLen].push(start);
      start = this.allocLeaves(runs);
      this.nLeafStart[n] = start;
      this.nLeafLen[n] = runs;
    }
    const leaves = this.leaves;
    const nodes = this.nodes;
    let k = start;
    leaves[k] = sc[0];
    let bm = 1;
    let base = start;
    for (let s = 1; s < 256; s++) {
      if ((s & 31) === 0) {
        nodes[(n << 4) + ((s >>> 5) << 1) - 2] = bm;
        nodes[(n << 4) + ((s >>> 5) << 1) - 1] = base;
        bm = 0;
        base = k + 1;
      }
      if (sc[s] !== sc[s - 1]) {
        bm |= 1 << (s & 31);
        leaves[++k] = sc[s];
      }
    }
    nodes[(n << 4) + 14] = bm;
    nodes[(n << 4) + 15] = base;
  }

  /** Make a child node whose 256 slots all hold `value`. */
  private newNode(value: number): number {
    const n = this.allocNode();
    this.nDef[n] = value;
    this.nCount[n] = 0;
    this.nLeafLen[n] = 1;
    const at = this.allocLeaves(1);
    this.nLeafStart[n] = at;
    this.leaves[at] = value;
    const o = n << 4;
    for (let w = 0; w < 8; w++) {
      this.nodes[o + 2 * w] = w === 0 ? 1 : 0;
      this.nodes[o + 2 * w + 1] = w === 0 ? at : at + 1;
      this.nExpl[n * 8 + w] = 0;
    }
    return n;
  }

  private freeSubtree(n: number): void {
    const start = this.nLeafStart[n];
    const len = this.nLeafLen[n];
    for (let i = start; i < start + len; i++) {
      const v = this.leaves[i];
      if (v <= -2) this.freeSubtree(-2 - v);
    }
    this.freeLeaves[len].push(start);
    this.nLeafLen[n] = 0;
    this.freeNodes.push(n);
  }

  /** Set one slot of node n (level lvl) to v, immediately. */
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
    if (old < 0 && len > 16) {
      // A new prefix below the first level: count it along its path, making nodes.
      let v = this.root[kb[0] >>> 16];
      let n: number;
      if (v <= -2) n = -2 - v;
      else {
        n = this.newNode(v);
        this.root[kb[0] >>> 16] = -2 - n;
      }
      this.nCount[n]++;
      let depth = 16;
      let lvl = 1;
      while (len > depth + 8) {
        const s = LpmTrie.slotAt(kb, depth);
        v = this.slotValue(n, s);
        let c: number;
        if (v <= -2) c = -2 - v;
        else {
          c = this.newNode(v);
          this.setSlot(n, lvl, s, -2 - c);
        }
        this.nCount[c]++;
        n = c;
        depth += 8;
        lvl++;
      }
    }
    this.enqueue(kb, len);
  }

  remove(key: ArrayLike<number>, len: number): boolean {
    if (!Number.isInteger(len) || len < 0 || len > this.maxLen) return false;
    const kb = this.kb;
    this.maskInto(key, len, kb);
    if (this.table.delete(kb, len) < 0) return false;
    if (len > 16) {
      const rs = kb[0] >>> 16;
      let n = -2 - this.root[rs];
      if (--this.nCount[n] === 0) {
        this.root[rs] = this.nDef[n];
        this.freeSubtree(n);
        return true; // nothing left beneath this /16: no range to re-derive
      }
      let depth = 16;
      let lvl = 1;
      while (len > depth + 8) {
        const s = LpmTrie.slotAt(kb, depth);
        const c = -2 - this.slotValue(n, s);
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
      const n = -2 - v;
      if (len <= depth + 8) return n;
      const s = (q[o + (depth >>> 5)] >>> (24 - (depth & 31))) & 255;
      v = this.slotValue(n, s);
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
          const lvl = (this.depthOf(len) - 8) >>> 3;
          const sc = this.scratch[lvl];
          this.decompress(owner, sc);
          this.applyOp(q, 0, len, owner, lvl, sc);
          this.compress(owner, sc);
        } else {
          this.applyOp(q, 0, len, -1, 0, this.root);
        }
      }
      this.pending = 0;
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
    while (i < count) {
      const owner = owners[order[i]];
      let j = i;
      while (j < count && owners[order[j]] === owner) j++;
      if (owner === -1) {
        for (let k = i; k < j; k++) this.applyOp(q, order[k] * per, q[order[k] * per + W], -1, 0, this.root);
      } else if (owner >= 0) {
        const len0 = q[order[i] * per + W];
        const lvl = (this.depthOf(len0) - 8) >>> 3;
        const sc = this.scratch[lvl];
        this.decompress(owner, sc);
        for (let k = i; k < j; k++) this.applyOp(q, order[k] * per, q[order[k] * per + W], owner, lvl, sc);
        this.compress(owner, sc);
      }
      i = j;
    }
    this.pending = 0;
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
    let val = this.table.get(kb, len);
    let ex = val >= 0;
    if (!ex) {
      const kt = this.kt;
      for (let l = len - 1; l >= minLen; l--) {
        this.maskInto(kb, l, kt);
        const v = this.table.get(kt, l);
        if (v >= 0) { val = v; ex = true; break; }
      }
      if (!ex) val = n < 0 ? NO_ROUTE : this.nDef[n];
    }
    const slotLen = n < 0 ? 16 : depth + 8;
    this.walk(kb, len, slotLen, depth, val, ex, n, lvl, sc);
  }

  private walk(kb: Uint32Array, len: number, slotLen: number, depth: number, val: number, ex: boolean, n: number, lvl: number, sc: Int32Array): void {
    if (len === slotLen) {
      const s = n < 0 ? kb[0] >>> 16 : LpmTrie.slotAt(kb, depth);
      if (n >= 0) {
        const e = n * 8 + (s >>> 5);
        if (ex) this.nExpl[e] |= 1 << (s & 31);
        else this.nExpl[e] &= ~(1 << (s & 31));
      }
      const cur = sc[s];
      if (cur <= -2) {
        const c = -2 - cur;
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
    let v0 = val, e0 = ex;
    const h0 = this.table.get(kb, len + 1);
    if (h0 >= 0) { v0 = h0; e0 = true; }
    this.walk(kb, len + 1, slotLen, depth, v0, e0, n, lvl, sc);
    kb[wi] = (saved | bit) >>> 0;
    let v1 = val, e1 = ex;
    const h1 = this.table.get(kb, len + 1);
    if (h1 >= 0) { v1 = h1; e1 = true; }
    this.walk(kb, len + 1, slotLen, depth, v1, e1, n, lvl, sc);
    kb[wi] = saved;
  }

  /** A node's default changed: rewrite its non-explicit slots (and their children). */
  private pushDown(c: number, lvl: number, val: number): void {
    this.nDef[c] = val;
    const sc = this.scratch[lvl];
    this.decompress(c, sc);
    const e = c * 8;
    let changed = false;
    for (let s = 0; s < 256; s++) {
      if ((this.nExpl[e + (s >>> 5)] >>> (s & 31)) & 1) continue;
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
