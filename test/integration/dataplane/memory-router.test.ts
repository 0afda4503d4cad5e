/**
 * The Dataplane edge over in-memory wires (MemoryFrameIo), no root needed:
 *
 *   host A (a-eth0) ── r-eth0 [router] r-eth1 ── host B (b-eth0, MTU 1400)
 *                                     r-eth2 ── host C (c-eth0)
 *
 * Hosts are small emulators that answer ARP requests and neighbour
 * solicitations for their own address and record everything else. The
 * router knows nothing of them beforehand: it resolves them itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryFrameIo, MemoryNetwork, type MemoryFramePort } from '../../../src/dataplane/memory-frame-io.js';
import { Dataplane } from '../../../src/dataplane/dataplane.js';
import type { TraceRecord } from '../../../src/dataplane/trace.js';
import { Ipv4Reassembler } from '../../../src/packet/ipv4.js';
import { formatAddress } from '../../../src/lib/prefix.js';
import { formatMac } from '../../../src/lib/mac.js';
import { decodeFrame, type DecodedFrame } from '../../unit/packet/decode-frame.js';
import { TestRoutes, udp4, udp6, arp, na, addr } from '../../unit/dataplane/helpers.js';

const R = ['02:00:00:00:01:00', '02:00:00:00:01:01', '02:00:00:00:01:02'];

class Host {
  readonly received: { frame: Uint8Array; d: DecodedFrame }[] = [];
  readonly port: MemoryFramePort;
  constructor(io: MemoryFrameIo, name: string, readonly mac: string, readonly ip4: string, readonly ip6?: string) {
    this.port = io.open(name);
    this.port.onFrames((b) => {
      for (let i = 0; i < b.count; i++) {
        const frame = b.buffer.slice(b.offsets[i], b.offsets[i] + b.lengths[i]);
        const r = decodeFrame(frame);
        if (!r.ok) throw new Error(`${name} got an undecodable frame: ${r.error.code}`);
        const d = r.value;
        if (d.arp && d.arp.op === 1 && formatAddress(d.arp.targetIp) === ip4) {
          this.port.send(arp({ op: 'reply', senderMac: mac, senderIp: ip4, targetMac: formatMac(d.arp.senderMac), targetIp: formatAddress(d.arp.senderIp) }));
          continue;
        }
        if (d.icmpv6?.kind === 'neighbor-solicitation' && ip6 && formatAddress(d.icmpv6.target) === formatAddress(addr(ip6))) {
          this.port.send(na({ srcMac: mac, dstMac: formatMac(d.ethernet.src), src: ip6, dst: formatAddress(d.ipv6!.src), target: ip6, targetMac: mac }));
          continue;
        }
        this.received.push({ frame, d });
      }
    });
  }
  send(frame: Uint8Array): void {
    this.port.send(frame);
  }
  take(): { frame: Uint8Array; d: DecodedFrame }[] {
    return this.received.splice(0, this.received.length);
  }
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function lab(opts: { rateLimit?: { enabled: boolean; perSecond: number; burst: number } } = {}) {
  const net = new MemoryNetwork();
  net.link({ name: 'a-eth0', mac: '02:00:00:00:00:aa' }, { name: 'r-eth0', mac: R[0] });
  net.link({ name: 'b-eth0', mac: '02:00:00:00:00:bb', mtu: 1400 }, { name: 'r-eth1', mac: R[1], mtu: 1400 });
  net.link({ name: 'c-eth0', mac: '02:00:00:00:00:cc' }, { name: 'r-eth2', mac: R[2] });
  const hostIo = new MemoryFrameIo(net);
  const a = new Host(hostIo, 'a-eth0', '02:00:00:00:00:aa', '10.0.1.10', '2001:db8:1::10');
  const b = new Host(hostIo, 'b-eth0', '02:00:00:00:00:bb', '10.0.2.10', '2001:db8:2::10');
  const c = new Host(hostIo, 'c-eth0', '02:00:00:00:00:cc', '10.0.3.10');
  const routes = new TestRoutes()
    .add('10.0.1.0/24', [{ interface: 'r-eth0' }])
    .add('10.0.2.0/24', [{ interface: 'r-eth1' }])
    .add('10.0.3.0/24', [{ interface: 'r-eth2' }])
    .add('198.51.100.0/24', [{ interface: 'r-eth1', gateway: '10.0.2.10' }, { interface: 'r-eth2', gateway: '10.0.3.10' }])
    .add('2001:db8:1::/64', [{ interface: 'r-eth0' }])
    .add('2001:db8:2::/64', [{ interface: 'r-eth1' }]);
  const clock = { t: 1000 };
  const traces: TraceRecord[] = [];
  const dp = new Dataplane({
    io: new MemoryFrameIo(net),
    interfaces: [
      { name: 'r-eth0', ipv4: ['10.0.1.1/24'], ipv6: ['2001:db8:1::1/64'] },
      { name: 'r-eth1', ipv4: ['10.0.2.1/24'], ipv6: ['2001:db8:2::1/64'] },
      { name: 'r-eth2', ipv4: ['10.0.3.1/24'] },
    ],
    routes,
    icmpRateLimit: opts.rateLimit ?? { enabled: false, perSecond: 0, burst: 0 },
    now: () => clock.t,
    onTrace: (r) => traces.push(r),
  });
  cleanup.push(() => { dp.close(); hostIo.close(); });
  return { net, a, b, c, dp, clock, traces };
}

describe('Dataplane over in-memory wires', () => {
  it('resolves both ways with its own ARP and forwards UDP with TTL - 1 and valid checksums', async () => {
    const { net, a, b, dp } = lab();
    a.send(udp4({ srcMac: '02:00:00:00:00:aa', dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 64, sport: 1111, dport: 2222 }));
    await net.settle();
    const atB = b.take();
    expect(atB).toHaveLength(1);
    expect(atB[0].d.ipv4?.ttl).toBe(63);
    expect(atB[0].d.udp).toEqual({ srcPort: 1111, dstPort: 2222 }); // checksum verified by the decoder
    expect(formatMac(atB[0].d.ethernet.src)).toBe(R[1]);
    b.send(udp4({ srcMac: '02:00:00:00:00:bb', dstMac: R[1], src: '10.0.2.10', dst: '10.0.1.10', ttl: 64, sport: 2222, dport: 1111 }));
    await net.settle();
    const atA = a.take();
    expect(atA).toHaveLength(1);
    expect(atA[0].d.ipv4?.ttl).toBe(63);
    const n = dp.neighbors().map((e) => `${e.interface} ${e.address} ${e.mac} ${e.state}`).sort();
    expect(n).toEqual(['r-eth0 10.0.1.10 02:00:00:00:00:aa reachable', 'r-eth1 10.0.2.10 02:00:00:00:00:bb reachable']);
    const cs = dp.counters();
    expect(cs.interfaces.find((i) => i.name === 'r-eth1')?.forwarded).toBe(1);
    expect(cs.interfaces.find((i) => i.name === 'r-eth1')?.arpRequestsSent).toBe(1);
    expect(cs.ports['r-eth0'].rxFrames).toBeGreaterThanOrEqual(2);
  });

  it('IPv6 with neighbour discovery', async () => {
    const { net, a, b } = lab();
    a.send(udp6({ srcMac: '02:00:00:00:00:aa', dstMac: R[0], src: '2001:db8:1::10', dst: '2001:db8:2::10', hop: 64 }));
    await net.settle();
    const atB = b.take();
    expect(atB).toHaveLength(1);
    expect(atB[0].d.ipv6?.hopLimit).toBe(63);
    expect(atB[0].d.udp?.dstPort).toBe(33434);
  });

  it('time exceeded and net unreachable come back to the sender from the router\'s address', async () => {
    const { net, a } = lab();
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 1 }));
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '203.0.113.5' }));
    await net.settle();
    const got = a.take().map((r) => [formatAddress(r.d.ipv4!.src), r.d.icmpv4?.kind, r.d.icmpv4?.code]);
    expect(got).toEqual([['10.0.1.1', 'time-exceeded', 0], ['10.0.1.1', 'dest-unreachable', 0]]);
  });

  it('DF onto the 1400-byte link: fragmentation needed with MTU 1400; without DF: fragments that reassemble', async () => {
    const { net, a, b } = lab();
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', df: true, payload: 1472 }));
    await net.settle();
    const err = a.take();
    expect(err).toHaveLength(1);
    expect(err[0].d.icmpv4).toMatchObject({ kind: 'dest-unreachable', code: 4, nextHopMtu: 1400 });
    expect(b.take()).toHaveLength(0);

    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', payload: 1472, id: 77 }));
    await net.settle();
    const pieces = b.take();
    expect(pieces.length).toBe(2);
    const r = new Ipv4Reassembler();
    const outcomes = pieces.map((p) => r.push(p.frame.slice(14), 0));
    const done = outcomes.find((o) => o.kind === 'complete');
    expect(done && done.kind === 'complete' ? done.packet.length : 0).toBe(1500);
  });

  it('IPv6 packet too big', async () => {
    const { net, a, b } = lab();
    a.send(udp6({ dstMac: R[0], src: '2001:db8:1::10', dst: '2001:db8:2::10', payload: 1400 }));
    await net.settle();
    const got = a.take();
    expect(got.map((g) => g.d.icmpv6?.kind)).toEqual(['packet-too-big']);
    expect(got[0].d.icmpv6).toMatchObject({ mtu: 1400 });
    expect(b.take()).toHaveLength(0);
  });

  it('ECMP: 32 flows, each stays on one path, both paths used', async () => {
    const { net, a, b, c } = lab();
    const pathOf = new Map<number, string>();
    for (let round = 0; round < 2; round++) {
      for (let flow = 0; flow < 32; flow++) {
        a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '198.51.100.1', sport: 30000 + flow, dport: 9 }));
      }
      await net.settle();
      for (const [host, name] of [[b, 'b'], [c, 'c']] as const) {
        for (const r of host.take()) {
          const flow = r.d.udp!.srcPort - 30000;
          const seen = pathOf.get(flow);
          if (seen === undefined) pathOf.set(flow, name);
          else expect(seen).toBe(name);
        }
      }
    }
    expect(pathOf.size).toBe(32);
    const values = [...pathOf.values()];
    expect(values.filter((v) => v === 'b').length).toBeGreaterThan(0);
    expect(values.filter((v) => v === 'c').length).toBeGreaterThan(0);
  });

  it('rate-limits ICMP errors: a flood gets only the burst, refilled over time', async () => {
    const { net, a, dp, clock } = lab({ rateLimit: { enabled: true, perSecond: 10, burst: 5 } });
    for (let i = 0; i < 30; i++) a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 1 }));
    await net.settle();
    expect(a.take()).toHaveLength(5);
    expect(dp.counters().icmp.rateLimited).toBe(25);
    expect(dp.counters().drops['ttl-exceeded']).toBe(30);
    clock.t += 500;
    for (let i = 0; i < 30; i++) a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 1 }));
    await net.settle();
    expect(a.take()).toHaveLength(5);
  });

  it('trace records for probes matching the filter', async () => {
    const { net, a, dp, traces } = lab();
    expect(dp.setTraceFilter({ protocol: 17, dstPort: 33434 })).toEqual({ ok: true });
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 5 }));
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', ttl: 1 }));
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10', dport: 53 }));
    await net.settle();
    expect(traces.map((t) => [t.action, t.reason ?? '', t.egress, t.ttl])).toEqual([
      ['queued', '', 'r-eth1', 5],
      ['drop', 'ttl-exceeded', 'r-eth1', 1],
    ]);
    expect(dp.setTraceFilter({ dst: 'nonsense' }).ok).toBe(false);
  });

  it('an interface set down sends nothing and forgets its neighbours; up again, it resolves anew', async () => {
    const { net, a, b, dp } = lab();
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10' }));
    await net.settle();
    expect(b.take()).toHaveLength(1);
    expect(dp.setInterfaceUp('r-eth1', false)).toBe(true);
    expect(dp.neighbors().some((n) => n.interface === 'r-eth1')).toBe(false);
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10' }));
    await net.settle();
    expect(b.take()).toHaveLength(0);
    expect(dp.counters().drops['egress-down']).toBe(1);
    dp.setInterfaceUp('r-eth1', true);
    a.send(udp4({ dstMac: R[0], src: '10.0.1.10', dst: '10.0.2.10' }));
    await net.settle();
    expect(b.take()).toHaveLength(1);
    expect(dp.setInterfaceUp('nope', true)).toBe(false);
  });
});
