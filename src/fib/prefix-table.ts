/**
 * The compact source of truth behind the longest-prefix-match structures: an
 * exact-match table from (prefix, length) to a non-negative value.
 *
 * Owns: one open-addressing hash table (linear probing, backward-shift
 * deletion, no tombstones) over typed arrays, keyed by a prefix given as W
 * unsigned 32-bit words (W = 4 for IPv6; host bits already zero) plus its
 * length. The slot index is derived with a multiply-shift "fast range", so the
 * capacity need not be a power of two and grows by 1.5x at 80% load.
 *
 * The lookup structures keep only leaf-pushed or range-merged results; this
 * table is what lets them re-derive a range after an insert or a remove
 * without a rebuild.
 *
 * PrefixTable4 (below) is the IPv4 variant: one key word, 16-bit values.
 *
 * Not here: longest match (ipv4-dir.ts, ipv6-ranges.ts), prefix text (src/lib/prefix.ts).
 * Values must be integers in [0, 2^31 - 1); -1 means "absent".
 */

const MAX_LOAD = 0.8;

export class PrefixTable {
  readonly words: number;
  private cap: number;
  private keys: Uint32Array;
  /** length + 1; 0 marks an empty slot */
  private lens: Uint8Array;
  private vals: Int32Array;
  private count = 0;

  constructor(words: number, initialCapacity = 1024) {
    this.words = words;
    this.cap = Math.max(16, initialCapacity | 0);
    this.keys = new Uint32Array(this.cap * words);
    this.lens = new Uint8Array(this.cap);
    this.vals = new Int32Array(this.cap);
  }

  get size(): number {
    return this.count;
  }

  byteLength(): number {
    return this.keys.byteLength + this.lens.byteLength + this.vals.byteLength;
  }

  private home(key: ArrayLike<number>, len: number): number {
    return this.homeAt(key, 0, len);
  }

