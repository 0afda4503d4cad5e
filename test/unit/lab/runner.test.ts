/**
 * Pure parts of the runner and teardown: sysctl paths, namespace paths, the
 * /proc scan that finds processes left in a lab's namespaces (over a fake
 * /proc tree of symlinks), and mapLimit's concurrency bound. No root needed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsPath, sysctlPath } from '../../../lab/netns-tools.js';
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
