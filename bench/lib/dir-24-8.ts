/**
 * The speed-to-beat baseline of the FIB benchmark: a plain typed-array
 * DIR-24-8 (Gupta, Lin, McKeown, INFOCOM 1998). `tbl24` has one Int32 per /24
 * (2^24 entries, 64 MB); an entry <= -2 points to a 256-entry block of
 * `tblLong` for /24s holding longer prefixes. Per-entry prefix lengths
 * (Uint8Array) make inserts incremental; a Map per length is the source of
 * truth for removes. Written for the benchmark only.
 */
export class Dir248 {
  readonly tbl24 = new Int32Array(1 << 24).fill(-1);
  readonly len24 = new Uint8Array(1 << 24);
  tblLong = new Int32Array(256 * 1024);
  lenLong = new Uint8Array(256 * 1024);
  private longTop = 0;
  private readonly byLen: Map<number, number>[] = [];

  constructor() {
    for (let l = 0; l <= 32; l++) this.byLen.push(new Map());
  }

  byteLength(): number {
    return this.tbl24.byteLength + this.len24.byteLength + this.tblLong.byteLength + this.lenLong.byteLength;
  }

  lookup(a: number): number {
    const v = this.tbl24[a >>> 8];
    return v >= -1 ? v : this.tblLong[((-2 - v) << 8) | (a & 255)];
  }

  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    const t24 = this.tbl24;
    const tl = this.tblLong;
    for (let i = 0; i < addrs.length; i++) {
      const a = addrs[i];
      const v = t24[a >>> 8];
      out[i] = v >= -1 ? v : tl[((-2 - v) << 8) | (a & 255)];
    }
  }

  /** Stored lengths are kept as len + 1 so that 0 means "no route". */
  private paint(a: number, len: number, value: number, onlyIfLen: number): void {
    // onlyIfLen < 0: paint where current length <= len (insert)
    // onlyIfLen >= 0: paint where current length == onlyIfLen (remove: replace)
    const tag = value < 0 ? 0 : len + 1;
    if (len <= 24) {
      const first = a >>> 8;
      const n = 1 << (24 - len);
      for (let i = first; i < first + n; i++) {
        const v = this.tbl24[i];
        if (v <= -2) {
          const b = (-2 - v) << 8;
          for (let j = b; j < b + 256; j++) {
            if (onlyIfLen < 0 ? this.lenLong[j] <= len + 1 : this.lenLong[j] === onlyIfLen) {
              this.tblLong[j] = value;
              this.lenLong[j] = tag;
            }
          }
        }
        if (onlyIfLen < 0 ? this.len24[i] <= len + 1 : this.len24[i] === onlyIfLen) {
          if (v >= -1) this.tbl24[i] = value;
          this.len24[i] = tag;
        }
      }
    } else {
      const i = a >>> 8;
      let v = this.tbl24[i];
      if (v >= -1) {
        if (this.longTop * 256 + 256 > this.tblLong.length) {
          const t = new Int32Array(this.tblLong.length * 2); t.set(this.tblLong); this.tblLong = t;
          const l = new Uint8Array(this.lenLong.length * 2); l.set(this.lenLong); this.lenLong = l;
        }
        const b = this.longTop++ << 8;
        this.tblLong.fill(v, b, b + 256);
        this.lenLong.fill(this.len24[i], b, b + 256);
        v = -2 - (b >>> 8);
        this.tbl24[i] = v;
      }
      const b = ((-2 - v) << 8) | (a & 255);
      const n = 1 << (32 - len);
      for (let j = b; j < b + n; j++) {
        if (onlyIfLen < 0 ? this.lenLong[j] <= len + 1 : this.lenLong[j] === onlyIfLen) {
          this.tblLong[j] = value;
          this.lenLong[j] = tag;
        }
      }
    }
  }

  insert(a: number, len: number, value: number): void {
    a = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
    this.byLen[len].set(a, value);
    this.paint(a, len, value, -1);
  }

  remove(a: number, len: number): boolean {
    a = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
    if (!this.byLen[len].delete(a)) return false;
    // The replacement: the longest shorter prefix covering this one.
    let value = -1;
    let rlen = -1;
    for (let l = len - 1; l >= 0; l--) {
      const m = l === 0 ? 0 : (a & (0xffffffff << (32 - l))) >>> 0;
      const v = this.byLen[l].get(m);
      if (v !== undefined) { value = v; rlen = l; break; }
    }
    this.paintReplace(a, len, value, rlen);
    return true;
  }

  private paintReplace(a: number, len: number, value: number, rlen: number): void {
    // Entries whose stored length is exactly len came from the removed prefix.
    const tag = rlen < 0 ? 0 : rlen + 1;
    const from = len + 1;
    const apply = (tbl: Int32Array, lens: Uint8Array, j: number, isPtr: boolean): void => {
      if (lens[j] === from) {
        if (!isPtr) tbl[j] = value;
        lens[j] = tag;
      }
    };
    if (len <= 24) {
      const first = a >>> 8;
      const n = 1 << (24 - len);
      for (let i = first; i < first + n; i++) {
        const v = this.tbl24[i];
        if (v <= -2) {
          const b = (-2 - v) << 8;
          for (let j = b; j < b + 256; j++) apply(this.tblLong, this.lenLong, j, false);
        }
        apply(this.tbl24, this.len24, i, v <= -2);
      }
    } else {
      const v = this.tbl24[a >>> 8];
      const b = ((-2 - v) << 8) | (a & 255);
      const n = 1 << (32 - len);
      for (let j = b; j < b + n; j++) apply(this.tblLong, this.lenLong, j, false);
    }
  }
}
