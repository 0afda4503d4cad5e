// LinuxFrameIo against real veths (root): two namespaces joined by a veth pair,
// ports opened inside them through the addon's setns, crafted Ethernet frames
// (EtherType 0x88b5, IEEE 802 local experimental) sent one way and checked on
// arrival byte for byte, with their packet type, flags and the counters.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameFlag, PacketType, type FrameBatch } from '../../src/dataplane/frame-io.js';
import { LinuxFrameIo, addonPath, ownAddressKeys, type LinuxFramePort } from '../../src/dataplane/linux-frame-io.js';

const id = randomBytes(3).toString('hex');
const NS_A = `fio-${id}-a`;
const NS_B = `fio-${id}-b`;
const DEV_A = 'fioa0';
const DEV_B = 'fiob0';
const created: string[] = [];

const EXPERIMENTAL = 0x88b5;

async function ip(...args: string[]): Promise<string> {
  return (await execa('ip', args)).stdout;
}

async function inNs(ns: string, ...argv: string[]): Promise<string> {
  return (await execa('ip', ['netns', 'exec', ns, ...argv])).stdout;
}

async function linkInfo(ns: string, dev: string): Promise<{ ifindex: number; address: string; mtu: number }> {
  const [info] = JSON.parse(await ip('-n', ns, '-json', 'link', 'show', 'dev', dev));
  return info;
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

function macString(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** dst, src, EtherType 0x88b5, a 4-byte test tag, then `size` pattern bytes. */
function testFrame(dst: Uint8Array, src: Uint8Array, tag: number, size = 46): Uint8Array {
  const f = new Uint8Array(14 + 4 + size);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = EXPERIMENTAL >> 8;
  f[13] = EXPERIMENTAL & 0xff;
  new DataView(f.buffer).setUint32(14, tag);
  for (let i = 0; i < size; i++) f[18 + i] = (tag * 31 + i) & 0xff;
  return f;
}

interface Seen {
  bytes: Buffer;
  pktType: number;
  flags: number;
  wireLength: number;
  csumStart: number;
  csumOffset: number;
  vlanTci: number;
}

/** Collects every received frame (copied: batch views are reused). */
function record(port: LinuxFramePort): Seen[] {
  const seen: Seen[] = [];
  port.onFrames((b: FrameBatch) => {
    for (let i = 0; i < b.count; i++) {
      seen.push({
        bytes: Buffer.from(b.buffer.subarray(b.offsets[i], b.offsets[i] + b.lengths[i])),
        pktType: b.pktType[i],
        flags: b.flags[i],
        wireLength: b.wireLengths[i],
        csumStart: b.csumStart[i],
        csumOffset: b.csumOffset[i],
        vlanTci: b.vlanTci[i],
      });
    }
  });
  return seen;
}

const ours = (s: Seen) => s.bytes.length >= 18 && s.bytes.readUInt16BE(12) === EXPERIMENTAL;
const tagOf = (s: Seen) => s.bytes.readUInt32BE(14);

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  for (const ns of [NS_A, NS_B]) {
    await ip('netns', 'add', ns);
    created.push(ns);
    // no IPv6 chatter (router solicitations, MLD) on the test link
    await inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  await ip('-n', NS_A, 'link', 'add', DEV_A, 'type', 'veth', 'peer', 'name', DEV_B, 'netns', NS_B);
  await inNs(NS_A, 'ethtool', '-K', DEV_A, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
  await inNs(NS_B, 'ethtool', '-K', DEV_B, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
  await ip('-n', NS_A, 'link', 'set', DEV_A, 'up');
  await ip('-n', NS_B, 'link', 'set', DEV_B, 'up');
});

afterAll(async () => {
  for (const ns of created) await execa('ip', ['netns', 'delete', ns], { reject: false });
});

describe.each([
  { mode: 'recvmmsg', ringFrames: 0 },
  { mode: 'TPACKET_V2 ring', ringFrames: 2048 }, // holds the whole 1000-frame burst, as 8 MiB of SO_RCVBUF does
])('LinuxFrameIo ($mode) on a veth pair between two namespaces', ({ ringFrames }) => {
  let ioA: LinuxFrameIo;
  let ioB: LinuxFrameIo;
  let a: LinuxFramePort;
  let b: LinuxFramePort;
  let seenA: Seen[];
  let seenB: Seen[];

  beforeAll(() => {
    ioA = new LinuxFrameIo({ netns: `/run/netns/${NS_A}` });
    ioB = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` });
    a = ioA.open(DEV_A, { ringFrames });
    b = ioB.open(DEV_B, { promiscuous: true, ringFrames });
    seenA = record(a);
    seenB = record(b);
  });

  afterAll(() => {
    ioA?.close();
    ioB?.close();
  });

  it('reports the interface as iproute2 does', async () => {
    const infoA = await linkInfo(NS_A, DEV_A);
    const infoB = await linkInfo(NS_B, DEV_B);
    expect(a.name).toBe(DEV_A);
    expect(a.ifindex).toBe(infoA.ifindex);
    expect(macString(a.mac)).toBe(infoA.address);
    expect(a.mtu).toBe(infoA.mtu);
    expect(macString(b.mac)).toBe(infoB.address);
    expect(b.rcvbuf).toBeGreaterThanOrEqual(8 * 1024 * 1024); // SO_RCVBUFFORCE as root
    expect(b.ring).toBe(ringFrames > 0);
    expect(addonPath()).toMatch(/build\/Release\/frameio\.node$/);
  });

  it('opening a missing interface throws an Error naming it', () => {
    expect(() => ioA.open('fio-missing0')).toThrow(/fio-missing0.*no such interface/);
    expect(() => new LinuxFrameIo({ netns: `/run/netns/${NS_A}-none` }).open(DEV_A)).toThrow(/netns|No such file/);
  });

  it('delivers frames byte for byte with their packet type: host, broadcast, multicast, other host', async () => {
    const before = seenB.length;
    const frames = [
      testFrame(b.mac, a.mac, 1),
      testFrame(macBytes('ff:ff:ff:ff:ff:ff'), a.mac, 2),
      testFrame(macBytes('01:00:5e:00:00:fb'), a.mac, 3),
      testFrame(macBytes('02:aa:bb:cc:dd:ee'), a.mac, 4, 1000),
    ];
    for (const f of frames) expect(a.send(f)).toBe(true);
    await waitFor(() => seenB.slice(before).filter(ours).length >= 4, '4 frames at B');
    const got = seenB.slice(before).filter(ours);
    expect(got.map((s) => s.bytes.toString('hex'))).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
    expect(got.map((s) => s.pktType)).toEqual([PacketType.host, PacketType.broadcast, PacketType.multicast, PacketType.otherHost]);
    expect(got.map((s) => s.wireLength)).toEqual(frames.map((f) => f.length));
    expect(got.every((s) => (s.flags & (FrameFlag.truncated | FrameFlag.csumNotReady)) === 0)).toBe(true);
  });

  it('a veth delivers foreign unicast even to a port without promiscuous mode, marked PACKET_OTHERHOST', async () => {
    const plain = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` }).open(DEV_B, { ringFrames });
    const seen = record(plain);
    a.send(testFrame(macBytes('02:aa:bb:cc:dd:ef'), a.mac, 5));
    await waitFor(() => seen.some(ours), 'the foreign frame');
    expect(seen.filter(ours).map((s) => [tagOf(s), s.pktType])).toEqual([[5, PacketType.otherHost]]);
    plain.close();
  });

  it('never reads outgoing frames: its own, another socket\'s on the same interface, the kernel\'s (PACKET_IGNORE_OUTGOING)', async () => {
    const other = new LinuxFrameIo({ netns: `/run/netns/${NS_A}` }).open(DEV_A, { ringFrames });
    const tags = new Set([101, 102, 103, 104]);
    a.send(testFrame(b.mac, a.mac, 101));
    a.send(testFrame(b.mac, a.mac, 102));
    other.send(testFrame(b.mac, a.mac, 103));
    other.send(testFrame(b.mac, a.mac, 104));
    await waitFor(() => seenB.filter(ours).filter((s) => tags.has(tagOf(s))).length === 4, 'frames at B');
    await new Promise((r) => setTimeout(r, 50));
    expect(seenA.filter(ours)).toEqual([]);
    other.close();
  });

  it('a burst of 1000 frames arrives complete, in order, with matching counters', async () => {
    const txBefore = a.counters();
    const rxBefore = b.counters();
    const start = seenB.length;
    for (let i = 0; i < 1000; i++) a.send(testFrame(b.mac, a.mac, 10_000 + i, 46 + (i % 200)));
    await waitFor(() => seenB.length - start >= 1000, '1000 frames at B');
    await new Promise((r) => setTimeout(r, 50));
    const got = seenB.slice(start);
    expect(got.filter(ours).map(tagOf)).toEqual([...Array(1000).keys()].map((i) => 10_000 + i));
    expect(got.every((s) => s.bytes.length === 18 + 46 + ((tagOf(s) - 10_000) % 200))).toBe(true);
    const tx = a.counters();
    const rx = b.counters();
    expect(tx.txFrames - txBefore.txFrames).toBe(1000);
    expect(tx.txBatches - txBefore.txBatches).toBeGreaterThanOrEqual(16); // sendmmsg batches of <= 64
    expect(tx.txErrors + tx.txDropped).toBe(txBefore.txErrors + txBefore.txDropped);
    expect(rx.rxFrames - rxBefore.rxFrames).toBe(got.length);
    expect(rx.kernelPackets - rxBefore.kernelPackets).toBe(got.length);
    expect(rx.kernelDrops).toBe(0);
    expect(rx.rxBatches - rxBefore.rxBatches).toBeLessThan(1000); // batched receive
  });

  it('keeps receiving past the ring size: 3 bursts of 1000 frames (slots are given back)', async () => {
    const start = seenB.length;
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 1000; i++) a.send(testFrame(b.mac, a.mac, 20_000 + burst * 1000 + i));
      await waitFor(() => seenB.length - start >= (burst + 1) * 1000, `burst ${burst}`);
    }
    expect(seenB.slice(start).filter(ours).map(tagOf)).toEqual([...Array(3000).keys()].map((i) => 20_000 + i));
    expect(b.counters().kernelDrops).toBe(0);
  });

  it('counts (does not throw) a frame longer than the MTU', async () => {
    const before = a.counters().txErrors;
    expect(a.send(testFrame(b.mac, a.mac, 7, 1500))).toBe(true); // 1518 bytes > 1500 + 14
    a.flush();
    expect(a.counters().txErrors).toBe(before + 1);
  });

  it('marks a frame longer than the slot as truncated and keeps its wire length', async () => {
    const small = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` }).open(DEV_B, { slotSize: 128, ringFrames });
    const seen = record(small);
    a.send(testFrame(b.mac, a.mac, 8, 300));
    await waitFor(() => seen.filter(ours).length === 1, 'the long frame');
    const [s] = seen.filter(ours);
    expect(s.bytes.length).toBe(128);
    expect(s.wireLength).toBe(318);
    expect(s.flags & FrameFlag.truncated).toBe(FrameFlag.truncated);
    expect(small.counters().rxTruncated).toBe(1);
    small.close();
  });

  it('reports a stripped 802.1Q tag', async () => {
    const before = seenB.length;
    const inner = testFrame(b.mac, a.mac, 9);
    const tagged = new Uint8Array(inner.length + 4);
    tagged.set(inner.subarray(0, 12), 0);
    tagged.set([0x81, 0x00, 0x00, 0x2a], 12); // VLAN 42
    tagged.set(inner.subarray(12), 16);
    a.send(tagged);
    await waitFor(() => seenB.slice(before).some(ours), 'the tagged frame');
    const s = seenB.slice(before).find(ours)!;
    expect(s.flags & FrameFlag.vlan).toBe(FrameFlag.vlan);
    expect(s.vlanTci & 0xfff).toBe(42);
    expect(s.bytes.toString('hex')).toBe(Buffer.from(inner).toString('hex'));
  });

  it('reports TP_STATUS_CSUMNOTREADY with csum_start/csum_offset when the sender left tx checksumming on', async () => {
    await ip('-n', NS_A, 'addr', 'replace', '10.99.0.1/24', 'dev', DEV_A);
    await ip('-n', NS_B, 'addr', 'replace', '10.99.0.2/24', 'dev', DEV_B);
    await inNs(NS_A, 'ethtool', '-K', DEV_A, 'tx', 'on');
    try {
      const before = seenB.length;
      const isUdp = (s: Seen) => s.bytes.readUInt16BE(12) === 0x0800 && s.bytes[23] === 17;
      await inNs(NS_A, process.execPath, '-e',
        "const s=require('dgram').createSocket('udp4');s.send(Buffer.alloc(32,1),9999,'10.99.0.2',()=>s.close())");
      await waitFor(() => seenB.slice(before).some(isUdp), 'the UDP datagram');
      const s = seenB.slice(before).find(isUdp)!;
      expect(s.flags & FrameFlag.csumNotReady).toBe(FrameFlag.csumNotReady);
      expect(s.csumStart).toBe(14 + 20); // Ethernet + IPv4 header: start of UDP
      expect(s.csumOffset).toBe(6); // UDP checksum field
      expect(seenA.some(isUdp)).toBe(false); // the kernel's outgoing datagram is not read back at A
    } finally {
      await inNs(NS_A, 'ethtool', '-K', DEV_A, 'tx', 'off');
    }
    const before = seenB.length;
    const isUdp = (s: Seen) => s.bytes.readUInt16BE(12) === 0x0800 && s.bytes[23] === 17;
    await inNs(NS_A, process.execPath, '-e',
      "const s=require('dgram').createSocket('udp4');s.send(Buffer.alloc(32,2),9999,'10.99.0.2',()=>s.close())");
    await waitFor(() => seenB.slice(before).some(isUdp), 'the second UDP datagram');
    const s = seenB.slice(before).find(isUdp)!;
    expect(s.flags & FrameFlag.csumNotReady).toBe(0);
    expect(s.csumStart).toBe(-1);
  });

  it('opens by name inside `ip netns exec` without setns (a router process)', async () => {
    const code = `const m=require(${JSON.stringify(addonPath())});const p=new m.Port(${JSON.stringify(DEV_B)});` +
      'console.log(JSON.stringify({name:p.name,ifindex:p.ifindex,mtu:p.mtu,mac:[...p.mac]}));p.close()';
    const out = JSON.parse(await inNs(NS_B, process.execPath, '-e', code));
    expect(out).toEqual({ name: DEV_B, ifindex: b.ifindex, mtu: b.mtu, mac: [...b.mac] });
  });

  it('survives its link going down and up: sends while down are counted, receiving resumes', async () => {
    const errorsBefore = b.counters().pollErrors;
    await ip('-n', NS_B, 'link', 'set', DEV_B, 'down');
    try {
      const before = b.counters().txErrors;
      expect(b.send(testFrame(a.mac, b.mac, 30))).toBe(true);
      b.flush();
      expect(b.counters().txErrors).toBe(before + 1); // ENETDOWN, counted, not thrown
    } finally {
      await ip('-n', NS_B, 'link', 'set', DEV_B, 'up');
    }
    const start = seenB.length;
    await waitFor(() => {
      a.send(testFrame(b.mac, a.mac, 31));
      return seenB.slice(start).some((s) => ours(s) && tagOf(s) === 31);
    }, 'a frame after the link came back');
    expect(b.counters().pollErrors).toBeGreaterThan(errorsBefore); // ENETDOWN was seen and counted
  });

  it('after close: no more frames, send refused and counted', async () => {
    const extra = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` }).open(DEV_B, { ringFrames });
    const seen = record(extra);
    extra.close();
    a.send(testFrame(b.mac, a.mac, 11));
    const before = seenB.length;
    await waitFor(() => seenB.slice(before).some(ours), 'the frame at B');
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([]);
    expect(extra.send(testFrame(a.mac, b.mac, 12))).toBe(false);
    expect(extra.counters().txDropped).toBe(1);
  });
});

