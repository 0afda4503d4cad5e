/**
 * Longest-prefix-match benchmark (issue 3): the FIB's IPv4 and IPv6
 * structures (src/fib/index.ts) against same-run baselines, on deterministic
 * synthetic tables shaped like the 2025 global table (bench/lib/synthetic-table.ts).
 *
 * Baselines, measured in the same process and interleaved round by round
 * (also reported: the previous structures, i.e. the compressed trie of
 * bench/lib/lpm-trie.ts for both families with the lookups it had, defined
 * below, and for IPv4 the DIR-16-8-8 with 16-bit leaves, bench/lib/ipv4-dir16.ts):
 * - IPv4: a plain typed-array DIR-24-8 (bench/lib/dir-24-8.ts), the speed to beat;
 * - IPv6: a hash table per prefix length, longest first (bench/lib/hash-per-length.ts);
 * - both: npm `longest-prefix-match` 1.3 (string keys). It is slow and large,
 *   so it is built from a subset of the table and its lookups are time-bounded;
 *   the report says so. It has no remove, so its update rate is insert-only.
 *
 * Prints build time, memory (ArrayBuffers + heap growth after GC; run node with
 * --expose-gc, otherwise memory is reported as unavailable), lookups/s on random
 * and on table-derived addresses (single calls and 256-address batches) and
 * incremental updates/s, each with ratios to the baselines, then a markdown table.
 * Lookup loops are timed twice over: interleaved (each structure's loop right
 * after another's, so it starts where that one left the caches) and with warm
 * caches (each loop run once untimed, then timed); IPv4 ratios differ between
 * the two (docs/benchmarks.md, "How much the method decides").
 *
 *   node --expose-gc dist/bench/fib.js [--quick] [--only=ipv4|ipv6]
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createIpv4Lpm, createIpv6Lpm, type Ipv4Lpm, type Ipv6Lpm } from '../src/fib/index.js';
import { LpmTrie, popcount32 } from './lib/lpm-trie.js';
import { Ipv4Dir16Lpm } from './lib/ipv4-dir16.js';
import { Dir248 } from './lib/dir-24-8.js';
import { HashPerLength } from './lib/hash-per-length.js';
import { mulberry32, intBelow } from './lib/prng.js';
import {
  derivedIpv4Addresses, derivedIpv6Addresses, randomIpv4Addresses, randomIpv6Addresses,
  syntheticIpv4Table, syntheticIpv6Table, NEXT_HOPS,
} from './lib/synthetic-table.js';

/**
 * The previous IPv4 structure (before the DIR-16-8-8 table): the compressed
 * 16-8-8 trie of bench/lib/lpm-trie.ts, which IPv6 still uses, with the IPv4
 * lookups it had. Kept here to measure the change in the same run.
 */
class PrevTrie4 {
  private readonly t = new LpmTrie(1);
  private readonly key = new Uint32Array(1);

  insert(addr: number, len: number, nextHop: number): void {
    this.key[0] = addr;
    this.t.insert(this.key, len, nextHop);
  }

  lookup(addr: number): number {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    let v = t.root[addr >>> 16];
    if (v >= -1) return v;
    const mem = t.mem;
    let o = -2 - v;
    let w = (addr >>> 13) & 7;
    v = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << ((addr >>> 8) & 31)) - 1))];
    if (v >= -1) return v;
    o = -2 - v;
    w = (addr >>> 5) & 7;
    return mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << (addr & 31)) - 1))];
  }

  /**
   * Look up addrs[i] into out[i] for i < min(lengths). Works in waves (all
   * first-level reads, then all second-level steps, then third) so that the
   * memory accesses of different addresses overlap.
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    const root = t.root;
    const mem = t.mem;
    const n = Math.min(addrs.length, out.length);
    let deeper = 0;
    for (let i = 0; i < n; i++) {
      const v = root[addrs[i] >>> 16];
      out[i] = v;
      if (v <= -2) deeper = 1;
    }
    if (deeper === 0) return;
    deeper = 0;
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (v <= -2) {
        const a = addrs[i];
        const o = -2 - v;
        const w = (a >>> 13) & 7;
        let x = mem[o + w] & ((2 << ((a >>> 8) & 31)) - 1);
        x = x - ((x >>> 1) & 0x55555555);
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        x = (x + (x >>> 4)) & 0x0f0f0f0f;
        const r = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + (Math.imul(x, 0x01010101) >>> 24)];
        out[i] = r;
        if (r <= -2) deeper = 1;
      }
    }
    if (deeper === 0) return;
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (v <= -2) {
        const a = addrs[i];
        const o = -2 - v;
        const w = (a >>> 5) & 7;
        out[i] = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << (a & 31)) - 1))];
      }
    }
  }



  memory(): { structure: number; table: number; total: number } {
    return this.t.byteLength();
  }

  /** Apply queued updates now (lookups do this themselves). */
  flush(): void {
    this.t.flush();
  }
}

/**
 * The previous IPv6 structure (before the range lists): the compressed trie of
 * bench/lib/lpm-trie.ts with 16-8-...-8 levels and the lookups it had. Kept here
 * to measure the change in the same run.
 */