  private homeAt(key: ArrayLike<number>, o: number, len: number): number {
    let h = Math.imul(len + 1, 0x9e3779b1);
    for (let i = 0; i < this.words; i++) {
      h = Math.imul(h ^ key[o + i], 0x85ebca6b);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    return Math.floor(((h >>> 0) * this.cap) / 4294967296);
  }

  private find(key: ArrayLike<number>, len: number): number {
    const W = this.words;
    const lens = this.lens;
    const keys = this.keys;
    const tag = len + 1;
    let i = this.home(key, len);
    for (;;) {
      const t = lens[i];
      if (t === 0) return -1 - i;
      if (t === tag) {
        let same = true;
        const o = i * W;
        for (let k = 0; k < W; k++) {
          if (keys[o + k] !== key[k] >>> 0) { same = false; break; }
        }
        if (same) return i;
      }
      i = i + 1 === this.cap ? 0 : i + 1;
    }
  }

  /** The value stored for (key, len), or -1. */
  get(key: ArrayLike<number>, len: number): number {
    const i = this.find(key, len);
    return i >= 0 ? this.vals[i] : -1;
  }

  /** Store a value; returns the previous value or -1. */
  set(key: ArrayLike<number>, len: number, value: number): number {
    let i = this.find(key, len);
    if (i >= 0) {
      const old = this.vals[i];
      this.vals[i] = value;
      return old;
    }
    if ((this.count + 1) > this.cap * MAX_LOAD) {
      this.grow();
      i = this.find(key, len);
    }
    const slot = -1 - i;
    const o = slot * this.words;
    for (let k = 0; k < this.words; k++) this.keys[o + k] = key[k];
    this.lens[slot] = len + 1;
    this.vals[slot] = value;
    this.count++;
    return -1;
  }

  /** Remove (key, len); returns the removed value or -1. */
  delete(key: ArrayLike<number>, len: number): number {
    let i = this.find(key, len);
    if (i < 0) return -1;
    const old = this.vals[i];
    const W = this.words;
    const cap = this.cap;
    const keys = this.keys;
    // Backward-shift deletion: pull later members of the probe run into the hole.
    let j = i;
    for (;;) {
      j = j + 1 === cap ? 0 : j + 1;
      const t = this.lens[j];
      if (t === 0) break;
      const h = this.homeAt(keys, j * W, t - 1);
      // Move j into i when its home is not cyclically within (i, j].
      const distJ = (j - h + cap) % cap;
      const distI = (i - h + cap) % cap;
      if (distI <= distJ) {
        for (let k = 0; k < W; k++) keys[i * W + k] = keys[j * W + k];
        this.lens[i] = t;
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    this.lens[i] = 0;
    this.count--;
    return old;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldLens = this.lens;
    const oldVals = this.vals;
    const oldCap = this.cap;
    const W = this.words;
    this.cap = Math.ceil(oldCap * 1.5) + 1;
    this.keys = new Uint32Array(this.cap * W);
    this.lens = new Uint8Array(this.cap);
    this.vals = new Int32Array(this.cap);
    for (let i = 0; i < oldCap; i++) {
      const t = oldLens[i];
      if (t === 0) continue;
      let j = this.homeAt(oldKeys, i * W, t - 1);
      while (this.lens[j] !== 0) j = j + 1 === this.cap ? 0 : j + 1;
      for (let k = 0; k < W; k++) this.keys[j * W + k] = oldKeys[i * W + k];
      this.lens[j] = t;
      this.vals[j] = oldVals[i];
    }
  }

  /** Visit every entry (key words are a view valid only during the call). */
  forEach(fn: (key: Uint32Array, len: number, value: number) => void): void {
    const W = this.words;
    for (let i = 0; i < this.cap; i++) {
      const t = this.lens[i];
      if (t !== 0) fn(this.keys.subarray(i * W, i * W + W), t - 1, this.vals[i]);
    }
  }
}

/**
 * The IPv4 form of the table above, specialised for one key word and 16-bit
 * values (the IPv4 structure stores next-hop value indexes, not next hops):
 * 7 bytes a slot instead of 9, and `reserve(n)` sizes it once for a bulk load
 * instead of growing by rehashing. Also used with length 0 as a plain
 * number-to-16-bit map.
 */
export class PrefixTable4 {
  private cap: number;
  private keys: Uint32Array;
  /** length + 1; 0 marks an empty slot */
  private lens: Uint8Array;
  private vals: Uint16Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.cap = Math.max(16, initialCapacity | 0);
    this.keys = new Uint32Array(this.cap);
    this.lens = new Uint8Array(this.cap);
    this.vals = new Uint16Array(this.cap);
  }

  get size(): number {
    return this.count;
  }

  byteLength(): number {
    return this.keys.byteLength + this.lens.byteLength + this.vals.byteLength;
  }

  private home(key: number, len: number): number {
    let h = Math.imul(len + 1, 0x9e3779b1);
    h = Math.imul(h ^ key, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    return Math.floor(((h >>> 0) * this.cap) / 4294967296);
  }

  private find(key: number, len: number): number {
    const lens = this.lens;
    const keys = this.keys;
    const tag = len + 1;
    const k = key >>> 0;
    let i = this.home(k, len);
    for (;;) {
      const t = lens[i];
      if (t === 0) return -1 - i;
      if (t === tag && keys[i] === k) return i;
      i = i + 1 === this.cap ? 0 : i + 1;
    }
  }

  /** The value stored for (key, len), or -1. */
  get(key: number, len: number): number {
    const i = this.find(key, len);
    return i >= 0 ? this.vals[i] : -1;
  }

  /** Store a value in [0, 65535]; returns the previous value or -1. */
  set(key: number, len: number, value: number): number {
    let i = this.find(key, len);
    if (i >= 0) {
      const old = this.vals[i];
      this.vals[i] = value;
      return old;
    }
    if (this.count + 1 > this.cap * MAX_LOAD) {
      this.rehash(Math.ceil(this.cap * 1.5) + 1);
      i = this.find(key, len);
    }
    const slot = -1 - i;
    this.keys[slot] = key;
    this.lens[slot] = len + 1;
    this.vals[slot] = value;
    this.count++;
    return -1;
  }

  /** Make room for n entries in all without growing on the way. */
  reserve(n: number): void {
    const cap = Math.ceil(n / MAX_LOAD) + 16;
    if (cap > this.cap) this.rehash(cap);
  }

  /** Remove (key, len); returns the removed value or -1. */
  delete(key: number, len: number): number {
    let i = this.find(key, len);
    if (i < 0) return -1;
    const old = this.vals[i];
    const cap = this.cap;
    const keys = this.keys;
    let j = i;
    for (;;) {
      j = j + 1 === cap ? 0 : j + 1;
      const t = this.lens[j];
      if (t === 0) break;
      const h = this.home(keys[j], t - 1);
      const distJ = (j - h + cap) % cap;
      const distI = (i - h + cap) % cap;
      if (distI <= distJ) {
        keys[i] = keys[j];
        this.lens[i] = t;
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    this.lens[i] = 0;
    this.count--;
    return old;
  }

  /** Empty the table, keeping its capacity. */
  clear(): void {
    this.lens.fill(0);
    this.count = 0;
  }

  private rehash(cap: number): void {
    const oldKeys = this.keys;
    const oldLens = this.lens;
    const oldVals = this.vals;
    const oldCap = this.cap;
    this.cap = cap;
    this.keys = new Uint32Array(cap);
    this.lens = new Uint8Array(cap);
    this.vals = new Uint16Array(cap);
    for (let i = 0; i < oldCap; i++) {
      const t = oldLens[i];
      if (t === 0) continue;
      let j = this.home(oldKeys[i], t - 1);
      while (this.lens[j] !== 0) j = j + 1 === cap ? 0 : j + 1;
      this.keys[j] = oldKeys[i];
      this.lens[j] = t;
      this.vals[j] = oldVals[i];
    }
  }

  forEach(fn: (key: number, len: number, value: number) => void): void {
    for (let i = 0; i < this.cap; i++) {
      const t = this.lens[i];
      if (t !== 0) fn(this.keys[i], t - 1, this.vals[i]);
    }
  }
}
