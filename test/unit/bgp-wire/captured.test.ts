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
import { CAPTURED, hexToBytes, vector } from './vectors.js';
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

  it('every vector re-encodes to the captured bytes, except BIRD always sets Extended Length on MP_REACH', () => {
    for (const v of CAPTURED) {
      const bytes = hexToBytes(v.hex);
      const m = messageOf(decodeMessage(bytes, ctx));
      const again = encodeMessage(m, ctx);
      if (v.hex.includes('900e00')) {
        // Same message, MP_REACH with a 1-byte length: decode both and compare.
        expect(again.length).toBe(bytes.length - 1);
        expect(messageOf(decodeMessage(again, ctx))).toEqual(m);
      } else {
        expect(toHex(again)).toBe(v.hex);
      }
    }
  });
});

describe('stream splitter over the captured streams', () => {
  const streams = new Map<string, Uint8Array[]>();
  for (const v of CAPTURED) streams.set(v.dir, [...(streams.get(v.dir) ?? []), hexToBytes(v.hex)]);

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
    for (const v of CAPTURED) {
      const bytes = hexToBytes(v.hex);
      for (let n = 0; n < bytes.length; n++) {
        const d = decodeMessage(bytes.slice(0, n), ctx);
        expect(d.kind).toBe('error');
      }
    }
  });

  it('every cut with the length field fixed up decodes to an error or to a message that re-encodes to itself', () => {
    for (const v of CAPTURED) {
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
        expect(messageOf(decodeMessage(encodeMessage(m, ctx), ctx))).toEqual(m);
      }
    }
  });
});
