/**
 * The data plane's edge: the forwarding pipeline (forward.ts) wired to real
 * ports (a FrameIo: AF_PACKET in a router namespace, in-memory in tests),
 * timers and the router process.
 *
 * Usage (src/router/main.ts):
 *
 *   const dp = new Dataplane({
 *     io: new LinuxFrameIo(),                   // or a MemoryFrameIo
 *     interfaces: [{ name: 'r1-eth0', ipv4: ['10.0.0.1/31'], ipv6: ['2001:db8::1/127'] }],
 *     routes,                                   // a RouteLookup over the router's FIB (src/router/fib-lookup.ts)
 *     icmpRateLimit: { enabled: true, perSecond: 100, burst: 50 },   // optional
 *     onTrace: (record) => events.emit('trace', record),             // optional
 *   });
 *   dp.counters(); dp.neighbors(); dp.setTraceFilter({ protocol: 17, dstPort: 33434 });
 *   dp.setInterfaceUp('r1-eth0', false); dp.close();
 *
 * The constructor opens one port per interface (MAC and, unless given, MTU
 * come from the port), hands every received batch to the pipeline, and
 * starts the neighbour timer (`tickMs`, unref'd so it never keeps the
 * process alive). Frames are sent only on interfaces that are up;
 * `setInterfaceUp(name, false)` also flushes that interface's neighbours.
 * Time is `performance.now()` (monotonic ms) unless `now` is given.
 *
 * The namespace's kernel sees every frame too. It must have forwarding off
 * (both families) and a route for every destination (the router's FIB
 * copy, plus `ip -6 route add blackhole default metric 4294967295`): an IPv6
 * kernel without a route answers a transit packet with its own ICMPv6 "no
 * route", forwarding off or not, doubling ours (measured here; IPv4 stays
 * silent).
 *
 * Not here: the route lookup (the router builds it over its FIB), reading
 * link state (the router's link monitor calls setInterfaceUp), the control
 * channel (the router maps its commands onto these methods).
 */
import { performance } from 'node:perf_hooks';
import type { FrameIo, FramePort, FramePortCounters, OpenOptions } from './frame-io.js';
import { Forwarder, makeInterfaces, type RouteLookup } from './forward.js';
import type { CountersSnapshot } from './counters.js';
import type { NeighborInfo, NeighborOptions } from './neighbors.js';
import type { IcmpRateLimit } from './icmp-errors.js';
import type { TraceFilter, TraceRecord } from './trace.js';

export type { RouteLookup, RouteResult, NextHop } from './forward.js';
export type { TraceFilter, TraceRecord } from './trace.js';
export type { IcmpRateLimit } from './icmp-errors.js';
export type { NeighborInfo, NeighborOptions } from './neighbors.js';
export type { CountersSnapshot } from './counters.js';

export interface DataplaneInterface {
  readonly name: string;
  /** Addresses with prefix lengths: "10.0.0.1/24". */
  readonly ipv4?: readonly string[];
  readonly ipv6?: readonly string[];
  /** IP MTU; default the port's (the kernel's) MTU. */
  readonly mtu?: number;
}

export interface DataplaneOptions {
  readonly io: FrameIo;
  readonly interfaces: readonly DataplaneInterface[];
  readonly routes: RouteLookup;
  readonly icmpRateLimit?: IcmpRateLimit;
  readonly neighbor?: NeighborOptions;
  /** Passed to FrameIo.open for every port. */
  readonly openOptions?: OpenOptions;
  /** Neighbour timer period in ms (default 200). */
  readonly tickMs?: number;
  readonly now?: () => number;
  readonly onTrace?: (record: TraceRecord) => void;
}

export interface DataplaneCountersSnapshot extends CountersSnapshot {
  /** The ports' own counters (frames, batches, kernel drops), by interface name. */
  readonly ports: Readonly<Record<string, FramePortCounters>>;
}

export class Dataplane {
  private readonly forwarder: Forwarder;
  private readonly ports: FramePort[];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: DataplaneOptions) {
    this.now = opts.now ?? (() => performance.now());
    const ports: FramePort[] = [];
    try {
      for (const i of opts.interfaces) ports.push(opts.io.open(i.name, opts.openOptions));
    } catch (e) {
      for (const p of ports) p.close();
      throw e;
    }
    this.ports = ports;
    const ifaces = makeInterfaces(opts.interfaces.map((i, k) => ({
      name: i.name, mac: ports[k].mac, mtu: i.mtu ?? ports[k].mtu, ipv4: i.ipv4, ipv6: i.ipv6,
    })));
    const sink = {
      send: (ifIndex: number, frame: Uint8Array, offset: number, length: number): void => {
        if (ifaces[ifIndex].up) ports[ifIndex].send(frame, length, offset);
      },
    };
    this.forwarder = new Forwarder({
      interfaces: ifaces, routes: opts.routes, sink, neighbor: opts.neighbor, icmpRateLimit: opts.icmpRateLimit, onTrace: opts.onTrace,
    });
    ports.forEach((p, k) => p.onFrames((batch) => this.forwarder.processBatch(k, batch, this.now())));
    this.timer = setInterval(() => {
      this.forwarder.tick(this.now());
      opts.io.flushAll();
    }, opts.tickMs ?? 200);
    this.timer.unref();
  }

  /** Per-interface and per-reason counters, ICMP error counters, port counters. */
  counters(): DataplaneCountersSnapshot {
    const ports: Record<string, FramePortCounters> = {};
    for (const p of this.ports) ports[p.name] = p.counters();
    return { ...this.forwarder.counters.snapshot(), ports };
  }

  /** The neighbour table (`show arp` / `show ndp`). */
  neighbors(): NeighborInfo[] {
    return this.forwarder.neighbors.list(this.now());
  }

  /** Sets the trace filter (null clears it); an error names what could not be read. */
  setTraceFilter(f: TraceFilter | null): { ok: true } | { ok: false; error: string } {
    const r = this.forwarder.setTraceFilter(f);
    return r.ok ? { ok: true } : { ok: false, error: r.error };
  }

  /** Receives a record per traced packet. */
  set onTrace(h: ((record: TraceRecord) => void) | undefined) {
    this.forwarder.setTraceHandler(h);
  }

  setIcmpRateLimit(limit: IcmpRateLimit): void {
    this.forwarder.setIcmpRateLimit(limit);
  }

  /** Link state from the router's link monitor; false when the interface is not ours. */
  setInterfaceUp(name: string, up: boolean): boolean {
    const k = this.forwarder.interfaceIndex(name);
    if (k < 0) return false;
    this.forwarder.setInterfaceUp(k, up);
    return true;
  }

  /** The pipeline itself (tests, benchmarks). */
  get pipeline(): Forwarder {
    return this.forwarder;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const p of this.ports) {
      p.onFrames(null);
      p.close();
    }
  }
}
