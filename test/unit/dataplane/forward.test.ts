/**
 * The forwarding pipeline, rule by rule (RFC 1812 §5.2.2, §5.3.1, §5.3.7,
 * §4.3.2; RFC 8200; RFC 4443; /work/shared/reference/robustness.md "Data
 * plane"). Frames are built with the project's codecs; results are decoded
 * with the plain parsers, which verify every checksum.
 */
import { describe, expect, it } from 'vitest';
import { Verdict } from '../../../src/dataplane/forward.js';
import { DropReason, IcmpCounter, IfCounter } from '../../../src/dataplane/counters.js';
import { FrameFlag, PacketType } from '../../../src/dataplane/frame-io.js';
import { Ipv4Reassembler } from '../../../src/packet/ipv4.js';
import { setU16 } from '../../../src/lib/bytes.js';
import { internetChecksum } from '../../../src/lib/checksum.js';
import { formatMac } from '../../../src/lib/mac.js';
import { decodeFrame } from '../packet/decode-frame.js';
import { udp4, udp6, icmp4, makePartialUdp, udpChecksumOk } from './helpers.js';
import { router, R_MAC, A_MAC, B_MAC, C_MAC } from './setup.js';

function decoded(frame: Uint8Array) {
  const d = decodeFrame(frame);
  if (!d.ok) throw new Error(`sent frame does not decode: ${d.error.code} ${d.error.message}`);
  return d.value;
}

function fixIpChecksum(frame: Uint8Array): void {
  setU16(frame, 24, 0);
  const hl = (frame[14] & 0x0f) << 2;
  setU16(frame, 24, internetChecksum(frame, 14, 14 + hl));
}