class PrevTrie6 {
  private readonly t = new LpmTrie(4);
  private readonly key = new Uint32Array(4);

  get size(): number {
    return this.t.size;
  }

  private setKey(w0: number, w1: number, w2: number, w3: number): Uint32Array {
    const k = this.key;
    k[0] = w0; k[1] = w1; k[2] = w2; k[3] = w3;
    return k;
  }

  insert(w0: number, w1: number, w2: number, w3: number, len: number, nextHop: number): void {
    this.t.insert(this.setKey(w0, w1, w2, w3), len, nextHop);
  }

  remove(w0: number, w1: number, w2: number, w3: number, len: number): boolean {
    return this.t.remove(this.setKey(w0, w1, w2, w3), len);
  }

  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    let v = t.root[w0 >>> 16];
    if (v >= -1) return v;
    const mem = t.mem;
    let d = 16;
    do {
      const word = d < 64 ? (d < 32 ? w0 : w1) : d < 96 ? w2 : w3;
      const s = (word >>> (24 - (d & 31))) & 255;
      const o = -2 - v;
      const w = s >>> 5;
      v = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + popcount32(mem[o + w] & ((2 << (s & 31)) - 1))];
      d += 8;
    } while (v <= -2);
    return v;
  }

  /** addrs holds 4 words per address; works in waves like the IPv4 batch. */
  lookupBatch(addrs: Uint32Array, out: Int32Array): void {
    const t = this.t;
    if (t.pending !== 0) t.flush();
    const root = t.root;
    const mem = t.mem;
    const n = Math.min(addrs.length >>> 2, out.length);
    let deeper = 0;
    for (let i = 0; i < n; i++) {
      const v = root[addrs[i << 2] >>> 16];
      out[i] = v;
      if (v <= -2) deeper = 1;
    }
    for (let d = 16; deeper !== 0 && d < 128; d += 8) {
      deeper = 0;
      const wi = d >>> 5;
      const sh = 24 - (d & 31);
      for (let i = 0; i < n; i++) {
        const v = out[i];
        if (v <= -2) {
          const s = (addrs[(i << 2) + wi] >>> sh) & 255;
          const o = -2 - v;
          const w = s >>> 5;
          let x = mem[o + w] & ((2 << (s & 31)) - 1);
          x = x - ((x >>> 1) & 0x55555555);
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          x = (x + (x >>> 4)) & 0x0f0f0f0f;
          const r = mem[o + 10 + ((mem[o + 8 + (w >>> 2)] >>> ((w & 3) << 3)) & 255) + (Math.imul(x, 0x01010101) >>> 24)];
          out[i] = r;
          if (r <= -2) deeper = 1;
        }
      }
    }
  }

  memory(): { structure: number; table: number; total: number } {
    return this.t.byteLength();
  }

  flush(): void {
    this.t.flush();
  }
}

interface NpmLpm {
  addPrefix(prefix: string, data: unknown): void;
  getMatch(prefix: string, all?: boolean): unknown[];
}
const require = createRequire(import.meta.url);

export interface FibBenchOptions {
  quick?: boolean;
  /** run only one address family (default both) */
  only?: 'ipv4' | 'ipv6';
  log?: (line: string) => void;
}

interface Row {
  metric: string;
  ours: number;
  base: number;
  /** the previous structure (compressed trie), where measured */
  prev?: number;
  /** IPv4: the DIR-16-8-8 with 16-bit leaves that the current table replaced */
  d16?: number;
  npm: number | undefined;
  unit: string;
}

export const BATCH = 256;

function gcNow(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return false;
  g(); g();
  return true;
}

function memNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function now(): number {
  return performance.now();
}

