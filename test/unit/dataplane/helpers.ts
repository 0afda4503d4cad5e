/**
 * Test helpers for the forwarding pipeline: frame builders (over the packet
 * codecs, so every checksum is computed by code under its own tests), a
 * RouteLookup over the project's LPM, and a sink that records what leaves.
 */
import { createIpv4Lpm, createIpv6Lpm } from '../../../src/fib/index.js';
import { parseAddress, parsePrefix, ipv4ToNumber, ipv6ToWords } from '../../../src/lib/prefix.js';
import { ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, fold, sum16 } from '../../../src/lib/checksum.js';
import { setU16 } from '../../../src/lib/bytes.js';
import { emitEthernet, EtherType } from '../../../src/packet/ethernet.js';
import { emitArp, ArpOp } from '../../../src/packet/arp.js';
import { emitIpv4, Ipv4Flag } from '../../../src/packet/ipv4.js';
import { emitIpv6 } from '../../../src/packet/ipv6.js';
import { emitUdp } from '../../../src/packet/udp.js';
import { emitIcmpv4 } from '../../../src/packet/icmpv4.js';
import { emitIcmpv6, ndpLinkLayerOption, NdpOptionType } from '../../../src/packet/icmpv6.js';
import { IpProtocol } from '../../../src/packet/ip-protocol.js';
import type { FrameSink, NextHop, RouteLookup, RouteResult } from '../../../src/dataplane/forward.js';

export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function addr(text: string): Uint8Array {
  const a = parseAddress(text);
  if (!a.ok) throw new Error(a.error);
  return a.value.bytes;
}

export function num4(text: string): number {
  return ipv4ToNumber(addr(text));
}

/** A RouteLookup over the project's LPM tries. */
export class TestRoutes implements RouteLookup {
  private readonly lpm4 = createIpv4Lpm();
  private readonly lpm6 = createIpv6Lpm();
  private readonly results: RouteResult[] = [];
  lookups = 0;

  add(prefix: string, hops: readonly { interface: string; gateway?: string }[]): this {
    const p = parsePrefix(prefix);
    if (!p.ok) throw new Error(p.error);
    const nextHops: NextHop[] = hops.map((h) => (h.gateway === undefined ? { interface: h.interface } : { interface: h.interface, gateway: addr(h.gateway) }));
    const id = this.results.push({ prefixText: prefix, nextHops }) - 1;
    if (p.value.family === 4) this.lpm4.insert(ipv4ToNumber(p.value.bytes), p.value.len, id);
    else {
      const w = ipv6ToWords(p.value.bytes);
      this.lpm6.insert(w[0], w[1], w[2], w[3], p.value.len, id);
    }
    return this;
  }

  lookup4(dst: number): RouteResult | undefined {
    this.lookups++;
    const id = this.lpm4.lookup(dst);
    return id < 0 ? undefined : this.results[id];
  }

  lookup6(w0: number, w1: number, w2: number, w3: number): RouteResult | undefined {
    this.lookups++;
    const id = this.lpm6.lookup(w0, w1, w2, w3);
    return id < 0 ? undefined : this.results[id];
  }
}

export interface Sent {
  readonly ifIndex: number;
  readonly frame: Uint8Array;
}

/** Records a copy of every frame sent. */
export class CaptureSink implements FrameSink {
  readonly sent: Sent[] = [];
  send(ifIndex: number, frame: Uint8Array, offset: number, length: number): void {
    this.sent.push({ ifIndex, frame: frame.slice(offset, offset + length) });
  }
  take(): Sent[] {
    return this.sent.splice(0, this.sent.length);
  }
}

export interface Udp4Spec {
  readonly srcMac?: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
  readonly ttl?: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly payload?: number;
  readonly df?: boolean;
  readonly id?: number;
  readonly protocol?: number;
}

export function udp4(s: Udp4Spec): Uint8Array {
  const src = addr(s.src), dst = addr(s.dst);
  const udp = emitUdp({ srcPort: s.sport ?? 40000, dstPort: s.dport ?? 33434 }, new Uint8Array(s.payload ?? 32).map((_, i) => i & 0xff), { src, dst });
  const ip = emitIpv4({
    dscp: 0, ecn: 0, identification: s.id ?? 0x1234, flags: s.df ? Ipv4Flag.DF : 0, fragmentOffset: 0,
    ttl: s.ttl ?? 64, protocol: s.protocol ?? IpProtocol.UDP, src, dst, options: new Uint8Array(0),
  }, udp);
  return emitEthernet({ dst: mac(s.dstMac), src: mac(s.srcMac ?? '02:00:00:00:00:aa'), ethertype: EtherType.IPV4 }, ip);
}

export interface Udp6Spec {
  readonly srcMac?: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
  readonly hop?: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly payload?: number;
  readonly flowLabel?: number;
}

