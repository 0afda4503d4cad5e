/**
 * Spoofed-source flood frames for `lab ddos --spoof`: whole Ethernet frames
 * (Ethernet II + IPv4 or IPv6 + UDP + a whoami `flood` message) whose IP
 * source is not the attacker's own address, sent at layer 2 by flood-main.ts
 * through the frame I/O addon (a UDP socket cannot choose its source, and
 * Linux rewrites a raw socket's header fields).
 *
 * Sources come from the benchmarking ranges, never from a lab's own address
 * pool: IPv4 198.18.0.0/15 (RFC 2544 appendix C / RFC 6890), one /24 per
 * attacker index, hosts .1-.254; IPv6 2001:2::/48 (RFC 5180), one /64 per
 * attacker index. Routers have no reverse-path filter, so these are
 * forwarded like any other source; the sites count them per source address.
 *
 * Pure: no I/O. Frames are built once per source and reused by the sender.
 * Does not support: VLAN tags, IP options, fragments.
 */
import { IpProtocol } from '../packet/ip-protocol.js';
import { EtherType, emitEthernet } from '../packet/ethernet.js';
import { emitIpv4 } from '../packet/ipv4.js';
import { emitIpv6 } from '../packet/ipv6.js';
import { emitUdp } from '../packet/udp.js';
import type { Family } from '../lib/prefix.js';

/** Distinct spoofed sources per attacker (hosts 1-254 of a /24, or ::1-::fe of a /64). */
export const SPOOFED_SOURCES_PER_ATTACKER = 254;
/** How many attackers get their own source block (512 /24s in 198.18.0.0/15). */
export const MAX_SPOOFING_ATTACKERS = 512;

/** The `n`th spoofed source (0-based, wraps) of attacker `index`. */
export function spoofedSource(family: Family, index: number, n: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SPOOFING_ATTACKERS) {
    throw new RangeError(`attacker index ${index} is outside 0..${MAX_SPOOFING_ATTACKERS - 1}`);
  }
  const host = (n % SPOOFED_SOURCES_PER_ATTACKER) + 1;
  if (family === 4) return Uint8Array.of(198, 18 + (index >> 8), index & 0xff, host);
  const b = new Uint8Array(16);
  b.set([0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 0); // 2001:2:0::/48
  b[6] = index >> 8;
  b[7] = index & 0xff;
  b[15] = host;
  return b;
}

export interface SpoofedFrameSpec {
  readonly family: Family;
  readonly srcMac: Uint8Array;
  /** The next hop's MAC (the attacker's gateway). */
  readonly dstMac: Uint8Array;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  readonly ttl?: number;
}

/** One complete frame with valid IP and UDP checksums. */
export function buildSpoofedFrame(s: SpoofedFrameSpec): Uint8Array {
  const udp = emitUdp({ srcPort: s.srcPort, dstPort: s.dstPort }, s.payload, { src: s.src, dst: s.dst });
  const ip = s.family === 4
    ? emitIpv4({ dscp: 0, ecn: 0, identification: 0, flags: 2 /* DF */, fragmentOffset: 0, ttl: s.ttl ?? 64, protocol: IpProtocol.UDP, src: s.src, dst: s.dst, options: new Uint8Array(0) }, udp)
    : emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.UDP, hopLimit: s.ttl ?? 64, src: s.src, dst: s.dst }, udp);
  return emitEthernet({ dst: s.dstMac, src: s.srcMac, ethertype: s.family === 4 ? EtherType.IPV4 : EtherType.IPV6 }, ip);
}
