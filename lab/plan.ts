/**
 * The build plan: a pure function from a validated Topology to the ordered
 * operations that bring it up in Linux network namespaces. No I/O here; the
 * runner (lab/runner.ts) turns each stage into batched iproute2/tc/sysctl/
 * ethtool argv arrays.
 *
 * Owns: namespace names (`<lab>-<node>`), per-namespace sysctls, veth pairs
 * created directly inside their namespaces (never in the host's), bridges for
 * switches, addresses, default routes, shaped links routed through the link
 * namespace of the lab's shaper process, offloads off.
 *
 * Not here: router/server processes (lab/processes.ts), teardown (lab/teardown.ts).
 */
import type { LinkShaping, Topology, TopologyNode } from './topology/types.js';

export const LAB_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

export function namespaceName(lab: string, node: string): string {
  return `${lab}-${node}`;
}

export interface VethOp {
  readonly a: { readonly ns: string; readonly dev: string };
  readonly b: { readonly ns: string; readonly dev: string };
  readonly mtu: number;
}

/**
 * One `ip` batch line (argv tokens without the leading `ip`), run inside `ns`.
 * Batch lines take no options such as -6: the family follows from the addresses.
 */
export interface NsCommand {
  readonly ns: string;
  readonly argv: readonly string[];
}

export interface Plan {
  readonly lab: string;
  readonly namespaces: readonly { readonly ns: string; readonly node: string }[];
  /** sysctl key=value settings per namespace, applied before any link exists. */
  readonly sysctls: readonly { readonly ns: string; readonly settings: readonly string[] }[];
  readonly veths: readonly VethOp[];
  /** `ip` lines per namespace: bridges, ports, addresses, links up, routes. */
  readonly ipLines: readonly NsCommand[];
  /** Devices whose offloads go off (tx, tso, gso, gro). */
  readonly offloads: readonly { readonly ns: string; readonly dev: string }[];
  /**
   * Shaped links (delay, jitter, loss, rate) run through the lab's link
   * shaper: a-end ⇄ lNa | lNb ⇄ b-end, lNa and lNb in `linkNamespace`.
   */
  readonly shapedLinks: readonly ShapedLink[];
  readonly linkNamespace?: string;
}

export interface ShapedLink {
  readonly index: number;
  readonly a: string;
  readonly b: string;
  readonly aToB?: LinkShaping;
  readonly bToA?: LinkShaping;
}

/** The namespace of a lab's shaped-link ends; `_` cannot start a node name, so it never collides. */
export function linkNamespaceName(lab: string): string {
  return `${lab}-_links`;
}

const COMMON_SYSCTLS = [
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  'net.ipv6.conf.all.accept_ra=0',
  'net.ipv6.conf.default.accept_ra=0',
  'net.ipv6.conf.all.accept_dad=0',
  'net.ipv6.conf.default.accept_dad=0',
];

/** Whether the kernel of this node's namespace forwards transit traffic. */
export function kernelForwards(node: TopologyNode, topo: Topology, opts: PlanOptions): boolean {
  if (node.kind === 'bird' || node.kind === 'frr') return true;
  if (node.kind !== 'router') return false;
  return !opts.userspaceDataplane || (node.dataplane ?? topo.defaults.dataplane) === 'kernel';
}

export interface PlanOptions {
  /**
   * Whether router processes forward transit in userspace. When false every
   * router's kernel forwards (ip_forward=1) with the routes it is given.
   */
  readonly userspaceDataplane: boolean;
}

