/**
 * Deterministic synthetic routing tables shaped like the 2025 global table
 * (issue 3): prefix-length mix, about half of the prefixes more-specifics of
 * shorter ones, addresses in unicast space, next hops drawn from a small set
 * of peers.
 *
 * IPv4 (default 1,000,000): /24 60%, /22 13%, /23 10%, /21 5%, /20 4.4%,
 * /19 2.5%, /18 1.4%, /16 1.4%, /17 0.8%, /8-/15 0.4%, /25-/32 0.1%, the
 * remaining 1.0% as /24. First octets 1-223 minus 10 and 127.
 * IPv6 (default 250,000) inside 2000::/3: /48 46%, /32 22%, /29-/31 3%,
 * /33-/47 16% (mostly /36, /40, /44), /49-/64 13% (mostly /56, /64).
 *
 * Prefixes are generated from the shortest length up; for each one, with
 * probability 1/2 it is placed inside a random already-generated shorter
 * prefix, otherwise at a random position. Duplicates are redrawn.
 */
import { intBelow, mulberry32, u32, type Rng } from './prng.js';

export interface Ipv4Table {
  addrs: Uint32Array;
  lens: Uint8Array;
  nextHops: Int32Array;
}

export interface Ipv6Table {
  /** 4 words per prefix */
  words: Uint32Array;
  lens: Uint8Array;
  nextHops: Int32Array;
}

const IPV4_MIX: Array<[number, number]> = [
  [24, 0.61], [22, 0.13], [23, 0.1], [21, 0.05], [20, 0.044], [19, 0.025], [18, 0.014],
  [16, 0.014], [17, 0.008],
  [8, 0.0002], [9, 0.0002], [10, 0.0003], [11, 0.0004], [12, 0.0006], [13, 0.0007], [14, 0.0008], [15, 0.0008],
  [25, 0.0002], [26, 0.0002], [27, 0.0002], [28, 0.0002], [29, 0.0001], [30, 0.0001], [31, 0.00005], [32, 0.00015],
];

const IPV6_MIX: Array<[number, number]> = [
  [48, 0.46], [32, 0.22], [29, 0.015], [30, 0.008], [31, 0.007],
  [36, 0.04], [40, 0.05], [44, 0.05], [33, 0.005], [34, 0.005], [35, 0.005], [38, 0.005], [42, 0.005], [46, 0.005], [47, 0.005],
  [56, 0.06], [64, 0.04], [52, 0.01], [50, 0.005], [60, 0.01], [49, 0.005],
];

export const NEXT_HOPS = 64;

function counts(mix: Array<[number, number]>, total: number): Map<number, number> {
  const sum = mix.reduce((a, [, f]) => a + f, 0);
  const out = new Map<number, number>();
  let used = 0;
  for (const [len, f] of mix) {
    const c = Math.floor((total * f) / sum);
    out.set(len, (out.get(len) ?? 0) + c);
    used += c;
  }
  out.set(mix[0][0], (out.get(mix[0][0]) ?? 0) + total - used);
  return out;
}

function randomUnicast4(rng: Rng): number {
  for (;;) {
    const a = u32(rng);
    const o = a >>> 24;
    if (o >= 1 && o <= 223 && o !== 10 && o !== 127) return a;
  }
}

function mask4(a: number, len: number): number {
  return len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
}

export function syntheticIpv4Table(total = 1_000_000, seed = 20251125): Ipv4Table {
  const rng = mulberry32(seed);
  const byLen = counts(IPV4_MIX, total);
  const lensSorted = [...byLen.keys()].sort((a, b) => a - b);
  const addrs = new Uint32Array(total);
  const lens = new Uint8Array(total);
  const nextHops = new Int32Array(total);
  const seen = new Set<number>();
  let n = 0;
  for (const len of lensSorted) {
    const shorter = n; // every prefix generated so far is shorter
    const want = byLen.get(len) ?? 0;
    for (let i = 0; i < want; i++) {
      for (;;) {
        let a: number;
        if (shorter > 0 && rng() < 0.5) {
          const p = intBelow(rng, shorter);
          const pl = lens[p];
          a = (addrs[p] | (mask4(u32(rng), len) & ~mask4(0xffffffff, pl))) >>> 0;
        } else {
          a = randomUnicast4(rng);
        }
        a = mask4(a, len);
        const k = a * 64 + len;
        if (seen.has(k)) continue;
        seen.add(k);
        addrs[n] = a;
        lens[n] = len;
        nextHops[n] = intBelow(rng, NEXT_HOPS);
        n++;
        break;
      }
    }
  }
  // Shuffle so that inserts arrive in no particular order.
  for (let i = total - 1; i > 0; i--) {
    const j = intBelow(rng, i + 1);
    const ta = addrs[i]; addrs[i] = addrs[j]; addrs[j] = ta;
    const tl = lens[i]; lens[i] = lens[j]; lens[j] = tl;
    const tn = nextHops[i]; nextHops[i] = nextHops[j]; nextHops[j] = tn;
  }
  return { addrs, lens, nextHops };
}