describe('native port lifetime', () => {
  it('a port dropped without close() is released by the garbage collector; a polling one is kept', async () => {
    const code = [
      `const m = require(${JSON.stringify(addonPath())});`,
      "const fs = require('fs');",
      "const fds = () => fs.readdirSync('/proc/self/fd').length;",
      "const maps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => /packet|socket/.test(l)).length;",
      'const start = fds();',
      `(() => { for (let i = 0; i < 10; i++) { const p = new m.Port(${JSON.stringify(DEV_B)}, { ringFrames: i % 2 ? 64 : 0, slots: 8 });`,
      '  if (i % 3 === 0) { p.poll(() => {}); p.poll(null); } } })();',
      'const opened = fds();',
      `let kept = new m.Port(${JSON.stringify(DEV_B)}, { slots: 8 }); kept.poll(() => { while (kept && kept.recv() > 0); }); kept = null;`,
      '(async () => { for (let k = 0; k < 5; k++) { global.gc(); await new Promise((r) => setTimeout(r, 20)); }',
      '  console.log(JSON.stringify({ start, opened, after: fds(), rings: maps() })); process.exit(0); })();',
    ].join('\n');
    const out = JSON.parse(await inNs(NS_B, process.execPath, '--expose-gc', '-e', code));
    expect(out.opened).toBe(out.start + 10);
    expect(out.after).toBe(out.start + 1); // only the polling port remains open
    expect(out.rings).toBe(0); // ring mappings unmapped
  });
});

