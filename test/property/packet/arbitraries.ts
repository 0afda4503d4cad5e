/** fast-check generators for the packet codecs' plain headers. */
import fc from 'fast-check';
import type { EthernetHeader } from '../../../src/packet/ethernet.js';
import type { ArpPacket } from '../../../src/packet/arp.js';
import type { Ipv4Header } from '../../../src/packet/ipv4.js';
import type { Ipv6Header } from '../../../src/packet/ipv6.js';
import type { Icmpv4Message } from '../../../src/packet/icmpv4.js';
import type { Icmpv6Message, NdpOption } from '../../../src/packet/icmpv6.js';

export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
export const payload = (max = 300) => fc.uint8Array({ maxLength: max });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });

export const ethernetHeader: fc.Arbitrary<EthernetHeader> = fc.record(
  {
    dst: bytes(6),
    src: bytes(6),
    vlan: fc.record({
      tpid: fc.constantFrom(0x8100, 0x88a8),
      pcp: fc.integer({ min: 0, max: 7 }),
      dei: fc.boolean(),
      vid: fc.integer({ min: 0, max: 4095 }),
    }),
    ethertype: u16.filter((t) => t !== 0x8100 && t !== 0x88a8),
  },
  { requiredKeys: ['dst', 'src', 'ethertype'] },
);

export const arpPacket: fc.Arbitrary<ArpPacket> = fc.record({
  op: u16, senderMac: bytes(6), senderIp: bytes(4), targetMac: bytes(6), targetIp: bytes(4),
});

export const ipv4Options = fc.integer({ min: 0, max: 10 }).chain((words) => bytes(words * 4));

export const ipv4Header: fc.Arbitrary<Ipv4Header> = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  identification: u16,
  flags: fc.integer({ min: 0, max: 7 }),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
  ttl: u8,
  protocol: u8,
  src: bytes(4),
  dst: bytes(4),
  options: ipv4Options,
});

export const ipv6Header: fc.Arbitrary<Ipv6Header> = fc.record({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  nextHeader: u8,
  hopLimit: u8,
  src: bytes(16),
  dst: bytes(16),
});

export const icmpv4Message: fc.Arbitrary<Icmpv4Message> = fc.oneof(
  fc.record({ kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const), code: u8, id: u16, seq: u16, data: payload(100) }),
  fc.record({ kind: fc.constant('dest-unreachable' as const), code: u8, nextHopMtu: u16, quote: payload(100) }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: u8, quote: payload(100) }),
  fc.record({
    kind: fc.constant('unknown' as const),
    type: u8.filter((t) => ![0, 3, 8, 11].includes(t)),
    code: u8,
    rest: fc.integer({ min: 0, max: 0xffffffff }),
    body: payload(100),
  }),
);

const ndpOption: fc.Arbitrary<NdpOption> = fc.record({
  type: u8,
  data: fc.integer({ min: 1, max: 4 }).chain((units) => bytes(units * 8 - 2)),
});
const ndpOptions = fc.array(ndpOption, { maxLength: 4 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const icmpv6Message: fc.Arbitrary<Icmpv6Message> = fc.oneof(
  fc.record({ kind: fc.constantFrom('dest-unreachable' as const, 'time-exceeded' as const), code: u8, quote: payload(100) }),
  fc.record({ kind: fc.constant('packet-too-big' as const), code: u8, mtu: u32, quote: payload(100) }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: u8, pointer: u32, quote: payload(100) }),
  fc.record({ kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const), code: u8, id: u16, seq: u16, data: payload(100) }),
  fc.record({ kind: fc.constant('router-solicitation' as const), code: u8, options: ndpOptions }),
  fc.record({ kind: fc.constant('neighbor-solicitation' as const), code: u8, target: bytes(16), options: ndpOptions }),
  fc.record({
    kind: fc.constant('neighbor-advertisement' as const), code: u8,
    router: fc.boolean(), solicited: fc.boolean(), override: fc.boolean(), target: bytes(16), options: ndpOptions,
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    type: u8.filter((t) => ![1, 2, 3, 4, 128, 129, 133, 135, 136].includes(t)),
    code: u8,
    body: payload(100),
  }),
);

/** Source and destination of one family, for pseudo-headers. */
export const addressPair = fc.oneof(
  fc.record({ src: bytes(4), dst: bytes(4) }),
  fc.record({ src: bytes(16), dst: bytes(16) }),
);