function maskWords(w: Uint32Array, o: number, len: number): void {
  for (let i = 0; i < 4; i++) {
    const bits = len - i * 32;
    if (bits >= 32) continue;
    w[o + i] = bits <= 0 ? 0 : (w[o + i] & (0xffffffff << (32 - bits))) >>> 0;
  }
}

export function syntheticIpv6Table(total = 250_000, seed = 20251126): Ipv6Table {
  const rng = mulberry32(seed);
  const byLen = counts(IPV6_MIX, total);
  const lensSorted = [...byLen.keys()].sort((a, b) => a - b);
  const words = new Uint32Array(total * 4);
  const lens = new Uint8Array(total);
  const nextHops = new Int32Array(total);
  const seen = new Set<string>();
  let n = 0;
  for (const len of lensSorted) {
    const shorter = n;
    const want = byLen.get(len) ?? 0;
    for (let i = 0; i < want; i++) {
      for (;;) {
        const o = n * 4;
        for (let k = 0; k < 4; k++) words[o + k] = u32(rng);
        if (shorter > 0 && rng() < 0.5) {
          const p = intBelow(rng, shorter);
          const pl = lens[p];
          // keep the parent's first pl bits, random bits after
          for (let k = 0; k < 4; k++) {
            const bits = pl - k * 32;
            if (bits >= 32) words[o + k] = words[p * 4 + k];
            else if (bits > 0) {
              const m = (0xffffffff << (32 - bits)) >>> 0;
              words[o + k] = ((words[p * 4 + k] & m) | (words[o + k] & ~m)) >>> 0;
            }
          }
        } else {
          words[o] = ((words[o] & 0x1fffffff) | 0x20000000) >>> 0; // 2000::/3
        }
        maskWords(words, o, len);
        const key = `${words[o]},${words[o + 1]},${len}`; // all lengths here are <= 64
        if (seen.has(key)) continue;
        seen.add(key);
        lens[n] = len;
        nextHops[n] = intBelow(rng, NEXT_HOPS);
        n++;
        break;
      }
    }
  }
  for (let i = total - 1; i > 0; i--) {
    const j = intBelow(rng, i + 1);
    for (let k = 0; k < 4; k++) {
      const t = words[i * 4 + k]; words[i * 4 + k] = words[j * 4 + k]; words[j * 4 + k] = t;
    }
    const tl = lens[i]; lens[i] = lens[j]; lens[j] = tl;
    const tn = nextHops[i]; nextHops[i] = nextHops[j]; nextHops[j] = tn;
  }
  return { words, lens, nextHops };
}

/** Addresses inside random table prefixes (host bits random). */
export function derivedIpv4Addresses(t: Ipv4Table, count: number, seed = 7): Uint32Array {
  const rng = mulberry32(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const p = intBelow(rng, t.addrs.length);
    const len = t.lens[p];
    out[i] = (t.addrs[p] | (u32(rng) & ~mask4(0xffffffff, len))) >>> 0;
  }
  return out;
}

export function randomIpv4Addresses(count: number, seed = 8): Uint32Array {
  const rng = mulberry32(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = u32(rng);
  return out;
}

export function derivedIpv6Addresses(t: Ipv6Table, count: number, seed = 9): Uint32Array {
  const rng = mulberry32(seed);
  const out = new Uint32Array(count * 4);
  for (let i = 0; i < count; i++) {
    const p = intBelow(rng, t.lens.length);
    const len = t.lens[p];
    for (let k = 0; k < 4; k++) {
      const bits = len - k * 32;
      const r = u32(rng);
      const w = t.words[p * 4 + k];
      out[i * 4 + k] = bits >= 32 ? w : bits <= 0 ? r : ((w & (0xffffffff << (32 - bits))) | (r & (0xffffffff >>> bits))) >>> 0;
    }
  }
  return out;
}

export function randomIpv6Addresses(count: number, seed = 10): Uint32Array {
  const rng = mulberry32(seed);
  const out = new Uint32Array(count * 4);
  for (let i = 0; i < out.length; i++) out[i] = u32(rng);
  return out;
}