describe('IPv4 forwarding', () => {
  it('forwards to a resolved next hop: TTL - 1, MACs rewritten, every checksum valid', () => {
    const { rx, sink, fw } = router();
    const v = rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 64, payload: 100 }));
    expect(v).toBe(Verdict.forwarded);
    const [out] = sink.take();
    expect(out.ifIndex).toBe(1);
    const d = decoded(out.frame);
    expect(formatMac(d.ethernet.dst)).toBe(B_MAC);
    expect(formatMac(d.ethernet.src)).toBe(R_MAC[1]);
    expect(d.ipv4?.ttl).toBe(63);
    expect(d.udp?.dstPort).toBe(33434);
    expect(d.udpPayload?.length).toBe(100);
    expect(fw.counters.get(1, IfCounter.forwarded)).toBe(1);
    expect(fw.counters.get(0, IfCounter.rxFrames)).toBe(1);
  });

  it('hands RouteLookup the address bits as an int32 (no heap number per packet)', () => {
    const { rx, routes } = router();
    const seen: number[] = [];
    const inner = routes.lookup4.bind(routes);
    routes.lookup4 = (d: number) => { seen.push(d); return inner(d); };
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }));
    expect(seen).toEqual([0xc0000207 | 0]);
    expect(seen[0]).toBeLessThan(0);
    expect(seen[0] >>> 0).toBe(0xc0000207);
  });

  it('forwards to a directly connected destination by resolving the destination itself', () => {
    const { rx, sink } = router();
    expect(rx(1, udp4({ dstMac: R_MAC[1], src: '10.0.2.2', dst: '10.0.1.10' }))).toBe(Verdict.forwarded);
    const [out] = sink.take();
    expect(out.ifIndex).toBe(0);
    expect(formatMac(decoded(out.frame).ethernet.dst)).toBe(A_MAC);
  });

  it('trims Ethernet padding: the frame sent is header + total length', () => {
    const { rx, sink } = router();
    const f = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', payload: 0 });
    const padded = new Uint8Array(60);
    padded.set(f);
    expect(rx(0, padded)).toBe(Verdict.forwarded);
    expect(sink.take()[0].frame.length).toBe(f.length);
  });

  it('ignores PACKET_OTHERHOST frames', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp4({ dstMac: '02:00:00:00:99:99', src: '10.0.1.10', dst: '192.0.2.7' }), { pktType: PacketType.otherHost })).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.otherHost);
    expect(sink.sent).toHaveLength(0);
  });

  it('never forwards link-layer broadcast or multicast frames', () => {
    const { rx, sink } = router();
    expect(rx(0, udp4({ dstMac: 'ff:ff:ff:ff:ff:ff', src: '10.0.1.10', dst: '192.0.2.7' }), { pktType: PacketType.broadcast })).toBe(Verdict.kernel);
    expect(rx(0, udp4({ dstMac: '01:00:5e:00:00:05', src: '10.0.1.10', dst: '192.0.2.7' }), { pktType: PacketType.multicast })).toBe(Verdict.kernel);
    expect(sink.sent).toHaveLength(0);
  });

  it('leaves packets for its own addresses and subnet broadcasts to the kernel, whatever their TTL', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '10.0.2.1', ttl: 1 }))).toBe(Verdict.kernel);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '10.0.1.1', ttl: 0 }))).toBe(Verdict.kernel);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '10.0.1.255' }))).toBe(Verdict.kernel);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '224.0.0.5' }))).toBe(Verdict.kernel);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '169.254.1.1' }))).toBe(Verdict.kernel);
    expect(sink.sent).toHaveLength(0);
    expect(fw.counters.get(0, IfCounter.toKernel)).toBe(5);
    expect(fw.counters.totalDrops()).toBe(0);
  });

  describe('RFC 1812 §5.2.2 validation: silently discarded and counted', () => {
    const good = () => udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 });
    const cases: [string, () => Uint8Array, number][] = [
      ['shorter than 20 bytes of IP', () => good().slice(0, 14 + 19), DropReason.ipShort],
      ['bad header checksum', () => { const f = good(); f[24] ^= 0xff; return f; }, DropReason.ipBadChecksum],
      ['version 5', () => { const f = good(); f[14] = 0x55; fixIpChecksum(f); return f; }, DropReason.ipBadVersion],
      ['IHL 4', () => { const f = good(); f[14] = 0x44; setU16(f, 24, 0); setU16(f, 24, internetChecksum(f, 14, 34)); return f; }, DropReason.ipBadIhl],
      ['total length past the frame', () => { const f = good(); setU16(f, 16, f.length); fixIpChecksum(f); return f; }, DropReason.ipBadLength],
      ['total length below the header length', () => { const f = good(); setU16(f, 16, 19); fixIpChecksum(f); return f; }, DropReason.ipBadLength],
    ];
    for (const [name, make, reason] of cases) {
      it(`${name}: no ICMP error even with TTL 1`, () => {
        const { rx, sink, fw } = router();
        expect(rx(0, make())).toBe(Verdict.dropped);
        expect(fw.lastDrop).toBe(reason);
        expect(fw.counters.dropCount(reason, 0)).toBe(1);
        expect(sink.sent).toHaveLength(0);
      });
    }
  });

  describe('martians are not forwarded (RFC 1812 §5.3.7)', () => {
    const cases: [string, string, number][] = [
      ['0.1.2.3', '192.0.2.7', DropReason.martianSource],
      ['127.0.0.1', '192.0.2.7', DropReason.martianSource],
      ['224.1.1.1', '192.0.2.7', DropReason.martianSource],
      ['240.0.0.1', '192.0.2.7', DropReason.martianSource],
      ['169.254.3.4', '192.0.2.7', DropReason.linkLocal],
      ['10.0.2.1', '192.0.2.7', DropReason.martianSource], // our own address, spoofed
      ['10.0.1.255', '192.0.2.7', DropReason.martianSource], // a connected subnet's broadcast
      ['10.0.1.10', '0.0.0.9', DropReason.martianDestination],
      ['10.0.1.10', '127.0.0.1', DropReason.martianDestination],
      ['10.0.1.10', '240.1.2.3', DropReason.martianDestination],
      ['10.0.1.10', '255.255.255.255', DropReason.martianDestination],
    ];
    for (const [src, dst, reason] of cases) {
      it(`${src} -> ${dst}`, () => {
        const { rx, sink, fw } = router();
        expect(rx(0, udp4({ dstMac: R_MAC[0], src, dst, ttl: 1 }))).toBe(Verdict.dropped);
        expect(fw.lastDrop).toBe(reason);
        expect(sink.sent).toHaveLength(0);
      });
    }
  });

  it('TTL 1: time exceeded from the address of the interface it leaves by, quoting the datagram', () => {
    const { rx, sink, fw } = router();
    const f = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 });
    expect(rx(0, f)).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.ttlExceeded);
    const [out] = sink.take();
    expect(out.ifIndex).toBe(0);
    const d = decoded(out.frame);
    expect(formatMac(d.ethernet.dst)).toBe(A_MAC);
    expect(formatMac(d.ethernet.src)).toBe(R_MAC[0]);
    expect([...d.ipv4!.src]).toEqual([10, 0, 1, 1]);
    expect([...d.ipv4!.dst]).toEqual([10, 0, 1, 10]);
    expect(d.icmpv4?.kind).toBe('time-exceeded');
    expect(d.icmpv4?.code).toBe(0);
    const quote = (d.icmpv4 as { quote: Uint8Array }).quote;
    expect([...quote.subarray(0, 28)]).toEqual([...f.subarray(14, 42)]);
    expect(fw.counters.icmp[IcmpCounter.sent4]).toBe(1);
  });

  it('TTL 0 on arrival: time exceeded as well', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 0 }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.ttlExceeded);
    expect(decoded(sink.take()[0].frame).icmpv4?.kind).toBe('time-exceeded');
  });

  it('the error about a packet arriving on eth1 is sourced from eth1 when the way back is eth1', () => {
    const { rx, sink } = router();
    rx(1, udp4({ dstMac: R_MAC[1], src: '192.0.2.50', dst: '10.0.1.10', ttl: 1 }));
    const [out] = sink.take();
    expect(out.ifIndex).toBe(1);
    const d = decoded(out.frame);
    expect([...d.ipv4!.src]).toEqual([10, 0, 2, 1]);
    expect(formatMac(d.ethernet.dst)).toBe(B_MAC);
  });

  it('no route: net unreachable', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '203.0.113.1' }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.noRoute);
    const d = decoded(sink.take()[0].frame);
    expect(d.icmpv4).toMatchObject({ kind: 'dest-unreachable', code: 0 });
    expect([...d.ipv4!.src]).toEqual([10, 0, 1, 1]);
  });

  it('no ICMP error about an ICMP error, a non-first fragment, or when the source cannot be routed back', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, icmp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1, type: 3, code: 1 }))).toBe(Verdict.dropped);
    expect(fw.counters.icmp[IcmpCounter.suppressed]).toBe(1);
    const frag = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 });
    setU16(frag, 20, 0x2000 | 10); // MF, offset 80
    fixIpChecksum(frag);
    expect(rx(0, frag)).toBe(Verdict.dropped);
    expect(fw.counters.icmp[IcmpCounter.suppressed]).toBe(2);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '203.0.113.9', dst: '192.0.2.7', ttl: 1 }))).toBe(Verdict.dropped);
    expect(fw.counters.icmp[IcmpCounter.noRoute]).toBe(1);
    expect(sink.sent).toHaveLength(0);
    // An echo request is not an error: it is answered.
    rx(0, icmp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }));
    expect(sink.sent).toHaveLength(1);
  });

  it('DF set and larger than the egress MTU: fragmentation needed carrying the next-hop MTU (RFC 1191)', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', df: true, payload: 1500 - 28 }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.mtu);
    const d = decoded(sink.take()[0].frame);
    expect(d.icmpv4).toMatchObject({ kind: 'dest-unreachable', code: 4, nextHopMtu: 1400 });
    // Exactly the MTU fits.
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', df: true, payload: 1400 - 28 }))).toBe(Verdict.forwarded);
  });

  it('DF clear and larger than the egress MTU: fragmented, every piece fits, reassembles to the original', () => {
    const { rx, sink, fw } = router();
    const f = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', payload: 1500 - 28 });
    const original = f.slice(14);
    expect(rx(0, f)).toBe(Verdict.forwarded);
    const out = sink.take();
    expect(out.length).toBe(2);
    const r = new Ipv4Reassembler();
    let whole: Uint8Array | undefined;
    for (const o of out) {
      expect(o.ifIndex).toBe(1);
      expect(o.frame.length - 14).toBeLessThanOrEqual(1400);
      const d = decoded(o.frame);
      expect(d.ipv4?.ttl).toBe(63);
      expect(formatMac(d.ethernet.dst)).toBe(B_MAC);
      const res = r.push(o.frame.slice(14), 0);
      if (res.kind === 'complete') whole = res.packet;
    }
    expect(whole).toBeDefined();
    expect([...whole!.subarray(20)]).toEqual([...original.subarray(20)]);
    expect(fw.counters.get(1, IfCounter.fragmented)).toBe(1);
    expect(fw.counters.get(1, IfCounter.forwarded)).toBe(2);
  });

  it('ECMP: 32 flows each stick to one path, and both paths carry flows', () => {
    const { rx, sink } = router();
    const pathOf = new Map<number, number>();
    for (let round = 0; round < 3; round++) {
      for (let flow = 0; flow < 32; flow++) {
        rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '198.51.100.20', sport: 20000 + flow, dport: 5001 }));
        const [out] = sink.take();
        const seen = pathOf.get(flow);
        if (seen === undefined) pathOf.set(flow, out.ifIndex);
        else expect(out.ifIndex).toBe(seen);
        expect(formatMac(decoded(out.frame).ethernet.dst)).toBe(out.ifIndex === 1 ? B_MAC : C_MAC);
      }
    }
    const counts = [0, 0, 0];
    for (const p of pathOf.values()) counts[p]++;
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[2]).toBeGreaterThan(0);
    expect(counts[1] + counts[2]).toBe(32);
  });

  it('ECMP: every fragment of a datagram, the first included, takes the same path', () => {
    const { rx, sink } = router();
    for (let flow = 0; flow < 32; flow++) {
      const first = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '198.51.100.20', sport: 20000 + flow, id: flow });
      setU16(first, 20, 0x2000); // MF, offset 0
      fixIpChecksum(first);
      const second = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '198.51.100.20', sport: 0, dport: 0, id: flow });
      setU16(second, 20, 5); // offset 40, last piece
      fixIpChecksum(second);
      rx(0, first);
      rx(0, second);
      const [a, b] = sink.take();
      expect(b.ifIndex).toBe(a.ifIndex);
    }
  });

  it('completes a checksum left partial by the sender\'s offload before forwarding', () => {
    const { rx, sink } = router();
    const f = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', payload: 51 });
    const { csumStart, csumOffset } = makePartialUdp(f, 4);
    expect(udpChecksumOk(f, 4)).toBe(false);
    expect(rx(0, f, { flags: FrameFlag.csumNotReady, csumStart, csumOffset })).toBe(Verdict.forwarded);
    const out = sink.take()[0].frame;
    expect(udpChecksumOk(out, 4)).toBe(true);
    expect(decoded(out).udp?.dstPort).toBe(33434);
    // Without offsets from the socket the UDP field is found by protocol.
    const g = udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', payload: 10 });
    makePartialUdp(g, 4);
    rx(0, g, { flags: FrameFlag.csumNotReady });
    expect(udpChecksumOk(sink.take()[0].frame, 4)).toBe(true);
  });

  it('truncated and GSO frames are dropped, not forwarded', () => {
    const { rx, sink, fw } = router();
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }), { flags: FrameFlag.truncated });
    expect(fw.lastDrop).toBe(DropReason.truncated);
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }), { flags: FrameFlag.gso });
    expect(fw.lastDrop).toBe(DropReason.gso);
    rx(0, new Uint8Array(10));
    expect(fw.lastDrop).toBe(DropReason.runt);
    expect(sink.sent).toHaveLength(0);
  });

  it('interface down: nothing received on it is forwarded, nothing is sent out of it', () => {
    const { rx, sink, fw } = router();
    fw.setInterfaceUp(1, false);
    expect(rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.egressDown);
    expect(rx(1, udp4({ dstMac: R_MAC[1], src: '10.0.2.2', dst: '10.0.1.10' }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.ingressDown);
    expect(sink.sent).toHaveLength(0);
    expect(fw.neighbors.list(0).some((n) => n.interface === 'eth1')).toBe(false);
    fw.setInterfaceUp(1, true);
    expect(rx(1, udp4({ dstMac: R_MAC[1], src: '10.0.2.2', dst: '10.0.1.10' }))).toBe(Verdict.forwarded);
  });
});

