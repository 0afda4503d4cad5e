// Vectors: test/unit/packet/vectors.ts (tcpdump captures made on this machine).
import { describe, expect, it } from 'vitest';
import { EthernetView, EtherType, emitEthernet, ethernetLen, parseEthernet } from '../../../src/packet/ethernet.js';
import { ArpOp, ArpView, arpLen, emitArp, parseArp } from '../../../src/packet/arp.js';
import { arpReply, arpRequest, icmpEchoRequest, vlanTaggedUdp } from './vectors.js';
import { ip4, mac } from './decode-frame.js';

describe('Ethernet II', () => {
  it('parses an untagged frame (icmpEchoRequest) and emits the same bytes', () => {
    const r = parseEthernet(icmpEchoRequest);
    if (!r.ok) throw new Error(r.error.message);
    const h = r.value.header;
    expect(h.dst).toEqual(mac('12:14:c9:ef:70:ce'));
    expect(h.src).toEqual(mac('82:3d:fd:9f:35:4c'));
    expect(h.ethertype).toBe(EtherType.IPV4);
    expect(h.vlan).toBeUndefined();
    expect(r.value.payload.length).toBe(44);
    expect(ethernetLen(h, r.value.payload.length)).toBe(icmpEchoRequest.length);
    expect(emitEthernet(h, r.value.payload)).toEqual(icmpEchoRequest);
  });

  it('parses an 802.1Q tag and the EtherType after it (vlanTaggedUdp)', () => {
    const r = parseEthernet(vlanTaggedUdp);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header.vlan).toEqual({ tpid: 0x8100, pcp: 5, dei: false, vid: 10 });
    expect(r.value.header.ethertype).toBe(EtherType.IPV4);
    expect(r.value.payload[0]).toBe(0x45);
    expect(r.value.payload.length).toBe(32);
    expect(emitEthernet(r.value.header, r.value.payload)).toEqual(vlanTaggedUdp);
  });

  it('names short frames and short tags', () => {
    const a = parseEthernet(icmpEchoRequest.subarray(0, 13));
    expect(a.ok ? null : a.error.code).toBe('ethernet.truncated');
    const b = parseEthernet(vlanTaggedUdp.subarray(0, 17));
    expect(b.ok ? null : b.error.code).toBe('ethernet.tag-truncated');
  });

  it('keeps an unknown or 802.3-length type field as a number', () => {
    const f = icmpEchoRequest.slice(0, 20);
    f[12] = 0x00; f[13] = 0x2e;
    const r = parseEthernet(f);
    expect(r.ok && r.value.header.ethertype).toBe(0x2e);
  });

  it('view: reads type, tag and payload offset; rewrites MACs in place', () => {
    const v = new EthernetView();
    const f = vlanTaggedUdp.slice();
    v.at(f);
    expect(v.isValid(f.length)).toBe(true);
    expect(v.isValid(17)).toBe(false);
    expect(v.tagged).toBe(true);
    expect(v.vid).toBe(10);
    expect(v.ethertype).toBe(EtherType.IPV4);
    expect(v.payloadOffset).toBe(18);
    v.setDst(mac('aa:bb:cc:dd:ee:ff'));
    v.setSrc(mac('02:00:00:00:00:09'));
    const out = new Uint8Array(6);
    v.copyDst(out);
    expect(out).toEqual(mac('aa:bb:cc:dd:ee:ff'));
    expect(f.subarray(0, 12)).toEqual(Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 2, 0, 0, 0, 0, 9));
    expect(f.subarray(12)).toEqual(vlanTaggedUdp.subarray(12));
    v.at(icmpEchoRequest);
    expect(v.tagged).toBe(false);
    expect(v.vid).toBe(-1);
    expect(v.payloadOffset).toBe(14);
    expect(v.dstIsGroup).toBe(false);
  });
});

describe('ARP', () => {
  it('parses the captured request and reply and emits the same bytes', () => {
    const req = parseArp(arpRequest.subarray(14));
    if (!req.ok) throw new Error(req.error.message);
    expect(req.value).toEqual({
      op: ArpOp.REQUEST, senderMac: mac('82:3d:fd:9f:35:4c'), senderIp: ip4('10.0.1.1'),
      targetMac: new Uint8Array(6), targetIp: ip4('10.0.1.2'),
    });
    expect(emitArp(req.value)).toEqual(arpRequest.subarray(14));
    const rep = parseArp(arpReply.subarray(14));
    if (!rep.ok) throw new Error(rep.error.message);
    expect(rep.value.op).toBe(ArpOp.REPLY);
    expect(rep.value.senderMac).toEqual(mac('12:14:c9:ef:70:ce'));
    expect(rep.value.targetIp).toEqual(ip4('10.0.1.1'));
    expect(emitArp(rep.value)).toEqual(arpReply.subarray(14));
    expect(arpLen()).toBe(28);
  });

  it('view: answers the captured request in place exactly as Linux did', () => {
    const p = arpRequest.slice(14);
    const v = new ArpView().at(p);
    expect(v.isValid(p.length)).toBe(true);
    expect(v.op).toBe(1);
    expect(v.senderIp).toBe(0x0a000101);
    expect(v.targetIp).toBe(0x0a000102);
    v.makeReply(mac('12:14:c9:ef:70:ce'));
    expect(p).toEqual(arpReply.subarray(14));
  });

  it('refuses other hardware/protocol formats and short packets by name; keeps unknown opcodes', () => {
    const p = arpRequest.slice(14);
    p[3] = 0xdd; // protocol type 0x08dd
    const r = parseArp(p);
    expect(r.ok ? null : r.error.code).toBe('arp.unsupported-format');
    expect(new ArpView().at(p).isValid(p.length)).toBe(false);
    const s = parseArp(arpRequest.subarray(14, 14 + 27));
    expect(s.ok ? null : s.error.code).toBe('arp.truncated');
    const q = arpRequest.slice(14);
    q[7] = 9;
    const u = parseArp(q);
    expect(u.ok && u.value.op).toBe(9);
  });
});
