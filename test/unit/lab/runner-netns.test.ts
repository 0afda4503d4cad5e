/**
 * The runner's in-process namespace work against real namespaces (needs
 * root, as `make test` and .ci/run run it): the addon's offloads match what
 * `ethtool -K DEV tx off tso off gso off gro off` leaves, feature by feature;
 * runIn returns the thread to its own namespace, also after a throw; a plan
 * run through the addon leaves every namespace exactly as the `ip netns exec`
 * path does, and the host's sysctls untouched; teardown kills a process left
 * in a lab namespace and removes every namespace.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabDir } from '../../../lab/journal.js';
import { ipLineToOp, loadNetnsTools, sysctlPath, type NetnsTools } from '../../../lab/netns-tools.js';
import { planLab, type Plan } from '../../../lab/plan.js';
import { CommandError, executePlan } from '../../../lab/runner.js';
import { teardownLab } from '../../../lab/teardown.js';
import type { Topology } from '../../../lab/topology/types.js';

/**
 * Every kind of plan line: bridge with options and ports, IPv4 and IPv6 (nodad)
 * addresses, default routes of both families, static routes of a kernel-mode
 * router, anycast addresses on lo.
 */
const topo: Topology = {
  name: 't',
  origin: 'test',
  addressing: { ipv4Pool: '10.0.0.0/16', ipv6Pool: 'fd8a:52c1:9e07::/48' },
  defaults: { dataplane: 'kernel', holdTime: 9, keepalive: 3 },
  nodes: [
    { name: 'h1', kind: 'host', interfaces: [{ name: 'h1-eth0', node: 'h1', link: 0, peerNode: 's1', peerInterface: 's1-eth1', mtu: 1500, ipv4: '10.0.0.1/24', ipv6: 'fd8a:52c1:9e07::1/64' }] },
    { name: 'h2', kind: 'host', interfaces: [{ name: 'h2-eth0', node: 'h2', link: 1, peerNode: 's1', peerInterface: 's1-eth2', mtu: 1500, ipv4: '10.0.0.2/24', ipv6: 'fd8a:52c1:9e07::2/64' }], defaultRoute: { ipv4: '10.0.0.1', ipv6: 'fd8a:52c1:9e07::1' } },
    { name: 's1', kind: 'switch', interfaces: [
      { name: 's1-eth1', node: 's1', link: 0, peerNode: 'h1', peerInterface: 'h1-eth0', mtu: 1500 },
      { name: 's1-eth2', node: 's1', link: 1, peerNode: 'h2', peerInterface: 'h2-eth0', mtu: 1500 },
    ] },
    { name: 'r1', kind: 'router', asn: 65001, staticRoutes: [{ prefix: '192.0.2.0/24', via: '10.0.1.1' }, { prefix: 'fd00:1::/64', via: 'fd8a:52c1:9e07:1::1' }],
      interfaces: [{ name: 'r1-eth0', node: 'r1', link: 2, peerNode: 'a1', peerInterface: 'a1-eth0', mtu: 1400, ipv4: '10.0.1.0/31', ipv6: 'fd8a:52c1:9e07:1::/64' }] },
    { name: 'a1', kind: 'anycast-server', asn: 65100, anycast: { addresses: ['192.0.2.53', '2001:db8::53/128'], prefixes: ['192.0.2.0/24'] },
      interfaces: [{ name: 'a1-eth0', node: 'a1', link: 2, peerNode: 'r1', peerInterface: 'r1-eth0', mtu: 1400, ipv4: '10.0.1.1/31', ipv6: 'fd8a:52c1:9e07:1::1/64' }] },
  ],
  links: [
    { index: 0, a: { node: 'h1', interface: 'h1-eth0' }, b: { node: 's1', interface: 's1-eth1' }, mtu: 1500 },
    { index: 1, a: { node: 'h2', interface: 'h2-eth0' }, b: { node: 's1', interface: 's1-eth2' }, mtu: 1500 },
    { index: 2, a: { node: 'r1', interface: 'r1-eth0' }, b: { node: 'a1', interface: 'a1-eth0' }, mtu: 1400 },
  ],
};

const tag = `rt${process.pid}`;
const nsA = `${tag}-a`;
const nsB = `${tag}-b`;
const runDir = mkdtempSync('/run/anycast-lab-runner-test-');
const savedRunDir = process.env.ANYCAST_LAB_RUN_DIR;

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
}

