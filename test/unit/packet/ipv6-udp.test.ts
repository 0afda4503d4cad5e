// Vectors: test/unit/packet/vectors.ts (tcpdump captures made on this machine).
import { describe, expect, it } from 'vitest';
import { Ipv6Error, Ipv6View, emitIpv6, ipv6Len, parseIpv6, parseIpv6Extensions } from '../../../src/packet/ipv6.js';
import { UdpError, UdpView, emitUdp, parseUdp, udpLen } from '../../../src/packet/udp.js';
import { parseAddress } from '../../../src/lib/prefix.js';
import {
  icmpv6EchoRequest, ipv6Fragment0, ipv6Fragment1, mldReportHopByHop, udp4, udp6, vlanTaggedUdp,
} from './vectors.js';
import { ip4 } from './decode-frame.js';

const ipOf = (frame: Uint8Array) => frame.subarray(14);
const v6 = (t: string) => { const a = parseAddress(t); if (!a.ok) throw new Error(t); return a.value.bytes; };

describe('IPv6 fixed header', () => {
  it('parses the captured echo request (flow label 0x651ab, hlim 64, next header 58) and emits the same bytes', () => {
    const r = parseIpv6(ipOf(icmpv6EchoRequest));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header).toEqual({
      trafficClass: 0, flowLabel: 0x651ab, nextHeader: 58, hopLimit: 64, src: v6('fd00:1::1'), dst: v6('fd00:1::2'),
    });
    expect(r.value.payload.length).toBe(24);
    expect(ipv6Len(r.value.header, 24)).toBe(64);
    expect(emitIpv6(r.value.header, r.value.payload)).toEqual(ipOf(icmpv6EchoRequest));
  });

  it('names short packets, wrong versions and overlong payload lengths', () => {
    const b = ipOf(icmpv6EchoRequest);
    const code = (x: Uint8Array) => { const r = parseIpv6(x); return r.ok ? null : r.error.code; };
    expect(code(b.subarray(0, 39))).toBe(Ipv6Error.TRUNCATED);
    const ver = b.slice(); ver[0] = 0x40;
    expect(code(ver)).toBe(Ipv6Error.BAD_VERSION);
    expect(code(b.subarray(0, 63))).toBe(Ipv6Error.BAD_PAYLOAD_LENGTH);
  });
});

describe('IPv6 extension headers', () => {
  it('walks a hop-by-hop header to ICMPv6 (MLDv2 report)', () => {
    const c = parseIpv6Extensions(ipOf(mldReportHopByHop));
    if (!c.ok) throw new Error(c.error.message);
    expect(c.value).toEqual({ headers: [{ type: 0, offset: 40, length: 8 }], upperProtocol: 58, upperOffset: 48 });
    const v = new Ipv6View().at(mldReportHopByHop, 14);
    expect(v.validate(mldReportHopByHop.length - 14)).toBeNull();
    expect(v.walk()).toBeNull();
    expect([v.upperProtocol, v.upperOffset - 14, v.fragmentOffset8]).toEqual([58, 48, -1]);
  });

  it('reports the fragment header of a first fragment and stops after a later one', () => {
    const f0 = parseIpv6Extensions(ipOf(ipv6Fragment0));
    if (!f0.ok) throw new Error(f0.error.message);
    expect(f0.value.fragment).toEqual({ offset: 0, moreFragments: true, identification: 0x746e2ee0 });
    expect([f0.value.upperProtocol, f0.value.upperOffset]).toEqual([58, 48]);
    const f1 = parseIpv6Extensions(ipOf(ipv6Fragment1));
    if (!f1.ok) throw new Error(f1.error.message);
    expect(f1.value.fragment).toEqual({ offset: 154, moreFragments: false, identification: 0x746e2ee0 });
    const v = new Ipv6View().at(ipv6Fragment1, 14);
    expect(v.walk()).toBeNull();
    expect(v.fragmentOffset8).toBe(154);
    expect(v.upperOffset - 14).toBe(48);
  });

  it('refuses a hop-by-hop header that is not first, and a header overrunning the payload', () => {
    // Fixed header → destination options (8 bytes) → hop-by-hop: misplaced.
    const bad = emitIpv6(
      { trafficClass: 0, flowLabel: 0, nextHeader: 60, hopLimit: 1, src: v6('fd00::1'), dst: v6('fd00::2') },
      Uint8Array.of(0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0),
    );
    const r = parseIpv6Extensions(bad);
    expect(r.ok ? null : r.error.code).toBe(Ipv6Error.MISPLACED_HOP_BY_HOP);
    expect(new Ipv6View().at(bad).walk()).toBe(Ipv6Error.MISPLACED_HOP_BY_HOP);
    const over = emitIpv6(
      { trafficClass: 0, flowLabel: 0, nextHeader: 43, hopLimit: 1, src: v6('fd00::1'), dst: v6('fd00::2') },
      Uint8Array.of(58, 1, 0, 0, 0, 0, 0, 0),
    );
    const o = parseIpv6Extensions(over);
    expect(o.ok ? null : o.error.code).toBe(Ipv6Error.EXTENSION_TRUNCATED);
    expect(new Ipv6View().at(over).walk()).toBe(Ipv6Error.EXTENSION_TRUNCATED);
  });

  it('view: decrements the hop limit and reads address words', () => {
    const f = icmpv6EchoRequest.slice();
    const v = new Ipv6View().at(f, 14);
    expect(v.decrementHopLimit()).toBe(63);
    expect(f[14 + 7]).toBe(63);
    expect(v.srcWord(0)).toBe(0xfd000001);
    expect(v.dstWord(3)).toBe(2);
    expect(v.flowLabel).toBe(0x651ab);
  });
});

