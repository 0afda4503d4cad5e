/**
 * The same-run IPv6 baseline of the FIB benchmark: one exact-match hash table
 * per prefix length present (typed-array open addressing, src/fib/prefix-table.ts),
 * probed from the longest length present to the shortest. Small and simple;
 * a lookup costs up to one probe per distinct length in the table.
 */
import { PrefixTable } from '../../src/fib/prefix-table.js';

export class HashPerLength {
  private readonly tables: Array<PrefixTable | undefined> = [];
  private lengths: number[] = [];
  private readonly key = new Uint32Array(4);

  byteLength(): number {
    return this.tables.reduce((a, t) => a + (t ? t.byteLength() : 0), 0);
  }

  private mask(w0: number, w1: number, w2: number, w3: number, len: number): Uint32Array {
    const k = this.key;
    k[0] = w0; k[1] = w1; k[2] = w2; k[3] = w3;
    for (let i = 0; i < 4; i++) {
      const bits = len - i * 32;
      if (bits >= 32) continue;
      k[i] = bits <= 0 ? 0 : (k[i] & (0xffffffff << (32 - bits))) >>> 0;
    }
    return k;
  }

  insert(w0: number, w1: number, w2: number, w3: number, len: number, value: number): void {
    let t = this.tables[len];
    if (!t) {
      t = this.tables[len] = new PrefixTable(4);
      this.lengths = this.tables.map((x, l) => (x ? l : -1)).filter((l) => l >= 0).reverse();
    }
    t.set(this.mask(w0, w1, w2, w3, len), len, value);
  }

  remove(w0: number, w1: number, w2: number, w3: number, len: number): boolean {
    const t = this.tables[len];
    return t ? t.delete(this.mask(w0, w1, w2, w3, len), len) >= 0 : false;
  }

  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const ls = this.lengths;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      const v = (this.tables[l] as PrefixTable).get(this.mask(w0, w1, w2, w3, l), l);
      if (v >= 0) return v;
    }
    return -1;
  }
}
