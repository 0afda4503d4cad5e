// Vectors: test/unit/packet/vectors.ts (tcpdump captures made on this machine).
import { describe, expect, it } from 'vitest';
import {
  Ipv4Error, Ipv4Flag, Ipv4Reassembler, Ipv4View, emitIpv4, fragmentIpv4, ipv4CopiedOptions, ipv4Len, parseIpv4, validateIpv4,
} from '../../../src/packet/ipv4.js';
import { parseIcmpv4 } from '../../../src/packet/icmpv4.js';
import { internetChecksum } from '../../../src/lib/checksum.js';
import { icmpEchoRequest, ipv4Fragment0, ipv4Fragment1, ipv4RecordRouteReply, ipv4WithOptions } from './vectors.js';
import { ip4 } from './decode-frame.js';

const ipOf = (frame: Uint8Array) => frame.subarray(14);

describe('IPv4 parse/emit', () => {
  it('parses the captured echo request (tcpdump: ttl 64, id 4440, DF, proto 1, length 44)', () => {
    const r = parseIpv4(ipOf(icmpEchoRequest));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header).toEqual({
      dscp: 0, ecn: 0, identification: 4440, flags: Ipv4Flag.DF, fragmentOffset: 0, ttl: 64, protocol: 1,
      src: ip4('10.0.1.1'), dst: ip4('10.0.1.2'), options: new Uint8Array(0),
    });
    expect(r.value.payload.length).toBe(24);
    expect(ipv4Len(r.value.header, 24)).toBe(44);
    expect(emitIpv4(r.value.header, r.value.payload)).toEqual(ipOf(icmpEchoRequest));
  });

  it('carries options as bytes (ping -R: NOP + record route, IHL 15)', () => {
    for (const frame of [ipv4WithOptions, ipv4RecordRouteReply]) {
      const r = parseIpv4(ipOf(frame));
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.header.options.length).toBe(40);
      expect(emitIpv4(r.value.header, r.value.payload)).toEqual(ipOf(frame));
    }
    const r = parseIpv4(ipOf(ipv4WithOptions));
    // NOP; RR type 7, length 39, pointer 8: one slot filled with 10.0.1.1 (tcpdump: "RR 10.0.1.1, 0.0.0.0 …").
    expect(r.ok && r.value.header.options.subarray(0, 8)).toEqual(Uint8Array.of(0x01, 0x07, 0x27, 0x08, 10, 0, 1, 1));
  });

  it('cuts link-layer padding at the total length', () => {
    const padded = new Uint8Array(60);
    padded.set(ipOf(icmpEchoRequest));
    const r = parseIpv4(padded);
    expect(r.ok && r.value.payload.length).toBe(24);
  });

  it('names each RFC 1812 §5.2.2 failure distinctly', () => {
    const base = ipOf(icmpEchoRequest);
    const code = (b: Uint8Array) => { const r = parseIpv4(b); return r.ok ? null : r.error.code; };
    expect(code(base.subarray(0, 19))).toBe(Ipv4Error.TRUNCATED);
    const ver = base.slice(); ver[0] = 0x65;
    expect(code(ver)).toBe(Ipv4Error.BAD_VERSION);
    const ihl = base.slice(); ihl[0] = 0x44;
    expect(code(ihl)).toBe(Ipv4Error.BAD_IHL);
    const hdr = base.slice(0, 22); hdr[0] = 0x46;
    expect(code(hdr)).toBe(Ipv4Error.HEADER_TRUNCATED);
    const longer = base.slice(); longer[3] = 45;
    expect(code(longer)).toBe(Ipv4Error.BAD_TOTAL_LENGTH);
    const shorter = base.slice(); shorter[2] = 0; shorter[3] = 19;
    expect(code(shorter)).toBe(Ipv4Error.BAD_TOTAL_LENGTH);
    const sum = base.slice(); sum[11] ^= 1;
    expect(code(sum)).toBe(Ipv4Error.BAD_CHECKSUM);
    expect(validateIpv4(sum, 0, sum.length)).toBe(Ipv4Error.BAD_CHECKSUM);
    expect(validateIpv4(base, 0, base.length)).toBeNull();
  });
});

