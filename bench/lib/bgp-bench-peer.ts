/**
 * A minimal BGP-4 speaker for the propagation benchmark, run as a child
 * process inside a namespace (`ip netns exec NS node bgp-bench-peer.js JSON`):
 * Node cannot enter a namespace itself, so the bench process drives one of
 * these per role over stdin/stdout (JSON lines).
 *
 * Roles:
 * - injector: builds the synthetic table (bench/lib/synthetic-table.ts) and
 *   pre-encodes every UPDATE (`perPath` prefixes per AS path, paths of 1-6
 *   ASNs, first ASN its own) into one buffer before the clock starts; on
 *   `go` it writes the whole buffer plus End-of-RIB and reports the
 *   monotonic time of the first byte. It keeps reading its socket (FRR sends
 *   the routes back toward it) and discards what it reads.
 * - collector: counts the prefixes of that same table it holds (IPv4
 *   announcements add, withdrawals remove; unknown prefixes counted apart)
 *   and reports the monotonic time at which it holds all N.
 *
 * Times are `process.hrtime.bigint()` (CLOCK_MONOTONIC, shared by every
 * process of the machine), sent as decimal strings of nanoseconds.
 *
 * Session: OPEN (4-octet AS, IPv4 unicast) / KEEPALIVE exchange as in
 * RFC 4271 §8 reduced to the happy path; KEEPALIVE every hold/3; a
 * NOTIFICATION or a closed socket is reported and ends the process.
 * Not supported: IPv6, ADD-PATH, collision handling (the peer only
 * connects, or only listens), attribute decoding in the collector (the
 * IPv4 withdrawn and NLRI fields are walked directly, RFC 4271 §4.3).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { buildAnnouncements, buildOpen, decodeMessage, DEFAULT_FAMILIES, encodeKeepalive, encodeMessage, endOfRib, MessageSplitter, Afi } from '../../src/bgp/wire/index.js';
import type { IpPrefix } from '../../src/lib/prefix.js';
import { mulberry32 } from './prng.js';
import { syntheticIpv4Table } from './synthetic-table.js';

export interface PeerArgs {
  readonly role: 'injector' | 'collector';
  /** Connect to this address (port 179) from `localAddress`, retrying until accepted. */
  readonly connect?: { readonly host: string; readonly localAddress: string; readonly port?: number };
  /** Or accept one connection here. */
  readonly listen?: { readonly host: string; readonly port?: number };
  readonly localAs: number;
  readonly peerAs: number;
  /** Dotted quad. */
  readonly routerId: string;
  readonly holdTime: number;
  readonly prefixes: number;
  readonly perPath: number;
  /** Injector: the NEXT_HOP (its own address). */
  readonly nextHop?: string;
  readonly seed: number;
}

export type PeerEvent =
  | { ev: 'ready'; buildSeconds: number; updates?: number; bytes?: number }
  | { ev: 'established'; peerAs: number; holdTime: number }
  | { ev: 'sent'; firstByteNs: string; queuedNs: string }
  | { ev: 'flushed'; ns: string }
  | { ev: 'progress'; held: number; announced: number; withdrawn: number; unknown: number }
  | { ev: 'complete'; ns: string; held: number; announced: number; withdrawn: number; unknown: number }
  | { ev: 'notification'; code: number; subcode: number }
  | { ev: 'closed'; reason: string }
  | { ev: 'error'; message: string };

const now = (): bigint => process.hrtime.bigint();

function emit(e: PeerEvent): void {
  process.stdout.write(JSON.stringify(e) + '\n');
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

function ipv4Number(text: string): number {
  return text.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

/** Every UPDATE of the table, concatenated, plus the count. */
function encodeTable(a: PeerArgs): { bytes: Buffer; updates: number } {
  const t = syntheticIpv4Table(a.prefixes, a.seed);
  const rand = mulberry32(a.seed ^ 0x5eed);
  const nextHop = ipv4Bytes(a.nextHop ?? '0.0.0.0');
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < a.prefixes; i += a.perPath) {
    const prefixes: IpPrefix[] = [];
    for (let j = i; j < Math.min(a.prefixes, i + a.perPath); j++) {
      const x = t.addrs[j];
      prefixes.push({ family: 4, bytes: Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff), len: t.lens[j] });
    }
    const pathLen = 1 + Math.floor(rand() * 6);
    const asns = [a.localAs];
    for (let k = 1; k < pathLen; k++) asns.push(1 + Math.floor(rand() * 64000));
    const med = rand() < 0.3 ? Math.floor(rand() * 100) : undefined;
    for (const m of buildAnnouncements({ attributes: { origin: 0, asPath: [{ type: 2, asns }], nextHop, ...(med !== undefined ? { med } : {}) }, prefixes }, { fourOctetAs: true })) {
      parts.push(m);
      size += m.length;
    }
  }
  const eor = endOfRib(Afi.IPV4);
  parts.push(eor);
  size += eor.length;
  return { bytes: Buffer.concat(parts, size), updates: parts.length - 1 };
}

/** The collector's view of the table: prefix key → index, and which it holds. */
class Holdings {
  private readonly index = new Map<number, number>();
  private readonly held: Uint8Array;
  count = 0;
  announced = 0;
  withdrawn = 0;
  unknown = 0;

  constructor(n: number, seed: number) {
    const t = syntheticIpv4Table(n, seed);
    for (let i = 0; i < n; i++) this.index.set(t.addrs[i] * 64 + t.lens[i], i);
    this.held = new Uint8Array(n);
  }

  get size(): number {
    return this.held.length;
  }