function sysctlsFor(node: TopologyNode, topo: Topology, opts: PlanOptions): string[] {
  const fwd = kernelForwards(node, topo, opts) ? '1' : '0';
  const out = [...COMMON_SYSCTLS, `net.ipv4.ip_forward=${fwd}`, `net.ipv6.conf.all.forwarding=${fwd}`, `net.ipv6.conf.default.forwarding=${fwd}`];
  if (node.kind === 'switch') out.push('net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  return out;
}

function hasShaping(s: LinkShaping | undefined): s is LinkShaping {
  return !!s && (s.delayMs !== undefined || s.jitterMs !== undefined || s.lossPercent !== undefined || s.rateMbit !== undefined);
}

export function planLab(lab: string, topo: Topology, opts: PlanOptions): Plan {
  if (!LAB_NAME_PATTERN.test(lab)) throw new Error(`lab name '${lab}' must match ${LAB_NAME_PATTERN}`);
  const ns = (node: string) => namespaceName(lab, node);
  const byName = new Map(topo.nodes.map((n) => [n.name, n]));

  const namespaces: { ns: string; node: string }[] = topo.nodes.map((n) => ({ ns: ns(n.name), node: n.name }));
  const sysctls: { ns: string; settings: readonly string[] }[] = topo.nodes.map((n) => ({ ns: ns(n.name), settings: sysctlsFor(n, topo, opts) }));

  const linkNs = linkNamespaceName(lab);
  const shapedLinks: ShapedLink[] = [];
  const veths: VethOp[] = [];
  for (const l of topo.links) {
    const a = { ns: ns(l.a.node), dev: l.a.interface };
    const b = { ns: ns(l.b.node), dev: l.b.interface };
    if (!hasShaping(l.aToB) && !hasShaping(l.bToA)) {
      veths.push({ a, b, mtu: l.mtu });
      continue;
    }
    const s: ShapedLink = { index: l.index, a: `l${l.index}a`, b: `l${l.index}b`, aToB: l.aToB, bToA: l.bToA };
    shapedLinks.push(s);
    veths.push({ a, b: { ns: linkNs, dev: s.a }, mtu: l.mtu });
    veths.push({ a: { ns: linkNs, dev: s.b }, b, mtu: l.mtu });
  }
  if (shapedLinks.length) {
    namespaces.push({ ns: linkNs, node: '_links' });
    sysctls.push({ ns: linkNs, settings: ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.ip_forward=0'] });
  }

  const ipLines: NsCommand[] = [];
  const offloads: { ns: string; dev: string }[] = [];
  for (const node of topo.nodes) {
    const n = ns(node.name);
    ipLines.push({ ns: n, argv: ['link', 'set', 'lo', 'up'] });
    if (node.kind === 'switch') {
      ipLines.push({ ns: n, argv: ['link', 'add', node.name, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0'] });
    }
    for (const intf of node.interfaces) {
      offloads.push({ ns: n, dev: intf.name });
      if (node.kind === 'switch') ipLines.push({ ns: n, argv: ['link', 'set', intf.name, 'master', node.name] });
      if (intf.ipv4) ipLines.push({ ns: n, argv: ['addr', 'add', intf.ipv4, 'dev', intf.name] });
      if (intf.ipv6) ipLines.push({ ns: n, argv: ['addr', 'add', intf.ipv6, 'dev', intf.name, 'nodad'] });
      ipLines.push({ ns: n, argv: ['link', 'set', intf.name, 'up'] });
    }
    if (node.kind === 'switch') ipLines.push({ ns: n, argv: ['link', 'set', node.name, 'up'] });
    if (node.kind === 'anycast-server' && node.anycast) {
      for (const addr of node.anycast.addresses) {
        const cidr = addr.includes('/') ? addr : `${addr}/${addr.includes(':') ? 128 : 32}`;
        ipLines.push({ ns: n, argv: ['addr', 'add', cidr, 'dev', 'lo'] });
      }
    }
    if (node.kind === 'router' && !kernelForwards(node, topo, opts)) {
      // With forwarding off, an IPv6 kernel still answers transit packets it has no route for
      // with its own ICMPv6 error; a last-resort blackhole leaves that to our data plane.
      ipLines.push({ ns: n, argv: ['route', 'add', 'blackhole', '::/0', 'metric', '4294967295'] });
    }
    if (node.defaultRoute?.ipv4) ipLines.push({ ns: n, argv: ['route', 'add', 'default', 'via', node.defaultRoute.ipv4] });
    if (node.defaultRoute?.ipv6) ipLines.push({ ns: n, argv: ['route', 'add', '::/0', 'via', node.defaultRoute.ipv6] });
    // Hosts and kernel-forwarding nodes get their static routes from the kernel;
    // router processes install their own.
    if (node.kind === 'host' || node.kind === 'external' || kernelForwards(node, topo, opts)) {
      for (const r of node.staticRoutes ?? []) {
        ipLines.push({ ns: n, argv: ['route', 'add', r.prefix, 'via', r.via] });
      }
    }
  }

  for (const sl of shapedLinks) {
    for (const dev of [sl.a, sl.b]) {
      offloads.push({ ns: linkNs, dev });
      ipLines.push({ ns: linkNs, argv: ['link', 'set', dev, 'up'] });
    }
  }

  for (const l of topo.links) {
    if (!byName.has(l.a.node) || !byName.has(l.b.node)) throw new Error(`plan: link between unknown nodes ${l.a.node} and ${l.b.node}`);
  }
  return { lab, namespaces, sysctls, veths, ipLines, offloads, shapedLinks, linkNamespace: shapedLinks.length ? linkNs : undefined };
}

/** A batch file line: tokens validated to carry no whitespace (batch files are split on blanks). */
export function batchLine(argv: readonly string[]): string {
  for (const t of argv) if (t === '' || /\s/.test(t)) throw new Error(`unsafe batch token ${JSON.stringify(t)}`);
  return argv.join(' ');
}
