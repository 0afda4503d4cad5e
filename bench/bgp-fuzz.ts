/**
 * Fuzzing the BGP wire codec: random and mutated messages through the
 * stream splitter, the decoders and the FSM; counts uncaught exceptions
 * (must be 0) and the time per message.
 *
 * Corpus: the messages captured from BIRD and FRR (test/unit/bgp-wire/vectors.ts)
 * plus messages from our own builder (2-octet AS paths, AS4_PATH, large
 * attributes, many NLRI). Mutations: bit flips, interesting byte values,
 * 1- and 2-byte length fields rewritten, truncations (header length fixed up
 * or not), splices of two messages, inserted/duplicated/deleted ranges, and
 * wholly random bodies behind a valid header.
 *
 * Usage: node dist/bench/bgp-fuzz.js [--count N] [--seed S] [--out DIR]
 * Crashing inputs are written to DIR (default ./bgp-fuzz-crashes) as hex,
 * one file each, to be added to the regression tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageSplitter } from '../src/bgp/wire/stream-splitter.js';
import { decodeMessage } from '../src/bgp/wire/message.js';
import { encodeUpdate } from '../src/bgp/wire/update.js';
import { buildAnnouncements, buildWithdrawals } from '../src/bgp/wire/update-builder.js';
import { encodeOpen } from '../src/bgp/wire/open.js';
import { buildOpen } from '../src/bgp/wire/open-checks.js';
import { encodeNotification, ceaseNotification } from '../src/bgp/wire/notification.js';
import { eventForMessage, initialState, step, type FsmConfig, type FsmState } from '../src/bgp/fsm.js';
import type { CodecContext, UpdateMessage } from '../src/bgp/wire/types.js';
import { CAPTURED, CAPTURED_FRR, hexToBytes } from '../test/unit/bgp-wire/vectors.js';

/** Small fast seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatedCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const ctx2: CodecContext = { fourOctetAs: false };
  const ctx4: CodecContext = { fourOctetAs: true };
  const asPath = [{ type: 2 as const, asns: [65001, 4200000001, 64512] }, { type: 1 as const, asns: [1, 2, 4200000002] }];
  const u: UpdateMessage = {
    type: 'update', withdrawn: [{ family: 4, bytes: Uint8Array.of(10, 9, 0, 0), len: 16 }],
    attributes: {
      origin: 2, asPath, nextHop: Uint8Array.of(10, 0, 0, 1), med: 5, localPref: 100, atomicAggregate: true,
      aggregator: { asn: 4200000001, address: Uint8Array.of(10, 0, 0, 1) }, communities: [0xffffff01, 0xfde90064],
      mpUnreach: { afi: 2, safi: 1, withdrawn: [{ family: 6, bytes: new Uint8Array(16).fill(0x20, 0, 2), len: 32 }] },
      unknown: [{ flags: 0xe0, code: 32, value: new Uint8Array(12).fill(7) }, { flags: 0xe0, code: 35, value: Uint8Array.of(0, 0, 0xfd, 0xe9) }],
    },
    nlri: [{ family: 4, bytes: Uint8Array.of(198, 51, 100, 0), len: 24 }, { family: 4, bytes: Uint8Array.of(0, 0, 0, 0), len: 0 }],
  };
  out.push(encodeUpdate(u, ctx2), encodeUpdate(u, ctx4));
  const many = Array.from({ length: 300 }, (_, i) => ({ family: 4 as const, bytes: Uint8Array.of(10, i >> 8, i & 0xff, 0), len: 24 }));
  out.push(...buildAnnouncements({ attributes: { origin: 0, asPath, nextHop: Uint8Array.of(10, 0, 0, 1), communities: Array.from({ length: 80 }, (_, i) => i) }, prefixes: many }, ctx4));
  const v6 = Array.from({ length: 50 }, (_, i) => ({ family: 6 as const, bytes: Uint8Array.of(0x20, 1, 0x0d, 0xb8, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), len: 64 }));
  out.push(...buildAnnouncements({ attributes: { origin: 0, asPath }, prefixes: v6, ipv6NextHop: new Uint8Array(32).fill(0xfe, 16, 17) }, ctx2));
  out.push(...buildWithdrawals([...many.slice(0, 20), ...v6.slice(0, 20)], ctx4));
  out.push(encodeOpen(buildOpen({ localAsn: 4200000001, bgpId: 1, holdTime: 9, peerAsn: 1, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] })));
  out.push(encodeNotification(ceaseNotification(2, 'fuzz corpus shutdown text ✓')));
  return out;
}

export function corpus(): Uint8Array[] {
  return [...CAPTURED.map((v) => hexToBytes(v.hex)), ...CAPTURED_FRR.map((v) => hexToBytes(v.hex)), ...generatedCorpus()];
}

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x0f, 0x10, 0x1f, 0x20, 0x21, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xd0, 0xe0, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 2, 3, 4, 18, 19, 20, 23, 29, 255, 256, 4095, 4096, 4097, 0x7fff, 0x8000, 0xffff];

function setLength(m: Uint8Array): Uint8Array {
  if (m.length >= 18) {
    m[16] = (m.length >> 8) & 0xff;
    m[17] = m.length & 0xff;
  }
  return m;
}

/** One mutated (or random) message from the corpus. */
export function mutate(seeds: readonly Uint8Array[], r: () => number): Uint8Array {
  const pick = () => seeds[Math.floor(r() * seeds.length)];
  const int = (n: number) => Math.floor(r() * n);
  let m: Uint8Array = pick().slice();
  const rounds = 1 + int(4);
  for (let k = 0; k < rounds; k++) {
    // Mutations mostly hit the body: the header is checked first and would hide the rest.
    const pos = () => (m.length > 19 && r() < 0.9 ? 19 + int(m.length - 19) : int(Math.max(1, m.length)));
    switch (int(10)) {
      case 0: { const p = pos(); if (p < m.length) m[p] ^= 1 << int(8); break; }
      case 1: { const p = pos(); if (p < m.length) m[p] = INTERESTING[int(INTERESTING.length)]; break; }
      case 2: { const p = pos(); if (p + 1 < m.length) { const v = INTERESTING16[int(INTERESTING16.length)] + (r() < 0.3 ? int(5) - 2 : 0); m[p] = (v >> 8) & 0xff; m[p + 1] = v & 0xff; } break; }
      case 3: { m = m.slice(0, int(m.length + 1)); if (r() < 0.8) setLength(m); break; }
      case 4: { const o = pick(); const a = int(m.length + 1); const b = int(o.length + 1); const s = new Uint8Array(a + o.length - b); s.set(m.subarray(0, a)); s.set(o.subarray(b), a); m = setLength(s); break; }
      case 5: { const p = pos(); const n = 1 + int(8); const s = new Uint8Array(m.length + n); s.set(m.subarray(0, p)); for (let i = 0; i < n; i++) s[p + i] = int(256); s.set(m.subarray(p), p + n); m = r() < 0.8 ? setLength(s) : s; break; }
      case 6: { const p = pos(); const n = 1 + int(16); const s = new Uint8Array(Math.max(0, m.length - n)); s.set(m.subarray(0, Math.min(p, s.length))); if (p + n < m.length) s.set(m.subarray(p + n), p); m = setLength(s); break; }
      case 7: { const a = pos(); const n = 1 + int(24); const chunk = m.slice(a, a + n); const s = new Uint8Array(m.length + chunk.length); s.set(m.subarray(0, a + chunk.length)); s.set(chunk, a + chunk.length); s.set(m.subarray(a + chunk.length), a + 2 * chunk.length); m = setLength(s); break; }
      case 8: { const len = 19 + int(120); const s = new Uint8Array(len); for (let i = 19; i < len; i++) s[i] = int(256); s.fill(0xff, 0, 16); s[18] = 1 + int(5); m = setLength(s); break; }
      default: { const p = 19 + int(Math.max(1, m.length - 19)); if (p < m.length) m[p] = int(256); break; }
    }
  }
  return m;
}

