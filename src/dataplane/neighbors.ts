/**
 * The data plane's own neighbour table: ARP (RFC 826) for IPv4 next hops and
 * Neighbor Discovery (RFC 4861 §7.2) for IPv6 ones. The namespace's kernel
 * does not resolve next hops for frames it never routes, so the forwarding
 * pipeline asks here.
 *
 * Pure: time comes in as `now` (ms) and frames go out through a `FrameSink`;
 * the edge (dataplane.ts) calls `tick(now)` from a timer. The pipeline
 * hands every received ARP packet and NS/NA here (`inputArp`, `inputNd`):
 * the kernel receives them too and answers for the router's addresses.
 *
 * States, simplified from RFC 4861 §7.3.2:
 *   incomplete — a request (ARP who-has, broadcast; NS to the solicited-node
 *     group) went out; packets wait in a queue capped per entry and in total;
 *     re-sent every `retransMs`, given up after `maxProbes` (queued packets
 *     dropped, counted as `neighbor-unresolved`, the entry removed);
 *   reachable — an answer arrived less than `reachableMs` ago;
 *   stale — older: still used, and each use re-sends a request at most once
 *     per `retransMs`; after `maxProbes` unanswered ones, incomplete again
 *     (packets wait, then the give-up above); an unused stale entry is
 *     removed when no answer came for `reachableMs + staleMs`.
 * Learning: a reply (ARP reply, NA with a target link-layer option) for an
 * address we asked about, or addressed to one of our own addresses, creates
 * or updates an entry; a request addressed to one of our addresses creates
 * or updates the sender's entry (RFC 826 merge, RFC 4861 §7.2.3); any other
 * ARP/ND packet only refreshes an existing entry. Our requests carry the
 * interface's MAC and an address of that interface (the one whose subnet
 * covers the target when there is one; for NS a link-local one otherwise).
 *
 * Not supported: unicast probes and the DELAY/PROBE states, NUD hints from
 * upper layers, the NA router/override flags (an answer always overrides),
 * proxy ARP/ND, DAD (the kernel does that for its own addresses).
 */
import { getU16, getU32, setU16, setU32 } from '../lib/bytes.js';
import { formatMac, BROADCAST_MAC } from '../lib/mac.js';
import { formatAddress, numberToIpv4, wordsToIpv6 } from '../lib/prefix.js';
import { ArpOp, ArpField, ArpView } from '../packet/arp.js';
import { EtherType } from '../packet/ethernet.js';
import { Icmpv6Field, Icmpv6Type, Icmpv6View, NdpOptionType, emitIcmpv6Into } from '../packet/icmpv6.js';
import { IpProtocol } from '../packet/ip-protocol.js';
import { Ipv6Field, emitIpv6Header } from '../packet/ipv6.js';
import { DataplaneCounters, DropReason, IfCounter } from './counters.js';
import type { FrameSink, IfaceState } from './forward.js';

export interface NeighborOptions {
  /** How long an answer keeps an entry reachable (RFC 4861 REACHABLE_TIME 30 s). */
  readonly reachableMs?: number;
  /** How long a stale entry is kept without an answer before it is removed. */
  readonly staleMs?: number;
  /** Interval between requests for one address (RFC 4861 RETRANS_TIMER 1 s). */
  readonly retransMs?: number;
  /** Requests before giving up (RFC 4861 MAX_MULTICAST_SOLICIT 3). */
  readonly maxProbes?: number;
  /** Packets queued per unresolved address (Linux: unres_qlen). */
  readonly maxPendingPerEntry?: number;
  /** Packets queued over all unresolved addresses. */
  readonly maxPendingTotal?: number;
}

export const NeighborState = { incomplete: 'incomplete', reachable: 'reachable', stale: 'stale' } as const;
export type NeighborStateName = (typeof NeighborState)[keyof typeof NeighborState];

export interface NeighborInfo {
  readonly interface: string;
  readonly family: 4 | 6;
  readonly address: string;
  /** Empty while incomplete. */
  readonly mac: string;
  readonly state: NeighborStateName;
  /** Milliseconds since the last answer (or since the first request while incomplete). */
  readonly ageMs: number;
  readonly pending: number;
}