describe('UDP', () => {
  it('parses the captured IPv4 datagram, verifies its checksum and emits the same bytes', () => {
    const seg = udp4.subarray(34);
    const addrs = { src: ip4('10.0.1.1'), dst: ip4('10.0.1.2') };
    const r = parseUdp(seg, addrs);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header).toEqual({ srcPort: 40000, dstPort: 9999 });
    expect(new TextDecoder().decode(r.value.payload)).toBe('hello\n');
    expect(emitUdp(r.value.header, r.value.payload, addrs)).toEqual(seg);
    expect(udpLen(r.value.header, 6)).toBe(14);
  });

  it('parses the captured IPv6 datagram and the scapy-crafted tagged one', () => {
    const seg6 = udp6.subarray(54);
    const a6 = { src: v6('fd00:1::1'), dst: v6('fd00:1::2') };
    const r = parseUdp(seg6, a6);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header).toEqual({ srcPort: 40001, dstPort: 9999 });
    expect(emitUdp(r.value.header, r.value.payload, a6)).toEqual(seg6);
    const segv = vlanTaggedUdp.subarray(38);
    const av = { src: ip4('10.0.10.1'), dst: ip4('10.0.10.2') };
    const t = parseUdp(segv, av);
    expect(t.ok && new TextDecoder().decode(t.value.payload)).toBe('vlan');
  });

  it('checksum 0: "none" over IPv4, an error over IPv6; a corrupted datagram fails', () => {
    const s4 = udp4.slice(34); s4[6] = 0; s4[7] = 0;
    expect(parseUdp(s4, { src: ip4('10.0.1.1'), dst: ip4('10.0.1.2') }).ok).toBe(true);
    const s6 = udp6.slice(54); s6[6] = 0; s6[7] = 0;
    const z = parseUdp(s6, { src: v6('fd00:1::1'), dst: v6('fd00:1::2') });
    expect(z.ok ? null : z.error.code).toBe(UdpError.ZERO_CHECKSUM_IPV6);
    const c = udp4.slice(34); c[9] ^= 0x20;
    const bad = parseUdp(c, { src: ip4('10.0.1.1'), dst: ip4('10.0.1.2') });
    expect(bad.ok ? null : bad.error.code).toBe(UdpError.BAD_CHECKSUM);
    expect(parseUdp(c).ok).toBe(true); // no addresses: checksum not looked at
    expect(emitUdp({ srcPort: 1, dstPort: 2 }, new Uint8Array(1))[6]).toBe(0);
  });

  it('names bad lengths', () => {
    const seg = udp4.slice(34);
    const short = parseUdp(seg.subarray(0, 7));
    expect(short.ok ? null : short.error.code).toBe(UdpError.TRUNCATED);
    const l = seg.slice(); l[5] = 7;
    const r = parseUdp(l);
    expect(r.ok ? null : r.error.code).toBe(UdpError.BAD_LENGTH);
    const over = parseUdp(seg.subarray(0, 13));
    expect(over.ok ? null : over.error.code).toBe(UdpError.BAD_LENGTH);
  });

  it('view: rewrites ports and reads length and checksum in place', () => {
    const seg = udp4.slice(34);
    const v = new UdpView().at(seg);
    expect([v.srcPort, v.dstPort, v.length]).toEqual([40000, 9999, 14]);
    v.dstPort = 53;
    expect(seg[2] * 256 + seg[3]).toBe(53);
    expect(v.checksum).toBe(seg[6] * 256 + seg[7]);
  });
});
