/**
 * Big-endian byte reader and writer.
 *
 * Owns: `ByteReader`, a bounds-checked cursor over untrusted bytes whose reads
 * return `undefined` on overrun (never throw, never read past `end`), and
 * `ByteWriter`, a growable buffer for building messages. Network byte order
 * throughout (RFC 1700 "data notation").
 *
 * Not here: protocol knowledge (src/packet, src/bgp/wire); the data plane's hot
 * path reads fields straight from its frame buffer through the codecs' views.
 */

/** A cursor over `bytes[start, end)`. Reads past `end` return `undefined` and leave the cursor where it was. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly end: number;
  offset: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = Math.max(0, Math.min(start, bytes.length));
    this.end = Math.max(this.offset, Math.min(end, bytes.length));
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** True when `n` more bytes can be read. */
  has(n: number): boolean {
    return n >= 0 && this.offset + n <= this.end;
  }

  u8(): number | undefined {
    if (this.offset + 1 > this.end) return undefined;
    return this.bytes[this.offset++];
  }

  u16(): number | undefined {
    if (this.offset + 2 > this.end) return undefined;
    const b = this.bytes, o = this.offset;
    this.offset = o + 2;
    return (b[o] << 8) | b[o + 1];
  }

  u32(): number | undefined {
    if (this.offset + 4 > this.end) return undefined;
    const b = this.bytes, o = this.offset;
    this.offset = o + 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number): Uint8Array | undefined {
    if (n < 0 || this.offset + n > this.end) return undefined;
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next `n` bytes. */
  bytesCopy(n: number): Uint8Array | undefined {
    const v = this.bytesView(n);
    return v === undefined ? undefined : v.slice();
  }

  /** The rest of the range, as a view. */
  rest(): Uint8Array {
    const v = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  skip(n: number): boolean {
    if (n < 0 || this.offset + n > this.end) return false;
    this.offset += n;
    return true;
  }

  peekU8(): number | undefined {
    return this.offset < this.end ? this.bytes[this.offset] : undefined;
  }
}

/** A growable big-endian writer. `finish()` returns exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(8, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  zeros(n: number): this {
    this.reserve(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** Overwrite a 16-bit field already written (lengths, checksums). */
  setU16(at: number, v: number): this {
    if (at < 0 || at + 2 > this.len) throw new RangeError(`setU16 at ${at} outside written length ${this.len}`);
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
    return this;
  }

  /** The written bytes (a view of the internal buffer: do not keep writing after). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Big-endian field access on a plain Uint8Array, for views. Callers check bounds first. */
export function getU16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function getU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function setU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Lower-case hex, for diagnostics and tests. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}