describe('IPv6 forwarding', () => {
  it('forwards with hop limit - 1 and a valid UDP checksum', () => {
    const { rx, sink } = router();
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', hop: 9 }))).toBe(Verdict.forwarded);
    const [out] = sink.take();
    expect(out.ifIndex).toBe(1);
    const d = decoded(out.frame);
    expect(d.ipv6?.hopLimit).toBe(8);
    expect(formatMac(d.ethernet.dst)).toBe(B_MAC);
    expect(d.udp?.dstPort).toBe(33434);
  });

  it('hop limit 1: time exceeded from the egress interface\'s address', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', hop: 1 }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.ttlExceeded);
    const d = decoded(sink.take()[0].frame);
    expect(d.icmpv6).toMatchObject({ kind: 'time-exceeded', code: 0 });
    expect(Buffer.from(d.ipv6!.src).toString('hex')).toBe('20010db8000100000000000000000001');
  });

  it('no route: destination unreachable code 0', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:77::1' }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.noRoute);
    expect(decoded(sink.take()[0].frame).icmpv6).toMatchObject({ kind: 'dest-unreachable', code: 0 });
  });

  it('too big for the egress link: packet too big with the MTU, never fragmented', () => {
    const { rx, sink, fw } = router();
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', payload: 1400 }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.mtu);
    const out = sink.take();
    expect(out).toHaveLength(1);
    const d = decoded(out[0].frame);
    expect(d.icmpv6).toMatchObject({ kind: 'packet-too-big', mtu: 1400 });
    expect(out[0].frame.length - 14).toBeLessThanOrEqual(1280);
  });

  const martians: [string, string, number][] = [
    ['::', '2001:db8:99::5', DropReason.martianSource],
    ['::1', '2001:db8:99::5', DropReason.martianSource],
    ['ff02::1', '2001:db8:99::5', DropReason.martianSource],
    ['fe80::1', '2001:db8:99::5', DropReason.linkLocal],
    ['2001:db8:2::1', '2001:db8:99::5', DropReason.martianSource],
    ['2001:db8:1::10', '::1', DropReason.martianDestination],
    ['::ffff:10.0.1.10', '2001:db8:99::5', DropReason.martianSource],
    ['2001:db8:1::10', '::ffff:192.0.2.1', DropReason.martianDestination],
    ['2001:db8:1::10', '::', DropReason.martianDestination],
  ];
  for (const [src, dst, reason] of martians) {
    it(`martian ${src} -> ${dst} dropped without an error`, () => {
      const { rx, sink, fw } = router();
      expect(rx(0, udp6({ dstMac: R_MAC[0], src, dst, hop: 1 }))).toBe(Verdict.dropped);
      expect(fw.lastDrop).toBe(reason);
      expect(sink.sent).toHaveLength(0);
    });
  }

  it('own, multicast and link-local destinations are the kernel\'s', () => {
    const { rx, sink } = router();
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:2::1', hop: 1 }))).toBe(Verdict.kernel);
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: 'ff05::2' }))).toBe(Verdict.kernel);
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: 'fe80::10', dst: 'fe80::1' }))).toBe(Verdict.kernel);
    expect(sink.sent).toHaveLength(0);
  });

  it('completes a partial UDP checksum', () => {
    const { rx, sink } = router();
    const f = udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', payload: 33 });
    const m = makePartialUdp(f, 6);
    rx(0, f, { flags: FrameFlag.csumNotReady, ...m });
    expect(udpChecksumOk(sink.take()[0].frame, 6)).toBe(true);
  });
});

