/**
 * The short map `lab up` ends with, and the catchment `lab graph` draws:
 * the nodes by kind, the links, the anycast addresses, and which client
 * reaches which site. The catchment is measured (one UDP whoami probe per
 * client, `lab catchment`) when the lab is running and converged, else it is
 * the oracle's prediction from the topology (src/anycast/oracle.ts) and says
 * so. Gathering is `catchmentView`; the formatting functions are pure.
 *
 * Not here: per-link state (see `lab links`) or the BGP tables (`lab show`).
 */
import { coveringAnycastPrefix, predictCatchment } from '../src/anycast/oracle.js';
import { anycastServers, catchment, clientHosts, defaultAnycastAddress, liveOracleState, type LiveOracleState } from './anycast.js';
import type { Topology, TopologyNode } from './topology/types.js';

export interface CatchmentViewRow {
  readonly client: string;
  /** The site the client reaches: the one that answered (measured) or the oracle's single answer (predicted). */
  readonly site?: string;
  /** The oracle's sites (more than one: a tie). */
  readonly predicted: readonly string[];
  /** The router the client enters at and the AS path it holds (measured from the router's RIB, or the oracle's). */
  readonly router?: string;
  readonly asPath?: readonly number[];
  readonly note?: string;
}

export interface CatchmentView {
  readonly address: string;
  readonly prefix?: string;
  /** measured: probes were sent; predicted: the oracle's answer, no packet sent. */
  readonly source: 'measured' | 'predicted';
  readonly rows: readonly CatchmentViewRow[];
  /** Every site, sorted (the graph's colours follow this order). */
  readonly sites: readonly string[];
  /** Sites the oracle left out, with why ("b (failed: service)"), and down interfaces. */
  readonly leftOut: readonly string[];
  /** Sites withdrawn or down in the running lab. */
  readonly unavailable: readonly string[];
  /** Each BGP speaker's best site(s) by the oracle: the router's own catchment. */
  readonly routerSites: ReadonlyMap<string, readonly string[]>;
}

const NO_STATE: LiveOracleState = { withdrawn: [], down: [], downInterfaces: [], leftOut: [] };

/** The oracle's catchment of `address`, no packet sent; `state` narrows it to what is working. */
export function predictedView(topo: Topology, address: string, state: LiveOracleState = NO_STATE): CatchmentView {
  const sites = anycastServers(topo).map((s) => s.name).sort();
  const prefix = coveringAnycastPrefix(topo, address);
  const r = prefix ? predictCatchment(topo, prefix, clientHosts(topo).map((c) => c.name), state) : undefined;
  const rows = clientHosts(topo).map((c): CatchmentViewRow => {
    const p = r?.predictions.find((x) => x.client === c.name);
    return {
      client: c.name,
      site: p && p.servers.length === 1 ? p.servers[0] : undefined,
      predicted: p?.servers ?? [],
      router: p?.router,
      asPath: p?.paths[0]?.asPath,
      note: p?.note ?? (p && p.servers.length > 1 ? `tie between ${p.servers.join(' and ')}` : prefix ? undefined : `${address} is in no anycast prefix`),
    };
  });
  const routerSites = new Map<string, readonly string[]>();
  for (const [node, paths] of r?.best ?? []) routerSites.set(node, [...new Set(paths.map((p) => p.server))].sort());
  return { address, prefix, source: 'predicted', rows, sites, leftOut: state.leftOut, unavailable: [...state.withdrawn, ...state.down].sort(), routerSites };
}

/**
 * The catchment of a running lab: measured with probes (and the oracle,
 * narrowed to what is working, beside it), or only predicted when
 * `measure` is false.
 */
