/**
 * Compact prefix index for the RIB: every prefix held anywhere in the RIB gets
 * a small integer id, and the tables are columns indexed by that id (typed
 * arrays, or plain arrays of interned attribute objects). No object is kept
 * per prefix: IPv4 prefixes live in typed arrays, IPv6 network bytes in one
 * map; `IpPrefix` values are built on demand.
 *
 * The index is an open-addressing hash table in an Int32Array (linear
 * probing, tombstones, load factor at most 1/2) whose slots hold the id and
 * the prefix's 32-bit hash side by side: a probe compares the hash in the
 * slot and reads the id's columns only when it matches (one cache line per
 * probe instead of four). Ids are reference counted by
 * the tables that hold them and reused after their last reference goes.
 *
 * Not here: ordering (callers sort for display), longest-prefix match (src/fib).
 */
import { ipv4ToNumber, type Family, type IpPrefix } from '../../lib/prefix.js';

const EMPTY = 0;
const TOMB = -1;

export class PrefixTable {
  private fam: Uint8Array = new Uint8Array(1024);
  private plen: Uint8Array = new Uint8Array(1024);
  private addr4: Uint32Array = new Uint32Array(1024);
  private refc: Uint32Array = new Uint32Array(1024);
  private readonly v6 = new Map<number, Uint8Array>();
  /** Two words per slot: id + 1 (or EMPTY / TOMB) and the prefix's hash. */
  private slots = new Int32Array(2 * 2048);
  private used = 0;
  private tombs = 0;
  private readonly free: number[] = [];
  private top = 0;
  private live = 0;
  /** Called with the new capacity whenever the id space grows. */
  onGrow: (capacity: number) => void = () => {};

  /** Ids are all below this. */
  get highWater(): number { return this.top; }
  get capacity(): number { return this.fam.length; }
  /** Number of prefixes with an id. */
  get size(): number { return this.live; }

  /** The id of `p`, or -1. */
  lookup(p: IpPrefix): number {
    if (p.family === 4) return this.find4(ipv4ToNumber(p.bytes), p.len, false);
    const mask = (this.slots.length >>> 1) - 1;
    const h = hashPrefix(p) | 0;
    let i = h & mask;
    for (;;) {
      const s = this.slots[2 * i];
      if (s === EMPTY) return -1;
      if (s !== TOMB && this.slots[2 * i + 1] === h && this.equals(s - 1, p)) return s - 1;
      i = (i + 1) & mask;
    }
  }

  /** The id of `p`, allocated (with no references) if new. */
  intern(p: IpPrefix): number {
    if (p.family === 4) return this.find4(ipv4ToNumber(p.bytes), p.len, true);
    const mask = (this.slots.length >>> 1) - 1;
    const h = hashPrefix(p) | 0;
    let i = h & mask;
    let tomb = -1;
    for (;;) {
      const s = this.slots[2 * i];
      if (s === EMPTY) break;
      if (s === TOMB) { if (tomb < 0) tomb = i; }
      else if (this.slots[2 * i + 1] === h && this.equals(s - 1, p)) return s - 1;
      i = (i + 1) & mask;
    }
    return this.insertAt(this.allocate(p.family, 0, p.len, p.bytes), i, tomb, h);
  }

  /** IPv4 fast path: no allocation, the address as one number. */
  private find4(n: number, len: number, create: boolean): number {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    const h = hash4(n, len) | 0;
    let i = h & mask;
    let tomb = -1;
    for (;;) {
      const s = slots[2 * i];
      if (s === EMPTY) break;
      if (s === TOMB) { if (tomb < 0) tomb = i; }
      else if (slots[2 * i + 1] === h) {
        const id = s - 1;
        if (this.addr4[id] === n && this.plen[id] === len && this.fam[id] === 4) return id;
      }
      i = (i + 1) & mask;
    }
    if (!create) return -1;
    return this.insertAt(this.allocate(4, n, len, undefined), i, tomb, h);
  }

  private insertAt(id: number, empty: number, tomb: number, h: number): number {
    const at = tomb >= 0 ? tomb : empty;
    if (tomb >= 0) this.tombs--;
    else this.used++;
    this.slots[2 * at] = id + 1;
    this.slots[2 * at + 1] = h;
    if ((this.used + this.tombs) * 4 > this.slots.length) this.rehash();
    return id;
  }

  ref(id: number): void { this.refc[id]++; }

