/**
 * The codec against BGP captured here from BIRD 2.0.12 (see vectors.ts for
 * how): deconstruct each message, re-encode it, split the whole stream in
 * any chunking, and cut every message at every length.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type DecodedMessage } from '../../../src/bgp/wire/message.js';
import { MessageSplitter } from '../../../src/bgp/wire/stream-splitter.js';
import { shutdownCommunication } from '../../../src/bgp/wire/notification.js';
import { endOfRibFamily } from '../../../src/bgp/wire/update-builder.js';
import { formatAddress, formatPrefix } from '../../../src/lib/prefix.js';
import type { BgpMessage, CodecContext } from '../../../src/bgp/wire/types.js';
import { CAPTURED, CAPTURED_FRR, hexToBytes, vector } from './vectors.js';

const ALL = [...CAPTURED, ...CAPTURED_FRR];
import { toHex } from './build.js';

const ctx: CodecContext = { fourOctetAs: true };

function messageOf(d: DecodedMessage): BgpMessage {
  if (d.kind === 'error') throw new Error(`decode error ${d.error.code}/${d.error.subcode}: ${d.error.reason}`);
  if (d.kind === 'update') {
    expect(d.result.errors).toEqual([]);
    return d.result.update;
  }
  return d.message;
}

describe('captured BIRD messages', () => {
  it('OPEN from AS 4200000001: AS_TRANS in My AS, 4-octet AS, both families, route refresh, unknown capabilities kept', () => {
    const m = messageOf(decodeMessage(vector('open-2'), ctx));
    expect(m).toMatchObject({ type: 'open', version: 4, myAs: 23456, holdTime: 9, bgpId: 0x0a000001 });
    if (m.type !== 'open') return;
    expect(m.capabilities.filter((c) => c.kind !== 'unknown')).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 4200000001 },
    ]);
    // Graceful restart (64), enhanced route refresh (70), long-lived GR (71).
    expect(m.capabilities.filter((c) => c.kind === 'unknown').map((c) => (c.kind === 'unknown' ? c.code : 0))).toEqual([64, 70, 71]);
  });

  it('IPv4 UPDATE: attributes and two NLRI', () => {
    const m = messageOf(decodeMessage(vector('update-4'), ctx));
    if (m.type !== 'update') throw new Error('not an update');
    expect(m.attributes.origin).toBe(0);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [4200000001] }]);
    expect(formatAddress(m.attributes.nextHop!)).toBe('10.0.0.1');
    expect(m.nlri.map(formatPrefix)).toEqual(['198.51.100.0/24', '203.0.113.0/25']);
  });

  it('IPv4 UPDATE with COMMUNITIES (65001,100)', () => {
    const m = messageOf(decodeMessage(vector('update-5'), ctx));
    if (m.type !== 'update') throw new Error('not an update');
    expect(m.attributes.communities).toEqual([((65001 << 16) | 100) >>> 0]);
    expect(m.nlri.map(formatPrefix)).toEqual(['192.0.2.128/26']);
  });

  it('IPv6 UPDATE: MP_REACH with a 32-byte next hop (global + link-local)', () => {
    const m = messageOf(decodeMessage(vector('update-8'), ctx));
    if (m.type !== 'update') throw new Error('not an update');
    const r = m.attributes.mpReach!;
    expect([r.afi, r.safi, r.nextHop.length]).toEqual([2, 1, 32]);
    expect(formatAddress(r.nextHop.subarray(0, 16))).toBe('2001:db8:ff::1');
    expect(formatAddress(r.nextHop.subarray(16))).toMatch(/^fe80::/);
    expect(r.nlri.map(formatPrefix)).toEqual(['2001:db8:1::/48', '2001:db8:2:10::/64']);
  });

  it('End-of-RIB markers for both families', () => {
    const v4 = messageOf(decodeMessage(vector('update-6'), ctx));
    const v6 = messageOf(decodeMessage(vector('update-2'), ctx));
    if (v4.type !== 'update' || v6.type !== 'update') throw new Error('not updates');
    expect(endOfRibFamily(v4)).toEqual({ afi: 1, safi: 1 });
    expect(endOfRibFamily(v6)).toEqual({ afi: 2, safi: 1 });
    expect(endOfRibFamily(messageOf(decodeMessage(vector('update-4'), ctx)) as never)).toBeUndefined();
  });

  it('NOTIFICATION Cease 6/2 with an RFC 8203 shutdown communication', () => {
    const m = messageOf(decodeMessage(vector('notification-2'), ctx));
    if (m.type !== 'notification') throw new Error('not a notification');
    expect([m.code, m.subcode]).toEqual([6, 2]);
    expect(shutdownCommunication(m)).toBe('lab maintenance: back soon');
  });

  it('NOTIFICATION 2/2 Bad Peer AS as BIRD sends it', () => {
    const m = messageOf(decodeMessage(vector('notification-1'), ctx));
    expect(m).toEqual({ type: 'notification', code: 2, subcode: 2, data: hexToBytes('fa56ea01') });
  });

  it('ROUTE-REFRESH with RFC 7313 subtypes', () => {
    expect(messageOf(decodeMessage(vector('route-refresh-5'), ctx))).toEqual({ type: 'route-refresh', afi: 1, safi: 1 });
    expect(messageOf(decodeMessage(vector('route-refresh-4'), ctx))).toEqual({ type: 'route-refresh', afi: 2, safi: 1, subtype: 2 });
  });

  it('every vector re-encodes to the same message; byte for byte unless the sender used Extended Length on a short attribute', () => {
    let exact = 0;
    for (const v of ALL) {
      const bytes = hexToBytes(v.hex);
      const m = messageOf(decodeMessage(bytes, ctx));
      const again = encodeMessage(m, ctx);
      const m2 = messageOf(decodeMessage(again, ctx));
      expect(m2).toEqual(withPartial(m));
      if (m.type === 'open') continue; // FRR puts each capability in its own parameter, we use one.
      const short = shortExtendedAttributes(bytes);
      expect(again.length).toBe(bytes.length - short);
      if (short === 0 && !(m.type === 'update' && m.attributes.unknown)) {
        expect(toHex(again)).toBe(v.hex);
        exact++;
      }
    }
    expect(exact).toBeGreaterThanOrEqual(21);
  });
});

/** Unknown optional transitive attributes go back out with the Partial bit (RFC 4271 §5). */
function withPartial(m: BgpMessage): BgpMessage {
  if (m.type !== 'update' || !m.attributes.unknown) return m;
  return { ...m, attributes: { ...m.attributes, unknown: m.attributes.unknown.map((u) => ({ ...u, flags: u.flags | 0x20 })) } };
}

