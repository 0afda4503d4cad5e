/**
 * The catchment oracle: which anycast site each client should reach,
 * computed from the topology alone by running BGP's decision process over
 * the graph to a fixed point — no processes, no packets. `lab catchment`
 * puts its answer beside what the probes saw.
 *
 * Model (per prefix): every anycast server originates the prefix; each
 * speaker exports its best routes to each neighbour through the
 * neighbour's export policy (prepends and sets applied as src/bgp/policy.ts
 * does), prepending its own ASN on eBGP; the receiver drops paths that
 * contain its own ASN (eBGP loop detection, RFC 4271 §9.1.2), applies its
 * import policy, and chooses by: highest LOCAL_PREF, shortest AS_PATH,
 * eBGP over iBGP (RFC 4271 §9.1.2.2 a, d). Paths still equal after these
 * steps are ties (the real router breaks them by router id or peer address,
 * which a topology does not pin down): they are all kept, propagated, and
 * reported, so a tie is a tie.
 *
 * The live state of a running lab narrows the model (OracleOptions): sites
 * that are withdrawn (a failed service, a drain, a health check that says
 * down) originate nothing; speakers that are down (killed, frozen, cut off)
 * hold no session at all; and no session runs over an interface that is
 * down. So after `lab fail b` the prediction is the next-nearest site.
 *
 * Not modelled: MED, ORIGIN differences (every site originates IGP),
 * communities' effect on export (no-export), route reflection, IGP cost,
 * MRAI/timing, aggregation, policies that never converge (reported).
 */
import { compilePolicy, type CompiledPolicy, REJECT_ALL } from '../bgp/policy.js';
import { parseAddress, parsePrefix, prefixCovers, type IpPrefix } from '../lib/prefix.js';
import type { BgpNeighbor } from '../router/config.js';

/** The parts of lab/topology's TopologyNode the oracle reads (a Topology satisfies this). */
export interface OracleNode {
  readonly name: string;
  readonly kind: string;
  readonly asn?: number;
  readonly neighbors?: readonly BgpNeighbor[];
  readonly anycast?: { readonly addresses: readonly string[]; readonly prefixes: readonly string[] };
  readonly networks?: readonly string[];
  readonly defaultRoute?: { readonly ipv4?: string; readonly ipv6?: string };
  readonly interfaces: readonly { readonly name: string; readonly ipv4?: string; readonly ipv6?: string; readonly peerNode: string }[];
}

export interface OracleTopology {
  readonly nodes: readonly OracleNode[];
}

/** What is not working in a running lab, so the prediction leaves it out. */
export interface OracleOptions {
  /** Sites that announce nothing (service failed, drained, health check down): they originate no prefix but still speak BGP. */
  readonly withdrawn?: Iterable<string>;
  /** Speakers with no BGP session at all (process killed or frozen, every link cut). */
  readonly down?: Iterable<string>;
  /** Interfaces that are down, as "node/interface": no session runs over them. */
  readonly downInterfaces?: Iterable<string>;
}

export interface OracleRoute {
  /** The site that originated it. */
  readonly server: string;
  readonly asPath: readonly number[];
  readonly localPref: number;
  readonly via: 'local' | 'ebgp' | 'ibgp';
  /** The neighbour node it was learned from. */
  readonly from?: string;
}

export interface CatchmentPrediction {
  readonly client: string;
  /** The router the client's traffic enters the network at. */
  readonly router?: string;
  /** Sites the router's best paths lead to; more than one means a tie. */
  readonly servers: readonly string[];
  readonly tie: boolean;
  /** The router's best path(s). */
  readonly paths: readonly OracleRoute[];
  readonly note?: string;
}

export interface OracleResult {
  readonly prefix: string;
  readonly converged: boolean;
  readonly rounds: number;
  readonly predictions: readonly CatchmentPrediction[];
  /** Every speaker's best paths (for `explain`-style output and tests). */
  readonly best: ReadonlyMap<string, readonly OracleRoute[]>;
}

const DEFAULT_LOCAL_PREF = 100;
const MAX_ROUNDS = 64;
/** Keep at most this many tied best paths per speaker (a full mesh of ties grows fast). */
const MAX_TIED = 16;
const VIA_RANK = { local: 0, ebgp: 1, ibgp: 2 } as const;

