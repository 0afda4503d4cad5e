// Vectors: test/unit/packet/vectors.ts (tcpdump captures made on this machine).
import { describe, expect, it } from 'vitest';
import {
  Icmpv4Suppressed, Icmpv4View, buildIcmpv4Error, emitIcmpv4, icmpv4Len, parseIcmpv4,
} from '../../../src/packet/icmpv4.js';
import {
  Icmpv6Error, Icmpv6Suppressed, Icmpv6View, NdpOptionType, buildIcmpv6Error, emitIcmpv6, icmpv6ErrorSuppressed, ndpLinkLayerAddress,
  ndpLinkLayerOption, parseIcmpv6,
} from '../../../src/packet/icmpv6.js';
import { Ipv4View, parseIpv4 } from '../../../src/packet/ipv4.js';
import { parseAddress } from '../../../src/lib/prefix.js';
import {
  icmpEchoReply, icmpEchoRequest, icmpFragNeeded, icmpFragNeededOffending, icmpPortUnreachable, icmpTimeExceeded, icmpv6EchoRequest,
  icmpv6PacketTooBig, icmpv6PortUnreachable, icmpv6TimeExceeded, icmpv6TooBigOffending, ipv4Fragment1, mldReportHopByHop,
  ndpNeighborAdvertisement, ndpNeighborSolicitation, ndpRouterSolicitation,
} from './vectors.js';
import { ip4, mac } from './decode-frame.js';

const v6 = (t: string) => { const a = parseAddress(t); if (!a.ok) throw new Error(t); return a.value.bytes; };
const icmp4Of = (frame: Uint8Array) => frame.subarray(34);
const icmp6Of = (frame: Uint8Array) => frame.subarray(54);
const addrs6 = (frame: Uint8Array) => ({ src: frame.slice(22, 38), dst: frame.slice(38, 54) });

