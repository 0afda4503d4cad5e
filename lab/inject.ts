/**
 * `lab inject`: a scriptable test peer for hijacks, leaks and graders'
 * probes. The peer is an `external` node of the topology that has an `asn`
 * (the topology gives its routers a BGP session with it, as with any
 * speaker); `lab inject` starts the project's inject peer process
 * (src/inject/peer-main.ts) in that node's namespace on first use, then
 * drives it over its control socket (`<run>/<lab>/<node>.sock`):
 *
 *   lab inject [--at NODE] announce PREFIX... [--as-path "65010 65020"] [--next-hop A]
 *              [--med N] [--local-pref N] [--community 65000:1 ...] [--origin igp|egp|incomplete]
 *   lab inject [--at NODE] withdraw PREFIX...
 *   lab inject [--at NODE] status
 *   lab inject --clear [--at NODE]      withdraw everything, stop the peer (every peer without --at)
 *
 * The peer process is journaled like every lab process (teardown stops it).
 * While no inject peer runs at an external node, `lab wait --converged`
 * does not wait for the routers' sessions toward it (idleExternalNodes).
 *
 * Not supported: attaching a peer to a router at run time (a new interface
 * would need the router's data plane to grow one): declare the external
 * node and its link in the topology.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/control/client.js';
import { controlSocketPath, type InjectRouteSpec, type InjectStatus } from '../src/control/protocol.js';
import { parseCommunity } from '../src/bgp/policy.js';
import { checkRoute, ORIGINS, parseAsPath, parseU32, sessionAttributes, type OriginName, type SessionSide } from '../src/inject/routes.js';
import { parseAddress } from '../src/lib/prefix.js';
import type { InjectPeerConfig } from '../src/inject/peer-main.js';
import { labDir, processStartTime, readJournal } from './journal.js';
import { LabError } from './lab.js';
import { namespaceName } from './plan.js';
import { distEntry, processAlive, spawnInNamespace, waitFor } from './processes.js';
import type { Topology, TopologyNode } from './topology/types.js';

export const INJECT_USAGE =
  'usage: lab inject [--lab LAB] [--at NODE] announce PREFIX... [--as-path "ASN ..."] [--next-hop ADDRESS] [--med N] [--local-pref N] [--community ASN:VALUE ...] [--origin igp|egp|incomplete] | withdraw PREFIX... | status | --clear';

export type InjectAction =
  | { readonly kind: 'announce'; readonly routes: InjectRouteSpec[] }
  | { readonly kind: 'withdraw'; readonly prefixes: string[] }
  | { readonly kind: 'status' }
  | { readonly kind: 'clear' };

export interface InjectArgs {
  readonly lab?: string;
  readonly at?: string;
  readonly json: boolean;
  readonly action: InjectAction;
}

const VALUE_FLAGS = new Set(['lab', 'at', 'as-path', 'next-hop', 'med', 'local-pref', 'community', 'origin']);
const ANNOUNCE_FLAGS = ['as-path', 'next-hop', 'med', 'local-pref', 'community', 'origin'];
const COMMUNITY_WORD = /^(\d{1,5}:\d{1,5}|no-export|no-advertise|no-export-subconfed|local-as)$/i;

/** A malformed command line: the problem and the usage, on one line. */
function usage(message?: string): LabError {
  return new LabError(message ? `${message}; ${INJECT_USAGE}` : INJECT_USAGE);
}

/** A bad value: the problem alone (the command line's shape was right). */
function bad(message: string): LabError {
  return new LabError(message);
}

/**
 * Parses `lab inject` arguments (the words after `inject`). Throws LabError
 * with the usage line for anything wrong; checks every value (prefix, AS
 * path, next-hop family, numbers, communities, origin) before any process
 * is touched.
 */