const strip = (cidr: string | undefined) => cidr?.split('/')[0];

/** The anycast prefix that covers `address` (the first server's first matching prefix). */
export function coveringAnycastPrefix(topo: OracleTopology, address: string): string | undefined {
  const a = parseAddress(address);
  if (!a.ok) return undefined;
  for (const n of topo.nodes) {
    for (const p of n.anycast?.prefixes ?? []) {
      const pr = parsePrefix(p);
      if (pr.ok && prefixCovers(pr.value, a.value)) return p;
    }
  }
  return undefined;
}

function compiled(spec: BgpNeighbor['import'] | undefined, cache: Map<object, CompiledPolicy>): CompiledPolicy {
  if (!spec) return REJECT_ALL;
  let c = cache.get(spec);
  if (!c) {
    const r = compilePolicy(spec);
    c = r.ok ? r.value : REJECT_ALL;
    cache.set(spec, c);
  }
  return c;
}

/** Applies a policy; undefined when rejected. `prependAsn` is our ASN on export, the neighbour's on import. */
function applyPolicy(p: CompiledPolicy, prefix: IpPrefix, r: OracleRoute, prependAsn: number): OracleRoute | undefined {
  const attrs = { asPath: r.asPath.length ? [{ type: 2 as const, asns: r.asPath }] : [], localPref: r.localPref };
  const i = p.match(prefix, attrs);
  if (!p.accepts(i)) return undefined;
  if (!p.hasActions(i)) return r;
  const out = p.apply(attrs, i, prependAsn);
  return { ...r, asPath: (out.asPath ?? []).flatMap((s) => s.asns), localPref: out.localPref ?? r.localPref };
}

function routeKey(r: OracleRoute): string {
  return `${r.server}|${r.asPath.join(' ')}|${r.localPref}|${r.via}|${r.from ?? ''}`;
}

/** The decision steps the oracle models; returns the tied best set. */
export function bestRoutes(candidates: readonly OracleRoute[]): OracleRoute[] {
  if (candidates.length === 0) return [];
  const steps: ((r: OracleRoute) => number)[] = [
    (r) => -r.localPref,
    (r) => r.asPath.length,
    (r) => VIA_RANK[r.via],
  ];
  let set = [...candidates];
  for (const score of steps) {
    const min = Math.min(...set.map(score));
    set = set.filter((r) => score(r) === min);
  }
  const seen = new Set<string>();
  return set
    .filter((r) => (seen.has(routeKey(r)) ? false : (seen.add(routeKey(r)), true)))
    .sort((a, b) => routeKey(a).localeCompare(routeKey(b)))
    .slice(0, MAX_TIED);
}

/** The router a client host enters at: the owner of its default gateway, else its first link's peer. */
export function entryRouter(topo: OracleTopology, client: OracleNode, family: 4 | 6 = 4): OracleNode | undefined {
  const gw = family === 6 ? client.defaultRoute?.ipv6 ?? client.defaultRoute?.ipv4 : client.defaultRoute?.ipv4 ?? client.defaultRoute?.ipv6;
  if (gw) {
    const owner = topo.nodes.find((n) => n.interfaces.some((i) => strip(i.ipv4) === gw || strip(i.ipv6) === gw));
    if (owner) return owner;
  }
  const peer = topo.nodes.find((n) => n.name === client.interfaces[0]?.peerNode);
  return peer && peer.asn !== undefined ? peer : undefined;
}

