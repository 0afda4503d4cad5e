/**
 * Test helper: decode a whole Ethernet frame layer by layer with the plain
 * parsers, stopping at the first error. Used by the truncation tests and the
 * "random bytes never throw" properties.
 */
import { parseEthernet, EtherType, type EthernetHeader } from '../../../src/packet/ethernet.js';
import { parseArp, type ArpPacket } from '../../../src/packet/arp.js';
import { parseIpv4, Ipv4Flag, type Ipv4Header } from '../../../src/packet/ipv4.js';
import { parseIpv6, parseIpv6Extensions, type Ipv6Header, type Ipv6Chain } from '../../../src/packet/ipv6.js';
import { parseIcmpv4, type Icmpv4Message } from '../../../src/packet/icmpv4.js';
import { parseIcmpv6, type Icmpv6Message } from '../../../src/packet/icmpv6.js';
import { parseUdp, type UdpHeader } from '../../../src/packet/udp.js';
import { IpProtocol } from '../../../src/packet/ip-protocol.js';
import type { PacketError } from '../../../src/packet/result.js';

export interface DecodedFrame {
  ethernet: EthernetHeader;
  arp?: ArpPacket;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  ipv6Chain?: Ipv6Chain;
  /** True when the IP packet is a fragment and the upper layer was not decoded. */
  fragment?: boolean;
  icmpv4?: Icmpv4Message;
  icmpv6?: Icmpv6Message;
  udp?: UdpHeader;
  udpPayload?: Uint8Array;
}

export type FrameResult = { ok: true; value: DecodedFrame } | { ok: false; error: PacketError };

export function decodeFrame(frame: Uint8Array): FrameResult {
  const e = parseEthernet(frame);
  if (!e.ok) return e;
  const out: DecodedFrame = { ethernet: e.value.header };
  const l3 = e.value.payload;
  switch (e.value.header.ethertype) {
    case EtherType.ARP: {
      const a = parseArp(l3);
      if (!a.ok) return a;
      out.arp = a.value;
      return { ok: true, value: out };
    }
    case EtherType.IPV4: {
      const ip = parseIpv4(l3);
      if (!ip.ok) return ip;
      const h = ip.value.header;
      out.ipv4 = h;
      if (h.fragmentOffset !== 0 || (h.flags & Ipv4Flag.MF) !== 0) { out.fragment = true; return { ok: true, value: out }; }
      return upper(out, h.protocol, ip.value.payload, h.src, h.dst);
    }
    case EtherType.IPV6: {
      const ip = parseIpv6(l3);
      if (!ip.ok) return ip;
      out.ipv6 = ip.value.header;
      const chain = parseIpv6Extensions(l3);
      if (!chain.ok) return chain;
      out.ipv6Chain = chain.value;
      if (chain.value.fragment) { out.fragment = true; return { ok: true, value: out }; }
      const end = 40 + ip.value.payload.length;
      return upper(out, chain.value.upperProtocol, l3.subarray(chain.value.upperOffset, end), ip.value.header.src, ip.value.header.dst);
    }
    default:
      return { ok: true, value: out };
  }
}

function upper(out: DecodedFrame, protocol: number, bytes: Uint8Array, src: Uint8Array, dst: Uint8Array): FrameResult {
  switch (protocol) {
    case IpProtocol.ICMP: {
      const m = parseIcmpv4(bytes);
      if (!m.ok) return m;
      out.icmpv4 = m.value;
      break;
    }
    case IpProtocol.ICMPV6: {
      const m = parseIcmpv6(bytes, { src, dst });
      if (!m.ok) return m;
      out.icmpv6 = m.value;
      break;
    }
    case IpProtocol.UDP: {
      const u = parseUdp(bytes, { src, dst });
      if (!u.ok) return u;
      out.udp = u.value.header;
      out.udpPayload = u.value.payload;
      break;
    }
  }
  return { ok: true, value: out };
}

export function ip4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}