  /** Walks one UPDATE frame's IPv4 withdrawn routes and NLRI (RFC 4271 §4.3). Malformed frames are ignored. */
  update(f: Uint8Array): void {
    const wlen = (f[19] << 8) | f[20];
    const wEnd = 21 + wlen;
    if (wEnd + 2 > f.length) return;
    this.walk(f, 21, wEnd, false);
    const alen = (f[wEnd] << 8) | f[wEnd + 1];
    const nStart = wEnd + 2 + alen;
    if (nStart > f.length) return;
    this.walk(f, nStart, f.length, true);
  }

  private walk(f: Uint8Array, o: number, end: number, add: boolean): void {
    while (o < end) {
      const len = f[o++];
      const n = (len + 7) >> 3;
      if (len > 32 || o + n > end) return;
      let x = 0;
      for (let k = 0; k < 4; k++) x = x * 256 + (k < n ? f[o + k] : 0);
      o += n;
      const i = this.index.get(x * 64 + len);
      if (add) this.announced++;
      else this.withdrawn++;
      if (i === undefined) {
        this.unknown++;
        continue;
      }
      if (add && this.held[i] === 0) {
        this.held[i] = 1;
        this.count++;
      } else if (!add && this.held[i] === 1) {
        this.held[i] = 0;
        this.count--;
      }
    }
  }
}

async function connectOnce(a: PeerArgs): Promise<Socket> {
  if (a.listen) {
    const l = a.listen;
    return new Promise((resolve, reject) => {
      const srv = createServer((s) => {
        srv.close();
        resolve(s);
      });
      srv.on('error', reject);
      srv.listen(l.port ?? 179, l.host);
    });
  }
  const c = a.connect!;
  for (;;) {
    const s = await new Promise<Socket | undefined>((resolve) => {
      const sock = createConnection({ host: c.host, port: c.port ?? 179, localAddress: c.localAddress });
      sock.once('connect', () => resolve(sock));
      sock.once('error', () => {
        sock.destroy();
        resolve(undefined);
      });
    });
    if (s) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]) as PeerArgs;
  const b0 = now();
  const table = a.role === 'injector' ? encodeTable(a) : undefined;
  const holdings = a.role === 'collector' ? new Holdings(a.prefixes, a.seed) : undefined;
  emit({ ev: 'ready', buildSeconds: Number(now() - b0) / 1e9, ...(table ? { updates: table.updates, bytes: table.bytes.length } : {}) });

  let go = false;
  let established = false;
  let sock: Socket | undefined;
  const start = (): void => {
    if (!go || !established || !table || !sock) return;
    const t0 = now();
    const s = sock;
    s.write(table.bytes, () => emit({ ev: 'flushed', ns: String(now()) }));
    emit({ ev: 'sent', firstByteNs: String(t0), queuedNs: String(now()) });
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'go') {
      go = true;
      start();
    } else if (line.trim() === 'quit') process.exit(0);
  });
  process.stdin.on('end', () => process.exit(0));

  const s = await connectOnce(a);
  sock = s;
  s.setNoDelay(true);
  const local = { localAsn: a.localAs, bgpId: ipv4Number(a.routerId), holdTime: a.holdTime, peerAsn: a.peerAs, families: DEFAULT_FAMILIES.filter((f) => f.afi === Afi.IPV4) };
  s.write(encodeMessage(buildOpen(local), { fourOctetAs: true }));
  const splitter = new MessageSplitter();
  let gotOpen = false;
  let negotiatedHold = a.holdTime;
  let keepalive: NodeJS.Timeout | undefined;
  let lastProgress = 0;
  let completed = false;
  const progress = setInterval(() => {
    if (holdings && holdings.count !== lastProgress) {
      lastProgress = holdings.count;
      emit({ ev: 'progress', held: holdings.count, announced: holdings.announced, withdrawn: holdings.withdrawn, unknown: holdings.unknown });
    }
  }, 1000);
  s.on('data', (chunk: Buffer) => {
    for (const item of splitter.push(chunk)) {
      if (item.kind === 'error') {
        emit({ ev: 'error', message: `framing: ${JSON.stringify(item.error.code)}/${item.error.subcode}` });
        process.exit(2);
      }
      if (item.type === 2) {
        if (holdings) {
          holdings.update(item.frame);
          if (!completed && holdings.count === holdings.size) {
            completed = true;
            emit({ ev: 'complete', ns: String(now()), held: holdings.count, announced: holdings.announced, withdrawn: holdings.withdrawn, unknown: holdings.unknown });
          }
        }
        continue;
      }
      if (item.type === 1 && !gotOpen) {
        gotOpen = true;
        const m = decodeMessage(item.frame, { fourOctetAs: true });
        const hold = m.kind === 'open' ? Math.min(m.message.holdTime, a.holdTime) : a.holdTime;
        s.write(encodeKeepalive());
        if (hold > 0) keepalive = setInterval(() => s.write(encodeKeepalive()), Math.max(1000, (hold / 3) * 1000));
        negotiatedHold = hold;
        continue;
      }
      if (item.type === 4 && gotOpen && !established) {
        established = true;
        emit({ ev: 'established', peerAs: a.peerAs, holdTime: negotiatedHold });
        // Our own (empty) table is complete: End-of-RIB (RFC 4724 §2).
        s.write(endOfRib(Afi.IPV4));
        start();
        continue;
      }
      if (item.type === 3) {
        emit({ ev: 'notification', code: item.frame[19], subcode: item.frame[20] });
      }
    }
  });
  s.on('close', () => {
    clearInterval(progress);
    if (keepalive) clearInterval(keepalive);
    emit({ ev: 'closed', reason: established ? 'closed after Established' : 'closed before Established' });
    process.exit(3);
  });
  s.on('error', (e) => emit({ ev: 'error', message: e.message }));
}

main().catch((e: unknown) => {
  emit({ ev: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
