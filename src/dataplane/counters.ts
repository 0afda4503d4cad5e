/**
 * Data-plane counters: what the forwarding pipeline did with every frame, per
 * interface and per reason.
 *
 * Owns: the table of drop reasons (`DropReason`, names as `show counters`
 * prints them), the per-interface event counters (`IfCounter`), the ICMP
 * error counters (`IcmpCounter`), and `DataplaneCounters`, flat Float64Arrays
 * indexed by interface and reason so that counting on the hot path is one
 * array increment and never allocates. `snapshot()` turns them into plain
 * objects for the control channel.
 *
 * Every frame the pipeline sees ends in exactly one of: forwarded (or queued
 * for neighbour resolution, counted as forwarded or as
 * `neighbor-unresolved` once that resolves), handed to the kernel, or
 * dropped under exactly one `DropReason`.
 *
 * Does NOT count: frames the kernel itself drops (see the FramePort counters),
 * bytes per reason.
 */

/** Why a frame was not forwarded. Values index the counter arrays; names are for display. */
export const DropReason = {
  otherHost: 0,
  truncated: 1,
  gso: 2,
  ingressDown: 3,
  ipShort: 4,
  ipBadVersion: 5,
  ipBadIhl: 6,
  ipBadLength: 7,
  ipBadChecksum: 8,
  ip6Short: 9,
  ip6BadVersion: 10,
  ip6BadLength: 11,
  martianSource: 12,
  martianDestination: 13,
  linkLocal: 14,
  ttlExceeded: 15,
  noRoute: 16,
  neighborUnresolved: 17,
  mtu: 18,
  fragmentFailed: 19,
  egressDown: 20,
  checksumOffload: 21,
  runt: 22,
} as const;
export type DropReasonCode = (typeof DropReason)[keyof typeof DropReason];

export const DROP_REASON_NAMES: readonly string[] = [
  'other-host', 'truncated', 'gso', 'ingress-down',
  'ip-short', 'ip-bad-version', 'ip-bad-ihl', 'ip-bad-length', 'ip-bad-checksum',
  'ip6-short', 'ip6-bad-version', 'ip6-bad-length',
  'martian-source', 'martian-destination', 'link-local',
  'ttl-exceeded', 'no-route', 'neighbor-unresolved', 'mtu', 'fragment-failed',
  'egress-down', 'checksum-offload', 'runt',
];
export const DROP_REASON_COUNT = DROP_REASON_NAMES.length;

/** Per-interface events (rx counters on the ingress interface, forwarded on the egress one). */
export const IfCounter = {
  rxFrames: 0,
  rxBytes: 1,
  /** Frames left to the kernel (own addresses, ARP/ND, link-layer group frames, other protocols). */
  toKernel: 2,
  dropped: 3,
  /** Transit frames sent out of this interface (fragments count one each). */
  forwarded: 4,
  forwardedBytes: 5,
  /** Packets that waited for neighbour resolution on this interface. */
  queued: 6,
  /** Datagrams fragmented on the way out of this interface. */
  fragmented: 7,
  arpRequestsSent: 8,
  neighborSolicitsSent: 9,
  /** Frames our own code originated on this interface (ICMP errors, ARP, NS). */
  originated: 10,
} as const;
export const IF_COUNTER_NAMES: readonly string[] = [
  'rxFrames', 'rxBytes', 'toKernel', 'dropped', 'forwarded', 'forwardedBytes', 'queued', 'fragmented',
  'arpRequestsSent', 'neighborSolicitsSent', 'originated',
];
const IF_COUNTER_COUNT = IF_COUNTER_NAMES.length;

/** ICMP/ICMPv6 errors: sent, and the reasons one was not. */
export const IcmpCounter = {
  sent4: 0,
  sent6: 1,
  rateLimited: 2,
  /** RFC 1812 §4.3.2.7 / RFC 4443 §2.4(e): about an ICMP error, a fragment, a group address, an invalid source. */
  suppressed: 3,
  /** No route back to the offending packet's source. */
  noRoute: 4,
  /** The interface toward the source has no address of the family to send from. */
  noSourceAddress: 5,
} as const;
export const ICMP_COUNTER_NAMES: readonly string[] = ['sent4', 'sent6', 'rateLimited', 'suppressed', 'noRoute', 'noSourceAddress'];

export interface InterfaceCountersSnapshot {
  readonly name: string;
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly toKernel: number;
  readonly dropped: number;
  readonly forwarded: number;
  readonly forwardedBytes: number;
  readonly queued: number;
  readonly fragmented: number;
  readonly arpRequestsSent: number;
  readonly neighborSolicitsSent: number;
  readonly originated: number;
  /** Non-zero drop reasons of frames received on this interface (egress reasons count on the ingress). */
  readonly drops: Readonly<Record<string, number>>;
}

export interface CountersSnapshot {
  readonly interfaces: readonly InterfaceCountersSnapshot[];
  /** Every drop reason (zeros included), summed over interfaces. */
  readonly drops: Readonly<Record<string, number>>;
  readonly icmp: Readonly<Record<string, number>>;
}

export class DataplaneCounters {
  readonly ifc: Float64Array;
  readonly drops: Float64Array;
  readonly icmp = new Float64Array(ICMP_COUNTER_NAMES.length);

  constructor(readonly names: readonly string[]) {
    this.ifc = new Float64Array(names.length * IF_COUNTER_COUNT);
    this.drops = new Float64Array(names.length * DROP_REASON_COUNT);
  }

  add(ifIndex: number, counter: number, n = 1): void {
    this.ifc[ifIndex * IF_COUNTER_COUNT + counter] += n;
  }

  get(ifIndex: number, counter: number): number {
    return this.ifc[ifIndex * IF_COUNTER_COUNT + counter];
  }

  drop(ifIndex: number, reason: number): void {
    this.drops[ifIndex * DROP_REASON_COUNT + reason]++;
    this.ifc[ifIndex * IF_COUNTER_COUNT + IfCounter.dropped]++;
  }

  dropCount(reason: number, ifIndex = -1): number {
    if (ifIndex >= 0) return this.drops[ifIndex * DROP_REASON_COUNT + reason];
    let n = 0;
    for (let i = 0; i < this.names.length; i++) n += this.drops[i * DROP_REASON_COUNT + reason];
    return n;
  }

  /** Sum of every drop reason over every interface. */
  totalDrops(): number {
    let n = 0;
    for (let i = 0; i < this.drops.length; i++) n += this.drops[i];
    return n;
  }

  countIcmp(counter: number): void {
    this.icmp[counter]++;
  }

  snapshot(): CountersSnapshot {
    const interfaces: InterfaceCountersSnapshot[] = this.names.map((name, i) => {
      const o: Record<string, unknown> = { name };
      IF_COUNTER_NAMES.forEach((c, k) => { o[c] = this.ifc[i * IF_COUNTER_COUNT + k]; });
      const d: Record<string, number> = {};
      DROP_REASON_NAMES.forEach((r, k) => {
        const v = this.drops[i * DROP_REASON_COUNT + k];
        if (v !== 0) d[r] = v;
      });
      o.drops = d;
      return o as unknown as InterfaceCountersSnapshot;
    });
    const drops: Record<string, number> = {};
    DROP_REASON_NAMES.forEach((r, k) => { drops[r] = this.dropCount(k); });
    const icmp: Record<string, number> = {};
    ICMP_COUNTER_NAMES.forEach((c, k) => { icmp[c] = this.icmp[k]; });
    return { interfaces, drops, icmp };
  }
}
