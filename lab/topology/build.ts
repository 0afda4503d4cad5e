/**
 * From a `TopologySpec` to the validated `Topology`: interfaces, addresses,
 * router ids, BGP neighbours, host default routes — and every cross-check
 * that needs the whole graph.
 *
 * Owns: interface numbering exactly as Mininet's Topo.addPort (per node, in
 * the order links are added; hosts and routers from eth0, switches from
 * eth1; explicit ports win), interface name length (IFNAMSIZ) and collisions,
 * link endpoint checks, duplicate addresses and overlapping subnets, anycast
 * checks, default BGP sessions (every directly connected speaker; eBGP when
 * the ASNs differ, iBGP when equal; anycast servers never peer with each
 * other) with explicit import/export policies (RFC 8212).
 *
 * Not here: reading files (load.ts, mininet.ts); the plan of commands.
 */
import { formatAddress, formatPrefix, parseAddress, parsePrefix, prefixCovers, type IpPrefix } from '../../src/lib/prefix.js';
import { findSegments, hostAddresses, Ipv4Allocator, Ipv6Allocator, lanPrefixLength, prefixesOverlap, withLength, type Segment, type SegmentEndpoint } from './addressing.js';
import { ACCEPT_ALL, onlyPrefixes } from './policy.js';
import type { Locator, SpecAddress, SpecLink, SpecNode, TopologySpec } from './spec.js';
import type { BgpNeighbor, Interface, Link, NodeKind, PolicySpec, Topology, TopologyError, TopologyNode } from './types.js';
import { MAX_INTERFACE_NAME, NAME_PATTERN } from './values.js';

export const DEFAULT_IPV4_POOL = '10.0.0.0/16';
/** RFC 4193 ULA /48; global ID 0x8a52c19e07, fixed so labs are reproducible. */
export const DEFAULT_IPV6_POOL = 'fd8a:52c1:9e07::/48';
export const DEFAULT_MTU = 1500;

/** Kinds that speak BGP (an `external` one only when it has an ASN). */
export const SPEAKER_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['router', 'anycast-server', 'external', 'bird', 'frr']);
/** Kinds that forward packets: hosts' default gateways. */
export const ROUTER_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['router', 'bird', 'frr']);
/** Kinds that get a default route toward their router. */
const GATEWAY_CLIENT_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['host', 'anycast-server']);

interface Ifc {
  name: string;
  node: string;
  link: number;
  port: number;
  peerNode: string;
  peerInterface: string;
  mtu: number;
  ipv4?: string;
  ipv6?: string;
  /** Field path of the endpoint this interface came from. */
  field: string;
  /** Field paths of addresses set by an override. */
  addrField: { ipv4?: string; ipv6?: string };
  segment: number;
}

export interface BuildResult {
  readonly topology?: Topology;
  readonly errors: readonly TopologyError[];
}

