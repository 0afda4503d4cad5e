/**
 * Encoders: the UPDATE builder's packing, End-of-RIB, 2-octet sessions
 * (AS_TRANS + AS4_PATH, RFC 6793), extended length, the Partial bit, OPEN
 * and its negotiation, shutdown communications.
 */
import { describe, expect, it } from 'vitest';
import { buildAnnouncements, buildWithdrawals, endOfRib } from '../../../src/bgp/wire/update-builder.js';
import { decodeUpdate, encodeUpdate } from '../../../src/bgp/wire/update.js';
import { decodeOpen, encodeOpen } from '../../../src/bgp/wire/open.js';
import { buildOpen, checkOpen, type LocalSessionConfig } from '../../../src/bgp/wire/open-checks.js';
import { ceaseNotification, shutdownCommunication, shutdownCommunicationData } from '../../../src/bgp/wire/notification.js';
import { mergeAs4Path } from '../../../src/bgp/wire/as-path.js';
import { formatPrefix, numberToIpv4, parseAddress, type IpPrefix } from '../../../src/lib/prefix.js';
import type { PathAttributes, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { attr, toHex, update, ORIGIN_IGP } from './build.js';
import { vector } from './vectors.js';

const ctx4 = { fourOctetAs: true };
const ctx2 = { fourOctetAs: false };
const nh = Uint8Array.of(10, 0, 0, 1);
const base: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001, 4200000001] }], nextHop: nh };

function v4(i: number, len = 24): IpPrefix {
  return { family: 4, bytes: numberToIpv4(((10 << 24) | (i << 8)) >>> 0), len };
}
function v6(i: number): IpPrefix {
  const b = new Uint8Array(16);
  b.set([0x20, 0x01, 0x0d, 0xb8, i >> 8, i & 0xff]);
  return { family: 6, bytes: b, len: 48 };
}
function decoded(msgs: Uint8Array[], ctx = ctx4): UpdateMessage[] {
  return msgs.map((m) => {
    const r = decodeUpdate(m, ctx);
    expect(r.errors).toEqual([]);
    return r.update;
  });
}

describe('UPDATE builder', () => {
  it('packs 2000 IPv4 prefixes into full messages of at most 4096 bytes, in order', () => {
    const prefixes = Array.from({ length: 2000 }, (_, i) => v4(i));
    const msgs = buildAnnouncements({ attributes: base, prefixes }, ctx4);
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    // Each /24 takes 4 bytes: every message but the last is within 4 bytes of the limit.
    for (const m of msgs.slice(0, -1)) expect(m.length).toBeGreaterThan(4096 - 4);
    const us = decoded(msgs);
    expect(us.flatMap((u) => u.nlri).map(formatPrefix)).toEqual(prefixes.map(formatPrefix));
    for (const u of us) expect(u.attributes).toEqual(base);
    expect(msgs.length).toBe(Math.ceil(2000 * 4 / (4096 - 23 - (msgs[0].length - 23 - 4 * us[0].nlri.length))));
  });

  it('packs IPv6 prefixes into MP_REACH_NLRI with a 32-byte next hop and no NEXT_HOP attribute', () => {
    const prefixes = Array.from({ length: 1500 }, (_, i) => v6(i));
    const nh6 = new Uint8Array(32);
    nh6.set(parseAddress('2001:db8:ff::1').ok ? (parseAddress('2001:db8:ff::1') as { value: { bytes: Uint8Array } }).value.bytes : []);
    nh6[16] = 0xfe; nh6[17] = 0x80; nh6[31] = 1;
    const msgs = buildAnnouncements({ attributes: base, prefixes, ipv6NextHop: nh6 }, ctx4);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    const us = decoded(msgs);
    expect(us.flatMap((u) => u.attributes.mpReach!.nlri).map(formatPrefix)).toEqual(prefixes.map(formatPrefix));
    for (const u of us) {
      expect(u.attributes.nextHop).toBeUndefined();
      expect(toHex(u.attributes.mpReach!.nextHop)).toBe(toHex(nh6));
      expect(u.nlri).toEqual([]);
    }
  });

  it('withdraws IPv4 in the withdrawn field and IPv6 in MP_UNREACH_NLRI', () => {
    const prefixes = [...Array.from({ length: 1200 }, (_, i) => v4(i)), ...Array.from({ length: 800 }, (_, i) => v6(i))];
    const msgs = buildWithdrawals(prefixes, ctx4);
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    const us = decoded(msgs);
    const got = us.flatMap((u) => [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])]);
    expect(got.map(formatPrefix)).toEqual(prefixes.map(formatPrefix));
  });

  it('End-of-RIB markers are byte-identical to the ones BIRD sent', () => {
    expect(toHex(endOfRib(1))).toBe(toHex(vector('update-6')));
    expect(toHex(endOfRib(2))).toBe(toHex(vector('update-2')));
  });
});