  /** Drops one reference; the id is freed when none remain. */
  unref(id: number): void {
    if (this.refc[id] === 0) throw new Error(`PrefixTable.unref: id ${id} has no references`);
    if (--this.refc[id] === 0) this.remove(id);
  }

  /** Frees an id that was interned but never referenced. */
  dropIfUnused(id: number): void {
    if (this.refc[id] === 0 && this.fam[id] !== 0) this.remove(id);
  }

  refs(id: number): number { return this.refc[id]; }
  isLive(id: number): boolean { return id >= 0 && id < this.top && this.fam[id] !== 0; }
  family(id: number): Family { return this.fam[id] as Family; }
  len(id: number): number { return this.plen[id]; }
  /** The IPv4 network address of `id` as an unsigned 32-bit number. */
  ipv4(id: number): number { return this.addr4[id]; }

  /** A fresh `IpPrefix` value for `id`. */
  prefix(id: number): IpPrefix {
    const f = this.fam[id] as Family;
    if (f === 4) {
      const n = this.addr4[id];
      const b = new Uint8Array(4);
      b[0] = n >>> 24; b[1] = (n >>> 16) & 0xff; b[2] = (n >>> 8) & 0xff; b[3] = n & 0xff;
      return { family: 4, bytes: b, len: this.plen[id] };
    }
    return { family: 6, bytes: (this.v6.get(id) as Uint8Array).slice(), len: this.plen[id] };
  }

  private equals(id: number, p: IpPrefix): boolean {
    if (this.fam[id] !== p.family || this.plen[id] !== p.len) return false;
    if (p.family === 4) return this.addr4[id] === ipv4ToNumber(p.bytes);
    const b = this.v6.get(id) as Uint8Array;
    for (let i = 0; i < 16; i++) if (b[i] !== p.bytes[i]) return false;
    return true;
  }

  private allocate(family: Family, n: number, len: number, bytes: Uint8Array | undefined): number {
    let id = this.free.pop();
    if (id === undefined) {
      id = this.top++;
      if (id >= this.fam.length) this.grow();
    }
    this.fam[id] = family;
    this.plen[id] = len;
    this.refc[id] = 0;
    if (family === 4) this.addr4[id] = n;
    else this.v6.set(id, (bytes as Uint8Array).slice(0, 16));
    this.live++;
    return id;
  }

  private remove(id: number): void {
    const mask = (this.slots.length >>> 1) - 1;
    let i = this.hashOf(id) & mask;
    for (;;) {
      const s = this.slots[2 * i];
      if (s === EMPTY) break;
      if (s === id + 1) { this.slots[2 * i] = TOMB; this.tombs++; break; }
      i = (i + 1) & mask;
    }
    this.fam[id] = 0;
    this.v6.delete(id);
    this.free.push(id);
    this.live--;
  }

  private hashOf(id: number): number {
    if (this.fam[id] === 4) return hash4(this.addr4[id], this.plen[id]);
    return hashPrefix({ family: 6, bytes: this.v6.get(id) as Uint8Array, len: this.plen[id] });
  }

  private grow(): void {
    const cap = this.fam.length * 2;
    const g8 = (a: Uint8Array): Uint8Array => { const b = new Uint8Array(cap); b.set(a); return b; };
    const g32 = (a: Uint32Array): Uint32Array => { const b = new Uint32Array(cap); b.set(a); return b; };
    this.fam = g8(this.fam);
    this.plen = g8(this.plen);
    this.addr4 = g32(this.addr4);
    this.refc = g32(this.refc);
    this.onGrow(cap);
  }

  private rehash(): void {
    let size = this.slots.length >>> 1;
    while (this.live * 4 > size) size *= 2;
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let id = 0; id < this.top; id++) {
      if (this.fam[id] === 0) continue;
      const h = this.hashOf(id) | 0;
      let i = h & mask;
      while (slots[2 * i] !== EMPTY) i = (i + 1) & mask;
      slots[2 * i] = id + 1;
      slots[2 * i + 1] = h;
    }
    this.slots = slots;
    this.used = this.live;
    this.tombs = 0;
  }
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hash4(n: number, len: number): number {
  return mix(n ^ Math.imul(len + 1, 0x9e3779b1));
}

function hashPrefix(p: IpPrefix): number {
  if (p.family === 4) return hash4(ipv4ToNumber(p.bytes), p.len);
  let h = Math.imul(p.len + 7, 0x9e3779b1);
  for (let i = 0; i < 16; i += 4) h = mix(h ^ ipv4ToNumber(p.bytes, i));
  return h;
}