function threadNetns(): string {
  return readlinkSync('/proc/thread-self/ns/net');
}

/** `ethtool -k` without its first line (which names the device). */
function features(ns: string, dev: string): string {
  return sh(['ip', 'netns', 'exec', ns, 'ethtool', '-k', dev]).split('\n').slice(1).join('\n');
}

let tools: NetnsTools;

beforeAll(() => {
  process.env.ANYCAST_LAB_RUN_DIR = runDir;
  const t = loadNetnsTools();
  if (!t) throw new Error('netnstools addon not built: run `npx node-gyp rebuild` (or `make setup`)');
  tools = t;
  sh(['ip', 'netns', 'add', nsA]);
  sh(['ip', 'netns', 'add', nsB]);
  sh(['ip', '-n', nsA, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB]);
});

afterAll(() => {
  for (const ns of [nsA, nsB, ...['x', 'y'].flatMap((l) => topo.nodes.map((n) => `${tag}${l}-${n.name}`))]) {
    if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
  }
  rmSync(runDir, { recursive: true, force: true });
  if (savedRunDir === undefined) delete process.env.ANYCAST_LAB_RUN_DIR;
  else process.env.ANYCAST_LAB_RUN_DIR = savedRunDir;
});

describe('netns-tools addon', () => {
  it('turns offloads off exactly as ethtool -K tx off tso off gso off gro off does', () => {
    const fresh = features(nsA, 'va');
    expect(fresh).toMatch(/^tx-checksumming: on/m);
    sh(['ip', 'netns', 'exec', nsB, 'ethtool', '-K', 'vb', 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    tools.runIn(nsA, () => tools.setOffloads(['va'], false));
    const ours = features(nsA, 'va');
    expect(ours).toEqual(features(nsB, 'vb'));
    for (const line of ['tx-checksumming: off', 'tcp-segmentation-offload: off', 'generic-segmentation-offload: off', 'generic-receive-offload: off']) {
      expect(ours).toMatch(new RegExp(`^${line}`, 'm'));
    }
    expect(tools.runIn(nsA, () => tools.getOffloads('va'))).toEqual({ tx: false, tso: false, gso: false, gro: false });
    tools.runIn(nsA, () => tools.setOffloads(['va'], true));
    sh(['ip', 'netns', 'exec', nsB, 'ethtool', '-K', 'vb', 'tx', 'on', 'tso', 'on', 'gso', 'on', 'gro', 'on']);
    expect(tools.runIn(nsA, () => tools.getOffloads('va'))).toEqual({ tx: true, tso: true, gso: true, gro: true });
    expect(features(nsA, 'va')).toEqual(features(nsB, 'vb'));
  });

  it('runs the function inside the namespace and returns the thread to its own, also after a throw', () => {
    const home = threadNetns();
    const target = statSync(`/run/netns/${nsA}`).ino;
    expect(tools.runIn(nsA, () => threadNetns())).toBe(`net:[${target}]`);
    expect(threadNetns()).toBe(home);
    expect(() => tools.runIn(nsA, () => { throw new Error('inside'); })).toThrow('inside');
    expect(threadNetns()).toBe(home);
    expect(() => tools.runIn(`${tag}-missing`, () => 1)).toThrow(/No such file/);
    expect(() => tools.runIn(nsA, () => tools.setOffloads(['nodev0'], false))).toThrow(/nodev0: No such device/);
    expect(threadNetns()).toBe(home);
  });

  it('rtnetlink ops act inside the namespace and fail with the kernel\'s error', () => {
    tools.runIn(nsA, () => tools.rtnetlink([['addr', 'va', '198.51.100.1/24', ''], ['link-up', 'va']]));
    expect(sh(['ip', '-n', nsA, '-br', 'addr', 'show', 'va'])).toMatch(/198\.51\.100\.1\/24/);
    expect(sh(['ip', '-br', 'addr'])).not.toMatch(/198\.51\.100\.1/);
    expect(() => tools.runIn(nsA, () => tools.rtnetlink([['addr', 'va', '198.51.100.1/24', '']]))).toThrow(/rtnetlink addr va 198\.51\.100\.1\/24.*File exists/);
    expect(() => tools.runIn(nsA, () => tools.rtnetlink([['link-up', 'nodev0']]))).toThrow(/No such device/);
    expect(() => tools.runIn(nsA, () => tools.rtnetlink([['route', '203.0.113.0/24', 'fe80::1']]))).toThrow(/Invalid argument/);
    expect(() => tools.runIn(nsA, () => tools.rtnetlink([['frobnicate', 'va']]))).toThrow(/Invalid argument/);
  });

  it('devices and sysctl files seen inside are the namespace\'s own', () => {
    const links = tools.runIn(nsA, () => readFileSync('/proc/net/dev', 'utf8'));
    expect(links).toMatch(/^\s*va:/m);
    expect(readFileSync('/proc/net/dev', 'utf8')).not.toMatch(/^\s*va:/m);
  });
});

/** Every sysctl the plan sets, every device's features and addresses, per namespace. */
function namespaceState(plan: Plan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of plan.sysctls) {
    const files = s.settings.map((x) => sysctlPath(x).path);
    out[`${s.ns.replace(plan.lab, 'L')}/sysctl`] = sh(['ip', 'netns', 'exec', s.ns, 'cat', ...files]);
  }
  for (const o of plan.offloads) out[`${o.ns.replace(plan.lab, 'L')}/${o.dev}`] = features(o.ns, o.dev);
  for (const n of plan.namespaces) {
    // Settings, not transient states: admin flag (not carrier), master, MTU, global addresses.
    const links = JSON.parse(sh(['ip', '-n', n.ns, '-j', 'addr', 'show'])) as { ifname: string; flags: string[]; mtu: number; txqlen?: number; master?: string; addr_info: { local: string; prefixlen: number; scope: string }[] }[];
    out[`${n.ns.replace(plan.lab, 'L')}/links`] = links.map((l) => ({
      ifname: l.ifname,
      up: l.flags.includes('UP'),
      mtu: l.mtu,
      master: l.master,
      txqlen: l.txqlen,
      addrs: l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
    }));
    out[`${n.ns.replace(plan.lab, 'L')}/route`] = sh(['ip', '-n', n.ns, 'route']) + sh(['ip', '-n', n.ns, '-6', 'route']);
    const bridges = JSON.parse(sh(['ip', '-n', n.ns, '-d', '-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string; linkinfo: { info_data: Record<string, unknown> } }[];
    out[`${n.ns.replace(plan.lab, 'L')}/bridges`] = bridges.map((b) => ({
      ifname: b.ifname,
      forward_delay: b.linkinfo.info_data.forward_delay,
      stp_state: b.linkinfo.info_data.stp_state,
      mcast_snooping: b.linkinfo.info_data.mcast_snooping,
    }));
  }
  return out;
}

function hostSysctls(plan: Plan): string[] {
  const keys = [...new Set(plan.sysctls.flatMap((s) => s.settings.map((x) => sysctlPath(x).path)))];
  return keys.map((k) => `${k}=${readFileSync(k, 'utf8').trim()}`);
}

describe('executePlan and teardownLab', () => {
  it('the addon path leaves the same namespaces as ip netns exec, and the host sysctls as they were', async () => {
    // One line the addon does not build (txqueuelen) sends h1's lines through a forked `ip -batch`;
    // every other namespace's lines go out as rtnetlink requests.
    const withQlen = (p: Plan): Plan => ({ ...p, ipLines: [...p.ipLines, { ns: `${p.lab}-h1`, argv: ['link', 'set', 'h1-eth0', 'txqueuelen', '500'] }] });
    const planX = withQlen(planLab(`${tag}x`, topo, { userspaceDataplane: false }));
    const planY = withQlen(planLab(`${tag}y`, topo, { userspaceDataplane: false }));
    expect(planX.ipLines.filter((l) => !ipLineToOp(l.argv)).map((l) => l.argv[3])).toEqual(['txqueuelen']);
    const hostBefore = hostSysctls(planX);
    // The comparison below can only catch a leak where the host differs from what the plan writes.
    const planned = new Set(planX.sysctls.flatMap((s) => s.settings.map((x) => `${sysctlPath(x).path}=${sysctlPath(x).value}`)));
    expect(hostBefore.filter((h) => !planned.has(h)).length).toBeGreaterThan(0);
    createLabDir(planX.lab);
    createLabDir(planY.lab);
    try {
      const stages: string[] = [];
      await executePlan(planX, (stage) => void (stages.at(-1) !== stage && stages.push(stage)));
      expect(stages).toEqual(['namespaces', 'sysctls', 'links', 'offloads', 'addresses']);
      await executePlan(planY, () => undefined, { noAddon: true });
      expect(hostSysctls(planX)).toEqual(hostBefore);
      const x = namespaceState(planX);
      expect(x[`L-h1/links`]).toContainEqual({ ifname: 'h1-eth0', up: true, mtu: 1500, master: undefined, txqlen: 500, addrs: ['10.0.0.1/24', 'fd8a:52c1:9e07::1/64'] });
      expect(x[`L-s1/bridges`]).toEqual([{ ifname: 's1', forward_delay: 0, stp_state: 0, mcast_snooping: 0 }]);
      expect(x[`L-r1/route`]).toMatch(/^192\.0\.2\.0\/24 via 10\.0\.1\.1 dev r1-eth0/m);
      expect(x[`L-r1/route`]).toMatch(/^fd00:1::\/64 via fd8a:52c1:9e07:1::1 dev r1-eth0/m);
      expect(x[`L-h2/route`]).toMatch(/^default via fd8a:52c1:9e07::1 dev h2-eth0/m);
      expect(x[`L-a1/links`]).toContainEqual({ ifname: 'lo', up: true, mtu: 65536, master: undefined, txqlen: 1000, addrs: ['127.0.0.1/8', '192.0.2.53/32', '2001:db8::53/128', '::1/128'] });
      expect(x[`L-s1/links`]).toContainEqual({ ifname: 's1-eth2', up: true, mtu: 1500, master: 's1', txqlen: 1000, addrs: [] });
      const s1 = planX.sysctls.find((s) => s.ns.endsWith('-s1'))!.settings;
      expect(x[`L-s1/sysctl`]).toBe(s1.map((s) => `${s.split('=')[1]}\n`).join(''));
      expect(x).toEqual(namespaceState(planY));
      sh(['ip', 'netns', 'exec', `${planX.lab}-h1`, 'ping', '-c1', '-W2', '-q', '10.0.0.2']);
      sh(['ip', 'netns', 'exec', `${planX.lab}-h2`, 'ping', '-c1', '-W2', '-q', 'fd8a:52c1:9e07::1']);
      sh(['ip', 'netns', 'exec', `${planX.lab}-r1`, 'ping', '-c1', '-W2', '-q', '192.0.2.53']);
    } finally {
      await teardownLab(planY.lab);
    }

    // A process left inside a lab namespace is stopped by the teardown.
    const straggler = spawn('ip', ['netns', 'exec', `${planX.lab}-h2`, 'sleep', '60'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => straggler.on('exit', (_code, sig) => r(sig)));
    for (let i = 0; i < 200 && !readlinkSync(`/proc/${straggler.pid}/exe`).endsWith('/sleep'); i++) await new Promise((r) => setTimeout(r, 10));
    const report = await teardownLab(planX.lab);
    expect(report.namespaces).toBe(topo.nodes.length);
    expect(await exited).toBe('SIGTERM');
    for (const n of [...planX.namespaces, ...planY.namespaces]) expect(existsSync(`/run/netns/${n.ns}`)).toBe(false);
    expect(existsSync(`${runDir}/${planX.lab}`)).toBe(false);
  });

  it('a failure inside a namespace rejects with the CommandError of the command it replaces', async () => {
    const lab = `${tag}z`;
    createLabDir(lab);
    const plan: Plan = { lab, namespaces: [{ ns: `${lab}-h1`, node: 'h1' }], sysctls: [{ ns: `${lab}-h1`, settings: ['net.ipv4.no_such_setting=1'] }], veths: [], ipLines: [], offloads: [], shapedLinks: [] };
    const err = await executePlan(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).argv).toEqual(['ip', 'netns', 'exec', `${lab}-h1`, 'sysctl', '-w', 'net.ipv4.no_such_setting=1']);
    expect((err as CommandError).message).toMatch(/no_such_setting/);
    await teardownLab(lab);
    expect(existsSync(`/run/netns/${lab}-h1`)).toBe(false);
  });
});
