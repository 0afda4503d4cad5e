/**
 * Wireshark's BGP dissector as an independent oracle: every kind of message
 * this codec emits (OPEN, UPDATE for IPv4/IPv6 on 4- and 2-octet sessions
 * with AS4_PATH/AS4_AGGREGATOR, extended-length attributes, 32-byte next
 * hops, withdrawals, End-of-RIB, ROUTE-REFRESH, KEEPALIVE, Cease with an
 * RFC 8203 text) is written to a pcap and read back by tshark (installed
 * by the project's setup), which must find no malformed packet and no
 * expert warning. Needs the `tshark` binary.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeOpen } from '../../../src/bgp/wire/open.js';
import { buildOpen, DEFAULT_FAMILIES } from '../../../src/bgp/wire/open-checks.js';
import { buildAnnouncements, buildWithdrawals, endOfRib } from '../../../src/bgp/wire/update-builder.js';
import { encodeKeepalive, encodeRouteRefresh } from '../../../src/bgp/wire/route-refresh.js';
import { ceaseNotification, encodeNotification } from '../../../src/bgp/wire/notification.js';
import type { IpPrefix } from '../../../src/lib/prefix.js';
import type { PathAttributes } from '../../../src/bgp/wire/types.js';

/** A classic pcap of one TCP stream 10.0.0.1:179 -> 10.0.0.2:40000 carrying `payloads` back to back. */
function pcap(payloads: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6); g.writeUInt32LE(65535, 16); g.writeUInt32LE(1, 20);
  parts.push(g);
  let seq = 1000;
  payloads.forEach((p, i) => {
    const frame = Buffer.alloc(14 + 20 + 20 + p.length);
    frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
    const ip = 14;
    frame.set([0x45, 0, 0, 0, 0, i & 0xff, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], ip);
    frame.writeUInt16BE(40 + p.length, ip + 2);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += frame.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame.writeUInt16BE(~sum & 0xffff, ip + 10);
    const tcp = ip + 20;
    frame.writeUInt16BE(179, tcp); frame.writeUInt16BE(40000, tcp + 2);
    frame.writeUInt32BE(seq, tcp + 4); frame.writeUInt32BE(1, tcp + 8);
    frame[tcp + 12] = 0x50; frame[tcp + 13] = 0x18; frame.writeUInt16BE(65535, tcp + 14);
    frame.set(p, tcp + 20);
    seq += p.length;
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1764000000 + i, 0); h.writeUInt32LE(frame.length, 8); h.writeUInt32LE(frame.length, 12);
    parts.push(h, frame);
  });
  return Buffer.concat(parts);
}

function ourMessages(): Uint8Array[] {
  const asPath = [{ type: 2 as const, asns: [65001, 4200000001] }, { type: 1 as const, asns: [7, 8] }];
  const attrs: PathAttributes = {
    origin: 0, asPath, nextHop: Uint8Array.of(10, 0, 0, 1), med: 10, localPref: 100, atomicAggregate: true,
    aggregator: { asn: 4200000001, address: Uint8Array.of(10, 0, 0, 1) },
    communities: Array.from({ length: 70 }, (_, i) => (0xfde90000 + i) >>> 0), // 280 bytes: extended length
  };
  const v4: IpPrefix[] = Array.from({ length: 1500 }, (_, i) => ({ family: 4, bytes: Uint8Array.of(10, i >> 8, i & 255, 0), len: 24 }));
  const v6: IpPrefix[] = Array.from({ length: 300 }, (_, i) => ({ family: 6, bytes: Uint8Array.of(0x20, 1, 0xd, 0xb8, i >> 8, i & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), len: 48 }));
  const nh6 = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
  const out: Uint8Array[] = [encodeOpen(buildOpen({ localAsn: 4200000001, bgpId: 0x0a000001, holdTime: 9, peerAsn: 65002, families: DEFAULT_FAMILIES })), encodeKeepalive()];
  for (const ctx of [{ fourOctetAs: true }, { fourOctetAs: false }]) {
    out.push(...buildAnnouncements({ attributes: attrs, prefixes: [...v4, ...v6], ipv6NextHop: nh6 }, ctx));
    out.push(...buildAnnouncements({ attributes: attrs, prefixes: v6.slice(0, 5), ipv6NextHop: nh6.slice(0, 16) }, ctx));
  }
  out.push(...buildWithdrawals([...v4, ...v6], { fourOctetAs: true }), endOfRib(1), endOfRib(2));
  out.push(encodeRouteRefresh({ type: 'route-refresh', afi: 2, safi: 1 }), encodeNotification(ceaseNotification(2, 'maintenance: back at 14:00 ✓')));
  return out;
}

describe('tshark reads what we send', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-tshark-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every message decodes as BGP with no malformed packet or expert warning', () => {
    const msgs = ourMessages();
    const file = join(dir, 'ours.pcap');
    writeFileSync(file, pcap(msgs));
    const tshark = (args: string[]) => execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // One verbose dissection (tshark is slow to start): message types in order, then no warnings anywhere.
    const text = tshark(['-V']);
    const types = [...text.matchAll(/^\s+Type: [A-Z-]+ Message \((\d)\)$/gm)].map((m) => m[1]);
    expect(types).toEqual(msgs.map((m) => String(m[18])));
    expect(text).not.toMatch(/Malformed Packet|Expert Info \((Warning|Error)/);
    expect(text).toContain('AS4_PATH: 65001 4200000001 {7, 8}');
    expect(text).toContain('Next hop: IPv6=2001:db8:ff::1 Link-local=fe80::1');
    expect(text).toContain('Shutdown Communication: maintenance: back at 14:00 ✓');
  });
});