const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);
const fmtMB = (x: number): string => `${(x / 1048576).toFixed(1)} MB`;
const fmtRatio = (a: number, b: number | undefined): string => (b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

// One timing function per structure keeps each call site monomorphic.
export function single4Ours(l: Ipv4Lpm, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i++) acc += l.lookup(a[i]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / dt) * 1000;
}
export function single4Dir(l: Dir248, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i++) acc += l.lookup(a[i]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / dt) * 1000;
}
function single4Prev(l: PrevTrie4, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i++) acc += l.lookup(a[i]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / dt) * 1000;
}
function single4D16(l: Ipv4Dir16Lpm, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i++) acc += l.lookup(a[i]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / dt) * 1000;
}
function batch4D16(l: Ipv4Dir16Lpm, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
function batch4Prev(l: PrevTrie4, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
export function batches(a: Uint32Array, per: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i + BATCH * per <= a.length; i += BATCH * per) out.push(a.subarray(i, i + BATCH * per));
  return out;
}
export function batch4Ours(l: Ipv4Lpm, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
export function batch4Dir(l: Dir248, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
function single6Ours(l: Ipv6Lpm, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i += 4) acc += l.lookup(a[i], a[i + 1], a[i + 2], a[i + 3]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / 4 / dt) * 1000;
}
function single6Hash(l: HashPerLength, a: Uint32Array, limitMs: number): number {
  let acc = 0;
  const t = now();
  let i = 0;
  for (; i < a.length; i += 4) {
    acc += l.lookup(a[i], a[i + 1], a[i + 2], a[i + 3]);
    if ((i & 0xfff) === 0 && now() - t > limitMs) break;
  }
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (Math.min(i + 4, a.length) / 4 / dt) * 1000;
}
function single6Prev(l: PrevTrie6, a: Uint32Array): number {
  let acc = 0;
  const t = now();
  for (let i = 0; i < a.length; i += 4) acc += l.lookup(a[i], a[i + 1], a[i + 2], a[i + 3]);
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return (a.length / 4 / dt) * 1000;
}
function batch6Prev(l: PrevTrie6, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
function batch6Ours(l: Ipv6Lpm, bs: Uint32Array[], out: Int32Array): number {
  const t = now();
  for (let i = 0; i < bs.length; i++) l.lookupBatch(bs[i], out);
  return ((bs.length * BATCH) / (now() - t)) * 1000;
}
function npmLookups(l: NpmLpm, addrs: string[], limitMs: number): number {
  const t = now();
  let i = 0;
  let acc = 0;
  for (; i < addrs.length; i++) {
    acc += l.getMatch(addrs[i]).length;
    if ((i & 0xff) === 0 && now() - t > limitMs) break;
  }
  const dt = now() - t;
  if (acc === 0.5) console.log('');
  return ((i + 1) / dt) * 1000;
}

const ip4 = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
function ip6(w: Uint32Array, o: number): string {
  const parts: string[] = [];
  for (let k = 0; k < 4; k++) parts.push((w[o + k] >>> 16).toString(16), (w[o + k] & 0xffff).toString(16));
  return parts.join(':');
}

interface Cfg {
  quick: boolean;
  log: (line: string) => void;
  rounds: number;
  n4: number;
  n6: number;
  nAddr: number;
  nUpd: number;
  npmSubset4: number;
  npmSubset6: number;
  npmMs: number;
}

interface V4Result {
  rows: Row[];
  obRnd: number;
  dRnd: number;
  obDer: number;
  dDer: number;
}

const LPM = require('longest-prefix-match') as new () => NpmLpm;

/** Each phase runs in its own function so that its structures are garbage before the next phase measures memory. */
function benchIpv4(cfg: Cfg): V4Result {
  const { log, rounds, n4, nAddr, nUpd, npmSubset4, npmMs } = cfg;
  const rows: Row[] = [];
  const out = new Int32Array(BATCH);
  const t4 = syntheticIpv4Table(n4);
  const rnd4 = randomIpv4Addresses(nAddr);
  const der4 = derivedIpv4Addresses(t4, nAddr);
  log(`IPv4 table: ${n4} prefixes; ${nAddr} random and ${nAddr} table-derived addresses`);

  gcNow();
  let m0 = memNow();
  let t0 = now();
  const dir = new Dir248();
  for (let i = 0; i < n4; i++) dir.insert(t4.addrs[i], t4.lens[i], t4.nextHops[i]);
  const buildDir = now() - t0;
  gcNow();
  const memDir = memNow() - m0;

  gcNow();
  m0 = memNow();
  t0 = now();
  const ours = createIpv4Lpm();
  for (let i = 0; i < n4; i++) ours.insert(t4.addrs[i], t4.lens[i], t4.nextHops[i]);
  ours.flush();
  const buildOurs = now() - t0;
  gcNow();
  const memOurs = memNow() - m0;
  const own4 = ours.memory();
  gcNow();
  m0 = memNow();
  t0 = now();
  const prev = new PrevTrie4();
  for (let i = 0; i < n4; i++) prev.insert(t4.addrs[i], t4.lens[i], t4.nextHops[i]);
  prev.flush();
  const buildPrev = now() - t0;
  gcNow();
  const memPrev = memNow() - m0;
  gcNow();
  m0 = memNow();
  t0 = now();
  const d16 = new Ipv4Dir16Lpm();
  for (let i = 0; i < n4; i++) d16.insert(t4.addrs[i], t4.lens[i], t4.nextHops[i]);
  d16.flush();
  const buildD16 = now() - t0;
  gcNow();
  const memD16 = memNow() - m0;
  log(`build: ours ${(buildOurs / 1000).toFixed(2)} s, DIR-24-8 ${(buildDir / 1000).toFixed(2)} s, previous trie ${(buildPrev / 1000).toFixed(2)} s, 16-bit DIR-16-8-8 ${(buildD16 / 1000).toFixed(2)} s`);
  log(`memory (ArrayBuffers + heap growth): ours ${fmtMB(memOurs)} (structure ${fmtMB(own4.structure)} + exact-match table ${fmtMB(own4.table)}), DIR-24-8 ${fmtMB(memDir)} (typed arrays ${fmtMB(dir.byteLength())}), previous trie ${fmtMB(memPrev)}, 16-bit DIR-16-8-8 ${fmtMB(memD16)}`);

  let mismatches = 0;
  for (const arr of [rnd4, der4]) {
    for (let i = 0; i < arr.length; i += 7) {
      const want = dir.lookup(arr[i]);
      if (ours.lookup(arr[i]) !== want || prev.lookup(arr[i]) !== want || d16.lookup(arr[i]) !== want) mismatches++;
    }
  }
  log(`cross-check ours, previous trie and 16-bit DIR-16-8-8 vs DIR-24-8 on ${Math.ceil((2 * nAddr) / 7)} addresses: ${mismatches} mismatches`);

  const bRnd4 = batches(rnd4, 1);
  const bDer4 = batches(der4, 1);
  const r = { oRnd: [] as number[], dRnd: [] as number[], oDer: [] as number[], dDer: [] as number[],
    obRnd: [] as number[], dbRnd: [] as number[], obDer: [] as number[], dbDer: [] as number[],
    pRnd: [] as number[], pDer: [] as number[], pbRnd: [] as number[], pbDer: [] as number[],
    xRnd: [] as number[], xDer: [] as number[], xbRnd: [] as number[], xbDer: [] as number[] };
  for (let k = 0; k < rounds; k++) {
    r.xRnd.push(single4D16(d16, rnd4)); r.xDer.push(single4D16(d16, der4));
    r.xbRnd.push(batch4D16(d16, bRnd4, out)); r.xbDer.push(batch4D16(d16, bDer4, out));
    r.oRnd.push(single4Ours(ours, rnd4)); r.dRnd.push(single4Dir(dir, rnd4));
    r.oDer.push(single4Ours(ours, der4)); r.dDer.push(single4Dir(dir, der4));
    r.obRnd.push(batch4Ours(ours, bRnd4, out)); r.dbRnd.push(batch4Dir(dir, bRnd4, out));
    r.obDer.push(batch4Ours(ours, bDer4, out)); r.dbDer.push(batch4Dir(dir, bDer4, out));
    r.pRnd.push(single4Prev(prev, rnd4)); r.pDer.push(single4Prev(prev, der4));
    r.pbRnd.push(batch4Prev(prev, bRnd4, out)); r.pbDer.push(batch4Prev(prev, bDer4, out));
  }

  // The same loops with warm caches: each run once untimed, then timed, so
  // that neither starts where another structure's loop left the caches.
  // DIR-24-8's one read per lookup gains most from this (see docs).
  const warm = <T>(f: () => T): T => { f(); return f(); };
  const w = { oRnd: [] as number[], dRnd: [] as number[], oDer: [] as number[], dDer: [] as number[],
    obRnd: [] as number[], dbRnd: [] as number[], obDer: [] as number[], dbDer: [] as number[] };
  for (let k = 0; k < rounds; k++) {
    w.oRnd.push(warm(() => single4Ours(ours, rnd4))); w.dRnd.push(warm(() => single4Dir(dir, rnd4)));
    w.oDer.push(warm(() => single4Ours(ours, der4))); w.dDer.push(warm(() => single4Dir(dir, der4)));
    w.obRnd.push(warm(() => batch4Ours(ours, bRnd4, out))); w.dbRnd.push(warm(() => batch4Dir(dir, bRnd4, out)));
    w.obDer.push(warm(() => batch4Ours(ours, bDer4, out))); w.dbDer.push(warm(() => batch4Dir(dir, bDer4, out)));
  }

  // Incremental updates: withdraw a table prefix and announce it again with
  // another next hop, a lookup inside it after each change (so the change
  // is applied before the next one), the same sequence on both structures,
  // alternating in chunks of 1000 so that both see the same machine load.
  const rng = mulberry32(99);
  const upd = new Int32Array(nUpd);
  for (let i = 0; i < nUpd; i++) upd[i] = intBelow(rng, n4);
  const CHUNK = 1000;
  let tOurs = 0;
  let tDir = 0;
  let tD16 = 0;
  for (let c = 0; c < nUpd; c += CHUNK) {
    const end = Math.min(nUpd, c + CHUNK);
    t0 = now();
    for (let i = c; i < end; i++) {
      const p = upd[i];
      ours.remove(t4.addrs[p], t4.lens[p]);
      ours.lookup(t4.addrs[p]);
      ours.insert(t4.addrs[p], t4.lens[p], (t4.nextHops[p] + 1 + (i & 1)) % NEXT_HOPS);
      ours.lookup(t4.addrs[p]);
    }
    tOurs += now() - t0;
    t0 = now();
    for (let i = c; i < end; i++) {
      const p = upd[i];
      dir.remove(t4.addrs[p], t4.lens[p]);
      dir.lookup(t4.addrs[p]);
      dir.insert(t4.addrs[p], t4.lens[p], (t4.nextHops[p] + 1 + (i & 1)) % NEXT_HOPS);
      dir.lookup(t4.addrs[p]);
    }
    tDir += now() - t0;
    t0 = now();
    for (let i = c; i < end; i++) {
      const p = upd[i];
      d16.remove(t4.addrs[p], t4.lens[p]);
      d16.lookup(t4.addrs[p]);
      d16.insert(t4.addrs[p], t4.lens[p], (t4.nextHops[p] + 1 + (i & 1)) % NEXT_HOPS);
      d16.lookup(t4.addrs[p]);
    }
    tD16 += now() - t0;
  }
  const updOurs = ((2 * nUpd) / tOurs) * 1000;
  const updDir = ((2 * nUpd) / tDir) * 1000;
  const updD16 = ((2 * nUpd) / tD16) * 1000;
  // The same changes queued and applied together (as when a BGP UPDATE carries
  // many prefixes); the baseline has no batching, so it repeats its per-change rate.
  t0 = now();
  for (let i = 0; i < nUpd; i++) {
    const p = upd[i];
    ours.remove(t4.addrs[p], t4.lens[p]);
    ours.insert(t4.addrs[p], t4.lens[p], t4.nextHops[p]);
  }
  ours.flush();
  const updOursBatched = ((2 * nUpd) / (now() - t0)) * 1000;
  for (let i = 0; i < nUpd; i++) {
    const p = upd[i];
    dir.insert(t4.addrs[p], t4.lens[p], t4.nextHops[p]);
  }
  mismatches = 0;
  for (let i = 0; i < der4.length; i += 7) if (ours.lookup(der4[i]) !== dir.lookup(der4[i])) mismatches++;
  log(`cross-check after ${4 * nUpd} updates: ${mismatches} mismatches`);

  // npm longest-prefix-match on a subset.
  const sub: string[] = [];
  for (let i = 0; i < npmSubset4; i++) sub.push(`${ip4(t4.addrs[i])}/${t4.lens[i]}`);
  gcNow();
  m0 = memNow();
  t0 = now();
  const npm4 = new LPM();
  for (let i = 0; i < npmSubset4; i++) npm4.addPrefix(sub[i], t4.nextHops[i]);
  const buildNpm4 = now() - t0;
  gcNow();
  const memNpm4 = memNow() - m0;
  const npmRndAddrs: string[] = [];
  const npmDerAddrs: string[] = [];
  const subTable = { addrs: t4.addrs.subarray(0, npmSubset4), lens: t4.lens.subarray(0, npmSubset4), nextHops: t4.nextHops };
  const derSub = derivedIpv4Addresses(subTable, 50_000, 11);
  for (let i = 0; i < 50_000; i++) {
    npmRndAddrs.push(`${ip4(rnd4[i])}/32`);
    npmDerAddrs.push(`${ip4(derSub[i])}/32`);
  }
  const npmRnd = npmLookups(npm4, npmRndAddrs, npmMs);
  const npmDer = npmLookups(npm4, npmDerAddrs, npmMs);
  const npmIns = (npmSubset4 / buildNpm4) * 1000;
  log(`npm longest-prefix-match: ${npmSubset4}-prefix subset, built in ${(buildNpm4 / 1000).toFixed(2)} s (${fmtRate(npmIns)} inserts), ${fmtMB(memNpm4)}; lookups time-bounded to ${npmMs} ms each`);

  const oRnd = median(r.oRnd), dRnd = median(r.dRnd), oDer = median(r.oDer), dDer = median(r.dDer);
  const obRnd = median(r.obRnd), dbRnd = median(r.dbRnd), obDer = median(r.obDer), dbDer = median(r.dbDer);
  rows.push({ metric: 'lookups/s, random addresses, single', ours: oRnd, base: dRnd, prev: median(r.pRnd), d16: median(r.xRnd), npm: npmRnd, unit: 'rate' });
  rows.push({ metric: 'lookups/s, table-derived, single', ours: oDer, base: dDer, prev: median(r.pDer), d16: median(r.xDer), npm: npmDer, unit: 'rate' });
  rows.push({ metric: `lookups/s, random, batch of ${BATCH}`, ours: obRnd, base: dbRnd, prev: median(r.pbRnd), d16: median(r.xbRnd), npm: undefined, unit: 'rate' });
  rows.push({ metric: `lookups/s, table-derived, batch of ${BATCH}`, ours: obDer, base: dbDer, prev: median(r.pbDer), d16: median(r.xbDer), npm: undefined, unit: 'rate' });
  rows.push({ metric: 'lookups/s, random addresses, single, warm caches', ours: median(w.oRnd), base: median(w.dRnd), npm: undefined, unit: 'rate' });
  rows.push({ metric: 'lookups/s, table-derived, single, warm caches', ours: median(w.oDer), base: median(w.dDer), npm: undefined, unit: 'rate' });
  rows.push({ metric: `lookups/s, random, batch of ${BATCH}, warm caches`, ours: median(w.obRnd), base: median(w.dbRnd), npm: undefined, unit: 'rate' });
  rows.push({ metric: `lookups/s, table-derived, batch of ${BATCH}, warm caches`, ours: median(w.obDer), base: median(w.dbDer), npm: undefined, unit: 'rate' });
  rows.push({ metric: 'incremental updates/s (each applied before the next)', ours: updOurs, base: updDir, d16: updD16, npm: npmIns, unit: 'rate' });
  rows.push({ metric: 'incremental updates/s (applied together)', ours: updOursBatched, base: updDir, npm: npmIns, unit: 'rate' });
  rows.push({ metric: 'build time (s)', ours: buildOurs / 1000, base: buildDir / 1000, prev: buildPrev / 1000, d16: buildD16 / 1000, npm: buildNpm4 / 1000, unit: 's' });
  rows.push({ metric: 'memory (MB)', ours: memOurs / 1048576, base: memDir / 1048576, prev: memPrev / 1048576, d16: memD16 / 1048576, npm: memNpm4 / 1048576, unit: 'MB' });
  for (const x of rows) {
    const v = (y: number | undefined): string => (y === undefined ? 'n/a' : x.unit === 'rate' ? fmtRate(y) : y.toFixed(2));
    const p = (x.prev === undefined ? '' : `, previous trie ${v(x.prev)} (${fmtRatio(x.prev, x.base)} of DIR-24-8)`) +
      (x.d16 === undefined ? '' : `, 16-bit DIR-16-8-8 ${v(x.d16)} (${fmtRatio(x.d16, x.base)} of DIR-24-8)`);
    log(`${x.metric}: ours ${v(x.ours)}, DIR-24-8 ${v(x.base)} (${fmtRatio(x.ours, x.base)})${p}, npm ${v(x.npm)} (${fmtRatio(x.ours, x.npm)})`);
  }
  log(`batch vs DIR-24-8 single-call rate: random ${fmtRatio(obRnd, dRnd)}, table-derived ${fmtRatio(obDer, dDer)}`);

  return { rows, obRnd, dRnd, obDer, dDer };
}

function benchIpv6(cfg: Cfg): Row[] {
  const { log, rounds, n6, nAddr, nUpd, npmSubset6, npmMs, quick } = cfg;
  const rows6: Row[] = [];
  const out = new Int32Array(BATCH);
  const rng = mulberry32(98);
  const upd = new Int32Array(nUpd);
  for (let i = 0; i < nUpd; i++) upd[i] = intBelow(rng, n6);
  const t6 = syntheticIpv6Table(n6);
  const rnd6 = randomIpv6Addresses(nAddr);
  const der6 = derivedIpv6Addresses(t6, nAddr);
  log(`IPv6 table: ${n6} prefixes; ${nAddr} random (almost all outside 2000::/3 prefixes) and ${nAddr} table-derived addresses`);
  gcNow();
  let m0 = memNow();
  let t0 = now();
  const hpl = new HashPerLength();
  for (let i = 0; i < n6; i++) hpl.insert(t6.words[4 * i], t6.words[4 * i + 1], t6.words[4 * i + 2], t6.words[4 * i + 3], t6.lens[i], t6.nextHops[i]);
  const buildHpl = now() - t0;
  gcNow();
  const memHpl = memNow() - m0;
  gcNow();
  m0 = memNow();
  t0 = now();
  const ours6 = createIpv6Lpm();
  for (let i = 0; i < n6; i++) ours6.insert(t6.words[4 * i], t6.words[4 * i + 1], t6.words[4 * i + 2], t6.words[4 * i + 3], t6.lens[i], t6.nextHops[i]);
  ours6.flush();
  const buildOurs6 = now() - t0;
  gcNow();
  const memOurs6 = memNow() - m0;
  const own6 = ours6.memory();
  const st6 = ours6.stats();
  gcNow();
  m0 = memNow();
  t0 = now();
  const prev6 = new PrevTrie6();
  for (let i = 0; i < n6; i++) prev6.insert(t6.words[4 * i], t6.words[4 * i + 1], t6.words[4 * i + 2], t6.words[4 * i + 3], t6.lens[i], t6.nextHops[i]);
  prev6.flush();
  const buildPrev6 = now() - t0;
  gcNow();
  const memPrev6 = memNow() - m0;
  log(`build: ours ${(buildOurs6 / 1000).toFixed(2)} s, hash per length ${(buildHpl / 1000).toFixed(2)} s, previous trie ${(buildPrev6 / 1000).toFixed(2)} s`);
  log(`memory: ours ${fmtMB(memOurs6)} (structure ${fmtMB(own6.structure)} + table ${fmtMB(own6.table)}; ${st6.chunks} first-level slots (/22s) with range lists, ${st6.ranges} ranges, largest ${st6.largest}), hash per length ${fmtMB(memHpl)}, previous trie ${fmtMB(memPrev6)}`);
  let mismatches = 0;
  for (const arr of [rnd6, der6]) {
    for (let i = 0; i < arr.length; i += 4 * 13) {
      const want = hpl.lookup(arr[i], arr[i + 1], arr[i + 2], arr[i + 3]);
      if (ours6.lookup(arr[i], arr[i + 1], arr[i + 2], arr[i + 3]) !== want || prev6.lookup(arr[i], arr[i + 1], arr[i + 2], arr[i + 3]) !== want) mismatches++;
    }
  }
  log(`cross-check ours and previous trie vs hash per length: ${mismatches} mismatches`);
  const bRnd6 = batches(rnd6, 4);
  const bDer6 = batches(der6, 4);
  const hMs = quick ? 300 : 1500;
  const r6 = { oRnd: [] as number[], hRnd: [] as number[], oDer: [] as number[], hDer: [] as number[], obRnd: [] as number[], obDer: [] as number[],
    pRnd: [] as number[], pDer: [] as number[], pbRnd: [] as number[], pbDer: [] as number[] };
  // Machine gauge: the IPv4 DIR-24-8 baseline's random-lookup rate in the same
  // rounds (a 64 MB array, one read per lookup), to say how loaded the machine
  // was while the IPv6 rates, an absolute target, were measured.
  const gaugeTable = syntheticIpv4Table(quick ? 20_000 : 100_000, 7);
  const gauge = new Dir248();
  for (let i = 0; i < gaugeTable.addrs.length; i++) gauge.insert(gaugeTable.addrs[i], gaugeTable.lens[i], gaugeTable.nextHops[i]);
  const gaugeAddrs = randomIpv4Addresses(nAddr, 5);
  const gRates: number[] = [];
  for (let k = 0; k < rounds; k++) {
    gRates.push(single4Dir(gauge, gaugeAddrs));
    r6.oRnd.push(single6Ours(ours6, rnd6)); r6.hRnd.push(single6Hash(hpl, rnd6, hMs));
    r6.oDer.push(single6Ours(ours6, der6)); r6.hDer.push(single6Hash(hpl, der6, hMs));
    r6.obRnd.push(batch6Ours(ours6, bRnd6, out)); r6.obDer.push(batch6Ours(ours6, bDer6, out));
    r6.pRnd.push(single6Prev(prev6, rnd6)); r6.pDer.push(single6Prev(prev6, der6));
    r6.pbRnd.push(batch6Prev(prev6, bRnd6, out)); r6.pbDer.push(batch6Prev(prev6, bDer6, out));
  }
  const g = median(gRates);
  log(`machine gauge: DIR-24-8 (IPv4) random lookups in the same rounds ${fmtRate(g)}: IPv6 table-derived single ${fmtRate(median(r6.oDer))} is ${fmtRatio(median(r6.oDer), g)} of it, batch ${fmtRatio(median(r6.obDer), g)}`);
  const nUpd6 = Math.min(Math.floor(nUpd / 4), n6);
  const w = t6.words;
  let tOurs6 = 0;
  let tHpl = 0;
  for (let c = 0; c < nUpd6; c += 1000) {
    const end = Math.min(nUpd6, c + 1000);
    t0 = now();
    for (let i = c; i < end; i++) {
      const p = upd[i];
      ours6.remove(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3], t6.lens[p]);
      ours6.lookup(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3]);
      ours6.insert(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3], t6.lens[p], t6.nextHops[p]);
      ours6.lookup(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3]);
    }
    tOurs6 += now() - t0;
    t0 = now();
    for (let i = c; i < end; i++) {
      const p = upd[i];
      hpl.remove(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3], t6.lens[p]);
      hpl.lookup(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3]);
      hpl.insert(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3], t6.lens[p], t6.nextHops[p]);
      hpl.lookup(w[4 * p], w[4 * p + 1], w[4 * p + 2], w[4 * p + 3]);
    }
    tHpl += now() - t0;
  }
  const upd6 = ((2 * nUpd6) / tOurs6) * 1000;
  const updHpl = ((2 * nUpd6) / tHpl) * 1000;

  const sub6: string[] = [];
  for (let i = 0; i < npmSubset6; i++) sub6.push(`${ip6(t6.words, 4 * i)}/${t6.lens[i]}`);
  gcNow();
  m0 = memNow();
  t0 = now();
  const npm6 = new LPM();
  for (let i = 0; i < npmSubset6; i++) npm6.addPrefix(sub6[i], t6.nextHops[i]);
  const buildNpm6 = now() - t0;
  gcNow();
  const memNpm6 = memNow() - m0;
  const sub6Table = { words: t6.words.subarray(0, 4 * npmSubset6), lens: t6.lens.subarray(0, npmSubset6), nextHops: t6.nextHops };
  const derSub6 = derivedIpv6Addresses(sub6Table, 20_000, 12);
  const npm6Rnd: string[] = [];
  const npm6Der: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    npm6Rnd.push(`${ip6(rnd6, 4 * i)}/128`);
    npm6Der.push(`${ip6(derSub6, 4 * i)}/128`);
  }
  const npm6RndRate = npmLookups(npm6, npm6Rnd, npmMs);
  const npm6DerRate = npmLookups(npm6, npm6Der, npmMs);
  log(`npm longest-prefix-match (IPv6): ${npmSubset6}-prefix subset, built in ${(buildNpm6 / 1000).toFixed(2)} s, ${fmtMB(memNpm6)}; lookups time-bounded to ${npmMs} ms each`);

  const o6Rnd = median(r6.oRnd), h6Rnd = median(r6.hRnd), o6Der = median(r6.oDer), h6Der = median(r6.hDer);
  rows6.push({ metric: 'lookups/s, random addresses, single', ours: o6Rnd, base: h6Rnd, prev: median(r6.pRnd), npm: npm6RndRate, unit: 'rate' });
  rows6.push({ metric: 'lookups/s, table-derived, single', ours: o6Der, base: h6Der, prev: median(r6.pDer), npm: npm6DerRate, unit: 'rate' });
  rows6.push({ metric: `lookups/s, random, batch of ${BATCH}`, ours: median(r6.obRnd), base: h6Rnd, prev: median(r6.pbRnd), npm: undefined, unit: 'rate' });
  rows6.push({ metric: `lookups/s, table-derived, batch of ${BATCH}`, ours: median(r6.obDer), base: h6Der, prev: median(r6.pbDer), npm: undefined, unit: 'rate' });
  rows6.push({ metric: 'incremental updates/s (each applied before the next)', ours: upd6, base: updHpl, npm: (npmSubset6 / buildNpm6) * 1000, unit: 'rate' });
  rows6.push({ metric: 'build time (s)', ours: buildOurs6 / 1000, base: buildHpl / 1000, prev: buildPrev6 / 1000, npm: buildNpm6 / 1000, unit: 's' });
  rows6.push({ metric: 'memory (MB)', ours: memOurs6 / 1048576, base: memHpl / 1048576, prev: memPrev6 / 1048576, npm: memNpm6 / 1048576, unit: 'MB' });
  for (const x of rows6) {
    const v = (y: number | undefined): string => (y === undefined ? 'n/a' : x.unit === 'rate' ? fmtRate(y) : y.toFixed(2));
    const p = x.prev === undefined ? '' : `, previous trie ${v(x.prev)} (ours ${fmtRatio(x.ours, x.prev)} of it)`;
    log(`IPv6 ${x.metric}: ours ${v(x.ours)}, hash per length ${v(x.base)} (${fmtRatio(x.ours, x.base)})${p}, npm ${v(x.npm)} (${fmtRatio(x.ours, x.npm)})`);
  }

  return rows6;
}

