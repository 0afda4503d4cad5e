/**
 * The forwarding pipeline: what a router does with each Ethernet frame that
 * arrives on one of its interfaces (RFC 1812 for IPv4, RFC 8200 / RFC 4443
 * for IPv6). Pure: time comes in as `now` (ms), frames leave through a
 * `FrameSink`, routes come from a `RouteLookup` the router implements on top
 * of its FIB; no timers, no sockets.
 *
 * Per frame, in order (each step's outcome is counted, counters.ts):
 *  1. PACKET_OTHERHOST frames are dropped (bridges flood; promiscuous mode);
 *     frames on a down interface dropped; truncated and runt frames dropped.
 *  2. ARP, and IPv6 neighbour solicitations/advertisements, feed our own
 *     neighbour table (neighbors.ts) and are left to the kernel, which owns
 *     the router's addresses and answers for them. Tagged frames, other
 *     EtherTypes and link-layer broadcast/multicast frames are the kernel's
 *     too: nothing with a group destination is ever forwarded.
 *  3. IPv4: RFC 1812 §5.2.2 validation (short, version, IHL < 5, total
 *     length, header checksum: dropped and counted, never answered).
 *     IPv6: version and payload length.
 *  4. Packets for the router's own addresses (and IPv4 subnet broadcasts,
 *     IP multicast, link-local destinations) are the kernel's.
 *  5. Martians (RFC 1812 §5.3.7, RFC 4291): source in 0/8, 127/8, 224/3
 *     (multicast, class E, broadcast), or one of our own addresses or
 *     subnet broadcasts (spoofed); destination in 0/8, 127/8, 240/4;
 *     IPv6 unspecified, loopback, IPv4-mapped or multicast source,
 *     unspecified, loopback or IPv4-mapped destination; link-local sources (169.254/16, fe80::/10) never cross
 *     links. Dropped silently.
 *  6. Longest-prefix match; no route: ICMP net unreachable / ICMPv6 no route.
 *     Several next hops (ECMP): one is picked by a hash of source,
 *     destination, protocol and ports (and the IPv6 flow label), so every
 *     flow sticks to one path. Ports are left out of every fragment's hash
 *     (non-first fragments have none), so all pieces of a datagram agree.
 *  7. TTL / hop limit ≤ 1: ICMP time exceeded. (After the route lookup, as
 *     Linux does.)
 *  8. Egress MTU (before the TTL decrement, as Linux does): IPv4 with DF:
 *     fragmentation needed carrying the egress MTU (RFC 1191); IPv4 without
 *     DF: fragmented (RFC 791); IPv6: packet too big (never fragmented).
 *  9. A transport checksum left partial by the sender's offload
 *     (FrameFlag.csumNotReady) is completed (csumStart/csumOffset, or the
 *     UDP/TCP checksum field when unknown).
 * 10. TTL decrement with the RFC 1624 incremental checksum; neighbour
 *     resolution (a packet waits in a short queue while a request is out);
 *     MAC rewrite in place; sent out of the egress interface.
 *
 * ICMP errors are sourced from the address of the interface they leave by
 * (RFC 1812 §4.3.2.4), routed through the same RouteLookup, never sent about
 * ICMP errors, group destinations, invalid sources or non-first fragments,
 * and rate-limited (icmp-errors.ts).
 *
 * The hot path (a valid transit frame to a resolved neighbour) rewrites the
 * received frame in place and allocates nothing; queueing, fragmenting,
 * ICMP errors and traced packets allocate.
 *
 * Not supported: IPv4 options processing (forwarded as they are), IP
 * multicast routing, directed-broadcast forwarding, ICMP redirects, IPv6
 * hop-by-hop option processing, source routing, VLAN sub-interfaces,
 * RFC 5549 (IPv4 routes over IPv6 next hops).
 */
import { getU16, getU32, setU16 } from '../lib/bytes.js';
import { fold, sum16 } from '../lib/checksum.js';
import { formatAddress, numberToIpv4, wordsToIpv6, parsePrefix } from '../lib/prefix.js';
import { EtherType } from '../packet/ethernet.js';
import { IpProtocol } from '../packet/ip-protocol.js';
import { Ipv4View, Ipv4Error, fragmentIpv4, type Ipv4ErrorCode } from '../packet/ipv4.js';
import { Ipv6View, Ipv6Field, Ipv6Error } from '../packet/ipv6.js';
import { icmpv4ErrorSuppressed, buildIcmpv4Error, type Icmpv4ErrorSpec } from '../packet/icmpv4.js';
import { icmpv6ErrorSuppressed, buildIcmpv6Error, type Icmpv6ErrorSpec } from '../packet/icmpv6.js';
import { FrameFlag, PacketType, type FrameBatch } from './frame-io.js';
import { DataplaneCounters, DropReason, DROP_REASON_NAMES, IfCounter, IcmpCounter } from './counters.js';
import { NeighborTable, type NeighborOptions } from './neighbors.js';
import {
  TokenBucket, DEFAULT_ICMP_RATE_LIMIT, ICMP4_MAX_ERROR_LENGTH, ICMP6_MAX_ERROR_LENGTH,
  ICMP4_NET_UNREACHABLE, ICMP4_TIME_EXCEEDED, ICMP6_NO_ROUTE, ICMP6_TIME_EXCEEDED,
  icmp4FragNeeded, icmp6PacketTooBig, type IcmpRateLimit,
} from './icmp-errors.js';
import { compileTraceFilter, type CompiledTraceFilter, type CompileResult, type TraceFilter, type TraceRecord, type TraceAction } from './trace.js';