export function parseInjectArgs(argv: readonly string[]): InjectArgs {
  const words: string[] = [];
  const values = new Map<string, string>();
  const communities: string[] = [];
  let json = false;
  let clear = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      words.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (key === 'json') { json = true; continue; }
    if (key === 'clear') { clear = true; continue; }
    if (!VALUE_FLAGS.has(key)) throw usage(`unknown option --${key}`);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw usage(`--${key} needs a value`);
      value = argv[++i];
    }
    if (key === 'community') {
      communities.push(...value.split(/[\s,]+/).filter(Boolean));
      // `--community 65000:1 65000:2`: following words that are communities belong to it.
      while (eq < 0 && i + 1 < argv.length && COMMUNITY_WORD.test(argv[i + 1])) communities.push(argv[++i]);
      continue;
    }
    if (values.has(key)) throw usage(`--${key} given twice`);
    values.set(key, value);
  }
  const lab = values.get('lab');
  const at = values.get('at');
  const common = { ...(lab !== undefined ? { lab } : {}), ...(at !== undefined ? { at } : {}), json };
  const announceOptions = ANNOUNCE_FLAGS.filter((f) => values.has(f) || (f === 'community' && communities.length));
  if (clear) {
    if (words.length) throw usage(`--clear takes no other action (got '${words.join(' ')}')`);
    if (announceOptions.length) throw usage(`--${announceOptions[0]} only goes with announce`);
    return { ...common, action: { kind: 'clear' } };
  }
  const [verb, ...rest] = words;
  if (verb === undefined) throw usage();
  if (verb !== 'announce' && announceOptions.length) throw usage(`--${announceOptions[0]} only goes with announce`);
  switch (verb) {
    case 'status':
      if (rest.length) throw usage(`status takes no arguments (got '${rest.join(' ')}')`);
      return { ...common, action: { kind: 'status' } };
    case 'withdraw': {
      if (!rest.length) throw usage('withdraw needs a PREFIX');
      for (const p of rest) {
        const c = checkRoute({ prefix: p, asPath: [], communities: [], origin: 'igp' });
        if (!c.ok) throw bad(c.error);
      }
      return { ...common, action: { kind: 'withdraw', prefixes: rest } };
    }
    case 'announce': {
      if (!rest.length) throw usage('announce needs a PREFIX');
      let asPath: number[] = [];
      const asText = values.get('as-path');
      if (asText !== undefined) {
        const r = parseAsPath(asText);
        if (!r.ok) throw bad(r.error);
        asPath = r.value;
      }
      const num = (key: string): number | undefined => {
        const t = values.get(key);
        if (t === undefined) return undefined;
        const r = parseU32(t, `--${key}`);
        if (!r.ok) throw bad(r.error);
        return r.value;
      };
      const origin = values.get('origin') ?? 'igp';
      if (!(ORIGINS as readonly string[]).includes(origin)) throw bad(`--origin must be ${ORIGINS.join('|')}, not '${origin}'`);
      for (const c of communities) {
        const r = parseCommunity(c);
        if (!r.ok) throw bad(r.error);
      }
      const med = num('med');
      const localPref = num('local-pref');
      const nextHop = values.get('next-hop');
      const routes: InjectRouteSpec[] = rest.map((prefix) => ({
        prefix, asPath, communities, origin: origin as OriginName,
        ...(nextHop !== undefined ? { nextHop } : {}),
        ...(med !== undefined ? { med } : {}),
        ...(localPref !== undefined ? { localPref } : {}),
      }));
      for (const r of routes) {
        const c = checkRoute(r);
        if (!c.ok) throw bad(c.error);
      }
      return { ...common, action: { kind: 'announce', routes } };
    }
    default:
      throw usage(`unknown action '${verb}'`);
  }
}

/** External nodes with an ASN: the nodes an inject peer can run at. */
export function injectableNodes(topo: Topology): TopologyNode[] {
  return topo.nodes.filter((n) => n.kind === 'external' && n.asn !== undefined);
}

/** The node `--at` names (or the only injectable one), with an error that says what to declare. */
export function injectNode(topo: Topology, at: string | undefined): TopologyNode {
  const ok = injectableNodes(topo);
  const declare = 'declare one in the topology, e.g. `inj: {kind: external, asn: 65099}` with a link [inj, r1]';
  if (at === undefined) {
    if (ok.length === 1) return ok[0];
    if (ok.length === 0) throw new LabError(`this lab has no external node with an asn to inject from: ${declare}`);
    throw new LabError(`several external nodes can inject (${ok.map((n) => n.name).join(' ')}): say which with --at NODE`);
  }
  const n = topo.nodes.find((x) => x.name === at);
  if (!n) throw new LabError(`no node '${at}' in the lab (external nodes with an asn: ${ok.map((x) => x.name).join(' ') || 'none'})`);
  if (n.kind !== 'external') throw new LabError(`${at} is a ${n.kind}: the inject peer runs at an external node (${ok.length ? `this lab has: ${ok.map((x) => x.name).join(' ')}` : declare})`);
  if (n.asn === undefined) throw new LabError(`external node ${at} has no asn: give it one in the topology so routers peer with it`);
  if (!(n.neighbors ?? []).length) throw new LabError(`external node ${at} has no BGP session with any router (link it to one)`);
  return n;
}