export function runFibBench(opts: FibBenchOptions = {}): string {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((s: string) => console.log(s));
  const hasGc = gcNow();
  const rounds = quick ? 2 : 5;
  const n4 = quick ? 100_000 : 1_000_000;
  const n6 = quick ? 25_000 : 250_000;
  const nAddr = quick ? 200_000 : 1_000_000;
  const nUpd = quick ? 20_000 : 200_000;
  const npmSubset4 = quick ? 20_000 : 100_000;
  const npmSubset6 = quick ? 10_000 : 50_000;
  const npmMs = quick ? 200 : 1000;
  log(`# FIB longest-prefix-match benchmark (${quick ? 'quick' : 'full'}; node ${process.version}; gc ${hasGc ? 'exposed' : 'NOT exposed: memory figures unavailable'})`);

  const cfg: Cfg = { quick, log, rounds, n4, n6, nAddr, nUpd, npmSubset4, npmSubset6, npmMs };
  const v4 = opts.only === 'ipv6' ? undefined : benchIpv4(cfg);
  gcNow();
  const rows6 = opts.only === 'ipv4' ? [] : benchIpv6(cfg);

  // ---------------- markdown ----------------
  const md: string[] = [];
  const cell = (x: Row, y: number | undefined): string => (y === undefined ? 'n/a' : x.unit === 'rate' ? fmtRate(y) : x.unit === 's' ? `${y.toFixed(2)} s` : `${y.toFixed(1)} MB`);
  if (v4) {
    const { rows, obRnd, dRnd, obDer, dDer } = v4;
    md.push(`IPv4, ${n4} prefixes (npm: ${npmSubset4}-prefix subset, time-bounded lookups)`, '');
    md.push('| metric | ours | DIR-24-8 | ours / DIR-24-8 | 16-bit DIR-16-8-8 | 16-bit / DIR-24-8 | previous trie | previous / DIR-24-8 | npm longest-prefix-match | ours / npm |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const x of rows) md.push(`| ${x.metric} | ${cell(x, x.ours)} | ${cell(x, x.base)} | ${fmtRatio(x.ours, x.base)} | ${cell(x, x.d16)} | ${fmtRatio(x.d16 ?? 0, x.d16 === undefined ? undefined : x.base)} | ${cell(x, x.prev)} | ${fmtRatio(x.prev ?? 0, x.prev === undefined ? undefined : x.base)} | ${cell(x, x.npm)} | ${fmtRatio(x.ours, x.npm)} |`);
    md.push('', `Batch lookups against the DIR-24-8 single-call rate: random ${fmtRatio(obRnd, dRnd)}, table-derived ${fmtRatio(obDer, dDer)}.`, '');
  }
  if (rows6.length > 0) md.push(`IPv6, ${n6} prefixes (baseline: hash per length; npm: ${npmSubset6}-prefix subset, time-bounded lookups)`, '');
  if (rows6.length > 0) md.push('| metric | ours | hash per length | ours / hash | previous trie | ours / previous | npm longest-prefix-match | ours / npm |', '|---|---|---|---|---|---|---|---|');
  for (const x of rows6) md.push(`| ${x.metric} | ${cell(x, x.ours)} | ${cell(x, x.base)} | ${fmtRatio(x.ours, x.base)} | ${cell(x, x.prev)} | ${fmtRatio(x.ours, x.prev)} | ${cell(x, x.npm)} | ${fmtRatio(x.ours, x.npm)} |`);
  const table = md.join('\n');
  log('');
  log(table);
  return table;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  if (only !== undefined && only !== 'ipv4' && only !== 'ipv6') throw new Error(`--only must be ipv4 or ipv6, not ${only}`);
  runFibBench({ quick: process.argv.includes('--quick'), only });
}