// ------------------------------------------------------------ contracts

/** One way out of a route. */
export interface NextHop {
  /** Egress interface name (as in the Dataplane's interface list). */
  readonly interface: string;
  /** Next-hop address, 4 or 16 bytes of the packet's family; absent when directly connected (the destination is resolved itself). */
  readonly gateway?: Uint8Array;
}

export interface RouteResult {
  /**
   * The matched prefix as text ("10.0.0.0/8"), read only for traced
   * packets (a getter computing it on demand is fine).
   */
  readonly prefixText?: string;
  /** One next hop, or several for ECMP. Empty means unreachable. */
  readonly nextHops: readonly NextHop[];
}

/**
 * What the router provides on top of its FIB (src/router/fib-lookup.ts does
 * it over src/fib/fib.ts). Called once per forwarded packet (and once per ICMP
 * error, for its way back): return precomputed objects, do not allocate.
 *
 * Addresses arrive as SIGNED 32-bit integers holding the address bits (read
 * them with `>>>`, as the LPM does; `x >>> 0` is the unsigned value): V8
 * keeps int32 values unboxed, while unsigned values of 2^31 and more (every
 * address from 128.0.0.0 up) would be allocated as heap numbers per call.
 */
export interface RouteLookup {
  /** The destination address bits as an int32. */
  lookup4(dst: number): RouteResult | undefined;
  /** The destination as four int32 words, most significant first. */
  lookup6(w0: number, w1: number, w2: number, w3: number): RouteResult | undefined;
}

/** Where frames leave: `frame[offset, offset + length)` is copied before `send` returns. */
export interface FrameSink {
  send(ifIndex: number, frame: Uint8Array, offset: number, length: number): void;
}

export interface IfaceAddress4 {
  readonly addr: number;
  readonly len: number;
}

export interface IfaceAddress6 {
  readonly bytes: Uint8Array;
  readonly words: readonly [number, number, number, number];
  readonly len: number;
}

/** An interface as the pipeline sees it; index = position in the list. */
export interface IfaceState {
  readonly index: number;
  readonly name: string;
  readonly mac: Uint8Array;
  mtu: number;
  up: boolean;
  readonly ipv4: readonly IfaceAddress4[];
  readonly ipv6: readonly IfaceAddress6[];
}

export interface InterfaceSpec {
  readonly name: string;
  /** 6 bytes. */
  readonly mac: Uint8Array;
  /** IP MTU of the link. */
  readonly mtu: number;
  /** "10.0.0.1/24" forms. */
  readonly ipv4?: readonly string[];
  readonly ipv6?: readonly string[];
  readonly up?: boolean;
}