describe('ICMPv4', () => {
  it('parses the captured echo request and reply; emits the same bytes', () => {
    for (const [frame, kind] of [[icmpEchoRequest, 'echo-request'], [icmpEchoReply, 'echo-reply']] as const) {
      const r = parseIcmpv4(icmp4Of(frame));
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.kind).toBe(kind);
      if (r.value.kind !== 'echo-request' && r.value.kind !== 'echo-reply') throw new Error('kind');
      expect([r.value.id, r.value.seq, r.value.data.length]).toEqual([8046, 1, 16]);
      expect(icmpv4Len(r.value)).toBe(24);
      expect(emitIcmpv4(r.value)).toEqual(icmp4Of(frame));
    }
  });

  it('parses time exceeded, port unreachable and frag needed (next-hop MTU 1280)', () => {
    const te = parseIcmpv4(icmp4Of(icmpTimeExceeded));
    expect(te.ok && te.value.kind === 'time-exceeded' && [te.value.code, te.value.quote.length]).toEqual([0, 44]);
    const pu = parseIcmpv4(icmp4Of(icmpPortUnreachable));
    expect(pu.ok && pu.value.kind === 'dest-unreachable' && [pu.value.code, pu.value.quote.length]).toEqual([3, 34]);
    const fn = parseIcmpv4(icmp4Of(icmpFragNeeded));
    if (!fn.ok || fn.value.kind !== 'dest-unreachable') throw new Error('frag needed');
    expect([fn.value.code, fn.value.nextHopMtu, fn.value.quote.length]).toEqual([4, 1280, 548]);
    for (const f of [icmpTimeExceeded, icmpPortUnreachable, icmpFragNeeded]) {
      const r = parseIcmpv4(icmp4Of(f));
      expect(r.ok && emitIcmpv4(r.value)).toEqual(icmp4Of(f));
    }
  });

  it('keeps unknown types and names bad checksums', () => {
    const m = emitIcmpv4({ kind: 'unknown', type: 5, code: 1, rest: 0x0a000102, body: Uint8Array.of(1, 2, 3) });
    const r = parseIcmpv4(m);
    expect(r.ok && r.value).toEqual({ kind: 'unknown', type: 5, code: 1, rest: 0x0a000102, body: Uint8Array.of(1, 2, 3) });
    const bad = icmp4Of(icmpEchoRequest).slice(); bad[9] ^= 1;
    const b = parseIcmpv4(bad);
    expect(b.ok ? null : b.error.code).toBe('icmpv4.bad-checksum');
  });

  it('view: turns a request into a reply with an incrementally patched checksum', () => {
    const m = icmp4Of(icmpEchoRequest).slice();
    const v = new Icmpv4View().at(m);
    expect([v.type, v.code, v.id, v.seq]).toEqual([8, 0, 8046, 1]);
    v.setTypeCode(0, 0);
    expect(v.checksumValid(m.length)).toBe(true);
    expect(m.subarray(0, 4)).toEqual(icmp4Of(icmpEchoReply).subarray(0, 4)); // same data, same checksum as Linux's reply
  });

  it('builds time exceeded exactly as Linux did (quote up to 576 bytes, id 6029, precedence 6)', () => {
    const offending = icmp4Of(icmpTimeExceeded).subarray(8); // the quoted datagram is whole (44 bytes)
    const r = buildIcmpv4Error(offending, { kind: 'time-exceeded', code: 0 }, { src: ip4('10.0.1.2'), identification: 6029, maxLength: 576 });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual(icmpTimeExceeded.subarray(14));
  });

  it('builds frag needed exactly as Linux did (next-hop MTU 1280, 548 quoted bytes)', () => {
    const r = buildIcmpv4Error(
      icmpFragNeededOffending.subarray(14),
      { kind: 'dest-unreachable', code: 4, nextHopMtu: 1280 },
      { src: ip4('10.0.1.2'), identification: 6030, maxLength: 576 },
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual(icmpFragNeeded.subarray(14));
  });

  it('quotes the IP header plus 8 bytes by default (RFC 792)', () => {
    const r = buildIcmpv4Error(icmpFragNeededOffending.subarray(14), { kind: 'dest-unreachable', code: 0 }, { src: ip4('10.0.1.2') });
    if (!r.ok) throw new Error(r.error.message);
    const ip = parseIpv4(r.value);
    if (!ip.ok) throw new Error(ip.error.message);
    expect(ip.value.header.dst).toEqual(ip4('10.0.1.1'));
    expect(ip.value.header.dscp).toBe(0x30);
    const m = parseIcmpv4(ip.value.payload);
    expect(m.ok && m.value.kind === 'dest-unreachable' && m.value.quote).toEqual(icmpFragNeededOffending.subarray(14, 14 + 28));
  });

  it('refuses errors about ICMP errors, non-first fragments, group destinations, bad sources and invalid packets', () => {
    const code = (p: Uint8Array) => {
      const r = buildIcmpv4Error(p, { kind: 'time-exceeded', code: 0 }, { src: ip4('10.0.1.2') });
      return r.ok ? null : r.error.code;
    };
    expect(code(icmpTimeExceeded.subarray(14))).toBe(Icmpv4Suppressed.ABOUT_ICMP_ERROR);
    expect(code(ipv4Fragment1.subarray(14))).toBe(Icmpv4Suppressed.NON_FIRST_FRAGMENT);
    const setAddr = (at: number, a: number[]) => {
      const p = icmpEchoRequest.slice(14);
      p.set(a, at);
      new Ipv4View().at(p).fillChecksum();
      return p;
    };
    expect(code(setAddr(16, [224, 0, 0, 5]))).toBe(Icmpv4Suppressed.GROUP_DESTINATION);
    expect(code(setAddr(16, [255, 255, 255, 255]))).toBe(Icmpv4Suppressed.GROUP_DESTINATION);
    expect(code(setAddr(12, [127, 0, 0, 1]))).toBe(Icmpv4Suppressed.INVALID_SOURCE);
    expect(code(setAddr(12, [0, 0, 0, 0]))).toBe(Icmpv4Suppressed.INVALID_SOURCE);
    const corrupt = icmpEchoRequest.slice(14); corrupt[10] ^= 1;
    expect(code(corrupt)).toBe('ipv4.bad-checksum');
    expect(code(icmpEchoRequest.subarray(14))).toBeNull(); // an echo request may get an error
  });
});