export async function catchmentView(lab: string, topo: Topology, opts: { address?: string; measure?: boolean } = {}): Promise<CatchmentView> {
  const address = opts.address ?? defaultAnycastAddress(topo);
  const state = await liveOracleState(lab, topo);
  const predicted = predictedView(topo, address, state);
  if (opts.measure === false) return predicted;
  const m = await catchment(lab, topo, address);
  return {
    ...predicted,
    source: 'measured',
    rows: m.rows.map((x): CatchmentViewRow => ({
      client: x.client,
      site: x.observed,
      predicted: x.predicted,
      router: x.router,
      asPath: x.asPath,
      note: x.observed === undefined ? 'no answer' : x.match ? undefined : `the oracle predicted ${x.predicted.join(' or ') || 'no site'}`,
    })),
  };
}

/** At most `max` names, then "and N more". */
function some(names: readonly string[], max = 12): string {
  return names.length <= max ? names.join(' ') : `${names.slice(0, max).join(' ')} … and ${names.length - max} more`;
}

function byAsn(nodes: readonly TopologyNode[]): string {
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    const k = n.asn !== undefined ? `AS${n.asn}` : '';
    groups.set(k, [...(groups.get(k) ?? []), n.name]);
  }
  return [...groups].map(([asn, names]) => (asn ? `${some(names)} (${asn})` : some(names))).join(', ');
}

const KIND_NAMES: Record<TopologyNode['kind'], string> = {
  host: 'hosts',
  switch: 'switches',
  router: 'routers',
  'anycast-server': 'anycast servers',
  external: 'external',
  bird: 'BIRD',
  frr: 'FRR',
};

/** One line per catchment row: "client -> b   via r1, AS path 64500". */
export function formatCatchmentLines(v: CatchmentView): string[] {
  const width = Math.max(6, ...v.rows.map((r) => r.client.length));
  return v.rows.map((r) => {
    const site = r.site ?? (r.predicted.length > 1 ? r.predicted.join('|') : '-');
    const path = r.router ? `via ${r.router}${r.asPath ? `, AS path ${r.asPath.join(' ') || '(local)'}` : ''}` : '';
    return `  ${r.client.padEnd(width)} -> ${site.padEnd(6)} ${[path, r.note].filter(Boolean).join('; ')}`.trimEnd();
  });
}

/** The map `lab up` ends with. Its last lines are the catchment, one client a line. */
export function formatLabMap(lab: string, topo: Topology, views: readonly CatchmentView[], converged?: { converged: boolean; seconds: number }): string {
  const out = [`*** map of lab ${lab}`];
  const kinds = Object.keys(KIND_NAMES) as TopologyNode['kind'][];
  const nodeParts = kinds.flatMap((k) => {
    const ns = topo.nodes.filter((n) => n.kind === k);
    return ns.length ? [`${KIND_NAMES[k]} ${byAsn(ns)}`] : [];
  });
  out.push(`nodes      ${topo.nodes.length}: ${nodeParts.join('; ')}`);
  out.push(`links      ${topo.links.length}: ${some(topo.links.map((l) => `${l.a.node}-${l.b.node}`), 16)}`);
  const servers = anycastServers(topo);
  if (servers.length) {
    const addrs = [...new Set(servers.flatMap((s) => s.anycast!.addresses.map((a) => a.split('/')[0])))];
    const prefixes = [...new Set(servers.flatMap((s) => s.anycast!.prefixes))];
    out.push(`anycast    ${addrs.join(', ')} at ${some(servers.map((s) => s.name).sort())} (announcing ${prefixes.join(', ')})`);
  }
  for (const v of views) {
    const how =
      v.source === 'measured'
        ? `measured: a UDP whoami probe from each client${v.rows.every((r) => r.site !== undefined && r.predicted.includes(r.site)) ? '; the oracle agrees' : ''}`
        : `PREDICTED by the oracle from the topology, no packet sent${converged && !converged.converged ? ' (BGP has not converged)' : ''}`;
    out.push(`catchment  of ${v.address}, ${how}${v.leftOut.length ? `; left out: ${v.leftOut.join(', ')}` : ''}`);
    if (!v.rows.length) out.push('  (no client host in this lab)');
    out.push(...formatCatchmentLines(v));
  }
  return out.join('\n') + '\n';
}