const FSM_CONFIG: FsmConfig = { local: { localAsn: 65001, bgpId: 0x0a000001, holdTime: 9, peerAsn: 65002, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] } };

export interface FuzzResult {
  readonly count: number;
  readonly exceptions: number;
  readonly crashes: Uint8Array[];
  readonly elapsedMs: number;
  readonly maxMessageMs: number;
  readonly kinds: Record<string, number>;
}

/** Run `count` inputs through splitter + decoders + FSM. Pure apart from the clock used for timing. */
export function fuzz(count: number, seed: number): FuzzResult {
  const r = rng(seed);
  const seeds = corpus();
  const crashes: Uint8Array[] = [];
  const kinds: Record<string, number> = {};
  let exceptions = 0;
  let maxMessageMs = 0;
  const established: FsmState = { ...initialState(FSM_CONFIG), name: 'Established', negotiated: { peerAsn: 65002, peerBgpId: 2, fourOctetAs: true, holdTime: 9, keepaliveTime: 3, families: [], routeRefresh: true } };
  const env = { now: 0, random: r, config: FSM_CONFIG };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const input = mutate(seeds, r);
    const ctx: CodecContext = { fourOctetAs: r() < 0.7 };
    const t = performance.now();
    try {
      const splitter = new MessageSplitter();
      const cut = Math.floor(r() * (input.length + 1));
      const items = [...splitter.push(input.subarray(0, cut)), ...splitter.push(input.subarray(cut))];
      if (items.length === 0) kinds.incomplete = (kinds.incomplete ?? 0) + 1;
      for (const item of items) {
        if (item.kind === 'error') {
          kinds['header-error'] = (kinds['header-error'] ?? 0) + 1;
          continue;
        }
        const d = decodeMessage(item.frame, ctx);
        const k = d.kind === 'update' ? `update:${d.result.action ?? 'ok'}` : d.kind;
        kinds[k] = (kinds[k] ?? 0) + 1;
        step(established, eventForMessage(d), env);
      }
      // The decoder straight on the raw bytes too (it must cope with any length field).
      decodeMessage(input, ctx);
    } catch {
      exceptions++;
      if (crashes.length < 100) crashes.push(input);
    }
    const dt = performance.now() - t;
    if (dt > maxMessageMs) maxMessageMs = dt;
  }
  return { count, exceptions, crashes, elapsedMs: performance.now() - t0, maxMessageMs, kinds };
}