describe('Ipv4View', () => {
  it('reads fields in place', () => {
    const v = new Ipv4View().at(icmpEchoRequest, 14);
    expect(v.validate(44)).toBeNull();
    expect(v.version).toBe(4);
    expect(v.headerLength).toBe(20);
    expect(v.payloadOffset).toBe(34);
    expect(v.totalLength).toBe(44);
    expect(v.identification).toBe(4440);
    expect(v.dontFragment).toBe(true);
    expect(v.moreFragments).toBe(false);
    expect(v.isFragment).toBe(false);
    expect(v.ttl).toBe(64);
    expect(v.protocol).toBe(1);
    expect(v.src).toBe(0x0a000101);
    expect(v.dst).toBe(0x0a000102);
    expect(v.at(ipv4Fragment1, 14).fragmentOffset).toBe(185);
    expect(v.isFragment).toBe(true);
  });

  it('decrements the TTL with an incremental checksum equal to a full recomputation', () => {
    const f = icmpEchoRequest.slice();
    const v = new Ipv4View().at(f, 14);
    for (let i = 0; i < 64; i++) {
      expect(v.decrementTtl()).toBe(63 - i);
      expect(internetChecksum(f, 14, 34)).toBe(0);
    }
    const want = v.checksum;
    v.fillChecksum();
    expect(v.checksum).toBe(want);
  });
});

