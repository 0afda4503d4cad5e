import { describe, expect, it } from 'vitest';
import { batchLine, planLab } from '../../../lab/plan.js';
import { formatLinks, formatNet, formatPingall, naturalCompare, sortedLinks } from '../../../lab/format.js';
import { parseArgs } from '../../../lab/cli-args.js';
import type { Topology } from '../../../lab/topology/types.js';

/** h1 - s1 - h2 and r1 with a shaped link to h3: enough to see every kind of plan line. */
const topo: Topology = {
  name: 't',
  origin: 'test',
  addressing: { ipv4Pool: '10.0.0.0/16', ipv6Pool: 'fd8a:52c1:9e07::/48' },
  defaults: { dataplane: 'userspace', holdTime: 9, keepalive: 3 },
  nodes: [
    { name: 'h1', kind: 'host', interfaces: [{ name: 'h1-eth0', node: 'h1', link: 0, peerNode: 's1', peerInterface: 's1-eth1', mtu: 1500, ipv4: '10.0.0.1/24', ipv6: 'fd8a:52c1:9e07::1/64' }] },
    { name: 'h2', kind: 'host', interfaces: [{ name: 'h2-eth0', node: 'h2', link: 1, peerNode: 's1', peerInterface: 's1-eth2', mtu: 1500, ipv4: '10.0.0.2/24' }], defaultRoute: { ipv4: '10.0.0.254' } },
    { name: 's1', kind: 'switch', interfaces: [
      { name: 's1-eth1', node: 's1', link: 0, peerNode: 'h1', peerInterface: 'h1-eth0', mtu: 1500 },
      { name: 's1-eth2', node: 's1', link: 1, peerNode: 'h2', peerInterface: 'h2-eth0', mtu: 1500 },
    ] },
    { name: 'r1', kind: 'router', asn: 65001, interfaces: [{ name: 'r1-eth0', node: 'r1', link: 2, peerNode: 'h3', peerInterface: 'h3-eth0', mtu: 1400, ipv4: '10.0.1.0/31' }] },
    { name: 'h3', kind: 'host', interfaces: [{ name: 'h3-eth0', node: 'h3', link: 2, peerNode: 'r1', peerInterface: 'r1-eth0', mtu: 1400, ipv4: '10.0.1.1/31' }] },
  ],
  links: [
    { index: 0, a: { node: 'h1', interface: 'h1-eth0' }, b: { node: 's1', interface: 's1-eth1' }, mtu: 1500 },
    { index: 1, a: { node: 'h2', interface: 'h2-eth0' }, b: { node: 's1', interface: 's1-eth2' }, mtu: 1500 },
    { index: 2, a: { node: 'r1', interface: 'r1-eth0' }, b: { node: 'h3', interface: 'h3-eth0' }, mtu: 1400, aToB: { delayMs: 20, jitterMs: 2, lossPercent: 1 }, bToA: { rateMbit: 10 } },
  ],
};