describe('2-octet AS sessions (RFC 6793)', () => {
  it('AS_PATH carries AS_TRANS and AS4_PATH the real path; decoding merges them back', () => {
    const u: UpdateMessage = { type: 'update', withdrawn: [], nlri: [v4(1)], attributes: { ...base, aggregator: { asn: 4200000001, address: nh } } };
    const bytes = encodeUpdate(u, ctx2);
    // Constructed from RFC 6793 §4.2.2: AS_PATH 2-octet [65001, 23456], AGGREGATOR 23456, AS4_PATH and AS4_AGGREGATOR 4-octet.
    const expected = update(
      ORIGIN_IGP + attr(0x40, 2, '0202 fde9 5ba0') + attr(0x40, 3, '0a000001') + attr(0xc0, 7, '5ba0 0a000001') +
      attr(0xc0, 17, '0202 0000fde9 fa56ea01') + attr(0xc0, 18, 'fa56ea01 0a000001'),
      '18 0a0001');
    expect(toHex(bytes)).toBe(toHex(expected));
    const r = decodeUpdate(bytes, ctx2);
    expect(r.errors).toEqual([]);
    expect(r.update).toEqual(u);
  });

  it('no AS4_PATH when every AS fits in 2 octets', () => {
    const bytes = encodeUpdate({ type: 'update', withdrawn: [], nlri: [v4(1)], attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: nh } }, ctx2);
    expect(toHex(bytes)).not.toContain('c011');
  });

  it('merge keeps the leading ASes an old speaker prepended (§4.2.3)', () => {
    expect(mergeAs4Path(
      [{ type: 2, asns: [65003, 65001, 23456] }],
      [{ type: 2, asns: [65001, 4200000001] }],
    )).toEqual([{ type: 2, asns: [65003] }, { type: 2, asns: [65001, 4200000001] }]);
    // AS4_PATH longer than AS_PATH: ignored.
    expect(mergeAs4Path([{ type: 2, asns: [23456] }], [{ type: 2, asns: [1, 2] }])).toEqual([{ type: 2, asns: [23456] }]);
  });

  it('AS4_PATH from a 4-octet speaker is ignored', () => {
    const r = decodeUpdate(update(ORIGIN_IGP + attr(0x40, 2, '0201 0000fde9') + attr(0x40, 3, '0a000001') + attr(0xc0, 17, '0201 0000fde8'), '18 0a0001'), ctx4);
    expect(r.update.attributes.asPath).toEqual([{ type: 2, asns: [65001] }]);
  });
});

describe('attribute encoding details', () => {
  it('sets Extended Length when a value exceeds 255 bytes', () => {
    const communities = Array.from({ length: 100 }, (_, i) => (65001 * 65536 + i) >>> 0);
    const u: UpdateMessage = { type: 'update', withdrawn: [], nlri: [v4(2)], attributes: { ...base, communities } };
    const bytes = encodeUpdate(u, ctx4);
    expect(toHex(bytes)).toContain('d0080190'); // flags 0xd0, code 8, length 400
    expect(decodeUpdate(bytes, ctx4).update).toEqual(u);
  });

  it('re-sends unknown optional transitive attributes with the Partial bit', () => {
    const r = decodeUpdate(update(ORIGIN_IGP + attr(0x40, 2, '0201 0000fde9') + attr(0x40, 3, '0a000001') + attr(0xc0, 32, '0000fde9 00000001 00000002'), '18 0a0001'), ctx4);
    expect(r.update.attributes.unknown).toEqual([{ flags: 0xc0, code: 32, value: Uint8Array.from([0, 0, 0xfd, 0xe9, 0, 0, 0, 1, 0, 0, 0, 2]) }]);
    expect(toHex(encodeUpdate(r.update, ctx4))).toContain('e0200c0000fde9');
  });

  it('puts MP attributes first (RFC 7606 §5.1)', () => {
    const bytes = encodeUpdate({ type: 'update', withdrawn: [], nlri: [], attributes: { origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHop: new Uint8Array(16).fill(1), nlri: [v6(1)] } } }, ctx4);
    expect(bytes[23 + 1]).toBe(14);
  });
});