// The XDP program of an AF_XDP port (src/dataplane/native/xsk.c), rule by
// rule: crafted frames from A, each marked by its last byte; B records
// whether each arrived through the AF_XDP socket (its UMEM follows the copy
// slots in the receive buffer) or through the AF_PACKET socket.
describe('LinuxFrameIo with xdp: which frames the XDP program takes', () => {
  const SLOTS = 64;
  let ioA: LinuxFrameIo;
  let ioB: LinuxFrameIo;
  let a: LinuxFramePort;
  let b: LinuxFramePort;
  const seen = new Map<number, { xsk: boolean; pktType: number }>();

  beforeAll(() => {
    ioA = new LinuxFrameIo({ netns: `/run/netns/${NS_A}` });
    ioB = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` });
    a = ioA.open(DEV_A);
    b = ioB.open(DEV_B, { slots: SLOTS, xdp: 'auto', localAddresses: ownAddressKeys([{ ipv4: ['10.77.0.2/24'], ipv6: ['2001:db8:77::2/64'] }]) });
    b.onFrames((batch) => {
      for (let i = 0; i < batch.count; i++) {
        const last = batch.buffer[batch.offsets[i] + batch.lengths[i] - 1];
        seen.set(last, { xsk: batch.offsets[i] >= SLOTS * b.slotSize, pktType: batch.pktType[i] });
      }
    });
  });

  afterAll(() => {
    ioA?.close();
    ioB?.close();
  });

  const ipv4 = (dst: Uint8Array, to: string, mark: number, length = 60): Uint8Array => {
    const f = new Uint8Array(length);
    f.set(dst, 0);
    f.set(a.mac, 6);
    f.set([0x08, 0x00, 0x45, 0, 0, length - 14, 0, 0, 0, 0, 64, 17, 0, 0, 10, 77, 0, 1], 12);
    if (length >= 34) f.set(to.split('.').map(Number), 30);
    f[length - 1] = mark;
    return f;
  };
  const ipv6 = (to: number[], mark: number): Uint8Array => {
    const f = new Uint8Array(14 + 40 + 8);
    f.set(b.mac, 0);
    f.set(a.mac, 6);
    f.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 17, 64], 12);
    f.set(to, 38);
    f[f.length - 1] = mark;
    return f;
  };
  const arp = (mark: number): Uint8Array => {
    const f = new Uint8Array(60);
    f.set(b.mac, 0);
    f.set(a.mac, 6);
    f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2], 12);
    f[59] = mark;
    return f;
  };
  const v6 = (text: string): number[] => {
    const [hi, lo = ''] = text.split('::');
    const words = (s: string) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
    const h = words(hi), l = words(lo);
    return [...h, ...new Array(8 - h.length - l.length).fill(0), ...l].flatMap((w) => [w >> 8, w & 255]);
  };

  async function sendAll(frames: Uint8Array[]): Promise<void> {
    for (const f of frames) expect(a.send(f)).toBe(true);
    a.flush();
    const marks = frames.map((f) => f[f.length - 1]);
    await waitFor(() => marks.every((m) => seen.has(m)), `frames ${marks.join(',')} at B`);
  }

  it('is attached (native on a veth) and redirects only IPv4/IPv6 transit to its own MAC', async () => {
    expect(b.xdp).toBe('native');
    expect(await ip('-n', NS_B, 'link', 'show', 'dev', DEV_B)).toMatch(/prog\/xdp .*name lab_transit/);
    const other = macBytes('02:aa:bb:cc:dd:ee');
    const cases: [string, Uint8Array, boolean][] = [
      ['IPv4 transit', ipv4(b.mac, '10.99.0.1', 1), true],
      ['IPv4 to an own address', ipv4(b.mac, '10.77.0.2', 2), false],
      ['IPv4 to the own subnet broadcast', ipv4(b.mac, '10.77.0.255', 3), false],
      ['IPv4 transit to another MAC', ipv4(other, '10.99.0.1', 4), false],
      ['IPv4 multicast', ipv4(b.mac, '224.0.0.5', 5), false],
      ['IPv4 169.254/16', ipv4(b.mac, '169.254.1.1', 6), false],
      ['IPv4 shorter than its header', ipv4(b.mac, '', 7, 30), false],
      ['IPv6 transit', ipv6(v6('2001:db8:99::1'), 8), true],
      ['IPv6 to an own address', ipv6(v6('2001:db8:77::2'), 9), false],
      ['IPv6 link-local', ipv6(v6('fe80::1'), 10), false],
      ['IPv6 multicast', ipv6(v6('ff02::1'), 11), false],
      ['ARP', arp(12), false],
      ['another EtherType', testFrame(b.mac, a.mac, 0, 46).map((x, i, f) => (i === f.length - 1 ? 13 : x)), false],
    ];
    await sendAll(cases.map((c) => c[1]));
    for (const [what, f, xsk] of cases) expect(seen.get(f[f.length - 1])!.xsk, what).toBe(xsk);
    expect(seen.get(4)!.pktType).toBe(PacketType.otherHost);
    expect(seen.get(1)!.pktType).toBe(PacketType.host);
  });

  it('setLocalAddresses replaces the own set: a destination added is left to the kernel, one removed is redirected', async () => {
    b.setLocalAddresses(ownAddressKeys([{ ipv4: ['10.99.0.1/32'] }]));
    await sendAll([ipv4(b.mac, '10.99.0.1', 21), ipv4(b.mac, '10.77.0.2', 22)]);
    expect(seen.get(21)!.xsk).toBe(false);
    expect(seen.get(22)!.xsk).toBe(true);
  });

  it('close() takes the program off the interface', async () => {
    b.close();
    expect(await ip('-n', NS_B, 'link', 'show', 'dev', DEV_B)).not.toMatch(/xdp/);
  });

  it('a port that cannot have AF_XDP (MTU 9000: larger than a UMEM chunk) opens without it, says why, and still receives', async () => {
    for (const [ns, dev] of [[NS_A, DEV_A], [NS_B, DEV_B]]) await ip('-n', ns, 'link', 'set', 'dev', dev, 'mtu', '9000');
    const io = new LinuxFrameIo({ netns: `/run/netns/${NS_B}` });
    try {
      const big = io.open(DEV_B, { slots: SLOTS, xdp: 'auto', localAddresses: ownAddressKeys([{ ipv4: ['10.77.0.2/24'] }]) });
      expect(big.xdp).toBe('');
      expect(big.xdpError).toMatch(/MTU larger than a UMEM chunk/);
      expect(await ip('-n', NS_B, 'link', 'show', 'dev', DEV_B)).not.toMatch(/xdp/);
      let got = false;
      big.onFrames((batch) => {
        for (let i = 0; i < batch.count; i++) if (batch.buffer[batch.offsets[i] + batch.lengths[i] - 1] === 31) got = true;
      });
      expect(a.send(ipv4(big.mac, '10.99.0.1', 31))).toBe(true);
      a.flush();
      await waitFor(() => got, 'the transit frame by AF_PACKET');
    } finally {
      io.close();
      for (const [ns, dev] of [[NS_A, DEV_A], [NS_B, DEV_B]]) await ip('-n', ns, 'link', 'set', 'dev', dev, 'mtu', '1500');
    }
  });
});