/** Attributes of an UPDATE sent with Extended Length although their value fits in one length byte (BIRD: MP_REACH; FRR: AS_PATH). */
function shortExtendedAttributes(b: Uint8Array): number {
  if (b[18] !== 2) return 0;
  const w = (b[19] << 8) | b[20];
  const aStart = 23 + w;
  const aEnd = aStart + ((b[21 + w] << 8) | b[22 + w]);
  let n = 0;
  for (let o = aStart; o < aEnd;) {
    const ext = (b[o] & 0x10) !== 0;
    const len = ext ? (b[o + 2] << 8) | b[o + 3] : b[o + 2];
    if (ext && len <= 255) n++;
    o += (ext ? 4 : 3) + len;
  }
  return n;
}

describe('captured FRR 8.4.4 messages', () => {
  it('OPEN: capabilities this speaker does not implement are kept as unknown and ignored', () => {
    const m = messageOf(decodeMessage(vector('frr-open-2'), ctx));
    if (m.type !== 'open') throw new Error('not an open');
    expect([m.myAs, m.holdTime, m.bgpId]).toEqual([65003, 9, 0x0a000102]);
    expect(m.capabilities.filter((c) => c.kind !== 'unknown')).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 65003 },
    ]);
    // Extended message (6), old Cisco route refresh (128), enhanced RR (70), add-path (69), FQDN (73), GR (64), LLGR (71).
    expect(m.capabilities.flatMap((c) => (c.kind === 'unknown' ? [c.code] : [])).sort((a, b) => a - b)).toEqual([6, 64, 69, 70, 71, 73, 128]);
  });

  it('OPEN with dont-capability-negotiate has no parameters at all', () => {
    expect(messageOf(decodeMessage(vector('frr-open-1'), ctx))).toEqual({ type: 'open', version: 4, myAs: 65003, holdTime: 9, bgpId: 0x0a000102, capabilities: [] });
  });

  it('UPDATE with AS_PATH in Extended Length form, COMMUNITIES and a large community kept as unknown', () => {
    const m = messageOf(decodeMessage(vector('frr-update-5'), ctx));
    if (m.type !== 'update') throw new Error('not an update');
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [65003, 4200000001] }]);
    expect(m.attributes.communities).toEqual([((65001 << 16) | 100) >>> 0]);
    expect(m.attributes.unknown).toEqual([{ flags: 0xc0, code: 32, value: hexToBytes('fa56ea01 00000001 00000002'.replace(/ /g, '')) }]);
    expect(m.nlri.map(formatPrefix)).toEqual(['192.0.2.128/26']);
  });

  it('UPDATE with MED 0 for its own IPv4 network', () => {
    const m = messageOf(decodeMessage(vector('frr-update-1'), ctx));
    if (m.type !== 'update') throw new Error('not an update');
    expect([m.attributes.med, m.attributes.asPath]).toEqual([0, [{ type: 2, asns: [65003] }]]);
    expect(m.nlri.map(formatPrefix)).toEqual(['100.64.2.0/24']);
  });

  it('NOTIFICATIONs: Bad Peer AS for AS_TRANS, and Cease 6/2 with a shutdown message', () => {
    expect(messageOf(decodeMessage(vector('frr-notification-1'), ctx))).toEqual({ type: 'notification', code: 2, subcode: 2, data: hexToBytes('5ba0') });
    const n = messageOf(decodeMessage(vector('frr-notification-2'), ctx));
    if (n.type !== 'notification') throw new Error('not a notification');
    expect(shutdownCommunication(n)).toBe('frr going down for the lab');
  });

  it('BIRD withdrawals: IPv4 withdrawn routes field and MP_UNREACH_NLRI', () => {
    const v4 = messageOf(decodeMessage(vector('bird-update-16'), ctx));
    const v6 = messageOf(decodeMessage(vector('bird-update-9'), ctx));
    if (v4.type !== 'update' || v6.type !== 'update') throw new Error('not updates');
    expect(v4.withdrawn.map(formatPrefix)).toEqual(['100.64.2.0/24']);
    expect(v6.attributes.mpUnreach?.withdrawn.map(formatPrefix)).toEqual(['2001:db8:c::/48']);
  });
});

