import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSpoofedFrame, spoofedSource, MAX_SPOOFING_ATTACKERS, SPOOFED_SOURCES_PER_ATTACKER } from '../../../src/anycast/spoofed-frames.js';
import { emitWhoamiRequest, parseWhoamiRequest } from '../../../src/anycast/whoami.js';
import { parseEthernet, EtherType } from '../../../src/packet/ethernet.js';
import { parseIpv4 } from '../../../src/packet/ipv4.js';
import { parseIpv6 } from '../../../src/packet/ipv6.js';
import { parseUdp } from '../../../src/packet/udp.js';
import { formatAddress, parsePrefix, prefixCovers } from '../../../src/lib/prefix.js';

const mac = (x: number) => Uint8Array.of(2, 0, 0, 0, 0, x);
const bench4 = parsePrefix('198.18.0.0/15');
const bench6 = parsePrefix('2001:2::/48');

describe('spoofed sources', () => {
  it('stay inside the benchmarking ranges, one block per attacker, hosts 1..254', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_SPOOFING_ATTACKERS - 1 }), fc.nat(), (index, n) => {
      const v4 = spoofedSource(4, index, n);
      const v6 = spoofedSource(6, index, n);
      expect(bench4.ok && prefixCovers(bench4.value, { family: 4, bytes: v4 })).toBe(true);
      expect(bench6.ok && prefixCovers(bench6.value, { family: 6, bytes: v6 })).toBe(true);
      expect(v4[3]).toBeGreaterThanOrEqual(1);
      expect(v4[3]).toBeLessThanOrEqual(254);
    }));
    expect(formatAddress(spoofedSource(4, 0, 0))).toBe('198.18.0.1');
    expect(formatAddress(spoofedSource(4, 257, SPOOFED_SOURCES_PER_ATTACKER + 2))).toBe('198.19.1.3');
    expect(formatAddress(spoofedSource(6, 3, 9))).toBe('2001:2:0:3::a');
    expect(() => spoofedSource(4, MAX_SPOOFING_ATTACKERS, 0)).toThrow(/attacker index/);
  });

  it('distinct attackers never share a source', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) for (let n = 0; n < SPOOFED_SOURCES_PER_ATTACKER; n++) seen.add(formatAddress(spoofedSource(4, i, n)));
    expect(seen.size).toBe(4 * SPOOFED_SOURCES_PER_ATTACKER);
  });
});

describe('buildSpoofedFrame', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: a frame our own parsers accept, with valid checksums and the whoami flood message`, () => {
      const src = spoofedSource(family, 2, 5);
      const dst = family === 4 ? Uint8Array.of(192, 0, 2, 53) : spoofedSource(6, 9, 9);
      const frame = buildSpoofedFrame({ family, srcMac: mac(1), dstMac: mac(2), src, dst, srcPort: 40005, dstPort: 7777, payload: emitWhoamiRequest({ t: 'flood', seq: 5, id: 'atk1' }) });
      const eth = parseEthernet(frame);
      if (!eth.ok) throw new Error(eth.error.message);
      expect(eth.value.header.ethertype).toBe(family === 4 ? EtherType.IPV4 : EtherType.IPV6);
      expect([...eth.value.header.dst]).toEqual([...mac(2)]);
      const ip = family === 4 ? parseIpv4(eth.value.payload) : parseIpv6(eth.value.payload);
      if (!ip.ok) throw new Error(ip.error.message);
      expect([...ip.value.header.src]).toEqual([...src]);
      expect([...ip.value.header.dst]).toEqual([...dst]);
      const udp = parseUdp(ip.value.payload, { src, dst });
      if (!udp.ok) throw new Error(udp.error.message);
      expect(udp.value.header.dstPort).toBe(7777);
      expect(parseWhoamiRequest(udp.value.payload)).toMatchObject({ t: 'flood', seq: 5, id: 'atk1' });
    });
  }
});