describe('ICMPv6', () => {
  it('parses neighbour solicitation with its source link-layer address option', () => {
    const r = parseIcmpv6(icmp6Of(ndpNeighborSolicitation), addrs6(ndpNeighborSolicitation));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual({
      kind: 'neighbor-solicitation', code: 0, target: v6('fd00:1::2'),
      options: [{ type: NdpOptionType.SOURCE_LLA, data: mac('82:3d:fd:9f:35:4c') }],
    });
    expect(emitIcmpv6(r.value, addrs6(ndpNeighborSolicitation))).toEqual(icmp6Of(ndpNeighborSolicitation));
  });

  it('parses neighbour advertisement flags and target link-layer address; builds it from parts', () => {
    const r = parseIcmpv6(icmp6Of(ndpNeighborAdvertisement), addrs6(ndpNeighborAdvertisement));
    if (!r.ok || r.value.kind !== 'neighbor-advertisement') throw new Error('na');
    expect([r.value.router, r.value.solicited, r.value.override]).toEqual([true, true, true]);
    expect(ndpLinkLayerAddress(r.value.options, NdpOptionType.TARGET_LLA)).toEqual(mac('12:14:c9:ef:70:ce'));
    const built = emitIcmpv6({
      kind: 'neighbor-advertisement', code: 0, router: true, solicited: true, override: true, target: v6('fd00:1::2'),
      options: [ndpLinkLayerOption(NdpOptionType.TARGET_LLA, mac('12:14:c9:ef:70:ce'))],
    }, { src: v6('fd00:1::2'), dst: v6('fd00:1::1') });
    expect(built).toEqual(icmp6Of(ndpNeighborAdvertisement));
  });

  it('parses a router solicitation (kept, not acted on)', () => {
    const r = parseIcmpv6(icmp6Of(ndpRouterSolicitation), addrs6(ndpRouterSolicitation));
    if (!r.ok || r.value.kind !== 'router-solicitation') throw new Error('rs');
    expect(ndpLinkLayerAddress(r.value.options, NdpOptionType.SOURCE_LLA)).toEqual(mac('46:0f:8b:2a:4e:91'));
    expect(emitIcmpv6(r.value, addrs6(ndpRouterSolicitation))).toEqual(icmp6Of(ndpRouterSolicitation));
  });

  it('parses echo, time exceeded, packet too big and port unreachable; emits the same bytes', () => {
    const echo = parseIcmpv6(icmp6Of(icmpv6EchoRequest), addrs6(icmpv6EchoRequest));
    expect(echo.ok && echo.value.kind === 'echo-request' && [echo.value.id, echo.value.seq]).toEqual([8055, 1]);
    const ptb = parseIcmpv6(icmp6Of(icmpv6PacketTooBig), addrs6(icmpv6PacketTooBig));
    expect(ptb.ok && ptb.value.kind === 'packet-too-big' && [ptb.value.mtu, ptb.value.quote.length]).toEqual([1280, 1232]);
    const pu = parseIcmpv6(icmp6Of(icmpv6PortUnreachable), addrs6(icmpv6PortUnreachable));
    expect(pu.ok && pu.value.kind === 'dest-unreachable' && pu.value.code).toBe(4);
    for (const f of [icmpv6EchoRequest, icmpv6TimeExceeded, icmpv6PacketTooBig, icmpv6PortUnreachable]) {
      const r = parseIcmpv6(icmp6Of(f), addrs6(f));
      if (!r.ok) throw new Error(r.error.message);
      expect(emitIcmpv6(r.value, addrs6(f))).toEqual(icmp6Of(f));
    }
  });

  it('keeps unknown types (MLDv2 report, type 143) and names checksum and option errors', () => {
    const mld = mldReportHopByHop.subarray(14 + 48);
    const r = parseIcmpv6(mld, addrs6(mldReportHopByHop));
    expect(r.ok && r.value.kind === 'unknown' && r.value.type).toBe(143);
    const bad = icmp6Of(icmpv6EchoRequest).slice(); bad[8] ^= 1;
    const b = parseIcmpv6(bad, addrs6(icmpv6EchoRequest));
    expect(b.ok ? null : b.error.code).toBe(Icmpv6Error.BAD_CHECKSUM);
    const zero = icmp6Of(ndpNeighborSolicitation).slice(); zero[25] = 0;
    const z = parseIcmpv6(zero);
    expect(z.ok ? null : z.error.code).toBe(Icmpv6Error.BAD_OPTION_LENGTH);
    const over = icmp6Of(ndpNeighborSolicitation).slice(); over[25] = 2;
    const o = parseIcmpv6(over);
    expect(o.ok ? null : o.error.code).toBe(Icmpv6Error.OPTION_TRUNCATED);
    const short = parseIcmpv6(icmp6Of(ndpNeighborSolicitation).subarray(0, 23));
    expect(short.ok ? null : short.error.code).toBe(Icmpv6Error.TRUNCATED);
  });

  it('view: finds the link-layer option and verifies the checksum against the IPv6 header', () => {
    const f = ndpNeighborSolicitation.slice();
    const v = new Icmpv6View().at(f, 54);
    expect(v.type).toBe(135);
    expect(v.targetWord(3)).toBe(2);
    const at = v.findLinkLayerAddress(NdpOptionType.SOURCE_LLA, 32);
    expect(f.subarray(at, at + 6)).toEqual(mac('82:3d:fd:9f:35:4c'));
    expect(v.findLinkLayerAddress(NdpOptionType.TARGET_LLA, 32)).toBe(-1);
    expect(v.checksumValid(32, 14)).toBe(true);
    f[70] ^= 1;
    expect(v.checksumValid(32, 14)).toBe(false);
    v.fillChecksum(32, 14);
    expect(v.checksumValid(32, 14)).toBe(true);
  });

  it('builds packet too big exactly as Linux did (1232 quoted bytes, MTU 1280)', () => {
    const r = buildIcmpv6Error(icmpv6TooBigOffending.subarray(14), { kind: 'packet-too-big', mtu: 1280 }, { src: v6('fd00:1::2'), flowLabel: 0xbc1f4 });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.length).toBe(1280);
    expect(r.value).toEqual(icmpv6PacketTooBig.subarray(14));
  });

  it('builds time exceeded exactly as Linux did', () => {
    const offending = icmp6Of(icmpv6TimeExceeded).subarray(8);
    const r = buildIcmpv6Error(offending, { kind: 'time-exceeded', code: 0 }, { src: v6('fd00:1::2'), flowLabel: 0x21ce8 });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual(icmpv6TimeExceeded.subarray(14));
  });

  it('refuses errors about errors, multicast destinations (except packet too big) and bad sources', () => {
    expect(icmpv6ErrorSuppressed(icmpv6PacketTooBig.subarray(14), 'time-exceeded')).toBe(Icmpv6Suppressed.ABOUT_ICMP_ERROR);
    expect(icmpv6ErrorSuppressed(mldReportHopByHop.subarray(14), 'time-exceeded')).toBe(Icmpv6Suppressed.MULTICAST_DESTINATION);
    expect(icmpv6ErrorSuppressed(mldReportHopByHop.subarray(14), 'packet-too-big')).toBeNull();
    const anySrc = icmpv6EchoRequest.slice(14); anySrc.fill(0, 8, 24);
    expect(icmpv6ErrorSuppressed(anySrc, 'dest-unreachable')).toBe(Icmpv6Suppressed.INVALID_SOURCE);
    expect(icmpv6ErrorSuppressed(icmpv6EchoRequest.subarray(14), 'dest-unreachable')).toBeNull();
    const r = buildIcmpv6Error(icmpv6EchoRequest.subarray(14, 50), { kind: 'dest-unreachable', code: 0 }, { src: v6('fd00:1::2') });
    expect(r.ok ? null : r.error.code).toBe('ipv6.truncated');
  });
});