/** Runs the decision process for `prefixText` over the topology and predicts each client's site. */
export function predictCatchment(topo: OracleTopology, prefixText: string, clients?: readonly string[], opts: OracleOptions = {}): OracleResult {
  const pr = parsePrefix(prefixText);
  if (!pr.ok) throw new Error(`bad prefix ${prefixText}: ${pr.error}`);
  const prefix = pr.value;
  const byName = new Map(topo.nodes.map((n) => [n.name, n]));
  const down = new Set(opts.down ?? []);
  const withdrawn = new Set([...(opts.withdrawn ?? []), ...down]);
  const downInterfaces = new Set(opts.downInterfaces ?? []);
  const speakers = topo.nodes.filter((n) => n.asn !== undefined && n.neighbors !== undefined);
  const cache = new Map<object, CompiledPolicy>();
  /** A session is up when neither end is down and neither end's interface is. */
  const sessionUp = (s: OracleNode, sn: BgpNeighbor, p: OracleNode, pn: BgpNeighbor) =>
    !down.has(s.name) && !down.has(p.name) && !downInterfaces.has(`${s.name}/${sn.interface}`) && !downInterfaces.has(`${p.name}/${pn.interface}`);
  const originates = (n: OracleNode) =>
    !withdrawn.has(n.name) &&
    [...(n.anycast?.prefixes ?? []), ...(n.networks ?? [])].some((p) => {
      const q = parsePrefix(p);
      return q.ok && q.value.family === prefix.family && q.value.len === prefix.len && prefixCovers(q.value, prefix);
    });

  let best = new Map<string, OracleRoute[]>();
  for (const n of speakers) best.set(n.name, originates(n) ? [{ server: n.name, asPath: [], localPref: DEFAULT_LOCAL_PREF, via: 'local' }] : []);

  let rounds = 0;
  let converged = false;
  while (rounds < MAX_ROUNDS) {
    rounds++;
    const next = new Map<string, OracleRoute[]>();
    for (const s of speakers) {
      const candidates: OracleRoute[] = originates(s) ? [{ server: s.name, asPath: [], localPref: DEFAULT_LOCAL_PREF, via: 'local' }] : [];
      for (const ns of s.neighbors ?? []) {
        const p = ns.node ? byName.get(ns.node) : undefined;
        if (!p || p.asn === undefined || !p.neighbors) continue;
        const np = p.neighbors.find((x) => x.node === s.name && x.address === ns.localAddress) ?? p.neighbors.find((x) => x.node === s.name);
        if (!np || !sessionUp(s, ns, p, np)) continue;
        for (const r of best.get(p.name) ?? []) {
          if (r.via === 'ibgp' && np.kind === 'ibgp') continue;
          const exported = applyPolicy(compiled(np.export, cache), prefix, r, p.asn);
          if (!exported) continue;
          const ebgp = np.kind === 'ebgp';
          const sent: OracleRoute = {
            ...exported,
            asPath: ebgp ? [p.asn, ...exported.asPath] : exported.asPath,
            localPref: ebgp ? DEFAULT_LOCAL_PREF : exported.localPref,
          };
          if (ebgp && s.asn !== undefined && sent.asPath.includes(s.asn)) continue;
          const imported = applyPolicy(compiled(ns.import, cache), prefix, { ...sent, via: ebgp ? 'ebgp' : 'ibgp', from: p.name }, p.asn);
          if (imported) candidates.push(imported);
        }
      }
      next.set(s.name, bestRoutes(candidates));
    }
    const same = speakers.every((s) => {
      const a = (best.get(s.name) ?? []).map(routeKey).join(',');
      const b = (next.get(s.name) ?? []).map(routeKey).join(',');
      return a === b;
    });
    best = next;
    if (same) {
      converged = true;
      break;
    }
  }

  const clientNodes = clients ? clients.map((c) => byName.get(c)).filter((n): n is OracleNode => !!n) : topo.nodes.filter((n) => n.kind === 'host');
  const predictions = clientNodes.map((c): CatchmentPrediction => {
    const router = entryRouter(topo, c, prefix.family);
    if (!router) return { client: c.name, servers: [], tie: false, paths: [], note: 'no entry router found' };
    const cut = c.interfaces.find((i) => i.peerNode === router.name && (downInterfaces.has(`${c.name}/${i.name}`) || router.interfaces.some((j) => j.peerNode === c.name && downInterfaces.has(`${router.name}/${j.name}`))));
    if (cut || down.has(router.name)) return { client: c.name, router: router.name, servers: [], tie: false, paths: [], note: cut ? `${c.name}'s link to ${router.name} is down` : `${router.name} is down` };
    const paths = best.get(router.name) ?? [];
    const servers = [...new Set(paths.map((p) => p.server))].sort();
    return { client: c.name, router: router.name, servers, tie: servers.length > 1, paths, ...(paths.length ? {} : { note: `${router.name} has no route to ${prefixText}` }) };
  });
  return { prefix: prefixText, converged, rounds, predictions, best };
}
