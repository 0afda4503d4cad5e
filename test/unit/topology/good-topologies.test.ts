/**
 * Good topologies load into the expected Topology: interface names in
 * Mininet's numbering, addresses, default routes, BGP neighbours.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile, loadTopologyText } from '../../../lab/topology/load.js';
import type { Topology, TopologyNode } from '../../../lab/topology/types.js';
import { parsePrefix, prefixCovers, parseAddress } from '../../../src/lib/prefix.js';

const topologies = join(import.meta.dirname, '../../../topologies');
const node = (t: Topology, n: string): TopologyNode => {
  const x = t.nodes.find((y) => y.name === n);
  if (!x) throw new Error(`no node ${n}`);
  return x;
};
const ifc = (t: Topology, n: string, i: string) => {
  const x = node(t, n).interfaces.find((y) => y.name === i);
  if (!x) throw new Error(`no interface ${i} on ${n}`);
  return x;
};
const bare = (a: string | undefined) => a?.split('/')[0];
const covers = (subnet: string, addr: string) => {
  const p = parsePrefix(subnet, { allowHostBits: true });
  const a = parseAddress(addr.split('/')[0]);
  return p.ok && a.ok && prefixCovers(p.value, a.value);
};

describe('anycast-basic.yaml', async () => {
  const t = await loadTopologyFile(join(topologies, 'anycast-basic.yaml'));

  it('has the seed figure: client on r1, b on r1, a on r2, c on r3, routers in a chain', () => {
    expect(t.name).toBe('anycast-basic');
    expect(t.nodes.map((n) => n.name).sort()).toEqual(['a', 'b', 'c', 'client', 'r1', 'r2', 'r3']);
    const pairs = t.links.map((l) => [l.a.node, l.b.node].sort().join('-')).sort();
    expect(pairs).toEqual(['a-r2', 'b-r1', 'c-r3', 'client-r1', 'r1-r2', 'r2-r3']);
    expect([node(t, 'r1').asn, node(t, 'r2').asn, node(t, 'r3').asn]).toEqual([65001, 65002, 65003]);
    const serverAsns = new Set(['a', 'b', 'c'].map((s) => node(t, s).asn));
    expect(serverAsns.size).toBe(1);
    for (const s of ['a', 'b', 'c']) {
      expect(node(t, s).kind).toBe('anycast-server');
      expect(node(t, s).anycast).toEqual({ addresses: ['192.0.2.53', '2001:db8::53'], prefixes: ['192.0.2.0/24', '2001:db8::/48'] });
    }
  });

  it('numbers interfaces per node in link order', () => {
    expect(node(t, 'r1').interfaces.map((i) => `${i.name}>${i.peerNode}`)).toEqual(['r1-eth0>client', 'r1-eth1>r2', 'r1-eth2>b']);
    expect(node(t, 'r2').interfaces.map((i) => `${i.name}>${i.peerNode}`)).toEqual(['r2-eth0>r1', 'r2-eth1>r3', 'r2-eth2>a']);
    expect(ifc(t, 'client', 'client-eth0').peerInterface).toBe('r1-eth0');
  });

  it('addresses every link with a /31 and a /64 from the default pools', () => {
    const seen = new Set<string>();
    for (const l of t.links) {
      expect(l.subnet4).toMatch(/\/31$/);
      expect(l.subnet6).toMatch(/^fd8a:52c1:9e07:[0-9a-f]+::\/64$/);
      expect(covers('10.0.0.0/16', l.subnet4!)).toBe(true);
      for (const end of [l.a, l.b]) {
        const i = ifc(t, end.node, end.interface);
        expect(covers(l.subnet4!, i.ipv4!)).toBe(true);
        expect(covers(l.subnet6!, i.ipv6!)).toBe(true);
        for (const a of [bare(i.ipv4)!, bare(i.ipv6)!]) { expect(seen.has(a)).toBe(false); seen.add(a); }
      }
    }
  });

  it('points the client and every server at its router', () => {
    const gw = (host: string, router: string) => {
      const hi = node(t, host).interfaces[0];
      const ri = ifc(t, router, hi.peerInterface);
      expect(node(t, host).defaultRoute).toEqual({ ipv4: bare(ri.ipv4), ipv6: bare(ri.ipv6) });
    };
    gw('client', 'r1'); gw('b', 'r1'); gw('a', 'r2'); gw('c', 'r3');
    expect(node(t, 'r1').defaultRoute).toBeUndefined();
  });

  it('peers each router with its linked routers and servers, and servers with their router only', () => {
    const peers = (n: string) => (node(t, n).neighbors ?? []).map((x) => `${x.node}:${x.remoteAs}:${x.kind}`).sort();
    expect(peers('r1')).toEqual(['b:64500:ebgp', 'r2:65002:ebgp']);
    expect(peers('r2')).toEqual(['a:64500:ebgp', 'r1:65001:ebgp', 'r3:65003:ebgp']);
    expect(peers('r3')).toEqual(['c:64500:ebgp', 'r2:65002:ebgp']);
    expect(peers('b')).toEqual(['r1:65001:ebgp']);
    expect(node(t, 'client').neighbors).toBeUndefined();
  });

  it('uses link addresses for sessions and accepts only the anycast prefixes from servers', () => {
    const r1b = node(t, 'r1').neighbors!.find((x) => x.node === 'b')!;
    const bIfc = node(t, 'b').interfaces[0];
    expect(r1b.address).toBe(bare(bIfc.ipv4));
    expect(r1b.localAddress).toBe(bare(ifc(t, 'r1', r1b.interface).ipv4));
    expect(r1b.import).toEqual({ terms: [{ match: { prefixes: ['192.0.2.0/24', '2001:db8::/48'] }, action: 'accept' }], default: 'reject' });
    expect(r1b.export).toEqual({ terms: [], default: 'accept' });
    const br1 = node(t, 'b').neighbors![0];
    expect(br1.export.default).toBe('reject');
    expect(br1.export.terms[0].match.prefixes).toEqual(['192.0.2.0/24', '2001:db8::/48']);
    const r1r2 = node(t, 'r1').neighbors!.find((x) => x.node === 'r2')!;
    expect(r1r2.import).toEqual({ terms: [], default: 'accept' });
    expect([r1r2.holdTime, r1r2.keepalive]).toEqual([9, 3]);
  });

  it('gives unique router ids, never the anycast address', () => {
    const ids = t.nodes.filter((n) => n.routerId).map((n) => n.routerId);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(ids).not.toContain('192.0.2.53');
    expect(node(t, 'r1').routerId).toBe(bare(node(t, 'r1').interfaces[0].ipv4));
  });

  it('is deterministic', async () => {
    expect(await loadTopologyFile(join(topologies, 'anycast-basic.yaml'))).toEqual(t);
  });
});

describe('chain.yaml and lan.yaml', () => {
  it('chain: client and server at the ends of three ASes', async () => {
    const t = await loadTopologyFile(join(topologies, 'chain.yaml'));
    expect(node(t, 'client').interfaces[0].peerNode).toBe('r1');
    expect(node(t, 'server').interfaces[0].peerNode).toBe('r3');
    expect(node(t, 'r2').neighbors!.map((n) => n.node).sort()).toEqual(['r1', 'r3']);
    expect(node(t, 'server').defaultRoute?.ipv4).toBe(bare(ifc(t, 'r3', 'r3-eth1').ipv4));
  });

  it('lan: one /24 for the whole LAN, the router is .1 and the hosts\' gateway; switch ports from eth1', async () => {
    const t = await loadTopologyFile(join(topologies, 'lan.yaml'));
    expect(new Set(t.links.map((l) => l.subnet4))).toEqual(new Set(['10.0.0.0/24']));
    expect(new Set(t.links.map((l) => l.subnet6)).size).toBe(1);
    expect(ifc(t, 'r1', 'r1-eth0').ipv4).toBe('10.0.0.1/24');
    expect(node(t, 'h1').defaultRoute?.ipv4).toBe('10.0.0.1');
    expect(node(t, 'h2').defaultRoute?.ipv4).toBe('10.0.0.1');
    expect(node(t, 's1').interfaces.map((i) => i.name)).toEqual(['s1-eth1', 's1-eth2', 's1-eth3']);
    expect(node(t, 's1').interfaces.every((i) => !i.ipv4 && !i.ipv6)).toBe(true);
    expect(node(t, 'h1').interfaces[0].peerInterface).toBe('s1-eth1');
  });
});

describe('inline topologies', () => {
  const load = (yaml: string) => loadTopologyText(yaml, 'inline.yaml');

  it('takes a per-endpoint address and fills the other end from the same subnet', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001}
  r2: {kind: router, asn: 65002}
links:
  - endpoints: [r1, r2]
    r1: {ipv4: 172.16.5.1/24, ipv6: 2001:db8:5::1/64}
  - [r1, r2]
`);
    expect(ifc(t, 'r1', 'r1-eth0').ipv4).toBe('172.16.5.1/24');
    expect(ifc(t, 'r2', 'r2-eth0').ipv4).toBe('172.16.5.2/24');
    expect(ifc(t, 'r2', 'r2-eth0').ipv6).toBe('2001:db8:5::2/64');
    expect(t.links[0].subnet4).toBe('172.16.5.0/24');
    expect(t.links[1].subnet4).toBe('10.0.0.0/31');
  });

  it('allows parallel links: two interfaces each side and one session per link', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001}
  r2: {kind: router, asn: 65002}
links: [[r1, r2], [r1, r2]]
`);
    expect(node(t, 'r1').interfaces.map((i) => i.name)).toEqual(['r1-eth0', 'r1-eth1']);
    expect(node(t, 'r1').neighbors!.map((n) => n.interface)).toEqual(['r1-eth0', 'r1-eth1']);
    expect(t.links[0].subnet4).not.toBe(t.links[1].subnet4);
  });

  it('makes iBGP sessions between routers of one AS', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001}
  r2: {kind: router, asn: 65001}
links: [[r1, r2]]
`);
    expect(node(t, 'r1').neighbors![0].kind).toBe('ibgp');
  });

  it('applies link shaping to both directions and per-direction overrides to one', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001}
  r2: {kind: router, asn: 65002}
links:
  - endpoints: [r1, r2]
    delay: 20ms
    jitter: 1.5ms
    loss: 0.5%
    rate: 10mbit
    mtu: 9000
    r2-to-r1: {delay: 100us, rate: 500kbit}
`);
    const l = t.links[0];
    expect(l.aToB).toEqual({ delayMs: 20, jitterMs: 1.5, lossPercent: 0.5, rateMbit: 10 });
    expect(l.bToA).toEqual({ delayMs: 0.1, jitterMs: 1.5, lossPercent: 0.5, rateMbit: 0.5 });
    expect(l.mtu).toBe(9000);
    expect(ifc(t, 'r1', 'r1-eth0').mtu).toBe(9000);
  });

  it('reads explicit neighbours with policies, hold times and max-prefixes', () => {
    const t = load(`
defaults: {hold: 30}
nodes:
  r1:
    kind: router
    asn: 65001
    neighbors:
      - node: r2
        max-prefixes: 100
        hold: 90
        import:
          terms:
            - match: {prefixes: ["192.0.2.0/24 le 32", "10.0.0.0/8 ge 16 le 24"], as-path-contains: [65010]}
              action: accept
              set: {local-pref: 200, med: 5, communities: ["65001:1", no-export], prepend: 2}
          default: reject
        export: reject-all
  r2: {kind: router, asn: 65002}
links: [[r1, r2]]
`);
    const n = node(t, 'r1').neighbors!;
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ node: 'r2', remoteAs: 65002, maxPrefixes: 100, holdTime: 90, keepalive: 30 });
    expect(n[0].import).toEqual({
      terms: [{
        match: { prefixes: ['192.0.2.0/24 le 32', '10.0.0.0/8 ge 16 le 24'], asPathContains: [65010] },
        action: 'accept',
        set: { localPref: 200, med: 5, communities: ['65001:1', 'no-export'], prepend: 2 },
      }],
      default: 'reject',
    });
    expect(n[0].export).toEqual({ terms: [], default: 'reject' });
    // r2 has no explicit list: its default session uses the lab's hold time.
    expect(node(t, 'r2').neighbors![0]).toMatchObject({ node: 'r1', holdTime: 30, keepalive: 10 });
  });

  it('peers by address with an external speaker given remote-as', () => {
    const t = load(`
nodes:
  r1:
    kind: router
    asn: 65001
    neighbors:
      - {address: 10.0.0.0, remote-as: 65100}
  bgpd: {kind: external}
links: [[bgpd, r1]]
`);
    expect(node(t, 'r1').neighbors).toEqual([expect.objectContaining({ node: 'bgpd', address: '10.0.0.0', remoteAs: 65100, localAddress: '10.0.0.1', kind: 'ebgp' })]);
    expect(node(t, 'bgpd').neighbors).toBeUndefined();
  });

  it('derives /24 and /48 anycast prefixes when none are given', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001}
  s: {kind: anycast-server, asn: 64500, anycast: {addresses: [198.51.100.7, "2001:db8:aa:bb::7"]}}
links: [[s, r1]]
`);
    expect(node(t, 's').anycast?.prefixes).toEqual(['198.51.100.0/24', '2001:db8:aa::/48']);
  });

  it('sizes a big LAN beyond /24 and keeps routers first', () => {
    const hosts = Array.from({ length: 300 }, (_, i) => `h${i + 1}`);
    const t = load(`
nodes:
  s1: switch
  s2: switch
  r1: {kind: router, asn: 65001}
${hosts.map((h) => `  ${h}: host`).join('\n')}
links:
${hosts.map((h, i) => `  - [${h}, ${i % 2 ? 's1' : 's2'}]`).join('\n')}
  - [s1, s2]
  - [r1, s2]
`);
    expect(new Set(t.links.map((l) => l.subnet4))).toEqual(new Set(['10.0.0.0/23']));
    expect(ifc(t, 'r1', 'r1-eth0').ipv4).toBe('10.0.0.1/23');
    expect(node(t, 'h300').defaultRoute?.ipv4).toBe('10.0.0.1');
    expect(ifc(t, 's2', 's2-eth1').peerNode).toBe('h1');
  });

  it('skips pool space taken by overrides and announced networks', () => {
    const t = load(`
nodes:
  r1: {kind: router, asn: 65001, networks: [10.0.0.0/30]}
  r2: {kind: router, asn: 65002}
  r3: {kind: router, asn: 65003}
links:
  - endpoints: [r1, r2]
    r1: {ipv4: 10.0.0.4/31}
  - [r2, r3]
`);
    expect(t.links[1].subnet4).toBe('10.0.0.6/31');
  });

  it('honours a router-id, a kernel dataplane and a custom pool', () => {
    const t = load(`
addressing: {ipv4: 192.168.0.0/24, ipv6: "fd00:1:2::/48"}
defaults: {dataplane: kernel}
nodes:
  r1: {kind: router, asn: 65001, router-id: 1.1.1.1, dataplane: userspace}
  r2: {kind: router, asn: 65002}
links: [[r1, r2]]
`);
    expect(node(t, 'r1').routerId).toBe('1.1.1.1');
    expect(node(t, 'r1').dataplane).toBe('userspace');
    expect(node(t, 'r2').dataplane).toBe('kernel');
    expect(node(t, 'r2').routerId).toBe('192.168.0.1');
    expect(t.links[0].subnet6).toBe('fd00:1:2:1::/64');
    expect(t.addressing).toEqual({ ipv4Pool: '192.168.0.0/24', ipv6Pool: 'fd00:1:2::/48' });
  });

  it('frame-io: the default for routers, overridden per router; absent unless asked for', () => {
    const t = load(`
defaults: {frame-io: af_xdp}
nodes:
  r1: {kind: router, asn: 65001, frame-io: af_packet}
  r2: {kind: router, asn: 65002}
links: [[r1, r2]]
`);
    expect(node(t, 'r1').frameIo).toBe('af_packet');
    expect(node(t, 'r2').frameIo).toBe('af_xdp');
    const plain = load('nodes:\n  r1: {kind: router, asn: 1}\n');
    expect(node(plain, 'r1').frameIo).toBeUndefined();
  });

  it('records where each node and link was written', () => {
    const t = load('nodes:\n  h1: host\n  r1: {kind: router, asn: 1}\nlinks:\n  - [h1, r1]\n');
    expect(node(t, 'r1').source).toEqual({ file: 'inline.yaml', line: 3, field: 'nodes.r1' });
    expect(t.links[0].source).toEqual({ file: 'inline.yaml', line: 5, field: 'links[0]' });
  });
});
