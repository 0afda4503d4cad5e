/**
 * RIB benchmark (issue 4): N IPv4 prefixes from one eBGP neighbour (AS paths
 * of length 1-6, realistic prefix lengths: mostly /24, then /22-/23, /16-/21)
 * through import, the Loc-RIB and out to a second eBGP neighbour's
 * Adj-RIB-Out, in the chunks a router would use. No sockets: this measures
 * the RIB alone (src/bgp/rib), not the codec or the session.
 *
 * Prints time to propagate (enqueue + processSome + pendingUpdates; wall and
 * CPU seconds, the latter stabler on a shared machine; the synthetic UPDATE
 * generation is included and costs about 0.1 s per 100,000 prefixes), heap
 * retained after GC (run node with --expose-gc), peak RSS, and the number of
 * distinct attribute sets. `--per-update K` sets how many prefixes share one
 * AS path (one UPDATE); the default 8 gives N/8 distinct paths.
 *
 *   node --expose-gc dist/bench/bgp-rib.js [N] [--per-update K]
 *
 * Reference figures for whole daemons (reference/performance.md, 1M prefixes):
 * BIRD 2.2 s / 129 MB, FRR 11.6 s / 1.24 GB.
 */
import { pathToFileURL } from 'node:url';
import { Rib } from '../src/bgp/rib/index.js';
import type { IpPrefix } from '../src/lib/prefix.js';
import type { UpdateMessage } from '../src/bgp/wire/types.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prefix length with roughly the global table's mix. */
function pickLen(r: number): number {
  if (r < 0.6) return 24;
  if (r < 0.75) return 23;
  if (r < 0.87) return 22;
  if (r < 0.93) return 21;
  if (r < 0.97) return 20;
  return 16 + Math.floor((r - 0.97) * 133) % 4;
}

export interface RibBenchResult {
  readonly prefixes: number;
  readonly perUpdate: number;
  readonly seconds: number;
  /** CPU seconds (user + system) of this process during the run: stabler than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly heapMB: number | undefined;
  readonly peakRssMB: number;
  readonly attrSets: number;
  readonly sent: number;
}

export function runRibBench(n: number, perUpdate: number): RibBenchResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  let peakRss = process.memoryUsage().rss;
  const rand = mulberry32(42);
  const rib = new Rib({ localAs: 65001, routerId: 0x0a0000ff });
  const inj = rib.addPeer({ address: { family: 4, bytes: Uint8Array.of(10, 0, 1, 2) }, localAddress: { family: 4, bytes: Uint8Array.of(10, 0, 1, 1) }, asn: 65100, kind: 'ebgp' }).id;
  const col = rib.addPeer({ address: { family: 4, bytes: Uint8Array.of(10, 0, 2, 2) }, localAddress: { family: 4, bytes: Uint8Array.of(10, 0, 2, 1) }, asn: 65200, kind: 'ebgp' }).id;
  rib.peerUp(inj, { routerId: 0x0a000102 });
  rib.peerUp(col, { routerId: 0x0a000202 });
  rib.pendingUpdates(col);
  rib.pendingUpdates(inj);

  // Distinct, non-overlapping prefixes: walk up the IPv4 space, each aligned to its length.
  const nextHop = Uint8Array.of(10, 0, 1, 2);
  let made = 0;
  let sent = 0;
  let cursor = 0x01000000;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const drain = (): void => {
    let r;
    do {
      r = rib.processSome(20_000);
      let out;
      do {
        out = rib.pendingUpdates(col, 20_000);
        for (const b of out.batches) sent += b.prefixes.length;
      } while (out.more);
      // The injector's own session is asked too (split horizon: nothing to send).
      while (rib.pendingUpdates(inj, 20_000).more);
    } while (r.more);
    const rss = process.memoryUsage().rss;
    if (rss > peakRss) peakRss = rss;
  };
  while (made < n) {
    const len = Math.min(perUpdate, n - made);
    const nlri: IpPrefix[] = [];
    while (nlri.length < len) {
      const plen = pickLen(rand());
      const size = 2 ** (32 - plen);
      const net = Math.ceil(cursor / size) * size;
      cursor = net + size + (rand() < 0.5 ? 256 : 0);
      if (cursor > 0xdfffffff) throw new Error('bench: ran out of IPv4 space');
      nlri.push({ family: 4, bytes: Uint8Array.of(net >>> 24, (net >>> 16) & 0xff, (net >>> 8) & 0xff, net & 0xff), len: plen });
    }
    const pathLen = 1 + Math.floor(rand() * 6);
    const asns = [65100];
    for (let i = 1; i < pathLen; i++) asns.push(1 + Math.floor(rand() * 64000));
    const u: UpdateMessage = {
      type: 'update', withdrawn: [], nlri,
      attributes: { origin: 0, asPath: [{ type: 2, asns }], nextHop, med: rand() < 0.3 ? Math.floor(rand() * 100) : undefined },
    };
    rib.enqueueUpdate(inj, u);
    made += len;
    if (made % 8192 < perUpdate) drain();
  }
  drain();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  gc?.();
  const mu = process.memoryUsage();
  const heapMB = gc ? (mu.heapUsed + mu.arrayBuffers - heap0) / 1e6 : undefined;
  const stats = rib.stats();
  if (stats.locRib !== n || sent !== n) throw new Error(`bench: Loc-RIB ${stats.locRib}, sent ${sent}, want ${n}`);
  return { prefixes: n, perUpdate, seconds, cpuSeconds, heapMB, peakRssMB: peakRss / 1e6, attrSets: stats.attrSets, sent };
}

function main(argv: string[]): void {
  const args = argv.slice(2);
  const k = args.indexOf('--per-update');
  const perUpdate = k >= 0 ? Number(args[k + 1]) : 8;
  const nArg = args.find((a, i) => /^\d+$/.test(a) && (k < 0 || i !== k + 1));
  const n = nArg !== undefined ? Number(nArg) : 1_000_000;
  const r = runRibBench(n, perUpdate);
  console.log(`RIB: ${r.prefixes} prefixes, ${r.perUpdate} per UPDATE, ${r.attrSets} attribute sets held`);
  console.log(`  time to Adj-RIB-Out: ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU (${Math.round(r.prefixes / r.seconds).toLocaleString('en')} prefixes/s wall)`);
  console.log(`  heap retained after GC: ${r.heapMB === undefined ? 'n/a (run with --expose-gc)' : r.heapMB.toFixed(0) + ' MB'}; peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  console.log('  reference, whole daemons at 1M: BIRD 2.2 s / 129 MB, FRR 11.6 s / 1.24 GB');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv);