/** The inject peer's config for `node`, from the topology's sessions. */
export function injectPeerConfig(lab: string, node: TopologyNode): InjectPeerConfig {
  if (node.asn === undefined) throw new LabError(`${node.name} has no asn`);
  const ifc = (name: string) => node.interfaces.find((i) => i.name === name);
  return {
    lab,
    node: node.name,
    asn: node.asn,
    routerId: node.routerId ?? node.interfaces.find((i) => i.ipv4)?.ipv4?.split('/')[0] ?? '10.255.255.254',
    controlSocket: controlSocketPath(labDir(lab), node.name),
    neighbors: (node.neighbors ?? []).map((n) => {
      const i = ifc(n.interface);
      return {
        ...(n.node !== undefined ? { node: n.node } : {}),
        address: n.address, remoteAs: n.remoteAs, localAddress: n.localAddress, kind: n.kind, holdTime: n.holdTime,
        ...(i?.ipv4 ? { localAddress4: i.ipv4.split('/')[0] } : {}),
        ...(i?.ipv6 ? { localAddress6: i.ipv6.split('/')[0] } : {}),
      };
    }),
  };
}

/** The live inject peer process of `node`, from the journal. */
export function injectPeerPid(lab: string, node: string): number | undefined {
  for (const e of readJournal(lab).reverse()) {
    if (e.type === 'process' && e.node === node && e.role === 'inject' && processStartTime(e.pid) === e.startTime) return e.pid;
  }
  return undefined;
}

/** External nodes where no inject peer runs: the lab runs no speaker there, so convergence does not wait for them. */
export function idleExternalNodes(lab: string, topo: Topology): Set<string> {
  return new Set(topo.nodes.filter((n) => n.kind === 'external' && injectPeerPid(lab, n.name) === undefined).map((n) => n.name));
}

