// Round trips (parse(emit(x)) == x) and "untrusted bytes never throw" for every codec.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EthernetView, emitEthernet, parseEthernet } from '../../../src/packet/ethernet.js';
import { ArpView, emitArp, parseArp } from '../../../src/packet/arp.js';
import { Ipv4View, emitIpv4, parseIpv4, validateIpv4, Ipv4Reassembler, fragmentIpv4 } from '../../../src/packet/ipv4.js';
import { Ipv6View, emitIpv6, parseIpv6, parseIpv6Extensions } from '../../../src/packet/ipv6.js';
import { emitUdp, parseUdp } from '../../../src/packet/udp.js';
import { emitIcmpv4, parseIcmpv4, buildIcmpv4Error } from '../../../src/packet/icmpv4.js';
import { Icmpv6View, emitIcmpv6, parseIcmpv6, buildIcmpv6Error } from '../../../src/packet/icmpv6.js';
import { addressPair, arpPacket, bytes, ethernetHeader, icmpv4Message, icmpv6Message, ipv4Header, ipv6Header, payload } from './arbitraries.js';
import { allFrames } from '../../unit/packet/vectors.js';
import { decodeFrame } from '../../unit/packet/decode-frame.js';

const RUNS = { numRuns: 300 };

describe('round trips: parse(emit(x)) == x', () => {
  it('Ethernet', () => {
    fc.assert(fc.property(ethernetHeader, payload(), (h, p) => {
      const r = parseEthernet(emitEthernet(h, p));
      expect(r.ok && r.value).toEqual({ header: h, payload: p });
    }), RUNS);
  });

  it('ARP', () => {
    fc.assert(fc.property(arpPacket, (a) => {
      const r = parseArp(emitArp(a));
      expect(r.ok && r.value).toEqual(a);
    }), RUNS);
  });

  it('IPv4 (options included)', () => {
    fc.assert(fc.property(ipv4Header, payload(), (h, p) => {
      const bytesOut = emitIpv4(h, p);
      const r = parseIpv4(bytesOut);
      expect(r.ok && r.value).toEqual({ header: h, payload: p });
      expect(validateIpv4(bytesOut, 0, bytesOut.length)).toBeNull();
    }), RUNS);
  });

  it('IPv6', () => {
    fc.assert(fc.property(ipv6Header, payload(), (h, p) => {
      const r = parseIpv6(emitIpv6(h, p));
      expect(r.ok && r.value).toEqual({ header: h, payload: p });
    }), RUNS);
  });

  it('UDP with a verified checksum over IPv4 and IPv6 pseudo-headers', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), payload(), addressPair, (s, d, p, addrs) => {
      const seg = emitUdp({ srcPort: s, dstPort: d }, p, addrs);
      expect(seg[6] | seg[7]).not.toBe(0); // a computed checksum is never sent as 0
      const r = parseUdp(seg, addrs);
      expect(r.ok && r.value).toEqual({ header: { srcPort: s, dstPort: d }, payload: p });
    }), RUNS);
  });

  it('ICMPv4', () => {
    fc.assert(fc.property(icmpv4Message, (m) => {
      const r = parseIcmpv4(emitIcmpv4(m));
      expect(r.ok && r.value).toEqual(m);
    }), RUNS);
  });

  it('ICMPv6 (ND options included) with a verified checksum', () => {
    fc.assert(fc.property(icmpv6Message, bytes(16), bytes(16), (m, src, dst) => {
      const r = parseIcmpv6(emitIcmpv6(m, { src, dst }), { src, dst });
      expect(r.ok && r.value).toEqual(m);
    }), RUNS);
  });
});

describe('untrusted bytes never throw', () => {
  const anyBytes = fc.uint8Array({ maxLength: 200 });

  it('every parser returns a result for random bytes', () => {
    fc.assert(fc.property(anyBytes, addressPair, (b, addrs) => {
      for (const r of [
        parseEthernet(b), parseArp(b), parseIpv4(b), parseIpv6(b), parseIpv6Extensions(b),
        parseUdp(b), parseUdp(b, addrs), parseIcmpv4(b), parseIcmpv6(b), parseIcmpv6(b, { src: new Uint8Array(16), dst: new Uint8Array(16) }),
        decodeFrame(b),
      ]) {
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.error.code).toMatch(/^[a-z0-9]+\.[a-z0-9.-]+$/);
      }
      expect(() => fragmentIpv4(b, 576)).not.toThrow();
      expect(() => new Ipv4Reassembler().push(b, 0)).not.toThrow();
      expect(() => buildIcmpv4Error(b, { kind: 'time-exceeded', code: 0 }, { src: new Uint8Array(4) })).not.toThrow();
      expect(() => buildIcmpv6Error(b, { kind: 'time-exceeded', code: 0 }, { src: new Uint8Array(16) })).not.toThrow();
    }), { numRuns: 500 });
  });

  it('random IP-looking bytes: views validate and walk without throwing or looping', () => {
    const ipLike = fc.tuple(fc.constantFrom(0x45, 0x4f, 0x60, 0x44), fc.uint8Array({ minLength: 0, maxLength: 120 })).map(([v, rest]) => Uint8Array.of(v, ...rest));
    fc.assert(fc.property(ipLike, (b) => {
      const v4 = new Ipv4View().at(b);
      expect(() => v4.validate(b.length)).not.toThrow();
      const v6 = new Ipv6View().at(b);
      if (v6.validate(b.length) === null) {
        const w = v6.walk();
        if (w === null) expect(v6.upperOffset).toBeLessThanOrEqual(v6.totalLength);
      }
      const i6 = new Icmpv6View().at(b);
      expect(i6.findLinkLayerAddress(1, b.length)).toBeLessThan(b.length);
      const e = new EthernetView().at(b);
      if (e.isValid(b.length)) expect(e.payloadOffset).toBeLessThanOrEqual(b.length);
      const a = new ArpView().at(b);
      expect(typeof a.isValid(b.length)).toBe('boolean');
    }), { numRuns: 500 });
  });

  it('captured frames with random bytes overwritten decode to a result', () => {
    const frames = Object.values(allFrames);
    const mutation = fc.record({
      frame: fc.integer({ min: 0, max: frames.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cut: fc.nat(),
    });
    fc.assert(fc.property(mutation, ({ frame, edits, cut }) => {
      const f = frames[frame].slice(0, Math.max(1, frames[frame].length - (cut % 64)));
      for (const [at, v] of edits) f[at % f.length] = v;
      const r = decodeFrame(f);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 500 });
  });
});
