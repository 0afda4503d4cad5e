/**
 * The build plan: a pure function from a validated Topology to the ordered
 * operations that bring it up in Linux network namespaces. No I/O here; the
 * runner (lab/runner.ts) turns each stage into batched iproute2/tc/sysctl/
 * ethtool argv arrays.
 *
 * Owns: namespace names (`<lab>-<node>`), per-namespace sysctls, veth pairs
 * created directly inside their namespaces (never in the host's), bridges for
 * switches, addresses, default routes, link shaping (tc netem), offloads off.
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

/** One `ip` batch line (argv tokens without the leading `ip`), run inside `ns`. */
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
  /** `tc` lines per namespace (link shaping). */
  readonly tcLines: readonly NsCommand[];
  /** Devices whose offloads go off (tx, tso, gso, gro). */
  readonly offloads: readonly { readonly ns: string; readonly dev: string }[];
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

function netemArgs(s: LinkShaping): string[] {
  const args: string[] = [];
  if (s.delayMs !== undefined || s.jitterMs !== undefined) {
    args.push('delay', `${s.delayMs ?? 0}ms`);
    if (s.jitterMs !== undefined) args.push(`${s.jitterMs}ms`);
  }
  if (s.lossPercent !== undefined) args.push('loss', `${s.lossPercent}%`);
  if (s.rateMbit !== undefined) args.push('rate', `${s.rateMbit}mbit`);
  return args;
}

function hasShaping(s: LinkShaping | undefined): s is LinkShaping {
  return !!s && (s.delayMs !== undefined || s.jitterMs !== undefined || s.lossPercent !== undefined || s.rateMbit !== undefined);
}

export function planLab(lab: string, topo: Topology, opts: PlanOptions): Plan {
  if (!LAB_NAME_PATTERN.test(lab)) throw new Error(`lab name '${lab}' must match ${LAB_NAME_PATTERN}`);
  const ns = (node: string) => namespaceName(lab, node);
  const byName = new Map(topo.nodes.map((n) => [n.name, n]));

  const namespaces = topo.nodes.map((n) => ({ ns: ns(n.name), node: n.name }));
  const sysctls = topo.nodes.map((n) => ({ ns: ns(n.name), settings: sysctlsFor(n, topo, opts) }));

  const veths: VethOp[] = topo.links.map((l) => ({
    a: { ns: ns(l.a.node), dev: l.a.interface },
    b: { ns: ns(l.b.node), dev: l.b.interface },
    mtu: l.mtu,
  }));

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
      if (intf.ipv6) ipLines.push({ ns: n, argv: ['-6', 'addr', 'add', intf.ipv6, 'dev', intf.name, 'nodad'] });
      ipLines.push({ ns: n, argv: ['link', 'set', intf.name, 'up'] });
    }
    if (node.kind === 'switch') ipLines.push({ ns: n, argv: ['link', 'set', node.name, 'up'] });
    if (node.kind === 'anycast-server' && node.anycast) {
      for (const addr of node.anycast.addresses) {
        const isV6 = addr.includes(':');
        const cidr = addr.includes('/') ? addr : `${addr}/${isV6 ? 128 : 32}`;
        ipLines.push({ ns: n, argv: [isV6 ? '-6' : '-4', 'addr', 'add', cidr, 'dev', 'lo'] });
      }
    }
    if (node.defaultRoute?.ipv4) ipLines.push({ ns: n, argv: ['route', 'add', 'default', 'via', node.defaultRoute.ipv4] });
    if (node.defaultRoute?.ipv6) ipLines.push({ ns: n, argv: ['-6', 'route', 'add', 'default', 'via', node.defaultRoute.ipv6] });
    if (kernelForwards(node, topo, opts)) {
      for (const r of node.staticRoutes ?? []) {
        ipLines.push({ ns: n, argv: [r.prefix.includes(':') ? '-6' : '-4', 'route', 'add', r.prefix, 'via', r.via] });
      }
    }
  }

  const tcLines: NsCommand[] = [];
  for (const l of topo.links) {
    if (hasShaping(l.aToB)) tcLines.push({ ns: ns(l.a.node), argv: ['qdisc', 'add', 'dev', l.a.interface, 'root', 'netem', ...netemArgs(l.aToB)] });
    if (hasShaping(l.bToA)) tcLines.push({ ns: ns(l.b.node), argv: ['qdisc', 'add', 'dev', l.b.interface, 'root', 'netem', ...netemArgs(l.bToA)] });
  }

  for (const v of veths) {
    if (!byName.has(v.a.ns.slice(lab.length + 1)) || !byName.has(v.b.ns.slice(lab.length + 1))) {
      throw new Error(`plan: link between unknown nodes ${v.a.ns} and ${v.b.ns}`);
    }
  }
  return { lab, namespaces, sysctls, veths, ipLines, tcLines, offloads };
}

/** A batch file line: tokens validated to carry no whitespace (batch files are split on blanks). */
export function batchLine(argv: readonly string[]): string {
  for (const t of argv) if (t === '' || /\s/.test(t)) throw new Error(`unsafe batch token ${JSON.stringify(t)}`);
  return argv.join(' ');
}