describe('planLab', () => {
  const plan = planLab('lx', topo, { userspaceDataplane: true });

  it('names namespaces <lab>-<node> and creates each veth end directly in its namespace', () => {
    expect(plan.namespaces.map((n) => n.ns)).toEqual(['lx-h1', 'lx-h2', 'lx-s1', 'lx-r1', 'lx-h3', 'lx-_links']);
    expect(plan.veths[0]).toEqual({ a: { ns: 'lx-h1', dev: 'h1-eth0' }, b: { ns: 'lx-s1', dev: 's1-eth1' }, mtu: 1500 });
  });

  it('sets forwarding off for userspace routers and on for kernel-mode ones, rp_filter/accept_ra/dad everywhere', () => {
    const r1 = plan.sysctls.find((s) => s.ns === 'lx-r1')!.settings;
    expect(r1).toContain('net.ipv4.ip_forward=0');
    expect(r1).toContain('net.ipv4.conf.all.rp_filter=0');
    expect(r1).toContain('net.ipv6.conf.default.accept_dad=0');
    const kernel = planLab('lx', topo, { userspaceDataplane: false }).sysctls.find((s) => s.ns === 'lx-r1')!.settings;
    expect(kernel).toContain('net.ipv4.ip_forward=1');
    expect(plan.sysctls.find((s) => s.ns === 'lx-h1')!.settings).toContain('net.ipv4.ip_forward=0');
  });

  it('makes a bridge for a switch and enslaves its ports; addresses and default routes for hosts', () => {
    const s1 = plan.ipLines.filter((l) => l.ns === 'lx-s1').map((l) => l.argv.join(' '));
    expect(s1).toContain('link add s1 type bridge forward_delay 0 stp_state 0 mcast_snooping 0');
    expect(s1).toContain('link set s1-eth2 master s1');
    const h2 = plan.ipLines.filter((l) => l.ns === 'lx-h2').map((l) => l.argv.join(' '));
    expect(h2).toEqual(['link set lo up', 'addr add 10.0.0.2/24 dev h2-eth0', 'link set h2-eth0 up', 'route add default via 10.0.0.254']);
    const h1 = plan.ipLines.filter((l) => l.ns === 'lx-h1').map((l) => l.argv.join(' '));
    expect(h1).toContain('addr add fd8a:52c1:9e07::1/64 dev h1-eth0 nodad');
  });

  it('routes a shaped link through the link namespace, each direction with its own shaping', () => {
    expect(plan.veths.slice(2)).toEqual([
      { a: { ns: 'lx-r1', dev: 'r1-eth0' }, b: { ns: 'lx-_links', dev: 'l2a' }, mtu: 1400 },
      { a: { ns: 'lx-_links', dev: 'l2b' }, b: { ns: 'lx-h3', dev: 'h3-eth0' }, mtu: 1400 },
    ]);
    expect(plan.shapedLinks).toEqual([{ index: 2, a: 'l2a', b: 'l2b', aToB: { delayMs: 20, jitterMs: 2, lossPercent: 1 }, bToA: { rateMbit: 10 } }]);
    expect(plan.linkNamespace).toBe('lx-_links');
    const noShaping = planLab('lx', { ...topo, links: topo.links.slice(0, 2) }, { userspaceDataplane: true });
    expect(noShaping.linkNamespace).toBeUndefined();
  });

  it('turns offloads off on every interface, shaper ends included', () => {
    expect(plan.offloads).toHaveLength(8);
    expect(plan.offloads).toContainEqual({ ns: 'lx-_links', dev: 'l2b' });
  });

  it('rejects bad lab names and unsafe batch tokens', () => {
    expect(() => planLab('Bad_Name', topo, { userspaceDataplane: true })).toThrow(/must match/);
    expect(() => batchLine(['addr', 'add', '10.0.0.1/24 dev x'])).toThrow(/unsafe/);
  });
});

describe('Mininet output formats', () => {
  it('sorts naturally', () => {
    expect(['h10', 'h2', 'h1', 's1'].sort(naturalCompare)).toEqual(['h1', 'h2', 'h10', 's1']);
  });
  it('links and net', () => {
    expect(sortedLinks(topo).map((l) => l.aNode)).toEqual(['h1', 'h2', 'r1']);
    expect(formatLinks(topo)).toBe('h1-eth0<->s1-eth1 (OK OK)\nh2-eth0<->s1-eth2 (OK OK)\nr1-eth0<->h3-eth0 (OK OK)\n');
    expect(formatNet(topo).split('\n')).toContain('s1 lo:  s1-eth1:h1-eth0 s1-eth2:h2-eth0');
    expect(formatNet(topo).split('\n')[0]).toBe('h1 h1-eth0:s1-eth1');
  });
  it('pingall summary', () => {
    const text = formatPingall(['h1', 'h2'], [{ from: 'h1', to: 'h2', ok: true }, { from: 'h2', to: 'h1', ok: false }]);
    expect(text).toContain('h1 -> h2');
    expect(text).toContain('h2 -> X');
    expect(text).toContain('*** Results: 50% dropped (1/2 received)');
  });
});

describe('argument parsing', () => {
  it('stops at the passthrough point so a command keeps its own flags', () => {
    const a = parseArgs(['--lab', 'x', 'h1', 'ping', '-c', '1', '--help'], 1);
    expect(a.flags.get('lab')).toBe('x');
    expect(a.positional).toEqual(['h1', 'ping', '-c', '1', '--help']);
  });
  it('value flags need values', () => {
    expect(() => parseArgs(['--lab'])).toThrow(/needs a value/);
  });
});