describe('stream splitter over the captured streams', () => {
  const streams = new Map<string, Uint8Array[]>();
  for (const v of ALL) streams.set(v.dir, [...(streams.get(v.dir) ?? []), hexToBytes(v.hex)]);

  it('any chunking yields the same messages', () => {
    for (const [, msgs] of streams) {
      const all = Buffer.concat(msgs);
      for (const chunk of [1, 2, 7, 19, 64, 1000]) {
        const s = new MessageSplitter();
        const got: string[] = [];
        for (let i = 0; i < all.length; i += chunk) {
          for (const item of s.push(all.subarray(i, i + chunk))) {
            expect(item.kind).toBe('message');
            if (item.kind === 'message') got.push(toHex(item.frame));
          }
        }
        expect(got).toEqual(msgs.map(toHex));
        expect(s.pending).toBe(0);
      }
    }
  });

  it('stops at the first header error and ignores what follows', () => {
    const s = new MessageSplitter();
    const bad = vector('keepalive-1');
    bad[18] = 9;
    const items = s.push(Buffer.concat([vector('keepalive-1'), bad, vector('keepalive-1')]));
    expect(items.map((i) => i.kind)).toEqual(['message', 'error']);
    expect(s.broken).toBe(true);
    expect(s.push(vector('keepalive-1'))).toEqual([]);
  });

  it('reports a header error as soon as 19 bytes are in, before the body', () => {
    const s = new MessageSplitter();
    const big = vector('keepalive-1');
    big[16] = 0x20; // 8192 bytes
    expect(s.push(big.subarray(0, 18))).toEqual([]);
    const items = s.push(big.subarray(18, 19));
    expect(items[0]?.kind).toBe('error');
  });
});

describe('truncations', () => {
  it('every cut of every vector is an error when the length field is left alone, and never throws', () => {
    for (const v of ALL) {
      const bytes = hexToBytes(v.hex);
      for (let n = 0; n < bytes.length; n++) {
        const d = decodeMessage(bytes.slice(0, n), ctx);
        expect(d.kind).toBe('error');
      }
    }
  });

  it('every cut with the length field fixed up decodes to an error or to a message that re-encodes to itself', () => {
    for (const v of ALL) {
      const bytes = hexToBytes(v.hex);
      for (let n = 19; n < bytes.length; n++) {
        const cut = bytes.slice(0, n);
        cut[16] = n >> 8;
        cut[17] = n & 0xff;
        const d = decodeMessage(cut, ctx);
        if (d.kind === 'error') continue;
        if (d.kind === 'update' && d.result.action !== undefined) {
          expect(d.result.errors.length).toBeGreaterThan(0);
          for (const e of d.result.errors) expect(e.data.length).toBeLessThanOrEqual(n);
          continue;
        }
        const m = d.kind === 'update' ? d.result.update : d.message;
        expect(messageOf(decodeMessage(encodeMessage(m, ctx), ctx))).toEqual(withPartial(m));
      }
    }
  });
});
