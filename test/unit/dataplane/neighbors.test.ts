/**
 * Our own ARP (RFC 826) and neighbour discovery (RFC 4861 §7.2) through the
 * pipeline: requests with the interface's MAC and address, replies learned,
 * packets queued with a cap, retries, give-up, ageing.
 */
import { describe, expect, it } from 'vitest';
import { Verdict } from '../../../src/dataplane/forward.js';
import { DropReason, IfCounter } from '../../../src/dataplane/counters.js';
import { PacketType } from '../../../src/dataplane/frame-io.js';
import { formatMac } from '../../../src/lib/mac.js';
import { formatAddress } from '../../../src/lib/prefix.js';
import { decodeFrame } from '../packet/decode-frame.js';
import { udp4, udp6, arp, na } from './helpers.js';
import { router, R_MAC, A_MAC, B_MAC } from './setup.js';

function decoded(frame: Uint8Array) {
  const d = decodeFrame(frame);
  if (!d.ok) throw new Error(`${d.error.code} ${d.error.message}`);
  return d.value;
}

const toB = () => udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 9 });

describe('ARP', () => {
  it('queues the packet, asks with the interface MAC and address, and sends the queue when the reply comes', () => {
    const { rx, sink, fw } = router({ learn: false });
    expect(rx(0, toB(), { now: 0 })).toBe(Verdict.queued);
    expect(rx(0, toB(), { now: 10 })).toBe(Verdict.queued);
    const req = sink.take();
    expect(req).toHaveLength(1); // one request for both packets
    expect(req[0].ifIndex).toBe(1);
    const d = decoded(req[0].frame);
    expect(formatMac(d.ethernet.dst)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(d.ethernet.src)).toBe(R_MAC[1]);
    expect(d.arp?.op).toBe(1);
    expect(formatMac(d.arp!.senderMac)).toBe(R_MAC[1]);
    expect(formatAddress(d.arp!.senderIp)).toBe('10.0.2.1');
    expect(formatAddress(d.arp!.targetIp)).toBe('10.0.2.2');
    expect(fw.counters.get(1, IfCounter.arpRequestsSent)).toBe(1);

    const reply = arp({ op: 'reply', senderMac: B_MAC, senderIp: '10.0.2.2', targetMac: R_MAC[1], targetIp: '10.0.2.1' });
    expect(rx(1, reply, { now: 20 })).toBe(Verdict.kernel); // the kernel sees it too
    const out = sink.take();
    expect(out).toHaveLength(2);
    for (const o of out) {
      const f = decoded(o.frame);
      expect(o.ifIndex).toBe(1);
      expect(formatMac(f.ethernet.dst)).toBe(B_MAC);
      expect(formatMac(f.ethernet.src)).toBe(R_MAC[1]);
      expect(f.ipv4?.ttl).toBe(8);
    }
    expect(fw.counters.get(1, IfCounter.forwarded)).toBe(2);
    expect(fw.neighbors.list(20)).toEqual([
      { interface: 'eth1', family: 4, address: '10.0.2.2', mac: B_MAC, state: 'reachable', ageMs: 0, pending: 0 },
    ]);
    // From now on: straight through.
    expect(rx(0, toB(), { now: 30 })).toBe(Verdict.forwarded);
  });

  it('retries every retransMs, then gives up: queued packets count as neighbor-unresolved', () => {
    const { rx, sink, fw } = router({ learn: false, neighbor: { retransMs: 1000, maxProbes: 3 } });
    rx(0, toB(), { now: 0 });
    rx(0, toB(), { now: 1 });
    for (const t of [500, 1000, 1500, 2000, 2500]) fw.tick(t);
    expect(sink.take()).toHaveLength(3);
    fw.tick(3000);
    expect(fw.counters.dropCount(DropReason.neighborUnresolved, 0)).toBe(2);
    expect(fw.neighbors.list(3000)).toHaveLength(0);
    expect(fw.neighbors.pendingCount).toBe(0);
  });

  it('caps the queue per address', () => {
    const { rx, fw } = router({ learn: false, neighbor: { maxPendingPerEntry: 2 } });
    expect(rx(0, toB())).toBe(Verdict.queued);
    expect(rx(0, toB())).toBe(Verdict.queued);
    expect(rx(0, toB())).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.neighborUnresolved);
  });

  it('learns a requester that asks for our address; ignores requests and replies not meant for us', () => {
    const { rx, fw } = router({ learn: false });
    expect(rx(0, arp({ op: 'request', senderMac: A_MAC, senderIp: '10.0.1.10', targetIp: '10.0.1.1' }), { pktType: PacketType.broadcast, now: 5 })).toBe(Verdict.kernel);
    expect(rx(0, arp({ op: 'request', senderMac: '02:00:00:00:00:a1', senderIp: '10.0.1.11', targetIp: '10.0.1.99' }), { pktType: PacketType.broadcast })).toBe(Verdict.kernel);
    expect(rx(0, arp({ op: 'reply', senderMac: '02:00:00:00:00:a2', senderIp: '10.0.1.12', targetMac: '02:00:00:00:00:a1', targetIp: '10.0.1.11' }))).toBe(Verdict.kernel);
    expect(fw.neighbors.list(5).map((n) => n.address)).toEqual(['10.0.1.10']);
    // The learned entry is used.
    expect(rx(1, udp4({ dstMac: R_MAC[1], src: '10.0.2.2', dst: '10.0.1.10' }))).toBe(Verdict.forwarded);
  });

  it('ages: reachable, then stale (re-probed when used), then removed', () => {
    const { rx, sink, fw } = router({ learn: false, neighbor: { reachableMs: 1000, staleMs: 2000, retransMs: 100 } });
    fw.neighbors.learn4(1, 0x0a000202, Uint8Array.from([2, 0, 0, 0, 0, 0xbb]), 0, 0, true);
    expect(fw.neighbors.list(500)[0].state).toBe('reachable');
    expect(fw.neighbors.list(1500)[0].state).toBe('stale');
    expect(rx(0, toB(), { now: 1500 })).toBe(Verdict.forwarded);
    const sent = sink.take();
    expect(sent.map((s) => decoded(s.frame).arp?.op ?? 'ip')).toEqual([1, 'ip']); // probe, then the packet
    fw.tick(3100);
    expect(fw.neighbors.list(3100)).toHaveLength(0);
  });
});

