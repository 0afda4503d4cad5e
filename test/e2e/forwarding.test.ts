// The userspace data plane forwarding real packets between network
// namespaces (root). A chain
//
//   client (cl0) ── (r1a) r1 (r1b) ══ MTU 1400 ══ (r2a) r2 (r2b) ── (sv0) server
//   10.1.0.0/24 2001:db8:1::/64   10.2.0.0/24 2001:db8:2::/64   10.3.0.0/24 2001:db8:3::/64
//
// where r1 and r2 are Dataplane instances hosted in this test process over
// LinuxFrameIo ports opened inside their namespaces, with static routes; the
// router namespaces' kernels own the interface addresses (they answer ARP,
// ND and pings to the routers) and have forwarding off in both families.
// Standard tools (ping, Debian's traceroute, nstat) run in the namespaces;
// malformed packets are injected at layer 2 from the client's namespace
// through our own addon (raw IP sockets cannot send a bad header checksum or
// a wrong total length), as robustness.md's data-plane rules ask.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { LinuxFrameIo, ownAddressKeys, type LinuxFramePort, type LinuxOpenOptions } from '../../src/dataplane/linux-frame-io.js';
import { setU16 } from '../../src/lib/bytes.js';
import { internetChecksum } from '../../src/lib/checksum.js';
import { formatMac } from '../../src/lib/mac.js';
import { TestRoutes, udp4, icmp4 } from '../unit/dataplane/helpers.js';
import { ControlClient } from '../../src/control/client.js';
import { ensureBuilt, isolateRunDir, isRoot, lab, uniqueLabName } from './helpers.js';

const id = randomBytes(3).toString('hex');
const NS = { cl: `fw-${id}-cl`, r1: `fw-${id}-r1`, r2: `fw-${id}-r2`, sv: `fw-${id}-sv` };
const created: string[] = [];

async function ip(...args: string[]): Promise<string> {
  return (await execa('ip', args)).stdout;
}

async function inNs(ns: string, argv: string[], reject = true) {
  return execa('ip', ['netns', 'exec', ns, ...argv], { reject, timeout: 30_000 });
}

async function macOf(ns: string, dev: string): Promise<string> {
  return JSON.parse(await ip('-n', ns, '-json', 'link', 'show', 'dev', dev))[0].address;
}

/** nstat's absolute counters in a namespace. */
async function nstat(ns: string): Promise<Record<string, number>> {
  const out = (await inNs(ns, ['nstat', '-az', '--json'])).stdout;
  const j = JSON.parse(out);
  return j.kernel as Record<string, number>;
}