async function withPeer<T>(lab: string, node: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const c = await ControlClient.connect(controlSocketPath(labDir(lab), node));
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Starts the inject peer at `node` unless it runs; waits for its control socket. */
export async function ensurePeer(lab: string, node: TopologyNode): Promise<{ started: boolean; pid: number }> {
  const running = injectPeerPid(lab, node.name);
  if (running !== undefined) return { started: false, pid: running };
  const file = join(labDir(lab), `inject-${node.name}.json`);
  writeFileSync(file, JSON.stringify(injectPeerConfig(lab, node), null, 1));
  const p = spawnInNamespace(lab, namespaceName(lab, node.name), node.name, 'inject', [process.execPath, distEntry('src/inject/peer-main.js'), file], `inject-${node.name}`);
  await waitFor(`the inject peer at ${node.name}`, async () => {
    if (!processAlive(p.pid)) throw new LabError(`the inject peer at ${node.name} exited: see ${p.log}`);
    try {
      const c = await ControlClient.connect(controlSocketPath(labDir(lab), node.name), 500);
      c.close();
      return true;
    } catch {
      return false;
    }
  }, 20_000);
  return { started: true, pid: p.pid };
}

/** Refuses routes that cannot go over one of the peer's sessions (LOCAL_PREF over eBGP, no next hop of the family) before any process starts. */
export function checkAgainstSessions(cfg: InjectPeerConfig, routes: readonly InjectRouteSpec[]): void {
  const address = (t: string | undefined) => {
    const r = t === undefined ? undefined : parseAddress(t);
    return r?.ok ? r.value : undefined;
  };
  for (const n of cfg.neighbors) {
    const local = address(n.localAddress);
    const v4 = address(n.localAddress4) ?? (local?.family === 4 ? local : undefined);
    const v6 = address(n.localAddress6) ?? (local?.family === 6 ? local : undefined);
    const side: SessionSide = { kind: n.kind, localAsn: cfg.asn, ...(v4 ? { localAddress4: v4 } : {}), ...(v6 ? { localAddress6: v6 } : {}) };
    for (const r of routes) {
      const x = sessionAttributes(r, side);
      if (!x.ok) throw new LabError(`${r.prefix} toward ${n.node ?? n.address}: ${x.error}`);
    }
  }
}

/** Waits until every session of the peer is Established (announcements only reach routers over those). */
async function waitEstablished(lab: string, node: string, timeoutMs: number): Promise<InjectStatus> {
  let last: InjectStatus | undefined;
  try {
    await waitFor(`${node}'s BGP sessions`, async () => {
      last = await withPeer(lab, node, (c) => c.request('inject.status', {}));
      return last.sessions.every((s) => s.state === 'Established');
    }, timeoutMs);
  } catch {
    const down = (last?.sessions ?? []).filter((s) => s.state !== 'Established');
    throw new LabError(`the inject peer at ${node} has no Established session with ${down.map((s) => `${s.node ?? s.address} (${s.state}${s.lastError ? `: ${s.lastError}` : ''})`).join(', ')} after ${timeoutMs / 1000} s`);
  }
  return last!;
}

export interface InjectResult {
  readonly node: string;
  readonly action: InjectAction['kind'];
  /** What the peer announces after the command (empty after --clear). */
  readonly routes: InjectRouteSpec[];
  readonly sessions: InjectStatus['sessions'];
  readonly started?: boolean;
  readonly notAnnounced?: string[];
  /** --clear: the peers stopped. */
  readonly cleared?: { readonly node: string; readonly routes: number }[];
}

/** Runs one `lab inject` action against lab `lab`. */
export async function runInject(lab: string, topo: Topology, args: InjectArgs, timeoutMs = 30_000): Promise<InjectResult> {
  const a = args.action;
  if (a.kind === 'clear') {
    const nodes = args.at !== undefined ? [injectNode(topo, args.at)] : injectableNodes(topo);
    const cleared: { node: string; routes: number }[] = [];
    for (const n of nodes) {
      const r = await clearPeer(lab, n.name);
      if (r !== undefined) cleared.push({ node: n.name, routes: r });
    }
    return { node: args.at ?? nodes.map((n) => n.name).join(' '), action: 'clear', routes: [], sessions: [], cleared };
  }
  const node = injectNode(topo, args.at);
  if (a.kind === 'status' || a.kind === 'withdraw') {
    if (injectPeerPid(lab, node.name) === undefined) {
      if (a.kind === 'status') return { node: node.name, action: 'status', routes: [], sessions: [] };
      throw new LabError(`nothing is injected at ${node.name} (no inject peer runs there)`);
    }
    if (a.kind === 'status') {
      const s = await withPeer(lab, node.name, (c) => c.request('inject.status', {}));
      return { node: node.name, action: 'status', routes: s.routes, sessions: s.sessions };
    }
    const s = await withPeer(lab, node.name, (c) => c.request('inject.withdraw', { prefixes: a.prefixes }));
    return { node: node.name, action: 'withdraw', routes: s.routes, sessions: s.sessions, notAnnounced: s.notAnnounced };
  }
  checkAgainstSessions(injectPeerConfig(lab, node), a.routes);
  const { started } = await ensurePeer(lab, node);
  await waitEstablished(lab, node.name, timeoutMs);
  const s = await withPeer(lab, node.name, async (c) => {
    try {
      return await c.request('inject.announce', { routes: a.routes });
    } catch (err) {
      throw new LabError(`${node.name} cannot announce: ${(err as Error).message}`);
    }
  });
  return { node: node.name, action: 'announce', routes: s.routes, sessions: s.sessions, started };
}

/** Stops the peer at `node` (Cease to its neighbours withdraws everything); the number of routes it had, or undefined when none ran. */
export async function clearPeer(lab: string, node: string): Promise<number | undefined> {
  const pid = injectPeerPid(lab, node);
  if (pid === undefined) return undefined;
  let routes = 0;
  try {
    await withPeer(lab, node, async (c) => {
      routes = (await c.request('inject.status', {})).routes.length;
      await c.request('shutdown', { reason: 'lab inject --clear' });
    });
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  try {
    await waitFor(`the inject peer at ${node} to stop`, () => processStartTime(pid) === undefined, 5000);
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor(`the inject peer at ${node} to die`, () => processStartTime(pid) === undefined, 2000);
  }
  return routes;
}

function describeRoute(r: InjectRouteSpec): string {
  const bits = [`AS path ${r.asPath.length ? r.asPath.join(' ') : '(own AS only)'}`];
  if (r.nextHop) bits.push(`next hop ${r.nextHop}`);
  if (r.med !== undefined) bits.push(`MED ${r.med}`);
  if (r.localPref !== undefined) bits.push(`local-pref ${r.localPref}`);
  if (r.communities.length) bits.push(`communities ${r.communities.join(' ')}`);
  if (r.origin !== 'igp') bits.push(`origin ${r.origin}`);
  return `${r.prefix} (${bits.join(', ')})`;
}

export function formatInject(r: InjectResult): string {
  if (r.action === 'clear') {
    if (!r.cleared?.length) return '*** nothing was injected';
    return r.cleared.map((c) => `*** inject peer at ${c.node} removed: ${c.routes} route(s) withdrawn`).join('\n');
  }
  const sessions = r.sessions.map((s) => `${s.node ?? s.address} ${s.state}`).join(', ');
  const head = r.action === 'status' && !r.sessions.length
    ? `*** no inject peer runs at ${r.node}`
    : `*** inject peer at ${r.node}${r.started ? ' started' : ''}; sessions: ${sessions || 'none'}`;
  const lines = [head];
  if (r.notAnnounced?.length) lines.push(`*** was not announced: ${r.notAnnounced.join(' ')}`);
  if (r.sessions.length) lines.push(r.routes.length ? `announcing:\n${r.routes.map((x) => `  ${describeRoute(x)}`).join('\n')}` : 'announcing nothing');
  return lines.join('\n');
}
