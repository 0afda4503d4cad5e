/**
 * A mixed lab: our routers r1 and r2 with a BIRD node (b1) and an FRR node
 * (f1) between and beside them (topologies/mixed-bird-frr.yaml). Routes are
 * exchanged over IPv4 and IPv6 with the right AS_PATH and NEXT_HOP,
 * withdrawal propagates, hosts behind each reach each other, closing a
 * session sends Cease, and tshark decodes every BGP message with no
 * malformed-packet or expert error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { ensureBuilt, isolateRunDir, isRoot, lab, uniqueLabName } from './helpers.js';

const root = isRoot() && existsSync('/usr/sbin/bird') && existsSync('/usr/lib/frr/bgpd');
const name = uniqueLabName('mx');
let iso: { dir: string; cleanup: () => void };
let capture: ReturnType<typeof execa> | undefined;
const pcap = () => `${process.env.ANYCAST_LAB_RUN_DIR}/${name}-b1.pcap`;
const ns = (n: string) => `${name}-${n}`;
const dir = (n: string) => `${process.env.ANYCAST_LAB_RUN_DIR}/${name}/${n}`;

async function birdc(cmd: string[]): Promise<string> {
  // birdc exits 1 for "Network not found": the text says it
  return String((await execa('ip', ['netns', 'exec', ns('b1'), 'birdc', '-s', `${dir('b1')}/bird.ctl`, ...cmd], { reject: false })).stdout);
}
async function vtysh(cmd: string): Promise<string> {
  return String((await execa('ip', ['netns', 'exec', ns('f1'), 'vtysh', '--vty_socket', dir('f1'), '-c', cmd])).stdout);
}
async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
  await lab(['up', 'topologies/mixed-bird-frr.yaml', '--name', name]);
  // Capture every BGP message on b1's link to r1 from the start.
  capture = execa('ip', ['netns', 'exec', ns('b1'), 'tcpdump', '-n', '-U', '--immediate-mode', '-i', 'b1-eth0', '-w', pcap(), 'tcp port 179'], { reject: false });
  await lab(['wait', '--converged', '--lab', name, '--timeout', '30']);
  // Restart BIRD's session with r1 under the capture, so the capture holds our OPEN too.
  await until('tcpdump listening', async () => existsSync(pcap()));
  await birdc(['restart', 'n_r1']);
  await until('BIRD and FRR sessions', async () => (await birdc(['show', 'protocols'])).split('\n').filter((l) => l.includes('Established')).length === 2 && /Total number of neighbors 1\b/.test(await vtysh('show bgp summary')) && !(await vtysh('show bgp summary')).includes('Active'));
}, 120_000);

afterAll(async () => {
  if (!root) return;
  capture?.kill();
  await lab(['down', name], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('mixed lab with BIRD and FRR (root)', () => {
  it('BIRD learns r1\'s subnet with AS_PATH 65001 and NEXT_HOP r1, IPv4 and IPv6', async () => {
    await until('BIRD has r1 routes', async () => (await birdc(['show', 'route', 'all', '10.0.0.0/31'])).includes('BGP.as_path: 65001'));
    const v4 = await birdc(['show', 'route', 'all', '10.0.0.0/31']);
    expect(v4).toContain('BGP.as_path: 65001');
    expect(v4).toContain('BGP.next_hop: 10.0.0.2');
    const v6 = await birdc(['show', 'route', 'all', 'fd8a:52c1:9e07:1::/64']);
    expect(v6).toContain('BGP.as_path: 65001');
    expect(v6).toMatch(/BGP.next_hop: fd8a:52c1:9e07:2::1/);
  });

  it('FRR learns it through BIRD and r2 with AS_PATH 65002 65010 65001 and NEXT_HOP r2, IPv4 and IPv6', async () => {
    await until('FRR has the v6 route', async () => (await vtysh('show bgp ipv6 unicast fd8a:52c1:9e07:1::/64 json')).includes('65002 65010 65001'));
    const v4 = JSON.parse(await vtysh('show bgp ipv4 unicast 10.0.0.0/31 json'));
    expect(v4.paths[0].aspath.string).toBe('65002 65010 65001');
    expect(v4.paths[0].nexthops[0].ip).toBe('10.0.0.6');
    const v6 = JSON.parse(await vtysh('show bgp ipv6 unicast fd8a:52c1:9e07:1::/64 json'));
    expect(v6.paths[0].aspath.string).toBe('65002 65010 65001');
    expect(v6.paths[0].nexthops[0].ip).toBe('fd8a:52c1:9e07:4::1');
  });

  it('our r1 learns FRR\'s subnet through BIRD and r2', async () => {
    const c = await ControlClient.connect(`${process.env.ANYCAST_LAB_RUN_DIR}/${name}/r1.sock`);
    try {
      const rib = await c.request('show.rib', { prefix: '10.0.0.8/31' });
      const best = rib[0].paths.find((p) => p.best)!;
      expect(best.asPath).toEqual([65010, 65002, 65020]);
      expect(best.nextHop).toBe('10.0.0.3');
    } finally {
      c.close();
    }
  });

  it('hosts behind our router, BIRD and FRR reach each other', async () => {
    const r = await lab(['pingall', '--lab', name], { reject: false });
    expect(r.stdout).toContain('0% dropped (6/6 received)');
  });

  it('a withdrawal propagates: h1\'s link down removes its subnet at BIRD and FRR', async () => {
    await execa('ip', ['-n', ns('h1'), 'link', 'set', 'h1-eth0', 'down']);
    await until('BIRD drops it', async () => !(await birdc(['show', 'route', '10.0.0.0/31'])).includes('10.0.0.0/31'));
    await until('FRR drops it', async () => Object.keys(JSON.parse(await vtysh('show bgp ipv4 unicast 10.0.0.0/31 json'))).length === 0);
    await execa('ip', ['-n', ns('h1'), 'link', 'set', 'h1-eth0', 'up']);
    await until('BIRD has it again', async () => (await birdc(['show', 'route', '10.0.0.0/31'])).includes('10.0.0.0/31'));
  });

  it('closing r1 sends Cease (6/2) to BIRD, and tshark decodes every message cleanly', async () => {
    const c = await ControlClient.connect(`${process.env.ANYCAST_LAB_RUN_DIR}/${name}/r1.sock`);
    await c.request('shutdown', { reason: 'test shutdown' });
    c.close();
    await until('BIRD sees the session go', async () => !(await birdc(['show', 'protocols', 'n_r1'])).includes('Established'));
    await new Promise((r) => setTimeout(r, 300));
    capture!.kill('SIGINT');
    await capture;
    expect(readFileSync(pcap()).length).toBeGreaterThan(24);
    const notif = await execa('tshark', ['-r', pcap(), '-Y', 'bgp.type == 3 && ip.src == 10.0.0.2', '-T', 'fields', '-e', 'bgp.notify.major_error', '-e', 'bgp.notify.minor_error_cease']);
    expect(String(notif.stdout).trim().split('\n')[0]).toBe('6\t2');
    const all = await execa('tshark', ['-r', pcap(), '-Y', 'bgp && ip.src == 10.0.0.2', '-T', 'fields', '-e', 'bgp.type']);
    const types = new Set(String(all.stdout).split('\n').flatMap((l) => l.split(',')).filter(Boolean));
    expect([...types].sort()).toEqual(expect.arrayContaining(['1', '2', '3', '4']));
    const bad = await execa('tshark', ['-r', pcap(), '-Y', '(_ws.malformed || _ws.expert.severity >= warning) && tcp.port == 179']);
    expect(String(bad.stdout).trim()).toBe('');
  });
});