/** A UDP receiver in the server namespace counting up to `n` datagrams on `port`; resolves once it is bound. */
async function udpReceiver(port: number, n: number): Promise<{ count: Promise<string> }> {
  const child = execa('ip', ['netns', 'exec', NS.sv, 'python3', '-c',
    `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("10.3.0.2",${port}));s.settimeout(5);print("ready",flush=True)\n` +
    `n=0\ntry:\n  while n<${n}:\n    s.recv(2000);n+=1\nexcept Exception: pass\nprint(n)`], { reject: false, timeout: 30_000 });
  await new Promise<void>((resolve) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('ready')) resolve(); });
    void child.then(() => resolve());
  });
  // Wrapped: an async function returning a bare promise would wait for it.
  return { count: child.then((r) => String(r.stdout).replace('ready', '').trim()) };
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function veth(nsA: string, a: string, nsB: string, b: string, mtu = 1500): Promise<void> {
  await ip('-n', nsA, 'link', 'add', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', b, 'netns', nsB, 'mtu', String(mtu));
  for (const [ns, dev] of [[nsA, a], [nsB, b]]) {
    await inNs(ns, ['ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    await ip('-n', ns, 'link', 'set', dev, 'up');
  }
}

async function addr(ns: string, dev: string, a4: string, a6: string): Promise<void> {
  await ip('-n', ns, 'addr', 'add', a4, 'dev', dev);
  await ip('-n', ns, '-6', 'addr', 'add', a6, 'dev', dev, 'nodad');
}

const root = isRoot();
let dp1: Dataplane | undefined;
let dp2: Dataplane | undefined;
let r1Mac = '';

function startR2(openOptions: LinuxOpenOptions = {}): Dataplane {
  const routes2 = new TestRoutes()
    .add('10.2.0.0/24', [{ interface: 'r2a' }]).add('10.3.0.0/24', [{ interface: 'r2b' }])
    .add('10.1.0.0/24', [{ interface: 'r2a', gateway: '10.2.0.1' }])
    .add('2001:db8:2::/64', [{ interface: 'r2a' }]).add('2001:db8:3::/64', [{ interface: 'r2b' }])
    .add('2001:db8:1::/64', [{ interface: 'r2a', gateway: '2001:db8:2::1' }]);
  return new Dataplane({
    io: new LinuxFrameIo({ netns: `/run/netns/${NS.r2}` }),
    interfaces: [
      { name: 'r2a', ipv4: ['10.2.0.2/24'], ipv6: ['2001:db8:2::2/64'] },
      { name: 'r2b', ipv4: ['10.3.0.1/24'], ipv6: ['2001:db8:3::1/64'] },
    ],
    routes: routes2,
    openOptions,
  });
}

function startRouters(): void {
  const routes1 = new TestRoutes()
    .add('10.1.0.0/24', [{ interface: 'r1a' }]).add('10.2.0.0/24', [{ interface: 'r1b' }])
    .add('10.3.0.0/24', [{ interface: 'r1b', gateway: '10.2.0.2' }])
    .add('2001:db8:1::/64', [{ interface: 'r1a' }]).add('2001:db8:2::/64', [{ interface: 'r1b' }])
    .add('2001:db8:3::/64', [{ interface: 'r1b', gateway: '2001:db8:2::2' }]);
  dp1 = new Dataplane({
    io: new LinuxFrameIo({ netns: `/run/netns/${NS.r1}` }),
    interfaces: [
      { name: 'r1a', ipv4: ['10.1.0.1/24'], ipv6: ['2001:db8:1::1/64'] },
      { name: 'r1b', ipv4: ['10.2.0.1/24'], ipv6: ['2001:db8:2::1/64'] },
    ],
    routes: routes1,
    icmpRateLimit: { enabled: true, perSecond: 20, burst: 20 },
  });
  dp2 = startR2();
}

beforeAll(async () => {
  if (!root) return;
  for (const ns of Object.values(NS)) {
    await ip('netns', 'add', ns);
    created.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await inNs(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0', 'net.ipv6.conf.all.accept_ra=0', 'net.ipv6.conf.default.accept_ra=0']);
  }
  await veth(NS.cl, 'cl0', NS.r1, 'r1a');
  await veth(NS.r1, 'r1b', NS.r2, 'r2a', 1400);
  await veth(NS.r2, 'r2b', NS.sv, 'sv0');
  await addr(NS.cl, 'cl0', '10.1.0.2/24', '2001:db8:1::2/64');
  await addr(NS.r1, 'r1a', '10.1.0.1/24', '2001:db8:1::1/64');
  await addr(NS.r1, 'r1b', '10.2.0.1/24', '2001:db8:2::1/64');
  await addr(NS.r2, 'r2a', '10.2.0.2/24', '2001:db8:2::2/64');
  await addr(NS.r2, 'r2b', '10.3.0.1/24', '2001:db8:3::1/64');
  await addr(NS.sv, 'sv0', '10.3.0.2/24', '2001:db8:3::2/64');
  await ip('-n', NS.cl, 'route', 'add', 'default', 'via', '10.1.0.1');
  await ip('-n', NS.cl, '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1');
  await ip('-n', NS.sv, 'route', 'add', 'default', 'via', '10.3.0.1');
  await ip('-n', NS.sv, '-6', 'route', 'add', 'default', 'via', '2001:db8:3::1');
  // The routers' kernels keep a copy of the FIB (forwarding off): without
  // it, an IPv6 kernel answers transit packets with its own "no route"
  // (forwarding off or not), doubling ours; for destinations the FIB does
  // not cover either, a last-resort blackhole keeps it silent.
  for (const r of [NS.r1, NS.r2]) await ip('-n', r, '-6', 'route', 'add', 'blackhole', 'default', 'metric', '4294967295');
  await ip('-n', NS.r1, 'route', 'add', '10.3.0.0/24', 'via', '10.2.0.2');
  await ip('-n', NS.r1, '-6', 'route', 'add', '2001:db8:3::/64', 'via', '2001:db8:2::2');
  await ip('-n', NS.r2, 'route', 'add', '10.1.0.0/24', 'via', '10.2.0.1');
  await ip('-n', NS.r2, '-6', 'route', 'add', '2001:db8:1::/64', 'via', '2001:db8:2::1');
  r1Mac = await macOf(NS.r1, 'r1a');
  startRouters();
}, 60_000);

afterAll(async () => {
  dp1?.close();
  dp2?.close();
  for (const ns of created) await execa('ip', ['netns', 'delete', ns], { reject: false });
});

describe.skipIf(!root)('userspace forwarding between namespaces', () => {
  it('ping works both ways through r1 and r2 while the routers\' kernels forward nothing', async () => {
    const before = [await nstat(NS.r1), await nstat(NS.r2)];
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '10.3.0.2'], false);
    expect(out.stdout).toMatch(/3 received/);
    const back = await inNs(NS.sv, ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', '10.1.0.2'], false);
    expect(back.stdout).toMatch(/2 received/);
    const six = await inNs(NS.cl, ['ping', '-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', '2001:db8:3::2'], false);
    expect(six.stdout).toMatch(/2 received/);
    const after = [await nstat(NS.r1), await nstat(NS.r2)];
    for (let k = 0; k < 2; k++) {
      expect(after[k].IpForwDatagrams ?? 0).toBe(before[k].IpForwDatagrams ?? 0);
      expect(after[k].Ip6OutForwDatagrams ?? 0).toBe(before[k].Ip6OutForwDatagrams ?? 0);
    }
    const c1 = dp1!.counters().interfaces;
    expect(c1.find((i) => i.name === 'r1b')!.forwarded).toBeGreaterThanOrEqual(5);
    expect(c1.find((i) => i.name === 'r1a')!.forwarded).toBeGreaterThanOrEqual(5);
    expect(dp1!.neighbors().map((n) => n.address).sort()).toEqual(['10.1.0.2', '10.2.0.2', '2001:db8:1::2', '2001:db8:2::2'].sort());
  });

  it('traceroute -n lists r1, r2 and the server (time exceeded from each router\'s inbound address)', async () => {
    const out = await inNs(NS.cl, ['traceroute', '-n', '-q', '1', '-w', '2', '-m', '5', '10.3.0.2'], false);
    const hops = out.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
    expect(hops).toEqual(['10.1.0.1', '10.2.0.2', '10.3.0.2']);
    const six = await inNs(NS.cl, ['traceroute', '-6', '-n', '-q', '1', '-w', '2', '-m', '5', '2001:db8:3::2'], false);
    const hops6 = six.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
    expect(hops6).toEqual(['2001:db8:1::1', '2001:db8:2::2', '2001:db8:3::2']);
  });

  it('UDP arrives at the server with valid checksums (the server\'s kernel verifies them: rx offload off)', async () => {
    const recv = await udpReceiver(9999, 20);
    await inNs(NS.cl, ['python3', '-c',
      'import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(20):\n  s.sendto(bytes(range(200))*3,("10.3.0.2",9999));time.sleep(0.01)']);
    expect(await recv.count).toBe('20');
  });

  it('UDP sent with tx checksum offload on (partial checksums) arrives complete: r1 fills the checksum in', async () => {
    await inNs(NS.cl, ['ethtool', '-K', 'cl0', 'tx', 'on']);
    try {
      const before = dp1!.counters().ports.r1a.rxFrames;
      const recv = await udpReceiver(9998, 10);
      await inNs(NS.cl, ['python3', '-c',
        'import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(10):\n  s.sendto(bytes(range(97))*3,("10.3.0.2",9998));time.sleep(0.01)']);
      expect(await recv.count).toBe('10');
      expect(dp1!.counters().ports.r1a.rxFrames).toBeGreaterThan(before);
    } finally {
      await inNs(NS.cl, ['ethtool', '-K', 'cl0', 'tx', 'off']);
    }
  });

  it('no route: net unreachable from r1 (IPv6: no route), exactly one error per probe', async () => {
    const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
    const sentOf = (text: string) => Number(/(\d+) packets transmitted/.exec(text)?.[1] ?? -1);
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '3', '-i', '0.3', '-w', '2', '203.0.113.1'], false);
    expect(sentOf(out.stdout)).toBeGreaterThan(0);
    expect(count(out.stdout, /From 10\.1\.0\.1 .*Destination Net Unreachable/g)).toBe(sentOf(out.stdout));
    const six = await inNs(NS.cl, ['ping', '-6', '-n', '-c', '3', '-i', '0.3', '-w', '2', '2001:db8:77::1'], false);
    expect(sentOf(six.stdout)).toBeGreaterThan(0);
    expect(count(six.stdout, /From 2001:db8:1::1 .*Destination unreachable: No route/g)).toBe(sentOf(six.stdout));
  });

  it('without DF a 1500-byte packet crosses the 1400 link fragmented and is reassembled; with DF: fragmentation needed, MTU 1400', async () => {
    const frag = await inNs(NS.cl, ['ping', '-n', '-c', '1', '-W', '2', '-M', 'dont', '-s', '1472', '10.3.0.2'], false);
    expect(frag.stdout).toMatch(/1 received/);
    expect(dp1!.counters().interfaces.find((i) => i.name === 'r1b')!.fragmented).toBeGreaterThanOrEqual(1);
    const df = await inNs(NS.cl, ['ping', '-n', '-c', '1', '-W', '2', '-M', 'do', '-s', '1472', '10.3.0.2'], false);
    expect(df.stdout).toMatch(/From 10\.1\.0\.1 .*Frag needed and DF set \(mtu = 1400\)/);
    const v6 = await inNs(NS.cl, ['ping', '-6', '-n', '-c', '1', '-W', '2', '-M', 'do', '-s', '1452', '2001:db8:3::2'], false);
    expect(v6.stdout).toMatch(/From 2001:db8:1::1 .*Packet too big: mtu=1400/);
  });

  describe('crafted frames injected at layer 2 from the client', () => {
    let io: LinuxFrameIo;
    let port: LinuxFramePort;
    let seen: Uint8Array[];
    let sv: LinuxFrameIo;
    let svPort: LinuxFramePort;
    let atServer: Uint8Array[];
    beforeAll(() => {
      io = new LinuxFrameIo({ netns: `/run/netns/${NS.cl}` });
      port = io.open('cl0');
      seen = [];
      port.onFrames((b) => { for (let i = 0; i < b.count; i++) seen.push(b.buffer.slice(b.offsets[i], b.offsets[i] + b.lengths[i])); });
      sv = new LinuxFrameIo({ netns: `/run/netns/${NS.sv}` });
      svPort = sv.open('sv0');
      atServer = [];
      svPort.onFrames((b) => { for (let i = 0; i < b.count; i++) atServer.push(b.buffer.slice(b.offsets[i], b.offsets[i] + b.lengths[i])); });
    });
    afterAll(() => { io?.close(); sv?.close(); });

    const clMac = () => formatMac(port.mac);
    const probe = (o: { ttl?: number; src?: string; dst?: string; dport?: number } = {}) =>
      udp4({ srcMac: clMac(), dstMac: r1Mac, src: o.src ?? '10.1.0.2', dst: o.dst ?? '10.3.0.2', ttl: o.ttl ?? 64, dport: o.dport ?? 7777 });
    const fixIp = (f: Uint8Array) => { setU16(f, 24, 0); setU16(f, 24, internetChecksum(f, 14, 14 + ((f[14] & 15) << 2))); return f; };
    const udpAtServer = (dport: number) => atServer.filter((f) => f[23] === 17 && ((f[36] << 8) | f[37]) === dport).length;
    /** ICMP errors of `type` from r1 (10.1.0.1) to the client; the server's own port unreachables do not count. */
    const icmpToClient = (type: number) => seen.filter((f) => f[12] === 8 && f[13] === 0 && f[23] === 1 && f[34] === type &&
      f[26] === 10 && f[27] === 1 && f[28] === 0 && f[29] === 1).length;
    const drops = (reason: string) => dp1!.counters().drops[reason] ?? 0;

    async function inject(frames: Uint8Array[], reason: string, dport: number): Promise<void> {
      const before = drops(reason);
      for (const f of frames) port.send(f);
      port.flush();
      await waitFor(() => drops(reason) >= before + frames.length, `${reason} drops`);
      await new Promise((r) => setTimeout(r, 100));
      expect(drops(reason)).toBe(before + frames.length);
      expect(udpAtServer(dport)).toBe(0);
    }

    it('a good probe arrives (the control case)', async () => {
      port.send(probe({ dport: 7000 }));
      await waitFor(() => udpAtServer(7000) === 1, 'probe at server');
    });

    it('bad header checksum, bad version, IHL < 5, total length past the frame: dropped and counted, no ICMP', async () => {
      const icmpBefore = icmpToClient(3) + icmpToClient(11);
      const bad = probe({ dport: 7001, ttl: 1 }); bad[24] ^= 0x55;
      await inject([bad], 'ip-bad-checksum', 7001);
      const v = probe({ dport: 7002, ttl: 1 }); v[14] = 0x65; fixIp(v);
      await inject([v], 'ip-bad-version', 7002);
      const ihl = probe({ dport: 7003, ttl: 1 }); ihl[14] = 0x44; setU16(ihl, 24, 0); setU16(ihl, 24, internetChecksum(ihl, 14, 34));
      await inject([ihl], 'ip-bad-ihl', 7003);
      const tl = probe({ dport: 7004, ttl: 1 }); setU16(tl, 16, 1400); fixIp(tl);
      await inject([tl], 'ip-bad-length', 7004);
      expect(icmpToClient(3) + icmpToClient(11)).toBe(icmpBefore);
    });

    it('TTL 1 and TTL 0: time exceeded back to the client', async () => {
      const before = icmpToClient(11);
      await inject([probe({ ttl: 1, dport: 7010 }), probe({ ttl: 0, dport: 7011 })], 'ttl-exceeded', 7010);
      await waitFor(() => icmpToClient(11) === before + 2, 'two time exceeded');
    });

    it('martian source and destination: dropped silently', async () => {
      await inject([probe({ src: '127.0.0.1', dport: 7020 }), probe({ src: '0.0.0.1', dport: 7020 })], 'martian-source', 7020);
      await inject([probe({ dst: '240.0.0.1', dport: 7021 }), probe({ dst: '127.0.0.2', dport: 7021 })], 'martian-destination', 7021);
    });

    it('no ICMP error about an ICMP error', async () => {
      const before = icmpToClient(11);
      const suppressed = dp1!.counters().icmp.suppressed;
      port.send(icmp4({ srcMac: clMac(), dstMac: r1Mac, src: '10.1.0.2', dst: '10.3.0.2', ttl: 1, type: 3, code: 3 }));
      await waitFor(() => dp1!.counters().icmp.suppressed === suppressed + 1, 'suppressed error');
      await new Promise((r) => setTimeout(r, 100));
      expect(icmpToClient(11)).toBe(before);
    });

    it('a flood of TTL-1 probes hits the ICMP rate limit', async () => {
      const before = icmpToClient(11);
      const limited = dp1!.counters().icmp.rateLimited;
      const frames = Array.from({ length: 200 }, () => probe({ ttl: 1, dport: 7030 }));
      await inject(frames, 'ttl-exceeded', 7030);
      await new Promise((r) => setTimeout(r, 200));
      const got = icmpToClient(11) - before;
      expect(got).toBeGreaterThan(0);
      expect(got).toBeLessThanOrEqual(40); // burst 20 plus 20/s while the flood lasts
      expect(dp1!.counters().icmp.rateLimited - limited).toBe(200 - got);
    });
  });

  it('r2 restarted with a TPACKET_V2 receive ring (frames rewritten in place in the ring) forwards as well', async () => {
    dp2!.close();
    dp2 = startR2({ ringFrames: 256 });
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '10.3.0.2'], false);
    expect(out.stdout).toMatch(/3 received/);
    const six = await inNs(NS.cl, ['ping', '-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', '2001:db8:3::2'], false);
    expect(six.stdout).toMatch(/2 received/);
    expect(dp2.counters().interfaces.find((i) => i.name === 'r2b')!.forwarded).toBeGreaterThanOrEqual(5);
  });

  it('r2 restarted on AF_XDP (transit through an XDP program and an AF_XDP socket) forwards both families; pings to r2 itself and its ARP/ND still reach its kernel', async () => {
    dp2!.close();
    await ip('-n', NS.r2, 'neigh', 'flush', 'all');
    dp2 = startR2({ xdp: 'auto', localAddresses: ownAddressKeys([{ ipv4: ['10.2.0.2/24'], ipv6: ['2001:db8:2::2/64'] }, { ipv4: ['10.3.0.1/24'], ipv6: ['2001:db8:3::1/64'] }]) });
    for (const dev of ['r2a', 'r2b']) expect(await ip('-n', NS.r2, 'link', 'show', 'dev', dev)).toMatch(/prog\/xdp .*name lab_transit/);
    const rx = () => ['r2a', 'r2b'].map((n) => dp2!.counters().ports[n].rxFrames);
    const rxBefore = rx();
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '10.3.0.2'], false);
    expect(out.stdout).toMatch(/3 received/);
    const six = await inNs(NS.cl, ['ping', '-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', '2001:db8:3::2'], false);
    expect(six.stdout).toMatch(/2 received/);
    // Addressed to r2 itself: the program passes them to r2's kernel, which answers.
    for (const to of ['10.2.0.2', '10.3.0.1', '2001:db8:3::1']) {
      expect((await inNs(NS.cl, ['ping', '-n', '-c', '1', '-W', '2', to], false)).stdout).toMatch(/1 received/);
    }
    expect(dp2.counters().interfaces.find((i) => i.name === 'r2b')!.forwarded).toBeGreaterThanOrEqual(5);
    // Transit and own traffic both crossed the ports (the frames own to r2 by the AF_PACKET socket).
    rx().forEach((n, k) => expect(n - rxBefore[k]).toBeGreaterThanOrEqual(5));
    dp2.close();
    expect(await ip('-n', NS.r2, 'link', 'show', 'dev', 'r2a')).not.toMatch(/prog\/xdp/);
    dp2 = startR2();
  });

  it('with r1\'s data plane stopped, nothing crosses r1: the kernel does not forward', async () => {
    dp1!.close();
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', '10.3.0.2'], false);
    expect(out.stdout).toMatch(/0 received/);
    const n = await nstat(NS.r1);
    expect(n.IpForwDatagrams ?? 0).toBe(0);
  });
});