export function buildTopology(spec: TopologySpec, loc: Locator): BuildResult {
  const errors: TopologyError[] = [];
  const err = (field: string, message: string) => errors.push(loc.error(field, message));
  const nodes = new Map<string, SpecNode>();
  for (const n of spec.nodes) {
    if (nodes.has(n.name)) err(n.field, `duplicate node name '${n.name}'`);
    else nodes.set(n.name, n);
    // YAML names are checked while reading; Mininet's come from Python.
    if (spec.style !== 'lab' && !NAME_PATTERN.test(n.name)) err(n.field, `node name '${n.name}' is not valid here (lower-case letter, then lower-case letters, digits or '-')`);
  }
  const isSwitch = (n: string) => nodes.get(n)?.kind === 'switch';

  // Links: endpoints exist and differ.
  const links: SpecLink[] = [];
  for (const l of spec.links) {
    let ok = true;
    for (const [i, name] of [[0, l.a], [1, l.b]] as const) {
      if (!nodes.has(name)) {
        err(`${l.field}.endpoints[${i}]`, `link to unknown node '${name}'${suggest(name, [...nodes.keys()])}`);
        ok = false;
      }
    }
    if (ok && l.a === l.b) { err(`${l.field}.endpoints[1]`, `self-link: both ends are '${l.a}'`); ok = false; }
    if (ok) links.push(l);
  }

  // Interfaces, numbered as Mininet's Topo.addPort does.
  const ifcs = new Map<string, Ifc[]>();
  for (const n of nodes.keys()) ifcs.set(n, []);
  const linkIfcs: [Ifc, Ifc][] = [];
  links.forEach((l, li) => {
    const mtu = l.mtu ?? spec.defaults.mtu;
    const make = (node: string, port: number | undefined, side: number): Ifc => {
      const list = ifcs.get(node)!;
      const base = isSwitch(node) ? 1 : 0;
      const p = port ?? list.length + base;
      const ifc: Ifc = { name: `${node}-eth${p}`, node, link: li, port: p, peerNode: '', peerInterface: '', mtu, field: `${l.field}.endpoints[${side}]`, addrField: {}, segment: -1 };
      if (ifc.name.length > MAX_INTERFACE_NAME) {
        err(ifc.field, `interface name '${ifc.name}' is ${ifc.name.length} characters; Linux allows ${MAX_INTERFACE_NAME} (shorten the node name '${node}')`);
      }
      if (list.some((x) => x.name === ifc.name)) err(ifc.field, `interface name '${ifc.name}' is used twice on node '${node}' (port ${p})`);
      list.push(ifc);
      return ifc;
    };
    const a = make(l.a, l.portA, 0);
    const b = make(l.b, l.portB, 1);
    a.peerNode = b.node; a.peerInterface = b.name;
    b.peerNode = a.node; b.peerInterface = a.name;
    linkIfcs.push([a, b]);
  });

  const endpointOf = (ifc: Ifc): SegmentEndpoint => ({
    node: ifc.node, iface: ifc.name, link: ifc.link, routerLike: ROUTER_KINDS.has(nodes.get(ifc.node)!.kind),
  });
  const segments = findSegments(linkIfcs.map(([a, b]) => ({ a: endpointOf(a), b: endpointOf(b) })), isSwitch);
  const ifcByName = new Map<string, Ifc>();
  for (const list of ifcs.values()) for (const i of list) ifcByName.set(`${i.node}/${i.name}`, i);
  const ifcOf = (e: SegmentEndpoint) => ifcByName.get(`${e.node}/${e.iface}`)!;
  for (const s of segments) for (const li of s.links) for (const i of linkIfcs[li]) i.segment = s.index;

  const subnets = assignAddresses(spec, nodes, links, linkIfcs, segments, ifcOf, err);

  // Duplicate addresses.
  const seen = new Map<string, Ifc>();
  for (const list of ifcs.values()) for (const i of list) for (const a of [i.ipv4, i.ipv6]) {
    if (!a) continue;
    const key = canonical(a);
    const prev = seen.get(key);
    if (prev) err(i.addrField[a.includes(':') ? 'ipv6' : 'ipv4'] ?? i.field, `address ${a.split('/')[0]} of ${i.name} is also on ${prev.name}`);
    else seen.set(key, i);
  }

  // Anycast.
  const linkSubnets = [...subnets.values()].flatMap((s) => [s.v4, s.v6]).filter((p): p is { prefix: IpPrefix; field: string } => !!p);
  for (const n of nodes.values()) {
    if (!n.anycast || n.invalid) continue;
    const prefixes = (n.anycast.prefixes ?? []).map((p) => parsePrefix(p)).flatMap((r) => (r.ok ? [r.value] : []));
    n.anycast.addresses.forEach((text, i) => {
      const f = `${n.field}.anycast.addresses[${i}]`;
      const a = parseAddress(text);
      if (!a.ok) return;
      if (!prefixes.some((p) => prefixCovers(p, a.value))) {
        err(f, `anycast address ${text} is not inside any announced prefix (${(n.anycast!.prefixes ?? []).join(', ') || 'none'})`);
      }
      const clash = linkSubnets.find((s) => prefixCovers(s.prefix, a.value));
      if (clash) err(f, `anycast address ${text} is inside link subnet ${formatPrefix(clash.prefix)}`);
    });
    prefixes.forEach((p, i) => {
      const clash = linkSubnets.find((s) => prefixesOverlap(s.prefix, p));
      if (clash) err(`${n.field}.anycast.prefixes[${i}]`, `anycast prefix ${formatPrefix(p)} overlaps link subnet ${formatPrefix(clash.prefix)}`);
    });
  }

  // Router ids: given, or the first IPv4 address; unique among speakers.
  const routerIds = new Map<string, string>();
  const speaker = (n: SpecNode | undefined) => !!n && SPEAKER_KINDS.has(n.kind) && (n.kind !== 'external' || n.asn !== undefined);
  for (const n of nodes.values()) {
    if (!speaker(n)) continue;
    let id = n.routerId;
    if (!id) id = ifcs.get(n.name)!.find((i) => i.ipv4)?.ipv4?.split('/')[0];
    if (!id) {
      // A node with no links never opens a session; its id does not matter.
      if (!n.invalid && ifcs.get(n.name)!.length > 0) err(n.field, `${n.name} has no IPv4 address to take a router id from; set 'router-id'`);
      continue;
    }
    const other = [...routerIds.entries()].find(([, v]) => v === id);
    if (other) err(n.routerId ? `${n.field}.router-id` : n.field, `router id ${id} is also ${other[0]}'s`);
    routerIds.set(n.name, id);
  }

  // BGP neighbours.
  const neighbors = new Map<string, BgpNeighbor[]>();
  const addrOn = (node: string, seg: number, fam: 'ipv4' | 'ipv6') => ifcs.get(node)!.find((i) => i.segment === seg && i[fam])?.[fam];
  const sessionFor = (x: SpecNode, xi: Ifc, y: SpecNode | undefined, yAddr: string | undefined, remoteAs: number, over: Partial<BgpNeighbor>): BgpNeighbor | undefined => {
    const fam: 'ipv4' | 'ipv6' = yAddr ? (yAddr.includes(':') ? 'ipv6' : 'ipv4') : (xi.ipv4 && y && addrOn(y.name, xi.segment, 'ipv4') ? 'ipv4' : 'ipv6');
    const local = xi[fam];
    const peer = yAddr ?? (y ? addrOn(y.name, xi.segment, fam)?.split('/')[0] : undefined);
    if (!local || !peer) return undefined;
    const isAnycast = (n: SpecNode | undefined) => n?.kind === 'anycast-server';
    const dflt = defaultPolicies(x, y, isAnycast);
    return {
      ...(y ? { node: y.name } : {}),
      address: peer,
      remoteAs,
      localAddress: local.split('/')[0],
      interface: xi.name,
      kind: x.asn === remoteAs ? 'ibgp' : 'ebgp',
      import: over.import ?? dflt.import,
      export: over.export ?? dflt.export,
      ...(over.maxPrefixes !== undefined ? { maxPrefixes: over.maxPrefixes } : {}),
      holdTime: over.holdTime ?? spec.defaults.holdTime,
      keepalive: over.keepalive ?? (over.holdTime !== undefined ? Math.floor(over.holdTime / 3) : spec.defaults.keepalive),
    };
  };
  for (const x of nodes.values()) {
    if (!speaker(x) || x.asn === undefined || spec.style !== 'lab') continue;
    const out: BgpNeighbor[] = [];
    const fieldOfSession = new Map<BgpNeighbor, string>();
    if (!x.neighbors) {
      for (const xi of ifcs.get(x.name)!) {
        for (const e of segments[xi.segment]?.endpoints ?? []) {
          const y = nodes.get(e.node)!;
          if (y.name === x.name || !speaker(y) || y.asn === undefined) continue;
          if (x.kind === 'anycast-server' && y.kind === 'anycast-server') continue;
          const yi = ifcOf(e);
          if (out.some((nb) => nb.node === y.name && nb.interface === xi.name && nb.address === (yi.ipv4 ?? yi.ipv6)?.split('/')[0])) continue;
          const nb = sessionFor(x, xi, y, (yi.ipv4 && xi.ipv4 ? yi.ipv4 : yi.ipv6 && xi.ipv6 ? yi.ipv6 : undefined)?.split('/')[0], y.asn, {});
          if (nb) out.push(nb);
        }
      }
    } else {
      for (const s of x.neighbors) {
        const over = { import: s.import, export: s.export, maxPrefixes: s.maxPrefixes, holdTime: s.holdTime, keepalive: s.keepalive };
        if (s.holdTime !== undefined && s.keepalive !== undefined && s.holdTime > 0 && s.keepalive >= s.holdTime) {
          err(`${s.field}.keepalive`, `keepalive (${s.keepalive}) must be less than hold (${s.holdTime})`);
        }
        if (s.node !== undefined) {
          const y = nodes.get(s.node);
          if (!y) { err(`${s.field}.node`, `neighbor '${s.node}' is not a node of this lab${suggest(s.node, [...nodes.keys()])}`); continue; }
          if (y.name === x.name) { err(`${s.field}.node`, `a node cannot be its own neighbor`); continue; }
          if (!SPEAKER_KINDS.has(y.kind)) { err(`${s.field}.node`, `'${y.name}' is a ${y.kind} and does not speak BGP`); continue; }
          const remoteAs = s.remoteAs ?? y.asn;
          if (remoteAs === undefined) { err(s.field, `'${y.name}' has no asn: give 'remote-as'`); continue; }
          const shared = ifcs.get(x.name)!.filter((xi) => segments[xi.segment]?.endpoints.some((e) => e.node === y.name));
          if (shared.length === 0) { err(`${s.field}.node`, `'${x.name}' and '${y.name}' share no link (sessions run between directly connected addresses)`); continue; }
          const seenSeg = new Set<number>();
          for (const xi of shared) {
            if (seenSeg.has(xi.segment)) continue;
            seenSeg.add(xi.segment);
            const nb = sessionFor(x, xi, y, undefined, remoteAs, over);
            if (nb) { out.push(nb); fieldOfSession.set(nb, s.field); }
            else err(s.field, `'${x.name}' and '${y.name}' have no addresses of one family on their shared link`);
          }
        } else if (s.address !== undefined) {
          const a = parseAddress(s.address);
          if (!a.ok) continue;
          const fam = a.value.family === 4 ? 'ipv4' : 'ipv6';
          const xi = ifcs.get(x.name)!.find((i) => { const p = i[fam] && parsePrefix(i[fam]!, { allowHostBits: true }); return !!p && p.ok && prefixCovers(p.value, a.value); });
          if (!xi) { err(`${s.field}.address`, `${s.address} is not on any of ${x.name}'s links`); continue; }
          const wanted = canonical(s.address);
          const owner = [...ifcs.values()].flat().find((i) => i[fam] && canonical(i[fam]!) === wanted);
          if (owner?.node === x.name) { err(`${s.field}.address`, `${s.address} is ${x.name}'s own address`); continue; }
          const y = owner ? nodes.get(owner.node) : undefined;
          const remoteAs = s.remoteAs ?? y?.asn;
          if (remoteAs === undefined) { err(s.field, `give 'remote-as' for ${s.address}`); continue; }
          const nb = sessionFor(x, xi, y, s.address, remoteAs, over);
          if (nb) { out.push(nb); fieldOfSession.set(nb, s.field); }
        }
      }
    }
    // Two entries for one session (same interface and peer address) cannot both run.
    const keys = new Set<string>();
    for (const nb of out) {
      const key = `${nb.interface}|${nb.address}`;
      if (keys.has(key)) err(fieldOfSession.get(nb) ?? x.field, `a second session with ${nb.address} on ${nb.interface}`);
      keys.add(key);
    }
    neighbors.set(x.name, out);
  }

  // Default routes toward the router on the node's link (or the first on its LAN).
  const defaultRoutes = new Map<string, { ipv4?: string; ipv6?: string }>();
  if (spec.style === 'lab') {
    for (const n of nodes.values()) {
      if (!GATEWAY_CLIENT_KINDS.has(n.kind)) continue;
      const route: { ipv4?: string; ipv6?: string } = {};
      for (const fam of ['ipv4', 'ipv6'] as const) {
        const hasStaticDefault = (n.staticRoutes ?? []).some((r) => r.prefix === (fam === 'ipv4' ? '0.0.0.0/0' : '::/0'));
        if (hasStaticDefault) continue;
        for (const i of ifcs.get(n.name)!) {
          if (!i[fam]) continue;
          const gw = segments[i.segment]?.endpoints.find((e) => e.node !== n.name && e.routerLike && ifcOf(e)[fam]);
          if (gw) { route[fam] = ifcOf(gw)[fam]!.split('/')[0]; break; }
        }
      }
      if (route.ipv4 || route.ipv6) defaultRoutes.set(n.name, route);
    }
  }

  // Static routes: the next hop must be on one of the node's links.
  for (const n of nodes.values()) {
    (n.staticRoutes ?? []).forEach((r, k) => {
      const via = parseAddress(r.via);
      if (!via.ok) return;
      const fam = via.value.family === 4 ? 'ipv4' : 'ipv6';
      const onLink = ifcs.get(n.name)!.some((i) => { const p = i[fam] && parsePrefix(i[fam]!, { allowHostBits: true }); return !!p && p.ok && prefixCovers(p.value, via.value); });
      if (!onLink) err(`${n.field}.static[${k}].via`, `next hop ${r.via} is not on any of ${n.name}'s links`);
    });
  }

  // IPv6 needs an MTU of at least 1280 (RFC 8200 §5).
  links.forEach((l, li) => {
    const [a, b] = linkIfcs[li];
    if ((a.ipv6 || b.ipv6) && a.mtu < 1280) err(l.mtu !== undefined ? `${l.field}.mtu` : 'defaults.mtu', `mtu ${a.mtu} is below IPv6's minimum of 1280`);
  });

  if (errors.length > 0) return { errors };

  const topoLinks: Link[] = links.map((l, li) => {
    const [a, b] = linkIfcs[li];
    const s = subnets.get(a.segment);
    return {
      index: li,
      a: { node: a.node, interface: a.name },
      b: { node: b.node, interface: b.name },
      ...(l.aToB ? { aToB: l.aToB } : {}),
      ...(l.bToA ? { bToA: l.bToA } : {}),
      mtu: a.mtu,
      ...(s?.v4 ? { subnet4: formatPrefix(s.v4.prefix) } : {}),
      ...(s?.v6 ? { subnet6: formatPrefix(s.v6.prefix) } : {}),
      source: { file: loc.file, line: loc.line(l.field), field: l.field },
    };
  });
  const topoNodes: TopologyNode[] = [...nodes.values()].map((n) => {
    const interfaces: Interface[] = ifcs.get(n.name)!.map((i) => ({
      name: i.name, node: i.node, link: i.link, peerNode: i.peerNode, peerInterface: i.peerInterface, mtu: i.mtu,
      ...(i.ipv4 ? { ipv4: i.ipv4 } : {}),
      ...(i.ipv6 ? { ipv6: i.ipv6 } : {}),
    }));
    const isRouter = n.kind === 'router';
    const out: TopologyNode = {
      name: n.name,
      kind: n.kind,
      ...(n.asn !== undefined ? { asn: n.asn } : {}),
      ...(routerIds.has(n.name) ? { routerId: routerIds.get(n.name) } : {}),
      ...(isRouter ? { dataplane: n.dataplane ?? spec.defaults.dataplane } : {}),
      ...(neighbors.has(n.name) ? { neighbors: neighbors.get(n.name) } : {}),
      ...(n.networks ? { networks: n.networks } : {}),
      ...(n.staticRoutes ? { staticRoutes: n.staticRoutes } : {}),
      ...(n.anycast ? { anycast: { addresses: n.anycast.addresses, prefixes: n.anycast.prefixes ?? [] } } : {}),
      ...(defaultRoutes.has(n.name) ? { defaultRoute: defaultRoutes.get(n.name) } : {}),
      ...(isRouter ? { originateConnected: n.originateConnected ?? true } : {}),
      ...(n.multipath !== undefined ? { multipath: n.multipath } : {}),
      interfaces,
      source: { file: loc.file, line: loc.line(n.field), field: n.field },
    };
    return out;
  });
  return {
    errors,
    topology: {
      name: spec.name,
      origin: spec.origin,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      nodes: topoNodes,
      links: topoLinks,
      addressing: { ipv4Pool: spec.addressing.ipv4, ipv6Pool: spec.addressing.ipv6 },
      defaults: { dataplane: spec.defaults.dataplane, holdTime: spec.defaults.holdTime, keepalive: spec.defaults.keepalive },
    },
  };
}