describe('ICMP error rate limit', () => {
  it('a burst passes, the rest is limited until tokens refill; off means unlimited', () => {
    const { rx, sink, fw } = router({ icmpRateLimit: { enabled: true, perSecond: 10, burst: 5 } });
    for (let i = 0; i < 20; i++) rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }), { now: 1000 });
    expect(sink.take()).toHaveLength(5);
    expect(fw.counters.icmp[IcmpCounter.rateLimited]).toBe(15);
    expect(fw.counters.dropCount(DropReason.ttlExceeded)).toBe(20);
    // 300 ms later: 3 more tokens.
    for (let i = 0; i < 10; i++) rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }), { now: 1300 });
    expect(sink.take()).toHaveLength(3);
    fw.setIcmpRateLimit({ enabled: false, perSecond: 10, burst: 5 });
    for (let i = 0; i < 50; i++) rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }), { now: 1300 });
    expect(sink.take()).toHaveLength(50);
  });

  it('IPv6 errors have their own bucket', () => {
    const { rx, sink } = router({ icmpRateLimit: { enabled: true, perSecond: 1, burst: 2 } });
    for (let i = 0; i < 5; i++) rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }));
    for (let i = 0; i < 5; i++) rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', hop: 1 }));
    const out = sink.take().map((s) => (decoded(s.frame).ipv4 ? 4 : 6));
    expect(out).toEqual([4, 4, 6, 6]);
  });
});