/** Builds the pipeline's interface list; throws on malformed addresses (configuration errors). */
export function makeInterfaces(specs: readonly InterfaceSpec[]): IfaceState[] {
  return specs.map((s, index) => {
    const ipv4: IfaceAddress4[] = [];
    const ipv6: IfaceAddress6[] = [];
    for (const text of [...(s.ipv4 ?? []), ...(s.ipv6 ?? [])]) {
      const p = parsePrefix(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`, { allowHostBits: true });
      if (!p.ok) throw new Error(`interface ${s.name}: ${p.error}`);
      // parsePrefix masks the host bits; the address itself is needed here.
      const bytes = addressBytes(text);
      if (p.value.family === 4) ipv4.push({ addr: getU32(bytes, 0), len: p.value.len });
      else ipv6.push({ bytes, words: [getU32(bytes, 0), getU32(bytes, 4), getU32(bytes, 8), getU32(bytes, 12)], len: p.value.len });
    }
    if (s.mac.length !== 6) throw new Error(`interface ${s.name}: MAC must be 6 bytes`);
    return { index, name: s.name, mac: Uint8Array.from(s.mac), mtu: s.mtu, up: s.up ?? true, ipv4, ipv6 };
  });
}

function addressBytes(text: string): Uint8Array {
  const slash = text.indexOf('/');
  const p = parsePrefix(`${slash < 0 ? text : text.slice(0, slash)}/${text.includes(':') ? 128 : 32}`);
  if (!p.ok) throw new Error(p.error);
  return p.value.bytes;
}

/** What became of a frame. */
export const Verdict = {
  /** Sent (or, fragmented, every piece sent). */
  forwarded: 0,
  /** Waiting for neighbour resolution; later counted as forwarded or as neighbor-unresolved. */
  queued: 1,
  /** Not ours to forward: the kernel, which receives every frame too, deals with it. */
  kernel: 2,
  /** Dropped; `Forwarder.lastDrop` holds the reason. */
  dropped: 3,
} as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

export interface ForwarderOptions {
  readonly interfaces: readonly IfaceState[];
  readonly routes: RouteLookup;
  readonly sink: FrameSink;
  readonly neighbor?: NeighborOptions;
  readonly icmpRateLimit?: IcmpRateLimit;
  readonly onTrace?: (record: TraceRecord) => void;
}

const ETH_HLEN = 14;

const IPV4_DROP: Record<Ipv4ErrorCode, number> = {
  [Ipv4Error.TRUNCATED]: DropReason.ipShort,
  [Ipv4Error.BAD_VERSION]: DropReason.ipBadVersion,
  [Ipv4Error.BAD_IHL]: DropReason.ipBadIhl,
  [Ipv4Error.HEADER_TRUNCATED]: DropReason.ipBadLength,
  [Ipv4Error.BAD_TOTAL_LENGTH]: DropReason.ipBadLength,
  [Ipv4Error.BAD_CHECKSUM]: DropReason.ipBadChecksum,
};

/** murmur3's finaliser over a running value: a cheap well-mixed 32-bit hash. */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface TraceScratch {
  ingress: string;
  family: 4 | 6;
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  ttl: number;
  prefix?: string;
  nextHop?: string;
  egress?: string;
  icmp?: string;
  fragments?: number;
}

export class Forwarder {
  readonly counters: DataplaneCounters;
  readonly neighbors: NeighborTable;
  readonly interfaces: readonly IfaceState[];
  /** Reason of the most recent drop (for tests and the property that every drop has one reason). */
  lastDrop = -1;
  private readonly byName = new Map<string, IfaceState>();
  /** Own IPv4 addresses and subnet broadcasts as signed 32-bit values: a short linear scan beats a Set of non-Smi numbers. */
  private own4 = new Int32Array(0);
  private own6 = new Int32Array(0);
  private readonly routes: RouteLookup;
  private readonly sink: FrameSink;
  private readonly bucket4: TokenBucket;
  private readonly bucket6: TokenBucket;
  private traceFilter: CompiledTraceFilter | null = null;
  private tr: TraceScratch | null = null;
  private onTrace: ((record: TraceRecord) => void) | undefined;
  private ipId = 1;
  /** The `now` of the frame being processed (for trace records). */
  private clock = 0;
  private readonly v4 = new Ipv4View();
  private readonly v6 = new Ipv6View();

  constructor(opts: ForwarderOptions) {
    this.interfaces = opts.interfaces;
    this.routes = opts.routes;
    this.sink = opts.sink;
    this.counters = new DataplaneCounters(opts.interfaces.map((i) => i.name));
    this.neighbors = new NeighborTable(opts.interfaces, opts.sink, this.counters, opts.neighbor);
    this.bucket4 = new TokenBucket(opts.icmpRateLimit ?? DEFAULT_ICMP_RATE_LIMIT);
    this.bucket6 = new TokenBucket(opts.icmpRateLimit ?? DEFAULT_ICMP_RATE_LIMIT);
    this.onTrace = opts.onTrace;
    for (const i of opts.interfaces) this.byName.set(i.name, i);
    this.refreshAddresses();
    this.neighbors.onGiveUp = (trace, now) => {
      this.clock = now;
      this.tr = trace as TraceScratch;
      this.emitTrace('drop', DROP_REASON_NAMES[DropReason.neighborUnresolved]);
    };
  }

  /** Re-reads the interfaces' addresses (after a change to the lists). */
  refreshAddresses(): void {
    const v: number[] = [];
    const w: number[] = [];
    for (const i of this.interfaces) {
      for (const a of i.ipv4) {
        v.push(a.addr | 0);
        // The subnet's broadcast address (RFC 919/922) is the kernel's; /31 and /32 have none.
        if (a.len <= 30) v.push(a.addr | (0xffffffff >>> a.len));
      }
      for (const a of i.ipv6) w.push(...a.words);
    }
    this.own4 = Int32Array.from(v);
    this.own6 = Int32Array.from(w, (x) => x | 0);
  }

  private isOwn4(addr: number): boolean {
    const o = this.own4;
    const a = addr | 0;
    for (let i = 0; i < o.length; i++) if (o[i] === a) return true;
    return false;
  }

  /** The interface a next hop names (a scan: routers have a handful, and it avoids hashing strings per packet). */
  private iface(name: string): IfaceState | undefined {
    const list = this.interfaces;
    for (let i = 0; i < list.length; i++) if (list[i].name === name) return list[i];
    return undefined;
  }

  setIcmpRateLimit(limit: IcmpRateLimit): void {
    this.bucket4.configure(limit);
    this.bucket6.configure(limit);
  }

  setTraceHandler(h: ((record: TraceRecord) => void) | undefined): void {
    this.onTrace = h;
  }

  /** Sets (or with null clears) the trace filter. */
  setTraceFilter(f: TraceFilter | null): CompileResult | { ok: true; filter: null } {
    if (f === null) {
      this.traceFilter = null;
      return { ok: true, filter: null };
    }
    const c = compileTraceFilter(f);
    if (c.ok) this.traceFilter = c.filter;
    return c;
  }

  /** Marks an interface up or down; down flushes its neighbours (queued packets dropped). */
  setInterfaceUp(ifIndex: number, up: boolean, now = this.clock): void {
    const i = this.interfaces[ifIndex];
    if (i.up === up) return;
    i.up = up;
    if (!up) this.neighbors.flushInterface(ifIndex, now);
  }

  interfaceIndex(name: string): number {
    return this.byName.get(name)?.index ?? -1;
  }

  /** Neighbour timers: call every few hundred milliseconds. */
  tick(now: number): void {
    this.clock = now;
    this.neighbors.tick(now);
  }

  processBatch(ifIndex: number, b: FrameBatch, now: number): void {
    for (let i = 0; i < b.count; i++) {
      this.process(ifIndex, b.buffer, b.offsets[i], b.lengths[i], b.pktType[i], b.flags[i], b.csumStart[i], b.csumOffset[i], now);
    }
  }

  /**
   * One frame, `buf[off, off + len)`, received on interface `ifIndex`. The
   * frame may be rewritten in place. Never throws on any bytes.
   */
  process(ifIndex: number, buf: Uint8Array, off: number, len: number, pktType: number, flags: number, csumStart: number, csumOffset: number, now: number): VerdictCode {
    const c = this.counters;
    c.add(ifIndex, IfCounter.rxFrames);
    c.add(ifIndex, IfCounter.rxBytes, len);
    this.tr = null;
    this.clock = now;
    if (pktType === PacketType.otherHost) return this.drop(ifIndex, DropReason.otherHost);
    if (pktType === PacketType.outgoing) return this.kernel(ifIndex);
    const iface = this.interfaces[ifIndex];
    if (!iface.up) return this.drop(ifIndex, DropReason.ingressDown);
    if (len < ETH_HLEN) return this.drop(ifIndex, DropReason.runt);
    if (flags & FrameFlag.truncated) return this.drop(ifIndex, DropReason.truncated);
    const type = getU16(buf, off + 12);
    if (flags & FrameFlag.vlan) return this.kernel(ifIndex);
    const group = pktType === PacketType.broadcast || pktType === PacketType.multicast || (buf[off] & 1) === 1;
    if (type === EtherType.ARP) {
      this.neighbors.inputArp(ifIndex, buf, off + ETH_HLEN, len - ETH_HLEN, now);
      return this.kernel(ifIndex);
    }
    if (type === EtherType.IPV4) {
      if (group) return this.kernel(ifIndex);
      return this.forward4(iface, buf, off, len, flags, csumStart, csumOffset, now);
    }
    if (type === EtherType.IPV6) {
      if (this.neighbors.inputNd(ifIndex, buf, off + ETH_HLEN, len - ETH_HLEN, now) || group) return this.kernel(ifIndex);
      return this.forward6(iface, buf, off, len, flags, csumStart, csumOffset, now);
    }
    return this.kernel(ifIndex);
  }

  // --------------------------------------------------------------- IPv4

  private forward4(iface: IfaceState, buf: Uint8Array, off: number, len: number, flags: number, csumStart: number, csumOffset: number, now: number): VerdictCode {
    const inIdx = iface.index;
    const ip = off + ETH_HLEN;
    const v = this.v4.at(buf, ip);
    const bad = v.validate(len - ETH_HLEN);
    if (bad !== null) return this.drop(inIdx, IPV4_DROP[bad]);
    const total = v.totalLength;
    const hl = v.headerLength;
    const src = i32(buf, ip + 12), dst = i32(buf, ip + 16), proto = v.protocol, ttl = v.ttl;
    const fragOff = v.fragmentOffset;
    let sport = -1, dport = -1;
    if ((proto === IpProtocol.UDP || proto === IpProtocol.TCP) && fragOff === 0 && total >= hl + 4) {
      sport = getU16(buf, ip + hl);
      dport = getU16(buf, ip + hl + 2);
    }
    if (this.traceFilter !== null && this.traceFilter.match4(src, dst, proto, sport, dport)) {
      this.tr = {
        ingress: iface.name, family: 4, src: formatAddress(numberToIpv4(src)), dst: formatAddress(numberToIpv4(dst)),
        protocol: proto, srcPort: sport, dstPort: dport, ttl,
      };
    }
    // Ours (the kernel answers), group or link-scoped: never forwarded.
    if (this.isOwn4(dst)) return this.kernel(inIdx);
    const dTop = dst >>> 24;
    if (dst >>> 28 === 0xe) return this.kernel(inIdx);
    if (dst >>> 16 === 0xa9fe) return this.kernel(inIdx);
    if (dTop === 0 || dTop === 127 || dst >>> 28 === 0xf) return this.drop(inIdx, DropReason.martianDestination);
    const sTop = src >>> 24;
    if (sTop === 0 || sTop === 127 || src >>> 29 === 7 || this.isOwn4(src)) return this.drop(inIdx, DropReason.martianSource);
    if (src >>> 16 === 0xa9fe) return this.drop(inIdx, DropReason.linkLocal);
    if (flags & FrameFlag.gso) return this.drop(inIdx, DropReason.gso);

    const route = this.routes.lookup4(dst);
    if (route === undefined || route.nextHops.length === 0) {
      this.icmpError4(buf, ip, total, ICMP4_NET_UNREACHABLE, 'net-unreachable', now);
      return this.drop(inIdx, DropReason.noRoute);
    }
    const hops = route.nextHops;
    // Every piece of a fragmented datagram (the first one too) hashes without ports, so all take one path.
    const ports = v.isFragment ? 0 : (sport << 16) | (dport & 0xffff);
    const nh = hops.length === 1 ? hops[0] : hops[fmix(mix(mix(mix(mix(0x2545f491, src), dst), proto), ports)) % hops.length];
    const egress = this.iface(nh.interface);
    const gw = nh.gateway;
    if (egress === undefined || (gw !== undefined && gw.length !== 4)) return this.drop(inIdx, DropReason.noRoute);
    const nhAddr = gw === undefined ? dst : i32(gw, 0);
    if (this.tr !== null) {
      this.tr.prefix = route.prefixText;
      this.tr.nextHop = formatAddress(numberToIpv4(nhAddr));
      this.tr.egress = egress.name;
    }
    if (!egress.up) return this.drop(inIdx, DropReason.egressDown);
    if (ttl <= 1) {
      this.icmpError4(buf, ip, total, ICMP4_TIME_EXCEEDED, 'time-exceeded', now);
      return this.drop(inIdx, DropReason.ttlExceeded);
    }
    if (total > egress.mtu && v.dontFragment) {
      this.icmpError4(buf, ip, total, icmp4FragNeeded(egress.mtu), 'fragmentation-needed', now);
      return this.drop(inIdx, DropReason.mtu);
    }
    if (flags & FrameFlag.csumNotReady) {
      if (!completeChecksum(buf, off, ip + hl, ip + total, proto, csumStart, csumOffset)) return this.drop(inIdx, DropReason.checksumOffload);
    }
    this.v4.at(buf, ip).decrementTtl();
    if (total > egress.mtu) return this.fragment4(inIdx, egress, nhAddr, buf, ip, total, now);

    const frameLen = ETH_HLEN + total;
    const mac = this.neighbors.resolve4(egress.index, nhAddr, now);
    copyMac(egress.mac, buf, off + 6);
    if (mac !== null) {
      copyMac(mac, buf, off);
      return this.send(egress.index, buf, off, frameLen);
    }
    return this.enqueue4(inIdx, egress.index, nhAddr, buf.slice(off, off + frameLen), now);
  }

  private fragment4(inIdx: number, egress: IfaceState, nhAddr: number, buf: Uint8Array, ip: number, total: number, now: number): VerdictCode {
    const r = fragmentIpv4(buf.subarray(ip, ip + total), egress.mtu);
    if (!r.ok) return this.drop(inIdx, DropReason.fragmentFailed);
    this.counters.add(egress.index, IfCounter.fragmented);
    if (this.tr !== null) this.tr.fragments = r.value.length;
    const mac = this.neighbors.resolve4(egress.index, nhAddr, now);
    let queued = false;
    let trace: object | null = this.tr;
    for (const piece of r.value) {
      const f = new Uint8Array(ETH_HLEN + piece.length);
      copyMac(egress.mac, f, 6);
      setU16(f, 12, EtherType.IPV4);
      f.set(piece, ETH_HLEN);
      if (mac !== null) {
        copyMac(mac, f, 0);
        this.counters.add(egress.index, IfCounter.forwarded);
        this.counters.add(egress.index, IfCounter.forwardedBytes, f.length);
        this.sink.send(egress.index, f, 0, f.length);
      } else if (this.neighbors.enqueue4(egress.index, nhAddr, f, inIdx, now, trace)) {
        queued = true;
        trace = null;
      } else {
        // Pieces already queued may still go; this one cannot.
        return this.drop(inIdx, DropReason.neighborUnresolved);
      }
    }
    if (queued) {
      this.counters.add(egress.index, IfCounter.queued);
      return this.finish(Verdict.queued, inIdx);
    }
    return this.finish(Verdict.forwarded, inIdx);
  }

  private enqueue4(inIdx: number, egIdx: number, nhAddr: number, frame: Uint8Array, now: number): VerdictCode {
    if (!this.neighbors.enqueue4(egIdx, nhAddr, frame, inIdx, now, this.tr)) return this.drop(inIdx, DropReason.neighborUnresolved);
    this.counters.add(egIdx, IfCounter.queued);
    return this.finish(Verdict.queued, inIdx);
  }

  /** An ICMP error about the IPv4 datagram at `buf[ip, ip + total)`, routed back to its source. */
  private icmpError4(buf: Uint8Array, ip: number, total: number, spec: Icmpv4ErrorSpec, name: string, now: number): void {
    const offending = buf.subarray(ip, ip + total);
    if (icmpv4ErrorSuppressed(offending) !== null) {
      this.counters.countIcmp(IcmpCounter.suppressed);
      return;
    }
    const back = i32(buf, ip + 12);
    const route = this.routes.lookup4(back);
    if (route === undefined || route.nextHops.length === 0) {
      this.counters.countIcmp(IcmpCounter.noRoute);
      return;
    }
    const nh = route.nextHops[0];
    const egress = this.iface(nh.interface);
    const gw = nh.gateway;
    if (egress === undefined || !egress.up || (gw !== undefined && gw.length !== 4)) {
      this.counters.countIcmp(IcmpCounter.noRoute);
      return;
    }
    const nhAddr = gw === undefined ? back : i32(gw, 0);
    const from = sourceFor4(egress, nhAddr);
    if (from === undefined) {
      this.counters.countIcmp(IcmpCounter.noSourceAddress);
      return;
    }
    if (!this.bucket4.take(now)) {
      this.counters.countIcmp(IcmpCounter.rateLimited);
      return;
    }
    const pkt = buildIcmpv4Error(offending, spec, { src: numberToIpv4(from), identification: this.nextId(), maxLength: ICMP4_MAX_ERROR_LENGTH });
    if (!pkt.ok) {
      this.counters.countIcmp(IcmpCounter.suppressed);
      return;
    }
    this.counters.countIcmp(IcmpCounter.sent4);
    if (this.tr !== null) this.tr.icmp = name;
    const f = new Uint8Array(ETH_HLEN + pkt.value.length);
    copyMac(egress.mac, f, 6);
    setU16(f, 12, EtherType.IPV4);
    f.set(pkt.value, ETH_HLEN);
    this.counters.add(egress.index, IfCounter.originated);
    const mac = this.neighbors.resolve4(egress.index, nhAddr, now);
    if (mac !== null) {
      copyMac(mac, f, 0);
      this.sink.send(egress.index, f, 0, f.length);
    } else {
      // A lost error is not counted as a drop of the offending packet, which has its own reason.
      this.neighbors.enqueue4(egress.index, nhAddr, f, egress.index, now);
    }
  }

  // --------------------------------------------------------------- IPv6

  private forward6(iface: IfaceState, buf: Uint8Array, off: number, len: number, flags: number, csumStart: number, csumOffset: number, now: number): VerdictCode {
    const inIdx = iface.index;
    const ip = off + ETH_HLEN;
    const v = this.v6.at(buf, ip);
    const bad = v.validate(len - ETH_HLEN);
    if (bad !== null) {
      return this.drop(inIdx, bad === Ipv6Error.TRUNCATED ? DropReason.ip6Short : bad === Ipv6Error.BAD_VERSION ? DropReason.ip6BadVersion : DropReason.ip6BadLength);
    }
    const total = v.totalLength;
    const s0 = i32(buf, ip + 8), s1 = i32(buf, ip + 12), s2 = i32(buf, ip + 16), s3 = i32(buf, ip + 20);
    const d0 = i32(buf, ip + 24), d1 = i32(buf, ip + 28), d2 = i32(buf, ip + 32), d3 = i32(buf, ip + 36);
    const hop = v.hopLimit;
    let proto = v.nextHeader;
    let sport = -1, dport = -1;
    if (v.walk() === null) {
      proto = v.upperProtocol;
      if ((proto === IpProtocol.UDP || proto === IpProtocol.TCP) && v.fragmentOffset8 <= 0 && v.upperOffset + 4 <= ip + total) {
        sport = getU16(buf, v.upperOffset);
        dport = getU16(buf, v.upperOffset + 2);
      }
    }
    const upperOffset = v.upperOffset;
    if (this.traceFilter !== null && this.traceFilter.allows6 && this.traceFilter.match6([s0, s1, s2, s3], [d0, d1, d2, d3], proto, sport, dport)) {
      this.tr = {
        ingress: iface.name, family: 6, src: formatAddress(wordsToIpv6([s0, s1, s2, s3])), dst: formatAddress(wordsToIpv6([d0, d1, d2, d3])),
        protocol: proto, srcPort: sport, dstPort: dport, ttl: hop,
      };
    }
    if (this.isOwn6(d0, d1, d2, d3)) return this.kernel(inIdx);
    // Multicast (ff00::/8) and link-local (fe80::/10) destinations are link-scoped: the kernel's.
    if (d0 >>> 24 === 0xff || d0 >>> 22 === 0x3fa) return this.kernel(inIdx);
    // Unspecified, loopback, IPv4-mapped (::ffff:0:0/96, RFC 4291 §2.5.5.2: never on the wire).
    if (((d0 | d1 | d2) === 0 && (d3 === 0 || d3 === 1)) || ((d0 | d1) === 0 && d2 === 0xffff)) return this.drop(inIdx, DropReason.martianDestination);
    if (((s0 | s1 | s2) === 0 && (s3 === 0 || s3 === 1)) || ((s0 | s1) === 0 && s2 === 0xffff) || s0 >>> 24 === 0xff || this.isOwn6(s0, s1, s2, s3)) {
      return this.drop(inIdx, DropReason.martianSource);
    }
    if (s0 >>> 22 === 0x3fa) return this.drop(inIdx, DropReason.linkLocal);
    if (flags & FrameFlag.gso) return this.drop(inIdx, DropReason.gso);

    const route = this.routes.lookup6(d0, d1, d2, d3);
    if (route === undefined || route.nextHops.length === 0) {
      this.icmpError6(buf, ip, total, ICMP6_NO_ROUTE, 'no-route', now);
      return this.drop(inIdx, DropReason.noRoute);
    }
    const hops = route.nextHops;
    let nh = hops[0];
    if (hops.length > 1) {
      let h = mix(mix(mix(mix(0x2545f491, s0), s1), s2), s3);
      h = mix(mix(mix(mix(h, d0), d1), d2), d3);
      h = mix(mix(mix(h, v.flowLabel), proto), v.fragmentOffset8 >= 0 ? 0 : (sport << 16) | (dport & 0xffff));
      nh = hops[fmix(h) % hops.length];
    }
    const egress = this.iface(nh.interface);
    const gw = nh.gateway;
    if (egress === undefined || (gw !== undefined && gw.length !== 16)) return this.drop(inIdx, DropReason.noRoute);
    let n0 = d0, n1 = d1, n2 = d2, n3 = d3;
    if (gw !== undefined) {
      n0 = i32(gw, 0); n1 = i32(gw, 4); n2 = i32(gw, 8); n3 = i32(gw, 12);
    }
    if (this.tr !== null) {
      this.tr.prefix = route.prefixText;
      this.tr.nextHop = formatAddress(wordsToIpv6([n0, n1, n2, n3]));
      this.tr.egress = egress.name;
    }
    if (!egress.up) return this.drop(inIdx, DropReason.egressDown);
    if (hop <= 1) {
      this.icmpError6(buf, ip, total, ICMP6_TIME_EXCEEDED, 'time-exceeded', now);
      return this.drop(inIdx, DropReason.ttlExceeded);
    }
    if (total > egress.mtu) {
      this.icmpError6(buf, ip, total, icmp6PacketTooBig(egress.mtu), 'packet-too-big', now);
      return this.drop(inIdx, DropReason.mtu);
    }
    if (flags & FrameFlag.csumNotReady) {
      if (!completeChecksum(buf, off, upperOffset >= 0 ? upperOffset : ip + Ipv6Field.HEADER_LEN, ip + total, proto, csumStart, csumOffset)) {
        return this.drop(inIdx, DropReason.checksumOffload);
      }
    }
    buf[ip + Ipv6Field.HOP_LIMIT] = hop - 1;
    const frameLen = ETH_HLEN + total;
    const mac = this.neighbors.resolve6(egress.index, n0, n1, n2, n3, now);
    copyMac(egress.mac, buf, off + 6);
    if (mac !== null) {
      copyMac(mac, buf, off);
      return this.send(egress.index, buf, off, frameLen);
    }
    if (!this.neighbors.enqueue6(egress.index, n0, n1, n2, n3, buf.slice(off, off + frameLen), inIdx, now, this.tr)) {
      return this.drop(inIdx, DropReason.neighborUnresolved);
    }
    this.counters.add(egress.index, IfCounter.queued);
    return this.finish(Verdict.queued, inIdx);
  }

  private isOwn6(d0: number, d1: number, d2: number, d3: number): boolean {
    const o = this.own6;
    for (let i = 0; i < o.length; i += 4) if (o[i] === d0 && o[i + 1] === d1 && o[i + 2] === d2 && o[i + 3] === d3) return true;
    return false;
  }

  private icmpError6(buf: Uint8Array, ip: number, total: number, spec: Icmpv6ErrorSpec, name: string, now: number): void {
    const offending = buf.subarray(ip, ip + total);
    if (icmpv6ErrorSuppressed(offending, spec.kind, spec.kind === 'packet-too-big' ? 0 : spec.code) !== null) {
      this.counters.countIcmp(IcmpCounter.suppressed);
      return;
    }
    const b0 = i32(buf, ip + 8), b1 = i32(buf, ip + 12), b2 = i32(buf, ip + 16), b3 = i32(buf, ip + 20);
    const route = this.routes.lookup6(b0, b1, b2, b3);
    if (route === undefined || route.nextHops.length === 0) {
      this.counters.countIcmp(IcmpCounter.noRoute);
      return;
    }
    const nh = route.nextHops[0];
    const egress = this.iface(nh.interface);
    const gw = nh.gateway;
    if (egress === undefined || !egress.up || (gw !== undefined && gw.length !== 16)) {
      this.counters.countIcmp(IcmpCounter.noRoute);
      return;
    }
    let n0 = b0, n1 = b1, n2 = b2, n3 = b3;
    if (gw !== undefined) {
      n0 = i32(gw, 0); n1 = i32(gw, 4); n2 = i32(gw, 8); n3 = i32(gw, 12);
    }
    const from = sourceFor6(egress, b0);
    if (from === undefined) {
      this.counters.countIcmp(IcmpCounter.noSourceAddress);
      return;
    }
    if (!this.bucket6.take(now)) {
      this.counters.countIcmp(IcmpCounter.rateLimited);
      return;
    }
    const pkt = buildIcmpv6Error(offending, spec, { src: from, maxLength: ICMP6_MAX_ERROR_LENGTH });
    if (!pkt.ok) {
      this.counters.countIcmp(IcmpCounter.suppressed);
      return;
    }
    this.counters.countIcmp(IcmpCounter.sent6);
    if (this.tr !== null) this.tr.icmp = name;
    const f = new Uint8Array(ETH_HLEN + pkt.value.length);
    copyMac(egress.mac, f, 6);
    setU16(f, 12, EtherType.IPV6);
    f.set(pkt.value, ETH_HLEN);
    this.counters.add(egress.index, IfCounter.originated);
    const mac = this.neighbors.resolve6(egress.index, n0, n1, n2, n3, now);
    if (mac !== null) {
      copyMac(mac, f, 0);
      this.sink.send(egress.index, f, 0, f.length);
    } else {
      this.neighbors.enqueue6(egress.index, n0, n1, n2, n3, f, egress.index, now);
    }
  }

  // ------------------------------------------------------------ helpers

  private nextId(): number {
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    return id;
  }

  private send(egIdx: number, buf: Uint8Array, off: number, len: number): VerdictCode {
    this.counters.add(egIdx, IfCounter.forwarded);
    this.counters.add(egIdx, IfCounter.forwardedBytes, len);
    this.sink.send(egIdx, buf, off, len);
    return this.tr === null ? Verdict.forwarded : this.finish(Verdict.forwarded, -1);
  }

  private kernel(ifIndex: number): VerdictCode {
    this.counters.add(ifIndex, IfCounter.toKernel);
    return this.tr === null ? Verdict.kernel : this.finish(Verdict.kernel, ifIndex);
  }

  private drop(ifIndex: number, reason: number): VerdictCode {
    this.counters.drop(ifIndex, reason);
    this.lastDrop = reason;
    if (this.tr !== null) this.emitTrace('drop', DROP_REASON_NAMES[reason]);
    return Verdict.dropped;
  }

  private finish(verdict: VerdictCode, _ifIndex: number): VerdictCode {
    if (this.tr !== null) this.emitTrace(verdict === Verdict.forwarded ? 'forward' : verdict === Verdict.queued ? 'queued' : 'kernel', undefined);
    return verdict;
  }

  private emitTrace(action: TraceAction, reason: string | undefined): void {
    const t = this.tr;
    this.tr = null;
    if (t === null || this.onTrace === undefined) return;
    const r: { -readonly [K in keyof TraceRecord]: TraceRecord[K] } = {
      t: 0, ingress: t.ingress, family: t.family, src: t.src, dst: t.dst, protocol: t.protocol, ttl: t.ttl, action,
    };
    if (t.srcPort >= 0) r.srcPort = t.srcPort;
    if (t.dstPort >= 0) r.dstPort = t.dstPort;
    if (reason !== undefined) r.reason = reason;
    if (t.prefix !== undefined) r.prefix = t.prefix;
    if (t.nextHop !== undefined) r.nextHop = t.nextHop;
    if (t.egress !== undefined) r.egress = t.egress;
    if (t.icmp !== undefined) r.icmp = t.icmp;
    if (t.fragments !== undefined) r.fragments = t.fragments;
    r.t = this.clock;
    this.onTrace(r);
  }
}

/**
 * Four bytes as a signed 32-bit integer. Addresses stay int32 on the hot
 * path: V8 keeps those unboxed, while an unsigned value of 2^31 or more is a
 * heap number allocated on every call that is not inlined.
 */
function i32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function copyMac(mac: Uint8Array, to: Uint8Array, at: number): void {
  to[at] = mac[0]; to[at + 1] = mac[1]; to[at + 2] = mac[2]; to[at + 3] = mac[3]; to[at + 4] = mac[4]; to[at + 5] = mac[5];
}

/** RFC 1812 §4.3.2.4: an address of the interface the error leaves by (the one on the next hop's subnet when there is one). */
function sourceFor4(egress: IfaceState, nhAddr: number): number | undefined {
  const list = egress.ipv4;
  for (const a of list) if (a.len === 0 || ((a.addr ^ nhAddr) >>> (32 - a.len)) === 0) return a.addr;
  return list.length > 0 ? list[0].addr : undefined;
}

/** A global address of the egress interface (link-local only when it has nothing else). */
function sourceFor6(egress: IfaceState, _dst0: number): Uint8Array | undefined {
  for (const a of egress.ipv6) if (a.words[0] >>> 22 !== 0x3fa) return a.bytes;
  return egress.ipv6.length > 0 ? egress.ipv6[0].bytes : undefined;
}

/**
 * Completes a transport checksum left partial by checksum offload
 * (CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum). The
 * range runs from `csumStart` (frame-relative) to the end of the IP packet;
 * without offsets from the socket, UDP's and TCP's own fields are used.
 */
export function completeChecksum(
  buf: Uint8Array, frameOff: number, l4: number, ipEnd: number, proto: number, csumStart: number, csumOffset: number,
): boolean {
  let start: number, field: number;
  if (csumStart >= 0 && csumOffset >= 0) {
    start = frameOff + csumStart;
    field = start + csumOffset;
  } else if (proto === IpProtocol.UDP) {
    start = l4;
    field = l4 + 6;
  } else if (proto === IpProtocol.TCP) {
    start = l4;
    field = l4 + 16;
  } else {
    return false;
  }
  if (start < l4 || field + 2 > ipEnd || start >= ipEnd) return false;
  let c = ~fold(sum16(buf, start, ipEnd)) & 0xffff;
  if (c === 0 && proto === IpProtocol.UDP) c = 0xffff;
  setU16(buf, field, c);
  return true;
}