interface Pending {
  readonly frame: Uint8Array;
  readonly ingress: number;
  /** Opaque trace state of a traced packet (handed back through `onGiveUp`), else null. */
  readonly trace: object | null;
}

interface Entry {
  readonly family: 4 | 6;
  readonly ifIndex: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly mac: Uint8Array;
  state: NeighborStateName;
  confirmedAt: number;
  probeAt: number;
  probes: number;
  pending: Pending[];
}

const ETH_HLEN = 14;
const ARP_FRAME_LEN = 60; // minimum Ethernet frame without FCS, ARP padded
const NS_LEN = 32; // 24 + one 8-byte source link-layer address option

function hash6(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ w3 ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export class NeighborTable {
  /** Keyed by the address as a signed 32-bit value (a Smi, cheap to hash). */
  private readonly v4: Map<number, Entry>[];
  private readonly v6: Map<number, Entry[]>[];
  private pendingTotal = 0;
  private readonly arp = new ArpView();
  private readonly icmp6 = new Icmpv6View();
  /** Called for each traced packet dropped because its next hop never answered. */
  onGiveUp: ((trace: object, now: number) => void) | undefined;
  readonly reachableMs: number;
  readonly staleMs: number;
  readonly retransMs: number;
  readonly maxProbes: number;
  readonly maxPendingPerEntry: number;
  readonly maxPendingTotal: number;

  constructor(
    private readonly ifaces: readonly IfaceState[],
    private readonly sink: FrameSink,
    private readonly counters: DataplaneCounters,
    options: NeighborOptions = {},
  ) {
    this.reachableMs = options.reachableMs ?? 30_000;
    this.staleMs = options.staleMs ?? 60_000;
    this.retransMs = options.retransMs ?? 1_000;
    this.maxProbes = options.maxProbes ?? 3;
    this.maxPendingPerEntry = options.maxPendingPerEntry ?? 16;
    this.maxPendingTotal = options.maxPendingTotal ?? 1024;
    this.v4 = ifaces.map(() => new Map());
    this.v6 = ifaces.map(() => new Map());
  }

  // ------------------------------------------------------------- lookups

  /** The MAC of a usable (reachable or stale) IPv4 neighbour, or null. A stale entry is re-probed. */
  resolve4(ifIndex: number, addr: number, now: number): Uint8Array | null {
    const e = this.v4[ifIndex].get(addr | 0);
    if (e === undefined || e.state === NeighborState.incomplete || !this.use(e, now)) return null;
    return e.mac;
  }

  resolve6(ifIndex: number, w0: number, w1: number, w2: number, w3: number, now: number): Uint8Array | null {
    const e = this.find6(ifIndex, w0, w1, w2, w3);
    if (e === undefined || e.state === NeighborState.incomplete || !this.use(e, now)) return null;
    return e.mac;
  }

  /**
   * Queue a frame (owned by the table from now on; its destination MAC is
   * filled in on resolution) until `addr` answers; sends the first request.
   * False when it cannot wait (queue full, no source address): the caller
   * counts the drop.
   */
  enqueue4(ifIndex: number, addr: number, frame: Uint8Array, ingress: number, now: number, trace: object | null = null): boolean {
    let e = this.v4[ifIndex].get(addr | 0);
    if (e === undefined) {
      if (this.arpSource(ifIndex, addr) === 0) return false;
      e = this.create(4, ifIndex, addr, 0, 0, 0, now);
      this.v4[ifIndex].set(addr | 0, e);
      this.probe(e, now);
    }
    return this.push(e, { frame, ingress, trace });
  }

  enqueue6(ifIndex: number, w0: number, w1: number, w2: number, w3: number, frame: Uint8Array, ingress: number, now: number, trace: object | null = null): boolean {
    let e = this.find6(ifIndex, w0, w1, w2, w3);
    if (e === undefined) {
      if (this.nsSource(ifIndex, w0, w1, w2, w3) === undefined) return false;
      e = this.create(6, ifIndex, w0, w1, w2, w3, now);
      const h = hash6(w0, w1, w2, w3);
      const chain = this.v6[ifIndex].get(h);
      if (chain) chain.push(e);
      else this.v6[ifIndex].set(h, [e]);
      this.probe(e, now);
    }
    return this.push(e, { frame, ingress, trace });
  }

  private push(e: Entry, p: Pending): boolean {
    if (e.state !== NeighborState.incomplete) {
      // Resolved in the meantime: send at once.
      this.deliver(e, p);
      return true;
    }
    if (e.pending.length >= this.maxPendingPerEntry || this.pendingTotal >= this.maxPendingTotal) return false;
    e.pending.push(p);
    this.pendingTotal++;
    return true;
  }

  // --------------------------------------------------------------- input

  /**
   * An ARP packet received on `ifIndex` (both requests and replies; the
   * kernel answers them): the sender is learned (RFC 826 merge), an entry
   * created only when the packet is addressed to one of our addresses there.
   */
  inputArp(ifIndex: number, buf: Uint8Array, at: number, len: number, now: number): void {
    const a = this.arp.at(buf, at);
    if (!a.isValid(len)) return;
    const op = a.op;
    if (op !== ArpOp.REQUEST && op !== ArpOp.REPLY) return;
    const spa = a.senderIp;
    if (spa === 0 || this.isOurs4(spa)) return;
    this.learn4(ifIndex, spa, buf, at + ArpField.SHA, now, this.isOurs4On(ifIndex, a.targetIp));
  }

  /**
   * An IPv6 packet at `buf[ip, ip + len)` received on `ifIndex`: when it is a
   * neighbour solicitation or advertisement passing the RFC 4861 §7.1 checks
   * (hop limit 255, code 0, checksum), learns the NS's source link-layer
   * option (§7.2.3) or the NA's target link-layer option (§7.2.5). True when
   * the packet was an NS or NA (valid or not): the kernel's to answer.
   */
  inputNd(ifIndex: number, buf: Uint8Array, ip: number, len: number, now: number): boolean {
    if (len < Ipv6Field.HEADER_LEN + 24 || buf[ip] >>> 4 !== 6 || buf[ip + Ipv6Field.NEXT_HEADER] !== IpProtocol.ICMPV6) return false;
    const type = buf[ip + Ipv6Field.HEADER_LEN];
    if (type !== Icmpv6Type.NEIGHBOR_SOLICITATION && type !== Icmpv6Type.NEIGHBOR_ADVERTISEMENT) return false;
    const plen = getU16(buf, ip + Ipv6Field.PAYLOAD_LEN);
    if (Ipv6Field.HEADER_LEN + plen > len || plen < 24) return true;
    if (buf[ip + Ipv6Field.HOP_LIMIT] !== 255 || buf[ip + Ipv6Field.HEADER_LEN + 1] !== 0) return true;
    const m = this.icmp6.at(buf, ip + Ipv6Field.HEADER_LEN);
    if (!m.checksumValid(plen, ip)) return true;
    const tgt = ip + Ipv6Field.HEADER_LEN + Icmpv6Field.TARGET;
    if (type === Icmpv6Type.NEIGHBOR_SOLICITATION) {
      const lla = m.findLinkLayerAddress(NdpOptionType.SOURCE_LLA, plen);
      const s0 = getU32(buf, ip + 8), s1 = getU32(buf, ip + 12), s2 = getU32(buf, ip + 16), s3 = getU32(buf, ip + 20);
      if (lla < 0 || (s0 | s1 | s2 | s3) === 0) return true;
      this.learn6(ifIndex, s0, s1, s2, s3, buf, lla, now, this.isOurs6On(ifIndex, buf, tgt));
    } else {
      const lla = m.findLinkLayerAddress(NdpOptionType.TARGET_LLA, plen);
      if (lla < 0) return true;
      const forUs = this.isOurs6On(ifIndex, buf, ip + Ipv6Field.DST);
      this.learn6(ifIndex, getU32(buf, tgt), getU32(buf, tgt + 4), getU32(buf, tgt + 8), getU32(buf, tgt + 12), buf, lla, now, forUs);
    }
    return true;
  }

  private isOurs4(addr: number): boolean {
    for (const i of this.ifaces) for (const a of i.ipv4) if (a.addr === addr) return true;
    return false;
  }

  private isOurs4On(ifIndex: number, addr: number): boolean {
    for (const a of this.ifaces[ifIndex].ipv4) if (a.addr === addr) return true;
    return false;
  }

  private isOurs6On(ifIndex: number, buf: Uint8Array, at: number): boolean {
    for (const a of this.ifaces[ifIndex].ipv6) {
      if (a.words[0] === getU32(buf, at) && a.words[1] === getU32(buf, at + 4) && a.words[2] === getU32(buf, at + 8) && a.words[3] === getU32(buf, at + 12)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ learning

  /**
   * An IPv4 address was seen at `mac` on `ifIndex` (ARP sender). `create`:
   * make an entry when there is none (the packet was addressed to us).
   */
  learn4(ifIndex: number, addr: number, mac: Uint8Array, macOff: number, now: number, create: boolean): void {
    if (addr === 0) return;
    let e = this.v4[ifIndex].get(addr | 0);
    if (e === undefined) {
      if (!create) return;
      e = this.create(4, ifIndex, addr, 0, 0, 0, now);
      this.v4[ifIndex].set(addr | 0, e);
    }
    this.confirm(e, mac, macOff, now);
  }

  learn6(ifIndex: number, w0: number, w1: number, w2: number, w3: number, mac: Uint8Array, macOff: number, now: number, create: boolean): void {
    if ((w0 | w1 | w2 | w3) === 0) return;
    let e = this.find6(ifIndex, w0, w1, w2, w3);
    if (e === undefined) {
      if (!create) return;
      e = this.create(6, ifIndex, w0, w1, w2, w3, now);
      const h = hash6(w0, w1, w2, w3);
      const chain = this.v6[ifIndex].get(h);
      if (chain) chain.push(e);
      else this.v6[ifIndex].set(h, [e]);
    }
    this.confirm(e, mac, macOff, now);
  }

  /** True when an entry (of any state) exists: lets the pipeline learn replies to its own requests. */
  has4(ifIndex: number, addr: number): boolean {
    return this.v4[ifIndex].has(addr | 0);
  }

  has6(ifIndex: number, w0: number, w1: number, w2: number, w3: number): boolean {
    return this.find6(ifIndex, w0, w1, w2, w3) !== undefined;
  }

  private confirm(e: Entry, mac: Uint8Array, macOff: number, now: number): void {
    for (let i = 0; i < 6; i++) e.mac[i] = mac[macOff + i];
    e.state = NeighborState.reachable;
    e.confirmedAt = now;
    e.probes = 0;
    if (e.pending.length > 0) {
      const q = e.pending;
      e.pending = [];
      this.pendingTotal -= q.length;
      for (const p of q) this.deliver(e, p);
    }
  }

  private deliver(e: Entry, p: Pending): void {
    const f = p.frame;
    for (let i = 0; i < 6; i++) f[i] = e.mac[i];
    this.counters.add(e.ifIndex, IfCounter.forwarded);
    this.counters.add(e.ifIndex, IfCounter.forwardedBytes, f.length);
    this.sink.send(e.ifIndex, f, 0, f.length);
  }

  // -------------------------------------------------------------- timers

  /** Ages entries, re-sends requests, gives up on silent addresses. Call every few hundred ms. */
  tick(now: number): void {
    for (const m of this.v4) for (const [k, e] of m) if (this.age(e, now)) m.delete(k);
    for (const m of this.v6) {
      for (const [h, chain] of m) {
        for (let i = chain.length - 1; i >= 0; i--) if (this.age(chain[i], now)) chain.splice(i, 1);
        if (chain.length === 0) m.delete(h);
      }
    }
  }

  /** True when the entry is to be removed. */
  private age(e: Entry, now: number): boolean {
    if (e.state === NeighborState.incomplete) {
      if (now - e.probeAt < this.retransMs) return false;
      if (e.probes >= this.maxProbes) {
        this.dropPending(e, now);
        return true;
      }
      this.probe(e, now);
      return false;
    }
    const age = now - e.confirmedAt;
    if (e.state === NeighborState.reachable && age > this.reachableMs) e.state = NeighborState.stale;
    return e.state === NeighborState.stale && age > this.reachableMs + this.staleMs;
  }

  private dropPending(e: Entry, now: number): void {
    for (const p of e.pending) {
      this.counters.drop(p.ingress, DropReason.neighborUnresolved);
      if (p.trace !== null) this.onGiveUp?.(p.trace, now);
    }
    this.pendingTotal -= e.pending.length;
    e.pending = [];
  }

  /**
   * A stale entry in use is re-probed once per `retransMs`; after
   * `maxProbes` unanswered probes it goes back to incomplete (false: the
   * caller queues, and the usual give-up follows if nothing answers).
   */
  private use(e: Entry, now: number): boolean {
    if (now - e.confirmedAt <= this.reachableMs) return true;
    e.state = NeighborState.stale;
    if (now - e.probeAt < this.retransMs) return true;
    if (e.probes >= this.maxProbes) {
      e.state = NeighborState.incomplete;
      e.probes = 0;
    }
    this.probe(e, now);
    return e.state === NeighborState.stale;
  }

  /** Removes every entry of an interface (link down), dropping what waited. */
  flushInterface(ifIndex: number, now = 0): void {
    for (const e of this.v4[ifIndex].values()) this.dropPending(e, now);
    for (const chain of this.v6[ifIndex].values()) for (const e of chain) this.dropPending(e, now);
    this.v4[ifIndex].clear();
    this.v6[ifIndex].clear();
  }

  /** Packets waiting for resolution, over all entries. */
  get pendingCount(): number {
    return this.pendingTotal;
  }

  list(now: number): NeighborInfo[] {
    const out: NeighborInfo[] = [];
    const add = (e: Entry): void => {
      const incomplete = e.state === NeighborState.incomplete;
      let state = e.state;
      if (state === NeighborState.reachable && now - e.confirmedAt > this.reachableMs) state = NeighborState.stale;
      out.push({
        interface: this.ifaces[e.ifIndex].name,
        family: e.family,
        address: e.family === 4 ? formatAddress(numberToIpv4(e.w0)) : formatAddress(wordsToIpv6([e.w0, e.w1, e.w2, e.w3])),
        mac: incomplete ? '' : formatMac(e.mac),
        state,
        ageMs: now - (incomplete ? e.probeAt : e.confirmedAt),
        pending: e.pending.length,
      });
    };
    for (const m of this.v4) for (const e of m.values()) add(e);
    for (const m of this.v6) for (const chain of m.values()) for (const e of chain) add(e);
    return out;
  }

  // ------------------------------------------------------------- helpers

  private create(family: 4 | 6, ifIndex: number, w0: number, w1: number, w2: number, w3: number, now: number): Entry {
    return {
      family, ifIndex, w0: w0 >>> 0, w1: w1 >>> 0, w2: w2 >>> 0, w3: w3 >>> 0,
      mac: new Uint8Array(6), state: NeighborState.incomplete, confirmedAt: now, probeAt: now, probes: 0, pending: [],
    };
  }

  private find6(ifIndex: number, w0: number, w1: number, w2: number, w3: number): Entry | undefined {
    const chain = this.v6[ifIndex].get(hash6(w0, w1, w2, w3));
    if (chain === undefined) return undefined;
    for (const e of chain) if (e.w0 === w0 >>> 0 && e.w1 === w1 >>> 0 && e.w2 === w2 >>> 0 && e.w3 === w3 >>> 0) return e;
    return undefined;
  }

  /** Our IPv4 address to ask from: the one whose subnet holds `target`, else the first; 0 when none. */
  private arpSource(ifIndex: number, target: number): number {
    const list = this.ifaces[ifIndex].ipv4;
    for (const a of list) if (a.len === 0 || (a.addr ^ target) >>> (32 - a.len) === 0) return a.addr;
    return list.length > 0 ? list[0].addr : 0;
  }

  /** Our IPv6 address to solicit from: same subnet, else link-local, else the first. */
  private nsSource(ifIndex: number, w0: number, w1: number, w2: number, w3: number): Uint8Array | undefined {
    const list = this.ifaces[ifIndex].ipv6;
    const t = [w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0];
    for (const a of list) if (coversWords(a.words, a.len, t)) return a.bytes;
    for (const a of list) if (a.words[0] >>> 22 === 0x3fa) return a.bytes;
    return list.length > 0 ? list[0].bytes : undefined;
  }

  private probe(e: Entry, now: number): void {
    e.probeAt = now;
    e.probes++;
    const iface = this.ifaces[e.ifIndex];
    if (!iface.up) return;
    if (e.family === 4) {
      const src = this.arpSource(e.ifIndex, e.w0);
      if (src === 0) return;
      const f = new Uint8Array(ARP_FRAME_LEN);
      f.set(BROADCAST_MAC, 0);
      f.set(iface.mac, 6);
      setU16(f, 12, EtherType.ARP);
      const a = ETH_HLEN;
      setU16(f, a + ArpField.HTYPE, 1);
      setU16(f, a + ArpField.PTYPE, EtherType.IPV4);
      f[a + ArpField.HLEN] = 6;
      f[a + ArpField.PLEN] = 4;
      setU16(f, a + ArpField.OPER, ArpOp.REQUEST);
      f.set(iface.mac, a + ArpField.SHA);
      setU32(f, a + ArpField.SPA, src);
      setU32(f, a + ArpField.TPA, e.w0);
      this.counters.add(e.ifIndex, IfCounter.arpRequestsSent);
      this.counters.add(e.ifIndex, IfCounter.originated);
      this.sink.send(e.ifIndex, f, 0, f.length);
      return;
    }
    const src = this.nsSource(e.ifIndex, e.w0, e.w1, e.w2, e.w3);
    if (src === undefined) return;
    const target = wordsToIpv6([e.w0, e.w1, e.w2, e.w3]);
    // Solicited-node multicast group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1) and its MAC 33:33:ff:XX:XX:XX (RFC 2464 §7).
    const group = new Uint8Array(16);
    group[0] = 0xff; group[1] = 0x02; group[11] = 0x01; group[12] = 0xff;
    group[13] = target[13]; group[14] = target[14]; group[15] = target[15];
    const f = new Uint8Array(ETH_HLEN + Ipv6Field.HEADER_LEN + NS_LEN);
    f[0] = 0x33; f[1] = 0x33; f[2] = 0xff; f[3] = target[13]; f[4] = target[14]; f[5] = target[15];
    f.set(iface.mac, 6);
    setU16(f, 12, EtherType.IPV6);
    emitIpv6Header({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.ICMPV6, hopLimit: 255, src, dst: group }, NS_LEN, f, ETH_HLEN);
    emitIcmpv6Into(
      { kind: 'neighbor-solicitation', code: 0, target, options: [{ type: NdpOptionType.SOURCE_LLA, data: iface.mac.slice(0, 6) }] },
      src, group, f, ETH_HLEN + Ipv6Field.HEADER_LEN,
    );
    this.counters.add(e.ifIndex, IfCounter.neighborSolicitsSent);
    this.counters.add(e.ifIndex, IfCounter.originated);
    this.sink.send(e.ifIndex, f, 0, f.length);
  }
}

/** `t` (4 words) inside prefix `words`/`len`. */
export function coversWords(words: readonly number[], len: number, t: readonly number[]): boolean {
  for (let i = 0; i < 4 && len > 0; i++, len -= 32) {
    const bits = len >= 32 ? 32 : len;
    if (((words[i] ^ t[i]) >>> (32 - bits)) !== 0 && bits > 0) return false;
  }
  return true;
}