// The same rules with the router processes of a real lab (`lab up` of the
// chain topology: client - r1 - r2 - r3 - server, eBGP), data plane in
// userspace: traceroute lists every router, the routers' kernels forward
// nothing while our counters move, and stopping r2's process stops transit.
// With `frame-io: af_xdp` the same holds: transit arrives through each
// router's XDP program and AF_XDP socket, while BGP, ARP/ND and pings to the
// routers take the kernel's path.
for (const frameIo of ['af_packet', 'af_xdp'] as const)
describe.runIf(root)(`userspace forwarding in a lab of router processes (frame-io ${frameIo})`, () => {
  const labName = uniqueLabName(frameIo === 'af_xdp' ? 'fx' : 'fw');
  let iso: { dir: string; cleanup: () => void };
  const nsOf = (node: string) => `${labName}-${node}`;
  const sock = (node: string) => `${process.env.ANYCAST_LAB_RUN_DIR}/${labName}/${node}.sock`;
  async function control<T>(node: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
    const c = await ControlClient.connect(sock(node));
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  }
  /** Global addresses of a node, by family. */
  async function addrs(node: string, fam: '-4' | '-6'): Promise<string[]> {
    const out = (await execa('ip', ['-n', nsOf(node), '-json', fam, 'addr', 'show', 'scope', 'global'])).stdout;
    return (JSON.parse(String(out)) as { addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((a) => a.local));
  }
  const forwarded = (c: Record<string, number>) => Object.entries(c).filter(([k]) => k.startsWith('interfaces.') && k.endsWith('.forwarded')).reduce((n, [, v]) => n + v, 0);

  beforeAll(async () => {
    iso = isolateRunDir();
    await ensureBuilt();
    let file = 'topologies/chain.yaml';
    if (frameIo === 'af_xdp') {
      file = join(iso.dir, 'chain-xdp.yaml');
      writeFileSync(file, `${readFileSync('topologies/chain.yaml', 'utf8')}\ndefaults:\n  frame-io: af_xdp\n`);
    }
    await lab(['up', file, '--name', labName]);
    await lab(['wait', '--converged', '--lab', labName, '--timeout', '30']);
  }, 120_000);

  afterAll(async () => {
    await lab(['down', labName], { reject: false });
    iso?.cleanup();
  });

  it('traceroute -n (both families) lists r1, r2, r3 and the server', async () => {
    for (const fam of ['-4', '-6'] as const) {
      const server = (await addrs('server', fam))[0];
      const out = await execa('ip', ['netns', 'exec', nsOf('client'), 'traceroute', fam, '-n', '-q', '1', '-w', '2', '-m', '6', server], { reject: false });
      const hops = String(out.stdout).split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
      expect(hops).toHaveLength(4);
      for (const [i, node] of ['r1', 'r2', 'r3'].entries()) expect(await addrs(node, fam)).toContain(hops[i]);
      expect(hops[3]).toBe(server);
    }
  });

  it('ping both ways in both families; the routers\' kernels forward nothing while our counters move', async () => {
    const routers = ['r1', 'r2', 'r3'];
    const before = await Promise.all(routers.map((r) => nstat(nsOf(r))));
    const ours = await Promise.all(routers.map((r) => control(r, (c) => c.request('show.counters'))));
    const server4 = (await addrs('server', '-4'))[0], client4 = (await addrs('client', '-4'))[0];
    const server6 = (await addrs('server', '-6'))[0];
    for (const [from, to] of [['client', server4], ['server', client4], ['client', server6]]) {
      const r = await execa('ip', ['netns', 'exec', nsOf(from), 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', to], { reject: false });
      expect(String(r.stdout)).toMatch(/3 received/);
    }
    const after = await Promise.all(routers.map((r) => nstat(nsOf(r))));
    const oursAfter = await Promise.all(routers.map((r) => control(r, (c) => c.request('show.counters'))));
    for (let k = 0; k < routers.length; k++) {
      expect(after[k].IpForwDatagrams ?? 0).toBe(before[k].IpForwDatagrams ?? 0);
      expect(after[k].Ip6OutForwDatagrams ?? 0).toBe(before[k].Ip6OutForwDatagrams ?? 0);
      expect(forwarded(oursAfter[k]) - forwarded(ours[k])).toBeGreaterThanOrEqual(18);
    }
  });

  it.runIf(frameIo === 'af_xdp')('every router interface carries the XDP program; the client pings each router\'s own addresses (left to the kernel)', async () => {
    for (const r of ['r1', 'r2', 'r3']) {
      const links = JSON.parse(String((await execa('ip', ['-n', nsOf(r), '-json', 'link', 'show'])).stdout)) as { ifname: string; xdp?: { prog?: { name: string } } }[];
      const eths = links.filter((l) => l.ifname !== 'lo');
      expect(eths.length).toBeGreaterThanOrEqual(2);
      for (const l of eths) expect(l.xdp?.prog?.name, `${r} ${l.ifname}`).toBe('lab_transit');
      const own = [...await addrs(r, '-4'), ...await addrs(r, '-6')].filter((a) => a !== undefined);
      expect(own.length).toBeGreaterThanOrEqual(4);
      for (const a of own) {
        const p = await execa('ip', ['netns', 'exec', nsOf('client'), 'ping', '-n', '-c', '1', '-W', '2', a], { reject: false });
        expect(String(p.stdout), `${r} ${a}`).toMatch(/1 received/);
      }
    }
  });

  it.runIf(frameIo === 'af_xdp')('tcpdump in r2\'s namespace sees transit arriving: the XDP program steps aside while it runs, and comes back after', async () => {
    const server = (await addrs('server', '-4'))[0];
    const xdpProgs = async () => (JSON.parse(String((await execa('ip', ['-n', nsOf('r2'), '-json', 'link', 'show'])).stdout)) as { ifname: string; xdp?: unknown }[])
      .filter((l) => l.ifname !== 'lo' && l.xdp !== undefined).length;
    expect(await xdpProgs()).toBeGreaterThanOrEqual(2);
    const dump = execa('ip', ['netns', 'exec', nsOf('r2'), 'tcpdump', '-i', 'any', '-Q', 'in', '-n', '-l', '-c', '3', `icmp[icmptype] == icmp-echo and dst host ${server}`], { reject: false, timeout: 20_000 });
    let err = '';
    dump.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => err.includes('listening on'), 'tcpdump to listen');
    // The router's watcher checks every 250 ms: wait until the programs are off.
    const t0 = Date.now();
    while ((await xdpProgs()) > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
    expect(await xdpProgs()).toBe(0);
    const p = await execa('ip', ['netns', 'exec', nsOf('client'), 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', server], { reject: false });
    expect(String(p.stdout)).toMatch(/3 received/); // still forwarded by our data plane, now through AF_PACKET
    const r = await dump;
    expect(String(r.stdout).split('\n').filter((l) => /ICMP echo request/.test(l))).toHaveLength(3);
    const t1 = Date.now();
    while ((await xdpProgs()) < 2 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 100));
    expect(await xdpProgs()).toBeGreaterThanOrEqual(2);
  });

  it('SIGSTOP of r2\'s process stops all transit through r2; SIGCONT resumes it', async () => {
    const server = (await addrs('server', '-4'))[0];
    const { pid } = await control('r2', (c) => c.request('hello'));
    const ping = () => execa('ip', ['netns', 'exec', nsOf('client'), 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', server], { reject: false });
    process.kill(pid, 'SIGSTOP');
    try {
      expect(String((await ping()).stdout)).toMatch(/ 0 received/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(String((await ping()).stdout)).toMatch(/3 received/);
  });
});
