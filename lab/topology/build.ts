/**
 * From a `TopologySpec` to the validated `Topology`: interfaces, addresses,
 * router ids, BGP neighbours, host default routes — and every cross-check
 * that needs the whole graph.
 *
 * Owns: interface numbering exactly as Mininet's Topo.addPort (per node, in
 * the order links are added; hosts and routers from eth0, switches from
 * eth1; explicit ports win), interface name length (IFNAMSIZ) and collisions,
 * link endpoint checks, duplicate addresses, anycast checks, router ids,
 * default routes, static next hops, the IPv6 minimum MTU.
 *
 * Not here: reading files (load.ts, mininet.ts); addresses (assign.ts); BGP
 * sessions (sessions.ts); the plan of commands (lab/plan.ts).
 */
import { formatPrefix, parseAddress, parsePrefix, prefixCovers, type IpPrefix } from '../../src/lib/prefix.js';
import { findSegments, prefixesOverlap, type SegmentEndpoint } from './addressing.js';
import { assignAddresses } from './assign.js';
import { onSubnet, ROUTER_KINDS, suggest, type Ifc } from './graph.js';
import { buildSessions, isSpeaker } from './sessions.js';
import type { Locator, SpecLink, SpecNode, TopologySpec } from './spec.js';
import type { Interface, Link, NodeKind, Topology, TopologyError, TopologyNode } from './types.js';
import { MAX_INTERFACE_NAME, NAME_PATTERN } from './values.js';

export { ROUTER_KINDS, SPEAKER_KINDS } from './graph.js';

export const DEFAULT_IPV4_POOL = '10.0.0.0/16';
/** RFC 4193 ULA /48; global ID 0x8a52c19e07, fixed so labs are reproducible. */
export const DEFAULT_IPV6_POOL = 'fd8a:52c1:9e07::/48';
export const DEFAULT_MTU = 1500;

/** Kinds that get a default route toward their router. */
const GATEWAY_CLIENT_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['host', 'anycast-server']);

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
    const key = a.split('/')[0]; // canonical text: see assign.ts
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
  const ownerOfId = new Map<string, string>();
  for (const n of nodes.values()) {
    if (!isSpeaker(n)) continue;
    let id = n.routerId;
    if (!id) id = ifcs.get(n.name)!.find((i) => i.ipv4)?.ipv4?.split('/')[0];
    if (!id) {
      // A node with no links never opens a session; its id does not matter.
      if (!n.invalid && ifcs.get(n.name)!.length > 0) err(n.field, `${n.name} has no IPv4 address to take a router id from; set 'router-id'`);
      continue;
    }
    const other = ownerOfId.get(id);
    if (other) err(n.routerId ? `${n.field}.router-id` : n.field, `router id ${id} is also ${other}'s`);
    else ownerOfId.set(id, n.name);
    routerIds.set(n.name, id);
  }

  const neighbors = buildSessions({ spec, nodes, ifcs, segments, ifcOf, err });

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
      const onLink = ifcs.get(n.name)!.some((i) => onSubnet(i[fam], r.via));
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
      ...(isRouter && (n.frameIo ?? spec.defaults.frameIo) ? { frameIo: n.frameIo ?? spec.defaults.frameIo } : {}),
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