describe('fragmentation and reassembly', () => {
  it('reassembles the captured fragments into a 2028-byte echo request with a valid ICMP checksum', () => {
    const r = new Ipv4Reassembler();
    expect(r.push(ipOf(ipv4Fragment1), 0).kind).toBe('pending');
    const done = r.push(ipOf(ipv4Fragment0), 1);
    if (done.kind !== 'complete') throw new Error(done.kind);
    const p = parseIpv4(done.packet);
    if (!p.ok) throw new Error(p.error.message);
    expect(p.value.header.flags).toBe(0);
    expect(p.value.payload.length).toBe(2008);
    const icmp = parseIcmpv4(p.value.payload);
    expect(icmp.ok && icmp.value.kind).toBe('echo-request');
    expect(r.size).toBe(0);
  });

  it('splits the reassembled datagram for MTU 1500 exactly as Linux did', () => {
    const r = new Ipv4Reassembler();
    r.push(ipOf(ipv4Fragment0), 0);
    const done = r.push(ipOf(ipv4Fragment1), 0);
    if (done.kind !== 'complete') throw new Error(done.kind);
    const f = fragmentIpv4(done.packet, 1500);
    if (!f.ok) throw new Error(f.error.message);
    expect(f.value).toEqual([ipOf(ipv4Fragment0), ipOf(ipv4Fragment1)]);
  });

  it('refuses to fragment a DF datagram, and an MTU that cannot carry 8 bytes', () => {
    const withOpts = ipOf(ipv4WithOptions); // DF set, 84 bytes
    const df = fragmentIpv4(withOpts, 68);
    expect(df.ok ? null : df.error.code).toBe('ipv4.dont-fragment');
    const fits = fragmentIpv4(withOpts, 84);
    expect(fits.ok && fits.value.length).toBe(1);
    const noDf = withOpts.slice();
    noDf[6] = 0; // clear DF
    new Ipv4View().at(noDf).fillChecksum();
    const small = fragmentIpv4(noDf, 67);
    expect(small.ok ? null : small.error.code).toBe('ipv4.mtu-too-small');
  });

  it('repeats only copied options after the first fragment', () => {
    // NOP, record route (not copied), a copied option type 0x83 (loose source route) of 7 bytes.
    const opts = Uint8Array.of(1, 7, 7, 4, 0, 0, 0, 0, 0x83, 7, 4, 1, 2, 3, 4, 0);
    expect(ipv4CopiedOptions(opts)).toEqual(Uint8Array.of(0x83, 7, 4, 1, 2, 3, 4, 0));
    expect(ipv4CopiedOptions(Uint8Array.of(0x83, 1, 0, 0))).toEqual(new Uint8Array(0)); // malformed length
  });

  it('reassembly: drops overlaps, ignores duplicates, expires with time passed in', () => {
    const r = new Ipv4Reassembler({ timeoutMs: 1000 });
    expect(r.push(ipOf(ipv4Fragment0), 0).kind).toBe('pending');
    expect(r.push(ipOf(ipv4Fragment0), 10).kind).toBe('pending'); // duplicate
    expect(r.size).toBe(1);
    expect(r.expire(999)).toEqual([]);
    const gone = r.expire(1000);
    expect(gone.length).toBe(1);
    expect(gone[0].firstFragment).toEqual(ipOf(ipv4Fragment0));
    expect(r.size).toBe(0);

    // An overlapping piece: fragment 1 re-cut to start 8 bytes early.
    const p = parseIpv4(ipOf(ipv4Fragment1));
    if (!p.ok) throw new Error('vector');
    const overlap = emitIpv4({ ...p.value.header, fragmentOffset: 184 }, new Uint8Array(p.value.payload.length + 8));
    r.push(ipOf(ipv4Fragment0), 0);
    expect(r.push(overlap, 0)).toEqual({ kind: 'dropped', reason: 'overlap' });
    expect(r.size).toBe(0);
  });

  it('reassembly: passes whole datagrams through and reports invalid input', () => {
    const r = new Ipv4Reassembler();
    const whole = r.push(ipOf(icmpEchoRequest), 0);
    expect(whole.kind === 'complete' && whole.packet).toEqual(ipOf(icmpEchoRequest));
    const bad = ipOf(icmpEchoRequest).slice(); bad[10] ^= 0xff;
    const out = r.push(bad, 0);
    expect(out.kind === 'invalid' && out.error.code).toBe('ipv4.bad-checksum');
  });

  it('reassembly: drops a datagram that arrives in too many pieces', () => {
    const r = new Ipv4Reassembler({ maxFragments: 3 });
    const p = parseIpv4(ipOf(ipv4Fragment0));
    if (!p.ok) throw new Error('vector');
    const piece = (i: number) => emitIpv4({ ...p.value.header, fragmentOffset: i }, new Uint8Array(8));
    expect([0, 1, 2].map((i) => r.push(piece(i), 0).kind)).toEqual(['pending', 'pending', 'pending']);
    expect(r.push(piece(3), 0)).toEqual({ kind: 'dropped', reason: 'too-many-fragments' });
    expect(r.size).toBe(0);
  });

  it('reassembly: refuses non-final fragments whose length is not a non-zero multiple of 8', () => {
    const r = new Ipv4Reassembler();
    const p = parseIpv4(ipOf(ipv4Fragment0));
    if (!p.ok) throw new Error('vector');
    for (const n of [0, 7, 13]) {
      expect(r.push(emitIpv4(p.value.header, new Uint8Array(n)), 0)).toEqual({ kind: 'dropped', reason: 'bad-fragment-length' });
    }
    expect(r.size).toBe(0);
  });

  it('reassembly: bounds memory by evicting the oldest datagram', () => {
    const r = new Ipv4Reassembler({ maxDatagrams: 2 });
    const p = parseIpv4(ipOf(ipv4Fragment0));
    if (!p.ok) throw new Error('vector');
    for (let id = 0; id < 5; id++) r.push(emitIpv4({ ...p.value.header, identification: id }, p.value.payload), id);
    expect(r.size).toBe(2);
  });
});