describe('OPEN', () => {
  const local: LocalSessionConfig = { localAsn: 4200000001, bgpId: 0x0a000001, holdTime: 9, peerAsn: 65002, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };

  it('our OPEN is byte-identical to BIRD\'s apart from the capabilities it has and we do not', () => {
    const ours = encodeOpen(buildOpen(local));
    const d = decodeOpen(ours);
    expect(d.ok && d.open).toEqual(buildOpen(local));
    // BIRD's (vector open-2) minus graceful restart (40 02 0078), enhanced RR (46 00) and LLGR (47 00); its parameter length adjusted.
    expect(toHex(ours)).toBe('ff'.repeat(16) + '0033 01 04 5ba0 0009 0a000001 16 02 14 01040001 0001 01040002 0001 0200 4104 fa56ea01'.replace(/ /g, ''));
  });

  it('negotiates hold time, keepalive, 4-octet AS, families and route refresh', () => {
    const d = decodeOpen(vector('open-5'));
    if (!d.ok) throw new Error('decode');
    const c = checkOpen(d.open, { ...local, holdTime: 30 });
    expect(c.ok && c.negotiated).toEqual({
      peerAsn: 65002, peerBgpId: 0x0a000002, fourOctetAs: true, holdTime: 9, keepaliveTime: 3,
      families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }], routeRefresh: true,
    });
    // Hold 0 on either side: no keepalives.
    const z = checkOpen({ ...d.open, holdTime: 0 }, local);
    expect(z.ok && [z.negotiated.holdTime, z.negotiated.keepaliveTime]).toEqual([0, 0]);
    // No multiprotocol capability at all: IPv4 unicast only (RFC 4760 §8); no 4-octet capability: 2-octet session.
    const old = checkOpen({ ...d.open, capabilities: [] }, local);
    expect(old.ok && [old.negotiated.families, old.negotiated.fourOctetAs, old.negotiated.routeRefresh]).toEqual([[{ afi: 1, safi: 1 }], false, false]);
  });

  it('rejects our own identifier only from an internal peer (RFC 6286)', () => {
    const d = decodeOpen(vector('open-5'));
    if (!d.ok) throw new Error('decode');
    expect(checkOpen({ ...d.open, bgpId: local.bgpId }, local).ok).toBe(true);
    const ibgp = checkOpen({ ...d.open, bgpId: local.bgpId, capabilities: [{ kind: 'four-octet-as', asn: 4200000001 }] }, { ...local, peerAsn: 4200000001 });
    expect(!ibgp.ok && [ibgp.error.code, ibgp.error.subcode]).toEqual([2, 3]);
  });
});

describe('shutdown communication (RFC 8203 / RFC 9003)', () => {
  it('length byte + UTF-8, cut at 255 bytes on a character boundary', () => {
    expect(toHex(shutdownCommunicationData('hi'))).toBe('026869');
    const long = 'é'.repeat(200); // 400 bytes
    const d = shutdownCommunicationData(long);
    expect(d[0]).toBe(254);
    expect(d.length).toBe(255);
    expect(shutdownCommunication(ceaseNotification(2, long))).toBe('é'.repeat(127));
  });

  it('rejects lengths past the data and invalid UTF-8; only for Cease 2 and 4', () => {
    expect(shutdownCommunication({ code: 6, subcode: 2, data: Uint8Array.of(5, 0x61) })).toBeUndefined();
    expect(shutdownCommunication({ code: 6, subcode: 4, data: Uint8Array.of(1, 0xff) })).toBeUndefined();
    expect(shutdownCommunication({ code: 6, subcode: 3, data: Uint8Array.of(1, 0x61) })).toBeUndefined();
    expect(shutdownCommunication({ code: 6, subcode: 4, data: Uint8Array.of(1, 0x61) })).toBe('a');
    expect(ceaseNotification(7, 'ignored').data.length).toBe(0);
  });
});
