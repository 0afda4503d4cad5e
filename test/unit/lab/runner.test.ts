/**
 * Pure parts of the runner and teardown: sysctl paths, namespace paths, which
 * plan lines become rtnetlink ops (and which fall back to `ip -batch`), the
 * /proc scan that finds processes left in a lab's namespaces (over a fake
 * /proc tree of symlinks), and mapLimit's concurrency bound. No root needed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ipLineToOp, netnsPath, sysctlPath } from '../../../lab/netns-tools.js';
import { planLab } from '../../../lab/plan.js';
import { mininetTopology } from '../../../lab/topology/mininet.js';
import { mapLimit } from '../../../lab/runner.js';
import { parseNetnsLink, pidsInNamespaces } from '../../../lab/teardown.js';

describe('sysctlPath', () => {
  it('maps sysctl(8) keys to /proc/sys files', () => {
    expect(sysctlPath('net.ipv4.conf.all.rp_filter=0')).toEqual({ path: '/proc/sys/net/ipv4/conf/all/rp_filter', value: '0' });
    expect(sysctlPath('net.ipv6.conf.default.accept_dad=0')).toEqual({ path: '/proc/sys/net/ipv6/conf/default/accept_dad', value: '0' });
    expect(sysctlPath('net.ipv4.ip_forward=1')).toEqual({ path: '/proc/sys/net/ipv4/ip_forward', value: '1' });
  });

  it('keeps everything after the first = as the value', () => {
    expect(sysctlPath('net.ipv4.ping_group_range=0 2147483647').value).toBe('0 2147483647');
  });

  it.each(['net.ipv4.ip_forward', '=1', 'net/ipv4/ip_forward=1', 'net.ipv4..x=1', '../etc/passwd=1', 'net.ipv4.conf.a/b.x=1', 'ip_forward=1'])(
    'rejects %j',
    (s) => {
      expect(() => sysctlPath(s)).toThrow(/bad sysctl setting/);
    },
  );
});

describe('ipLineToOp', () => {
  it.each([
    [['link', 'set', 'lo', 'up'], ['link-up', 'lo']],
    [['link', 'set', 's1-eth1', 'master', 's1'], ['link-master', 's1-eth1', 's1']],
    [['link', 'add', 's1', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0'], ['bridge', 's1', '0', '0', '0']],
    [['link', 'add', 's1', 'type', 'bridge', 'stp_state', '1'], ['bridge', 's1', '', '1', '']],
    [['addr', 'add', '10.0.0.1/8', 'dev', 'h1-eth0'], ['addr', 'h1-eth0', '10.0.0.1/8', '']],
    [['addr', 'add', 'fd8a:52c1:9e07::1/64', 'dev', 'h1-eth0', 'nodad'], ['addr', 'h1-eth0', 'fd8a:52c1:9e07::1/64', 'nodad']],
    [['addr', 'add', '192.0.2.53/32', 'dev', 'lo'], ['addr', 'lo', '192.0.2.53/32', '']],
    [['route', 'add', 'default', 'via', '10.0.0.254'], ['route', 'default', '10.0.0.254']],
    [['route', 'add', '::/0', 'via', 'fd8a:52c1:9e07::1'], ['route', 'default', 'fd8a:52c1:9e07::1']],
    [['route', 'add', '192.0.2.0/24', 'via', '10.0.1.1'], ['route', '192.0.2.0/24', '10.0.1.1']],
  ])('%j → %j', (argv, op) => {
    expect(ipLineToOp(argv)).toEqual(op);
  });

  it.each([
    ['link', 'set', 'lo', 'down'],
    ['link', 'set', 'h1-eth0', 'txqueuelen', '500'],
    ['link', 'add', 's1', 'type', 'bridge', 'vlan_filtering', '1'],
    ['link', 'add', 's1', 'type', 'bridge', 'stp_state'],
    ['link', 'add', 's1', 'type', 'bridge', 'stp_state', 'on'],
    ['link', 'add', 's1', 'type', 'bridge', 'stp_state', '0', 'stp_state', '1'],
    ['link', 'add', 'v0', 'type', 'veth'],
    ['addr', 'add', '10.0.0.1/8', 'dev', 'h1-eth0', 'label', 'x'],
    ['addr', 'add', 'h1', 'dev', 'h1-eth0'],
    ['addr', 'del', '10.0.0.1/8', 'dev', 'h1-eth0'],
    ['route', 'add', '::/0', 'via', '10.0.0.1'],
    ['route', 'add', '0.0.0.0/0', 'via', 'fe80::1'],
    ['route', 'add', '192.0.2.0/24', 'via', 'fe80::1'],
    ['route', 'add', '192.0.2.0/24', 'dev', 'h1-eth0'],
    ['route', 'add', 'default', 'via', '10.0.0.1', 'metric', '5'],
    ['link', 'set', 'a-very-long-interface-name-that-the-addon-cannot-hold-in-its-buffers-at-all', 'up'],
    ['qdisc', 'add', 'dev', 'h1-eth0', 'root', 'netem', 'delay', '10ms'],
  ])('%j stays an ip line', (...argv) => {
    expect(ipLineToOp(argv)).toBeUndefined();
  });

  it('covers every line of a Mininet linear plan', () => {
    const plan = planLab('t', mininetTopology('linear,3'), { userspaceDataplane: false });
    expect(plan.ipLines.length).toBeGreaterThan(10);
    expect(plan.ipLines.filter((l) => !ipLineToOp(l.argv))).toEqual([]);
  });
});

describe('netnsPath', () => {
  it('names files under /run/netns', () => {
    expect(netnsPath('lab-h1')).toBe('/run/netns/lab-h1');
    expect(netnsPath('t-_links')).toBe('/run/netns/t-_links');
  });

  it.each(['', '..', '.', 'a/b', '../x', 'a b'])('rejects %j', (ns) => {
    expect(() => netnsPath(ns)).toThrow(/bad namespace name/);
  });
});

describe('parseNetnsLink', () => {
  it('reads the inode of a net namespace link', () => {
    expect(parseNetnsLink('net:[4026531840]')).toBe(4026531840);
  });

  it.each(['mnt:[4026531840]', 'net:[]', 'net:[12a]', 'net:4026531840', ''])('rejects %j', (l) => {
    expect(parseNetnsLink(l)).toBeUndefined();
  });
});

describe('pidsInNamespaces', () => {
  const root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  function fakeProc(entry: string, link?: string): void {
    mkdirSync(join(root, entry, 'ns'), { recursive: true });
    if (link !== undefined) symlinkSync(link, join(root, entry, 'ns', 'net'));
  }

  it('returns live processes whose namespace inode is listed, with their start time, and nothing else', () => {
    const inside = spawn('sleep', ['30'], { stdio: 'ignore' });
    const outside = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(inside, outside);
    const a = inside.pid!;
    const b = outside.pid!;
    fakeProc(String(a), 'net:[42]');
    fakeProc(String(b), 'net:[43]');
    fakeProc(String(process.pid), 'net:[42]'); // this process is never listed
    fakeProc('999999999', 'net:[42]'); // no such process: no start time
    fakeProc('self', 'net:[42]'); // not a PID
    fakeProc('77'); // no ns/net link (a kernel thread, or gone)
    const found = pidsInNamespaces(new Set([42, 44]), root);
    expect(found.map((p) => p.pid)).toEqual([a]);
    expect(found[0].startTime).toMatch(/^\d+$/);
    expect(pidsInNamespaces(new Set([43]), root).map((p) => p.pid)).toEqual([b]);
    expect(pidsInNamespaces(new Set([7]), root)).toEqual([]);
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    const out = await mapLimit(items, 3, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (x * 7) % 5));
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual(items.map((x) => x * 2));
    expect(peak).toBe(3);
  });
});