describe('a neighbour that goes silent', () => {
  it('stale and unanswered: after maxProbes probes it is incomplete again, packets wait, then are dropped', () => {
    const { rx, sink, fw } = router({ learn: false, neighbor: { reachableMs: 1000, retransMs: 100, maxProbes: 3 } });
    fw.neighbors.learn4(1, 0x0a000202, Uint8Array.from([2, 0, 0, 0, 0, 0xbb]), 0, 0, true);
    // Three uses while stale: each sends the packet and one probe.
    for (const t of [1100, 1200, 1300]) expect(rx(0, toB(), { now: t })).toBe(Verdict.forwarded);
    expect(sink.take().filter((s) => decoded(s.frame).arp).length).toBe(3);
    // The fourth finds three probes unanswered: the packet waits.
    expect(rx(0, toB(), { now: 1400 })).toBe(Verdict.queued);
    expect(fw.neighbors.list(1400)[0].state).toBe('incomplete');
    for (const t of [1500, 1600, 1700]) fw.tick(t);
    expect(fw.counters.dropCount(DropReason.neighborUnresolved, 0)).toBe(1);
    expect(fw.neighbors.list(1700)).toHaveLength(0);
  });

  it('an answer while stale keeps it in use', () => {
    const { rx, sink, fw } = router({ learn: false, neighbor: { reachableMs: 1000, retransMs: 100, maxProbes: 3 } });
    fw.neighbors.learn4(1, 0x0a000202, Uint8Array.from([2, 0, 0, 0, 0, 0xbb]), 0, 0, true);
    for (const t of [1100, 1200, 1300]) rx(0, toB(), { now: t });
    rx(1, arp({ op: 'reply', senderMac: B_MAC, senderIp: '10.0.2.2', targetMac: R_MAC[1], targetIp: '10.0.2.1' }), { now: 1350 });
    sink.take();
    expect(rx(0, toB(), { now: 1400 })).toBe(Verdict.forwarded);
    expect(fw.neighbors.list(1400)[0].state).toBe('reachable');
  });
});

describe('IPv6 neighbour discovery', () => {
  it('solicits the solicited-node group from the interface address and learns the advertisement', () => {
    const { rx, sink, fw } = router({ learn: false });
    expect(rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', hop: 5 }))).toBe(Verdict.queued);
    const [ns] = sink.take();
    expect(ns.ifIndex).toBe(1);
    const d = decoded(ns.frame); // ICMPv6 checksum verified
    expect(formatMac(d.ethernet.dst)).toBe('33:33:ff:00:00:02');
    expect(formatAddress(d.ipv6!.dst)).toBe('ff02::1:ff00:2');
    expect(formatAddress(d.ipv6!.src)).toBe('2001:db8:2::1');
    expect(d.ipv6!.hopLimit).toBe(255);
    expect(d.icmpv6?.kind).toBe('neighbor-solicitation');
    const m = d.icmpv6 as { target: Uint8Array; options: { type: number; data: Uint8Array }[] };
    expect(formatAddress(m.target)).toBe('2001:db8:2::2');
    expect(formatMac(m.options[0].data)).toBe(R_MAC[1]);
    expect(fw.counters.get(1, IfCounter.neighborSolicitsSent)).toBe(1);

    const adv = na({ srcMac: B_MAC, dstMac: R_MAC[1], src: '2001:db8:2::2', dst: '2001:db8:2::1', target: '2001:db8:2::2', targetMac: B_MAC });
    expect(rx(1, adv)).toBe(Verdict.kernel);
    const [out] = sink.take();
    const f = decoded(out.frame);
    expect(formatMac(f.ethernet.dst)).toBe(B_MAC);
    expect(f.ipv6?.hopLimit).toBe(4);
  });

  it('ignores advertisements that fail RFC 4861 §7.1 checks (hop limit not 255)', () => {
    const { rx, sink, fw } = router({ learn: false });
    rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5' }));
    sink.take();
    rx(1, na({ srcMac: B_MAC, dstMac: R_MAC[1], src: '2001:db8:2::2', dst: '2001:db8:2::1', target: '2001:db8:2::2', targetMac: B_MAC, hop: 64 }));
    expect(sink.sent).toHaveLength(0);
    expect(fw.neighbors.list(0)[0].state).toBe('incomplete');
  });
});