/** Decode-only cost of well-formed UPDATEs: a full 4096-byte IPv4 message and a captured IPv6 one. */
export function decodeSpeed(rounds: number): { fullUs: number; prefixesPerFull: number; smallUs: number } {
  const prefixes = Array.from({ length: 2000 }, (_, i) => ({ family: 4 as const, bytes: Uint8Array.of(10, (i >> 8) & 0xff, i & 0xff, 0), len: 24 }));
  const full = buildAnnouncements({ attributes: { origin: 0, asPath: [{ type: 2, asns: [65001, 65002, 65003] }], nextHop: Uint8Array.of(10, 0, 0, 1) }, prefixes }, { fourOctetAs: true })[0];
  const small = hexToBytes(CAPTURED.find((c) => c.name === 'update-8')!.hex);
  const ctx = { fourOctetAs: true };
  const n = decodeMessage(full, ctx);
  const prefixesPerFull = n.kind === 'update' ? n.result.update.nlri.length : 0;
  const time = (b: Uint8Array) => {
    const t = performance.now();
    for (let i = 0; i < rounds; i++) decodeMessage(b, ctx);
    return ((performance.now() - t) * 1000) / rounds;
  };
  time(full); // warm up
  return { fullUs: time(full), prefixesPerFull, smallUs: time(small) };
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const count = Number(arg('--count', '1000000'));
  const seed = Number(arg('--seed', String(Date.now() % 2 ** 31)));
  const outDir = arg('--out', 'bgp-fuzz-crashes');
  const res = fuzz(count, seed);
  const perUs = (res.elapsedMs * 1000) / res.count;
  console.log(`bgp-fuzz: ${res.count} inputs, seed ${seed}, ${res.exceptions} uncaught exceptions`);
  console.log(`  ${(res.elapsedMs / 1000).toFixed(2)} s total, ${perUs.toFixed(2)} µs per input, slowest ${res.maxMessageMs.toFixed(2)} ms`);
  console.log(`  outcomes: ${Object.entries(res.kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const speed = decodeSpeed(20_000);
  console.log(`  decode only: full 4096-byte UPDATE (${speed.prefixesPerFull} IPv4 /24) ${speed.fullUs.toFixed(1)} µs = ${(speed.prefixesPerFull / speed.fullUs).toFixed(1)} M prefixes/s; captured IPv6 UPDATE ${speed.smallUs.toFixed(2)} µs`);
  if (res.crashes.length > 0) {
    mkdirSync(outDir, { recursive: true });
    res.crashes.forEach((c, i) => writeFileSync(join(outDir, `crash-${seed}-${i}.hex`), Buffer.from(c).toString('hex') + '\n'));
    console.log(`  crashing inputs written to ${outDir}/`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