/**
 * RFC 8212 wants explicit policies; the defaults are accept-all, except on
 * router ↔ anycast-server sessions: the router accepts only the server's
 * anycast prefixes, and the server exports only them.
 */
function defaultPolicies(x: SpecNode, y: SpecNode | undefined, isAnycast: (n: SpecNode | undefined) => boolean): { import: PolicySpec; export: PolicySpec } {
  if (isAnycast(y) && !isAnycast(x)) return { import: onlyPrefixes(y!.anycast?.prefixes ?? []), export: ACCEPT_ALL };
  if (isAnycast(x)) return { import: ACCEPT_ALL, export: onlyPrefixes(x.anycast?.prefixes ?? []) };
  return { import: ACCEPT_ALL, export: ACCEPT_ALL };
}

interface SegmentSubnets { v4?: { prefix: IpPrefix; field: string }; v6?: { prefix: IpPrefix; field: string } }

/** Fill in interface addresses; return each segment's subnets. */
function assignAddresses(
  spec: TopologySpec,
  nodes: ReadonlyMap<string, SpecNode>,
  links: readonly SpecLink[],
  linkIfcs: readonly [Ifc, Ifc][],
  segments: readonly Segment[],
  ifcOf: (e: SegmentEndpoint) => Ifc,
  err: (field: string, message: string) => void,
): Map<number, SegmentSubnets> {
  const out = new Map<number, SegmentSubnets>();
  // Per-endpoint overrides (YAML) or Mininet host `ip`s on the default interface.
  const overrides = new Map<Ifc, SpecAddress>();
  links.forEach((l, li) => {
    const [a, b] = linkIfcs[li];
    if (l.addressA) overrides.set(a, l.addressA);
    if (l.addressB) overrides.set(b, l.addressB);
  });
  if (spec.style === 'mininet') {
    for (const n of nodes.values()) {
      if (!n.mininetIp) continue;
      const mine = linkIfcs.flat().filter((i) => i.node === n.name);
      if (mine.length === 0) continue;
      const dflt = mine.reduce((m, i) => (i.port < m.port ? i : m));
      overrides.set(dflt, { ...overrides.get(dflt), ipv4: n.mininetIp.includes('/') ? n.mininetIp : `${n.mininetIp}/8` });
    }
  }
  const fieldOf = (i: Ifc, fam: 'ipv4' | 'ipv6') => {
    const l = links[i.link];
    const side = linkIfcs[i.link][0] === i ? l.a : l.b;
    return spec.style === 'mininet' ? nodes.get(i.node)?.field ?? l.field : `${l.field}.${/^[A-Za-z_][\w-]*$/.test(side) ? side : JSON.stringify(side)}.${fam}`;
  };

  const reserved: IpPrefix[] = [];
  for (const n of nodes.values()) {
    for (const p of [...(n.anycast?.prefixes ?? []), ...(n.networks ?? [])]) {
      const r = parsePrefix(p);
      if (r.ok) reserved.push(r.value);
    }
  }
  // Pass 1: segments with overrides take the override's subnet.
  for (const seg of segments) {
    const s: SegmentSubnets = {};
    for (const fam of ['ipv4', 'ipv6'] as const) {
      for (const e of seg.endpoints) {
        const i = ifcOf(e);
        const text = overrides.get(i)?.[fam];
        if (!text) continue;
        const p = parsePrefix(text, { allowHostBits: true });
        if (!p.ok) continue;
        const cur = fam === 'ipv4' ? s.v4 : s.v6;
        const field = fieldOf(i, fam);
        if (!cur) {
          const v = { prefix: p.value, field };
          if (fam === 'ipv4') s.v4 = v; else s.v6 = v;
        } else if (!(cur.prefix.len === p.value.len && prefixCovers(cur.prefix, p.value))) {
          err(field, `${text} is not in this ${seg.kind === 'lan' ? 'LAN' : 'link'}'s subnet ${formatPrefix(cur.prefix)} (set by ${cur.field})`);
        }
        const bits = (fam === 'ipv4' ? 32 : 128) - p.value.len;
        if (bits > 1) {
          const host = parseAddress(text.split('/')[0]);
          const all0 = host.ok && formatAddress(host.value) === formatAddress(p.value.bytes);
          if (all0 && fam === 'ipv4') err(field, `${text} is the subnet's network address`);
          if (fam === 'ipv4' && host.ok && bits < 32 && isBroadcast(host.value.bytes, p.value.len)) err(field, `${text} is the subnet's broadcast address`);
        }
        i[fam] = text;
        i.addrField[fam] = field;
      }
    }
    out.set(seg.index, s);
    if (s.v4) reserved.push(s.v4.prefix);
    if (s.v6) reserved.push(s.v6.prefix);
  }

  // Overlapping subnets between segments (Mininet's one flat /8 is exempt).
  if (spec.style === 'lab') {
    const all = [...out.values()].flatMap((s) => [s.v4, s.v6]).filter((x): x is { prefix: IpPrefix; field: string } => !!x);
    for (let i = 0; i < all.length; i++) {
      for (let j = 0; j < i; j++) {
        if (prefixesOverlap(all[i].prefix, all[j].prefix)) {
          err(all[i].field, `subnet ${formatPrefix(all[i].prefix)} overlaps ${formatPrefix(all[j].prefix)} of another link (${all[j].field})`);
        }
      }
    }
  }
  if (spec.style !== 'lab') {
    for (const seg of segments) {
      const s = out.get(seg.index)!;
      if (s.v4) s.v4 = { ...s.v4, prefix: { ...s.v4.prefix, bytes: maskTo(s.v4.prefix) } };
    }
    return out;
  }

  // Pass 2: allocate from the pools; fill endpoints in order.
  const pool4 = parsePrefix(spec.addressing.ipv4);
  const pool6 = parsePrefix(spec.addressing.ipv6);
  const alloc4 = pool4.ok ? new Ipv4Allocator(pool4.value, reserved) : undefined;
  const alloc6 = pool6.ok ? new Ipv6Allocator(pool6.value, reserved) : undefined;
  let exhausted4 = false, exhausted6 = false;
  for (const seg of segments) {
    const s = out.get(seg.index)!;
    if (seg.endpoints.length === 0) continue;
    const firstField = linkIfcs[seg.links[0]][0].field.replace(/\.endpoints\[\d\]$/, '');
    if (!s.v4 && alloc4) {
      const p = alloc4.allocate(seg.kind === 'p2p' && seg.endpoints.length <= 2 ? 31 : lanPrefixLength(seg.endpoints.length));
      if (p) s.v4 = { prefix: p, field: firstField };
      else if (!exhausted4) { exhausted4 = true; err('addressing.ipv4', `the IPv4 pool ${spec.addressing.ipv4} is too small for this lab's links`); }
    }
    if (!s.v6 && alloc6) {
      const p = alloc6.allocate();
      if (p) s.v6 = { prefix: p, field: firstField };
      else if (!exhausted6) { exhausted6 = true; err('addressing.ipv6', `the IPv6 pool ${spec.addressing.ipv6} is too small for this lab's links`); }
    }
    for (const fam of ['ipv4', 'ipv6'] as const) {
      const sub = fam === 'ipv4' ? s.v4 : s.v6;
      if (!sub) continue;
      const used = new Set(seg.endpoints.map((e) => ifcOf(e)[fam]).filter((x): x is string => !!x).map(canonical));
      const gen = hostAddresses({ ...sub.prefix, bytes: maskTo(sub.prefix) });
      for (const e of seg.endpoints) {
        const i = ifcOf(e);
        if (i[fam]) continue;
        for (;;) {
          const n = gen.next();
          if (n.done) { err(fieldOf(i, fam), `subnet ${formatPrefix(sub.prefix)} has no address left for ${i.name}`); break; }
          const text = withLength(n.value, sub.prefix.len);
          if (used.has(canonical(text))) continue;
          i[fam] = text;
          used.add(canonical(text));
          break;
        }
      }
    }
  }
  for (const s of out.values()) {
    if (s.v4) s.v4 = { ...s.v4, prefix: { ...s.v4.prefix, bytes: maskTo(s.v4.prefix) } };
    if (s.v6) s.v6 = { ...s.v6, prefix: { ...s.v6.prefix, bytes: maskTo(s.v6.prefix) } };
  }
  return out;
}

function maskTo(p: IpPrefix): Uint8Array {
  const r = parsePrefix(`${formatAddress(p.bytes)}/${p.len}`, { allowHostBits: true });
  return r.ok ? r.value.bytes : p.bytes;
}

function isBroadcast(bytes: Uint8Array, len: number): boolean {
  for (let bit = len; bit < 32; bit++) if (((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) === 0) return false;
  return true;
}

/** Address text without length, canonical (RFC 5952 for IPv6). */
function canonical(text: string): string {
  const a = parseAddress(text.split('/')[0]);
  return a.ok ? formatAddress(a.value) : text;
}

function suggest(name: string, names: readonly string[]): string {
  const close = names.filter((n) => n.startsWith(name.slice(0, 1)) && Math.abs(n.length - name.length) <= 1);
  return close.length > 0 && close.length <= 4 ? ` (nodes: ${close.join(', ')})` : '';
}
