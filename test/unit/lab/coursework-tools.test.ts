/**
 * The pure parts of `lab inject`, `lab reset` and `lab snapshot`/`restore`:
 * argument parsing, the attributes an injected route carries per session,
 * the inject node chosen from a topology, snapshot checks against a lab,
 * and the commands that bring an interface back up.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstSessions, parseInjectArgs, injectNode, injectPeerConfig, INJECT_USAGE } from '../../../lab/inject.js';
import { parseSnapshot, sameConfig } from '../../../lab/snapshot.js';
import { linkUpCommands } from '../../../lab/reset.js';
import { parseAsPath, sessionAttributes, type InjectRoute } from '../../../src/inject/routes.js';
import { parseAddress } from '../../../src/lib/prefix.js';
import { loadTopologyText } from '../../../lab/topology/load.js';
import type { RouterConfig } from '../../../src/router/config.js';
import type { Topology } from '../../../lab/topology/types.js';

const addr = (t: string) => {
  const a = parseAddress(t);
  if (!a.ok) throw new Error(a.error);
  return a.value;
};

describe('lab inject arguments', () => {
  it('parses an announcement with every attribute', () => {
    const r = parseInjectArgs(['--at', 'inj', 'announce', '203.0.113.128/25', '--as-path', '65010 65020', '--next-hop', '10.0.0.10', '--med', '5', '--local-pref', '300', '--community', '65000:1', '65000:2', '--origin', 'egp', '--json']);
    expect(r.at).toBe('inj');
    expect(r.json).toBe(true);
    expect(r.action).toEqual({
      kind: 'announce',
      routes: [{ prefix: '203.0.113.128/25', asPath: [65010, 65020], nextHop: '10.0.0.10', med: 5, localPref: 300, communities: ['65000:1', '65000:2'], origin: 'egp' }],
    });
  });

  it('takes several prefixes, --flag=value, repeated --community and a comma list', () => {
    const r = parseInjectArgs(['announce', '198.51.100.0/24', '2001:db8:1::/48', '--community=65000:1,no-export', '--community', '65000:3', '--lab', 'x']);
    expect(r.lab).toBe('x');
    expect(r.action.kind).toBe('announce');
    if (r.action.kind !== 'announce') return;
    expect(r.action.routes.map((x) => x.prefix)).toEqual(['198.51.100.0/24', '2001:db8:1::/48']);
    expect(r.action.routes[0].communities).toEqual(['65000:1', 'no-export', '65000:3']);
    expect(r.action.routes[0].origin).toBe('igp');
    expect(r.action.routes[0].asPath).toEqual([]);
  });

  it('parses withdraw, status and --clear', () => {
    expect(parseInjectArgs(['withdraw', '10.0.0.0/24']).action).toEqual({ kind: 'withdraw', prefixes: ['10.0.0.0/24'] });
    expect(parseInjectArgs(['status']).action).toEqual({ kind: 'status' });
    expect(parseInjectArgs(['--clear', '--at', 'inj'])).toEqual({ at: 'inj', json: false, action: { kind: 'clear' } });
  });

  // [argv, message, whether the usage follows (a malformed command line) or not (a bad value)]
  it.each([
    [[], /^usage: lab inject/, true],
    [['announce'], /^announce needs a PREFIX; usage:/, true],
    [['announce', '10.0.0.1/24'], /10\.0\.0\.1\/24/, false],
    [['announce', '10.0.0.0/24', '--as-path', '65010 0'], /AS 0 cannot appear/, false],
    [['announce', '10.0.0.0/24', '--as-path', '65010 x'], /whole number/, false],
    [['announce', '10.0.0.0/24', '--as-path', '23456'], /AS_TRANS/, false],
    [['announce', '10.0.0.0/24', '--med', '-1'], /--med must be a whole number/, false],
    [['announce', '10.0.0.0/24', '--local-pref', '4294967296'], /larger than 4294967295/, false],
    [['announce', '10.0.0.0/24', '--community', '70000:1'], /not a community/, false],
    [['announce', '10.0.0.0/24', '--origin', 'bgp'], /--origin must be igp\|egp\|incomplete/, false],
    [['announce', '10.0.0.0/24', '--next-hop', '2001:db8::1'], /is IPv6 but 10\.0\.0\.0\/24 is IPv4/, false],
    [['announce', '10.0.0.0/24', '--med'], /^--med needs a value; usage:/, true],
    [['announce', '10.0.0.0/24', '--mde', '1'], /^unknown option --mde; usage:/, true],
    [['announce', '10.0.0.0/24', '--med', '1', '--med', '2'], /--med given twice/, true],
    [['withdraw', '10.0.0.0/24', '--med', '1'], /--med only goes with announce/, true],
    [['withdraw'], /withdraw needs a PREFIX/, true],
    [['--clear', 'announce', '10.0.0.0/24'], /--clear takes no other action/, true],
    [['status', 'x'], /status takes no arguments/, true],
    [['hijack', '10.0.0.0/24'], /unknown action 'hijack'/, true],
  ] as const)('refuses %j in one line', (argv, message, withUsage) => {
    let err: Error | undefined;
    try {
      parseInjectArgs(argv);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('LabError');
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain('\n');
    expect(err?.message.endsWith(INJECT_USAGE)).toBe(withUsage);
  });
});

describe('injected route attributes', () => {
  const route: InjectRoute = { prefix: '203.0.113.128/25', asPath: [65010, 65020], med: 7, communities: ['65000:1'], origin: 'incomplete' };

  it('over eBGP: the peer\'s AS first, MED kept, no LOCAL_PREF, NEXT_HOP = the local address', () => {
    const r = sessionAttributes(route, { kind: 'ebgp', localAsn: 65099, localAddress4: addr('10.0.0.10') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.attributes.asPath).toEqual([{ type: 2, asns: [65099, 65010, 65020] }]);
    expect([...r.value.attributes.nextHop!]).toEqual([10, 0, 0, 10]);
    expect(r.value.attributes.med).toBe(7);
    expect(r.value.attributes.localPref).toBeUndefined();
    expect(r.value.attributes.origin).toBe(2);
    expect(r.value.attributes.communities).toEqual([65000 * 65536 + 1]);
  });

  it('over iBGP: the AS path as given, LOCAL_PREF 100 unless set', () => {
    const r = sessionAttributes({ ...route, localPref: 250 }, { kind: 'ibgp', localAsn: 65001, localAddress4: addr('10.0.0.10') });
    expect(r.ok && r.value.attributes.asPath).toEqual([{ type: 2, asns: [65010, 65020] }]);
    expect(r.ok && r.value.attributes.localPref).toBe(250);
    const d = sessionAttributes(route, { kind: 'ibgp', localAsn: 65001, localAddress4: addr('10.0.0.10') });
    expect(d.ok && d.value.attributes.localPref).toBe(100);
  });

  it('refuses LOCAL_PREF over eBGP (RFC 4271 §5.1.5)', () => {
    const r = sessionAttributes({ ...route, localPref: 250 }, { kind: 'ebgp', localAsn: 65099, localAddress4: addr('10.0.0.10') });
    expect(r).toEqual({ ok: false, error: 'LOCAL_PREF is only carried over iBGP (RFC 4271 §5.1.5)' });
  });

  it('a third-party next hop replaces the local address', () => {
    const r = sessionAttributes({ ...route, nextHop: '10.0.0.9' }, { kind: 'ebgp', localAsn: 65099, localAddress4: addr('10.0.0.10') });
    expect(r.ok && [...r.value.attributes.nextHop!]).toEqual([10, 0, 0, 9]);
  });

  it('IPv6 goes in MP_REACH with the IPv6 address of the link; none known is an error', () => {
    const v6: InjectRoute = { prefix: '2001:db8:1::/48', asPath: [], communities: [], origin: 'igp' };
    const r = sessionAttributes(v6, { kind: 'ebgp', localAsn: 65099, localAddress4: addr('10.0.0.10'), localAddress6: addr('fd00::10') });
    expect(r.ok && r.value.attributes.nextHop).toBeUndefined();
    expect(r.ok && r.value.ipv6NextHop?.length).toBe(16);
    expect(r.ok && r.value.attributes.asPath).toEqual([{ type: 2, asns: [65099] }]);
    const none = sessionAttributes(v6, { kind: 'ebgp', localAsn: 65099, localAddress4: addr('10.0.0.10') });
    expect(none.ok).toBe(false);
  });

  it('parses AS paths with spaces or commas', () => {
    expect(parseAsPath('65010, 65020 4200000000')).toEqual({ ok: true, value: [65010, 65020, 4200000000] });
    expect(parseAsPath('')).toEqual({ ok: true, value: [] });
  });
});

const YAML = `
name: t
nodes:
  h1: host
  r1: {kind: router, asn: 65001}
  r2: {kind: router, asn: 65002}
  inj: {kind: external, asn: 65099}
  ext: external
links:
  - [h1, r1]
  - [r1, r2]
  - [inj, r1]
  - [ext, r2]
`;

function topo(text = YAML): Topology {
  return loadTopologyText(text, 'mem.yaml');
}

describe('the inject node', () => {
  it('is the only external node with an asn, and its config peers with the routers it is linked to', () => {
    const t = topo();
    const n = injectNode(t, undefined);
    expect(n.name).toBe('inj');
    const cfg = injectPeerConfig('lab1', n);
    expect(cfg.asn).toBe(65099);
    expect(cfg.neighbors.map((x) => [x.node, x.remoteAs, x.kind])).toEqual([['r1', 65001, 'ebgp']]);
    expect(cfg.controlSocket.endsWith('/lab1/inj.sock')).toBe(true);
    // LOCAL_PREF cannot cross this eBGP session: refused before any process starts.
    expect(() => checkAgainstSessions(cfg, [{ prefix: '10.9.0.0/24', asPath: [], communities: [], origin: 'igp', localPref: 200 }])).toThrow('10.9.0.0/24 toward r1: LOCAL_PREF is only carried over iBGP (RFC 4271 §5.1.5)');
    expect(() => checkAgainstSessions(cfg, [{ prefix: '2001:db8::/32', asPath: [], communities: [], origin: 'igp' }])).not.toThrow();
  });

  it('names what is wrong with --at', () => {
    const t = topo();
    expect(() => injectNode(t, 'r1')).toThrow(/r1 is a router: the inject peer runs at an external node \(this lab has: inj\)/);
    expect(() => injectNode(t, 'ext')).toThrow(/external node ext has no asn/);
    expect(() => injectNode(t, 'zz')).toThrow(/no node 'zz'/);
  });

  it('says how to declare one when the lab has none', () => {
    const t = topo(YAML.replace('inj: {kind: external, asn: 65099}', 'inj: external'));
    expect(() => injectNode(t, undefined)).toThrow(/no external node with an asn to inject from: declare one in the topology/);
  });
});

describe('snapshots', () => {
  const t = topo();
  const cfg = (node: string, extra: Partial<RouterConfig> = {}): RouterConfig => {
    const n = t.nodes.find((x) => x.name === node)!;
    return {
      version: 1, lab: 'old', node, kind: 'router', asn: n.asn!, routerId: '10.0.0.1', dataplane: 'userspace', controlSocket: '/run/x/old/r1.sock',
      interfaces: n.interfaces.map((i) => ({ name: i.name, ipv4: i.ipv4, mtu: i.mtu })), neighbors: [], networks: [], staticRoutes: [],
      originateConnected: true, multipath: false, ...extra,
    };
  };

  it('restores into a lab of another name with its own control sockets', () => {
    const m = parseSnapshot(JSON.stringify({ version: 1, configs: { r1: cfg('r1') } }), 's.json', 'new', t);
    expect(m.get('r1')!.lab).toBe('new');
    expect(m.get('r1')!.controlSocket.endsWith('/new/r1.sock')).toBe(true);
  });

  it('refuses the whole file with every mismatch named', () => {
    const bad = { version: 1, configs: { r9: cfg('r1', { node: 'r9' }), h1: cfg('r1', { node: 'h1' }), r2: cfg('r1', { node: 'r2' }) } };
    expect(() => parseSnapshot(JSON.stringify(bad), 's.json', 'new', t)).toThrow(/s\.json: cannot restore into lab new:\n {2}r9: no such node in lab new\n {2}h1: is a host in lab new, not a router\n {2}r2: interfaces r1-eth0 r1-eth1 r1-eth2 in the snapshot, r2-eth0 r2-eth1 in the lab/);
    expect(() => parseSnapshot('{', 's.json', 'new', t)).toThrow(/s\.json: not JSON/);
    expect(() => parseSnapshot('{"configs": 3}', 's.json', 'new', t)).toThrow(/not a lab snapshot/);
  });

  it('compares configs by value, not key order', () => {
    const a = cfg('r1');
    const b = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(a).reverse()))) as RouterConfig;
    expect(sameConfig(a, b)).toBe(true);
    expect(sameConfig(a, { ...a, multipath: true })).toBe(false);
    expect(sameConfig(undefined, a)).toBe(false);
  });
});

describe('reset: bringing interfaces back', () => {
  it('puts back IPv6 addresses, then the default route and static routes of a host', () => {
    const t = topo(YAML.replace('h1: host', 'h1: {kind: host, static: [{prefix: 198.51.100.0/24, via: 10.0.0.1}]}'));
    const h1 = t.nodes.find((n) => n.name === 'h1')!;
    const cmds = linkUpCommands(h1, ['h1-eth0']).map((c) => c.join(' '));
    expect(cmds[0]).toBe('link set dev h1-eth0 up');
    expect(cmds[1]).toMatch(/^addr replace fd8a:52c1:9e07:\w+::\w+\/64 dev h1-eth0 nodad$/);
    expect(cmds).toContain('route replace default via 10.0.0.1');
    expect(cmds).toContain('route replace 198.51.100.0/24 via 10.0.0.1');
    expect(cmds.findIndex((c) => c.startsWith('route'))).toBeGreaterThan(cmds.findIndex((c) => c.startsWith('addr')));
    expect(linkUpCommands(h1, [])).toEqual([]);
  });
});