export function udp6(s: Udp6Spec): Uint8Array {
  const src = addr(s.src), dst = addr(s.dst);
  const udp = emitUdp({ srcPort: s.sport ?? 40000, dstPort: s.dport ?? 33434 }, new Uint8Array(s.payload ?? 32).map((_, i) => i & 0xff), { src, dst });
  const ip = emitIpv6({ trafficClass: 0, flowLabel: s.flowLabel ?? 0, nextHeader: IpProtocol.UDP, hopLimit: s.hop ?? 64, src, dst }, udp);
  return emitEthernet({ dst: mac(s.dstMac), src: mac(s.srcMac ?? '02:00:00:00:00:aa'), ethertype: EtherType.IPV6 }, ip);
}

/** An ICMP echo request (or, with `type`, any ICMP message with an 8-byte header and no body rules). */
export function icmp4(s: { dstMac: string; src: string; dst: string; ttl?: number; type?: number; code?: number; srcMac?: string }): Uint8Array {
  const body = s.type === undefined || s.type === 8
    ? emitIcmpv4({ kind: 'echo-request', code: 0, id: 1, seq: 1, data: new Uint8Array(16) })
    : emitIcmpv4({ kind: 'unknown', type: s.type, code: s.code ?? 0, rest: 0, body: new Uint8Array(28) });
  const ip = emitIpv4({
    dscp: 0, ecn: 0, identification: 7, flags: 0, fragmentOffset: 0, ttl: s.ttl ?? 64, protocol: IpProtocol.ICMP,
    src: addr(s.src), dst: addr(s.dst), options: new Uint8Array(0),
  }, body);
  return emitEthernet({ dst: mac(s.dstMac), src: mac(s.srcMac ?? '02:00:00:00:00:aa'), ethertype: EtherType.IPV4 }, ip);
}

export function arp(s: { op: 'request' | 'reply'; senderMac: string; senderIp: string; targetMac?: string; targetIp: string; dstMac?: string }): Uint8Array {
  const p = emitArp({
    op: s.op === 'request' ? ArpOp.REQUEST : ArpOp.REPLY,
    senderMac: mac(s.senderMac), senderIp: addr(s.senderIp),
    targetMac: mac(s.targetMac ?? '00:00:00:00:00:00'), targetIp: addr(s.targetIp),
  });
  return emitEthernet({ dst: mac(s.dstMac ?? (s.op === 'request' ? 'ff:ff:ff:ff:ff:ff' : s.targetMac ?? 'ff:ff:ff:ff:ff:ff')), src: mac(s.senderMac), ethertype: EtherType.ARP }, p);
}

/** A solicited neighbour advertisement for `target` at `targetMac`, sent to `dst`. */
export function na(s: { srcMac: string; dstMac: string; src: string; dst: string; target: string; targetMac: string; hop?: number }): Uint8Array {
  const src = addr(s.src), dst = addr(s.dst);
  const icmp = emitIcmpv6({
    kind: 'neighbor-advertisement', code: 0, router: false, solicited: true, override: true,
    target: addr(s.target), options: [ndpLinkLayerOption(NdpOptionType.TARGET_LLA, mac(s.targetMac))],
  }, { src, dst });
  const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.ICMPV6, hopLimit: s.hop ?? 255, src, dst }, icmp);
  return emitEthernet({ dst: mac(s.dstMac), src: mac(s.srcMac), ethertype: EtherType.IPV6 }, ip);
}

/**
 * Turns a UDP frame's checksum into what a sender with TX checksum offload
 * leaves: the folded pseudo-header sum, to be completed over the segment.
 * Returns csumStart/csumOffset as the socket reports them.
 */
export function makePartialUdp(frame: Uint8Array, family: 4 | 6): { csumStart: number; csumOffset: number } {
  const ip = 14;
  const l4 = family === 4 ? ip + ((frame[ip] & 0x0f) << 2) : ip + 40;
  const len = (frame[l4 + 4] << 8) | frame[l4 + 5];
  const pseudo = family === 4
    ? ipv4PseudoHeaderSum(frame, frame, IpProtocol.UDP, len, ip + 12, ip + 16)
    : ipv6PseudoHeaderSum(frame, frame, IpProtocol.UDP, len, ip + 8, ip + 24);
  setU16(frame, l4 + 6, fold(pseudo));
  return { csumStart: l4, csumOffset: 6 };
}

/** True when the UDP checksum of a frame verifies (used after completing a partial one). */
export function udpChecksumOk(frame: Uint8Array, family: 4 | 6): boolean {
  const ip = 14;
  const l4 = family === 4 ? ip + ((frame[ip] & 0x0f) << 2) : ip + 40;
  const len = (frame[l4 + 4] << 8) | frame[l4 + 5];
  const pseudo = family === 4
    ? ipv4PseudoHeaderSum(frame, frame, IpProtocol.UDP, len, ip + 12, ip + 16)
    : ipv6PseudoHeaderSum(frame, frame, IpProtocol.UDP, len, ip + 8, ip + 24);
  return fold(sum16(frame, l4, l4 + len, pseudo)) === 0xffff;
}
