/**
 * `lab check`: runs a check spec (check-spec.ts) against a running lab and
 * says, per assertion, what was expected, what was found and why.
 *
 * Owns: the pure evaluators (router answers in, a CheckResult out, no I/O)
 * and the runner that gathers those answers (control sockets, ping and
 * traceroute in a node's namespace, anycast probes and failover streams).
 *
 * Not here: `lab inject`, `lab reset`, `lab snapshot`/`restore` (not built).
 * Traceroute uses the system's `traceroute -n` (UDP, one probe per hop).
 */
import { execa } from 'execa';
import type { FibEntryInfo, NeighborInfo, PathInfo, RibEntryInfo } from '../src/control/protocol.js';
import { parseAddress, parsePrefix, prefixCovers } from '../src/lib/prefix.js';
import { catchment, defaultAnycastAddress, failover, probeFrom, recoverServer } from './anycast.js';
import type { CatchmentCheck, Check, CheckSpec, FailoverCheck, ReachCheck, RouteCheck, SessionCheck, TracerouteCheck } from './check-spec.js';
import { LabError } from './lab.js';
import { namespaceName } from './plan.js';
import { waitConverged } from './router-views.js';
import { controlOf } from './routers.js';
import type { Topology } from './topology/types.js';

export interface CheckResult {
  readonly name: string;
  readonly kind: Check['kind'];
  readonly line: number;
  readonly ok: boolean;
  readonly expected: string;
  readonly found: string;
  readonly message: string;
}

export interface CheckReport {
  readonly spec: string;
  readonly lab: string;
  readonly converged: boolean;
  readonly convergeSeconds: number;
  readonly ok: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly CheckResult[];
}

function result(c: Check, ok: boolean, expected: string, found: string, message: string): CheckResult {
  const msg = !ok && c.hint ? `${message} (hint: ${c.hint})` : message;
  return { name: c.name, kind: c.kind, line: c.line, ok, expected, found, message: msg };
}

// ---------------------------------------------------------------- addresses → nodes

/** The node that owns an address (interface or anycast address), if any. */
export function nodeOfAddress(topo: Topology, address: string): string | undefined {
  const bare = address.split('/')[0].split('%')[0].toLowerCase();
  for (const n of topo.nodes) {
    for (const i of n.interfaces) {
      if (i.ipv4?.split('/')[0] === bare || i.ipv6?.split('/')[0].toLowerCase() === bare) return n.name;
    }
  }
  for (const n of topo.nodes) if (n.anycast?.addresses.some((a) => a.toLowerCase() === bare)) return 'anycast';
  return undefined;
}

/** A node's first IPv4 address (else IPv6), or the text itself when it is an address. */
export function targetAddress(topo: Topology, to: string): string | undefined {
  if (parseAddress(to).ok) return to;
  const n = topo.nodes.find((x) => x.name === to);
  if (!n) return undefined;
  const i4 = n.interfaces.find((i) => i.ipv4)?.ipv4 ?? n.anycast?.addresses.find((a) => !a.includes(':'));
  return (i4 ?? n.interfaces.find((i) => i.ipv6)?.ipv6)?.split('/')[0];
}

/** "via r2 (AS path 65002 65003)"; with the next hop when a node sends several paths (parallel links). */
function pathText(p: PathInfo, topo?: Topology, siblings: readonly PathInfo[] = []): string {
  const nodeOf = (x: PathInfo) => x.fromNode ?? (topo ? nodeOfAddress(topo, x.from) : undefined) ?? x.from;
  const from = nodeOf(p);
  const hop = siblings.filter((x) => nodeOf(x) === from).length > 1 ? `, next hop ${p.nextHop}` : '';
  return `via ${from} (AS path ${p.asPath.length ? p.asPath.join(' ') : 'empty: originated here'}${hop})`;
}

// ---------------------------------------------------------------- sessions

export function evalSession(c: SessionCheck, neighbors: readonly NeighborInfo[]): CheckResult {
  const n = neighbors.find((x) => x.node === c.neighbor || x.address === c.neighbor);
  const expected = `${c.router}'s session with ${c.neighbor} ${c.state}`;
  if (!n) {
    const known = neighbors.map((x) => x.node ?? x.address).join(', ') || 'none';
    return result(c, false, expected, 'no such session', `${c.router} has no BGP session with ${c.neighbor} at all (its sessions: ${known})`);
  }
  const found = `${n.state}${n.lastError ? ` (last error: ${n.lastError})` : ''}`;
  if (n.state === c.state) return result(c, true, expected, found, `${c.router}'s session with ${c.neighbor} (AS ${n.remoteAs}) is ${n.state}`);
  return result(c, false, expected, found,
    `${c.router}'s session with ${c.neighbor} should be ${c.state}, but it is ${n.state}` +
    ` (${c.router} expects AS ${n.remoteAs} at ${n.address})${n.lastError ? `; last error: ${n.lastError}` : ''}`);
}

// ---------------------------------------------------------------- routes

/** What the check requires of a RIB path, as text; empty when nothing beyond presence. */
function ribRequirements(c: RouteCheck): string[] {
  const r: string[] = [];
  if (c.via) r.push(`via ${c.via}`);
  if (c.asPath) r.push(`AS path ${c.asPath.join(' ') || '(empty)'}`);
  if (c.nextHop) r.push(`next hop ${c.nextHop}`);
  if (c.localPref !== undefined) r.push(`LOCAL_PREF ${c.localPref}`);
  if (c.med !== undefined) r.push(`MED ${c.med}`);
  if (c.communities) r.push(`communities ${c.communities.join(' ')}`);
  if (c.bestReasonContains) r.push(`chosen by a decision mentioning '${c.bestReasonContains}'`);
  return r;
}

/** The requirements a path fails (reason text excluded). */
function pathMismatches(c: RouteCheck, p: PathInfo, topo: Topology | undefined): string[] {
  const m: string[] = [];
  const from = p.fromNode ?? (topo ? nodeOfAddress(topo, p.from) : undefined);
  if (c.via && from !== c.via) m.push(`it comes from ${from ?? p.from}, not ${c.via}`);
  if (c.asPath && p.asPath.join(' ') !== c.asPath.join(' ')) m.push(`AS path is ${p.asPath.join(' ') || '(empty)'}, not ${c.asPath.join(' ') || '(empty)'}`);
  if (c.nextHop && p.nextHop !== c.nextHop) m.push(`next hop is ${p.nextHop}, not ${c.nextHop}`);
  if (c.localPref !== undefined && p.localPref !== c.localPref) m.push(`LOCAL_PREF is ${p.localPref}, not ${c.localPref}`);
  if (c.med !== undefined && p.med !== c.med) m.push(`MED is ${p.med ?? 'unset'}, not ${c.med}`);
  if (c.communities) {
    const missing = c.communities.filter((x) => !p.communities.includes(x));
    if (missing.length) m.push(`communities are ${p.communities.join(' ') || 'none'}, missing ${missing.join(' ')}`);
  }
  return m;
}

const ORIGIN_RANK: Readonly<Record<PathInfo['origin'], number>> = { igp: 0, egp: 1, incomplete: 2 };

/**
 * The decision process (RFC 4271 §9.1.2) walked between the best path and a
 * loser, winner first: "LOCAL_PREF 100 = 100, then AS_PATH 1 < 2". The
 * steps the control protocol carries no data for (eBGP over iBGP, router
 * id, peer address) come from the router's own `lostBy`.
 */
export function decisionWalk(best: PathInfo, loser: PathInfo): string {
  const lost = loser.lostBy ?? 'a later step';
  if (/unreachable/.test(lost)) return lost;
  const steps: [string, number | string, number | string, number][] = [
    ['LOCAL_PREF', best.localPref, loser.localPref, loser.localPref - best.localPref],
    ['AS_PATH', best.asPath.length, loser.asPath.length, best.asPath.length - loser.asPath.length],
    ['ORIGIN', best.origin.toUpperCase(), loser.origin.toUpperCase(), ORIGIN_RANK[best.origin] - ORIGIN_RANK[loser.origin]],
  ];
  if (best.asPath[0] === loser.asPath[0] && best.asPath.length > 0) steps.push(['MED', best.med ?? 0, loser.med ?? 0, (best.med ?? 0) - (loser.med ?? 0)]);
  const equal: string[] = [];
  for (const [label, b, l, cmp] of steps) {
    if (cmp === 0) {
      equal.push(`${label} ${b} = ${l}`);
      continue;
    }
    const decided = cmp < 0 ? `${label} ${b} ${typeof b === 'number' && label === 'LOCAL_PREF' ? '>' : '<'} ${l}` : lost;
    return equal.length ? `${equal.join(', ')}, then ${decided}` : decided;
  }
  return equal.length ? `${equal.join(', ')}, then ${lost}` : lost;
}

export function evalRib(c: RouteCheck, rib: readonly RibEntryInfo[], topo?: Topology): CheckResult {
  const e = rib.find((x) => x.prefix === c.prefix);
  const best = e?.paths.find((p) => p.best);
  const want = ribRequirements(c);
  const expected = c.present ? `${c.prefix} in ${c.router}'s BGP table${want.length ? `: ${want.join(', ')}` : ''}` : `no route to ${c.prefix} in ${c.router}'s BGP table`;
  if (!c.present) {
    if (!e || !e.paths.length) return result(c, true, expected, 'absent', `${c.router} has no route to ${c.prefix}`);
    const found = e.paths.map((p) => pathText(p, topo, e.paths)).join('; ');
    return result(c, false, expected, found, `${c.router} should have no route to ${c.prefix}, but it has ${e.paths.length === 1 ? 'one' : e.paths.length}: ${found}`);
  }
  if (!e || !best) {
    const found = e?.paths.length ? `${e.paths.length} candidate(s), none usable` : 'absent';
    return result(c, false, expected, found, `${c.router} should have a route to ${c.prefix}${want.length ? ` ${want.join(', ')}` : ''}, but ${e?.paths.length ? `none of its ${e.paths.length} candidates is usable (${e.paths.map((p) => p.lostBy).filter(Boolean).join('; ')})` : 'its BGP table has no route to it'}`);
  }
  const found = `best ${pathText(best, topo, e.paths)}, LOCAL_PREF ${best.localPref}${best.med !== undefined ? `, MED ${best.med}` : ''}${best.communities.length ? `, communities ${best.communities.join(' ')}` : ''}, chosen by: ${e.reason}`;
  const mism = pathMismatches(c, best, topo);
  if (c.bestReasonContains && !e.reason.toLowerCase().includes(c.bestReasonContains.toLowerCase())) {
    mism.push(`it was chosen by '${e.reason}', which does not mention '${c.bestReasonContains}'`);
  }
  if (!mism.length) return result(c, true, expected, found, `${c.router}'s best path to ${c.prefix} is ${pathText(best, topo, e.paths)} (${e.reason})`);
  // Is the wanted path there, beaten by another? Say which step beat it.
  const wanted = e.paths.find((p) => !p.best && pathMismatches(c, p, topo).length === 0);
  const head = `${c.router} should reach ${c.prefix} ${want.join(', ')}, but its best path is ${pathText(best, topo, e.paths)}`;
  let why: string;
  if (wanted) why = `: the path ${pathText(wanted, topo, e.paths)} lost: ${decisionWalk(best, wanted)}`;
  else why = `: ${mism.join('; ')}${e.paths.length > 1 ? `; other candidates: ${e.paths.filter((p) => !p.best).map((p) => `${pathText(p, topo, e.paths)} lost: ${decisionWalk(best, p)}`).join('; ')}` : '; it is the only candidate'}`;
  return result(c, false, expected, found, head + why);
}

export function evalFib(c: RouteCheck, fib: readonly FibEntryInfo[], topo?: Topology): CheckResult {
  const e = fib.find((x) => x.prefix === c.prefix);
  const hopText = (f: FibEntryInfo) => f.nextHops.map((h) => (h.via ? `via ${h.via}${topo && nodeOfAddress(topo, h.via) ? ` (${nodeOfAddress(topo, h.via)})` : ''} dev ${h.interface}` : `dev ${h.interface}`)).join(', ');
  const want: string[] = [];
  if (c.via) want.push(`via ${c.via}`);
  if (c.nextHop) want.push(`next hop ${c.nextHop}`);
  if (c.nextHops !== undefined) want.push(`${c.nextHops} next hop(s)`);
  if (c.source) want.push(`from ${c.source}`);
  const expected = c.present ? `${c.prefix} in ${c.router}'s FIB${want.length ? `: ${want.join(', ')}` : ''}` : `no ${c.prefix} in ${c.router}'s FIB`;
  if (!c.present) {
    return e
      ? result(c, false, expected, `${e.source} ${hopText(e)}`, `${c.router} should have no forwarding entry for ${c.prefix}, but it has one (${e.source}, ${hopText(e)})`)
      : result(c, true, expected, 'absent', `${c.router} has no forwarding entry for ${c.prefix}`);
  }
  if (!e) {
    const covering = coveringEntries(c.prefix, fib);
    const cov = covering.length ? `; packets to it follow the covering ${covering[0].prefix} (${covering[0].source}, ${hopText(covering[0])})` : '; nothing covers it either';
    return result(c, false, expected, 'absent', `${c.router} should have a forwarding entry for ${c.prefix}${want.length ? ` ${want.join(', ')}` : ''}, but it has none${cov}`);
  }
  const found = `${e.source} ${hopText(e)}`;
  const m: string[] = [];
  const nodes = e.nextHops.map((h) => (h.via && topo ? nodeOfAddress(topo, h.via) : undefined));
  if (c.via && !nodes.includes(c.via)) m.push(`its next hop${e.nextHops.length > 1 ? 's are' : ' is'} ${hopText(e)}, not ${c.via}`);
  if (c.nextHop && !e.nextHops.some((h) => h.via === c.nextHop)) m.push(`no next hop ${c.nextHop} (it has ${hopText(e)})`);
  if (c.nextHops !== undefined && e.nextHops.length !== c.nextHops) m.push(`it has ${e.nextHops.length} next hop(s) (${hopText(e)}), not ${c.nextHops}`);
  if (c.source && e.source !== c.source) m.push(`it comes from ${e.source}, not ${c.source}`);
  if (!m.length) return result(c, true, expected, found, `${c.router} forwards ${c.prefix} ${hopText(e)}`);
  return result(c, false, expected, found, `${c.router}'s forwarding entry for ${c.prefix} is wrong: ${m.join('; ')}`);
}

/** FIB entries strictly covering `prefix`, longest first. */
function coveringEntries(prefix: string, fib: readonly FibEntryInfo[]): FibEntryInfo[] {
  const p = parsePrefix(prefix);
  if (!p.ok) return [];
  return fib
    .flatMap((f) => {
      const q = parsePrefix(f.prefix);
      return q.ok && q.value.family === p.value.family && q.value.len < p.value.len && prefixCovers(q.value, p.value) ? [{ f, len: q.value.len }] : [];
    })
    .sort((a, b) => b.len - a.len)
    .map((x) => x.f);
}

// ---------------------------------------------------------------- reach / traceroute

/** The interesting line of ping's output: an ICMP error, or the statistics. */
export function pingSummary(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const icmp = lines.find((l) => /unreachable|exceeded|prohibited|redirect/i.test(l));
  if (icmp) return icmp.replace(/icmp_seq=\d+\s*/, '');
  return lines.find((l) => /packets transmitted/.test(l)) ?? (lines[lines.length - 1] ?? 'no output');
}

export function evalReach(c: ReachCheck, address: string, replied: boolean, output: string, topo?: Topology): CheckResult {
  const target = c.to === address ? address : `${c.to} (${address})`;
  const expected = c.expect ? `${c.from} reaches ${target}` : `${c.from} cannot reach ${target}`;
  const summary = pingSummary(output).replace(/^From ([0-9a-fA-F.:]+)/, (m, a: string) => {
    const n = topo ? nodeOfAddress(topo, a) : undefined;
    return n ? `${m} (${n})` : m;
  });
  const found = replied ? 'ping answered' : `no reply: ${summary}`;
  if (replied === c.expect) return result(c, true, expected, found, replied ? `${c.from} reaches ${target}` : `${c.from} cannot reach ${target}, as required (${summary})`);
  return result(c, false, expected, found, c.expect
    ? `${c.from} should reach ${target}, but ping got no reply (${summary})`
    : `${c.from} should not be able to reach ${target}, but ping was answered`);
}

/** Hop addresses of `traceroute -n` output (null for a hop that did not answer). */
export function parseTraceroute(output: string): (string | null)[] {
  const hops: (string | null)[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const addr = /^([0-9a-fA-F.:]+)\s/.exec(m[2] + ' ');
    hops.push(addr && addr[1].length > 1 && /[.:]/.test(addr[1]) ? addr[1] : null);
  }
  return hops;
}

export function evalTraceroute(c: TracerouteCheck, address: string, hopAddresses: readonly (string | null)[], topo: Topology): CheckResult {
  let names = hopAddresses.map((a) => (a === null ? '*' : nodeOfAddress(topo, a) ?? a));
  while (names.length > 1 && names[names.length - 1] === '*') names = names.slice(0, -1);
  // The destination may be left out of the spec's list.
  const dest = nodeOfAddress(topo, address) ?? c.to;
  const expectedHops = [...c.hops];
  if (expectedHops[expectedHops.length - 1] !== dest && (names[names.length - 1] === dest || names[names.length - 1] === 'anycast')) names = names.slice(0, -1);
  const expected = expectedHops.join(' -> ');
  const found = names.join(' -> ') || '(no hops)';
  if (found === expected) return result(c, true, expected, found, `traceroute from ${c.from} to ${c.to} goes ${found}`);
  const i = expectedHops.findIndex((h, k) => names[k] !== h);
  let at = '';
  if (i >= 0 && i >= names.length) at = `; the trace stops after ${names[names.length - 1] ?? c.from}, where ${expectedHops[i]} should come next`;
  else if (i >= 0) at = `; hop ${i + 1} is ${names[i]} instead of ${expectedHops[i]}`;
  else if (names.length > expectedHops.length) at = `; it goes on past ${expectedHops[expectedHops.length - 1]} to ${names.slice(expectedHops.length).join(' -> ')}`;
  const seen = names.filter((n) => n !== '*');
  const looped = seen.find((n, k) => seen.indexOf(n) !== k);
  const loop = looped ? ` — ${looped} appears more than once: a forwarding loop` : '';
  return result(c, false, expected, found, `traceroute from ${c.from} to ${c.to} should go ${expected}, but it goes ${found}${at}${loop}`);
}

// ---------------------------------------------------------------- runner

export interface RunOptions {
  /** Skip the convergence wait (tests of a lab already converged). */
  readonly skipWait?: boolean;
}

async function ask<T>(lab: string, node: string, fn: (c: Awaited<ReturnType<typeof controlOf>>) => Promise<T>): Promise<T> {
  const c = await controlOf(lab, node);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function requireNode(topo: Topology, name: string, role: string): void {
  if (!topo.nodes.some((n) => n.name === name)) throw new LabError(`no node '${name}' (${role}) in the lab (nodes: ${topo.nodes.map((n) => n.name).join(' ')})`);
}

async function runOne(lab: string, topo: Topology, c: Check): Promise<CheckResult> {
  switch (c.kind) {
    case 'session': {
      requireNode(topo, c.router, 'router');
      return evalSession(c, await ask(lab, c.router, (x) => x.request('show.neighbors', {})));
    }
    case 'route': {
      requireNode(topo, c.router, 'router');
      if (c.in === 'fib') return evalFib(c, await ask(lab, c.router, (x) => x.request('show.fib', {})), topo);
      return evalRib(c, await ask(lab, c.router, (x) => x.request('show.rib', { prefix: c.prefix })), topo);
    }
    case 'reach': {
      requireNode(topo, c.from, 'from');
      const address = targetAddress(topo, c.to);
      if (!address) throw new LabError(`reach: '${c.to}' is neither a node nor an address`);
      const ping6 = address.includes(':') ? ['-6'] : [];
      const r = await execa('ip', ['netns', 'exec', namespaceName(lab, c.from), 'ping', ...ping6, '-c2', '-i0.2', '-W1', '-n', address], { reject: false, all: true });
      return evalReach(c, address, r.exitCode === 0, String(r.all ?? ''), topo);
    }
    case 'traceroute': {
      requireNode(topo, c.from, 'from');
      const address = targetAddress(topo, c.to);
      if (!address) throw new LabError(`traceroute: '${c.to}' is neither a node nor an address`);
      const r = await execa('ip', ['netns', 'exec', namespaceName(lab, c.from), 'traceroute', '-n', '-q1', '-w1', '-m', String(Math.max(8, c.hops.length + 3)), address], { reject: false });
      return evalTraceroute(c, address, parseTraceroute(String(r.stdout)), topo);
    }
    case 'catchment': return runCatchment(lab, topo, c);
    case 'failover': return runFailover(lab, topo, c);
  }
}

async function runCatchment(lab: string, topo: Topology, c: CatchmentCheck): Promise<CheckResult> {
  const address = c.address ?? defaultAnycastAddress(topo);
  if (c.client && c.server) {
    requireNode(topo, c.client, 'client');
    const p = await probeFrom(lab, topo, c.client, address, { count: 3, intervalMs: 20 });
    const expected = `${c.client} -> ${c.server}`;
    const path = p.asPath ? ` (${p.router}'s best AS path ${p.asPath.join(' ')})` : p.note ? ` (${p.note})` : '';
    if (p.server === c.server) return result(c, true, expected, `${c.client} -> ${p.server}`, `${c.client}'s probes to ${address} are answered by ${c.server}${path}`);
    return result(c, false, expected, `${c.client} -> ${p.server ?? 'no answer'}`,
      `${c.client}'s probes to ${address} should be answered by ${c.server}, but ${p.server ? `${p.server} answers them` : 'nobody answers'}${path}`);
  }
  const r = await catchment(lab, topo, address);
  const rows = c.client ? r.rows.filter((x) => x.client === c.client) : r.rows;
  const expected = rows.map((x) => `${x.client} -> ${x.predicted.join('|') || '?'}`).join(', ');
  const found = rows.map((x) => `${x.client} -> ${x.observed ?? 'no answer'}`).join(', ');
  const bad = rows.filter((x) => !x.match);
  if (!bad.length) return result(c, true, expected, found, `every client lands where the oracle predicts: ${found}`);
  return result(c, false, expected, found, `${bad.map((x) => `${x.client} lands on ${x.observed ?? 'nothing'} but the oracle predicts ${x.predicted.join(' or ') || 'nothing'}`).join('; ')}`);
}

async function runFailover(lab: string, topo: Topology, c: FailoverCheck): Promise<CheckResult> {
  requireNode(topo, c.server, 'server');
  const address = c.address ?? defaultAnycastAddress(topo);
  let rep;
  try {
    // With `stay`, no client may be on the failed server: give the withdrawal time to reach every router.
    rep = await failover(lab, topo, c.server, c.how, { address, timeoutMs: c.timeoutMs, settleMs: c.stay?.length ? 3000 : undefined });
  } finally {
    await recoverServer(lab, topo, c.server).catch(() => undefined);
  }
  return evalFailover(c, rep.rows);
}

export function evalFailover(c: FailoverCheck, rows: readonly { client: string; before?: string; after?: string; outageMs?: number; lost: number }[]): CheckResult {
  const stay = c.stay ?? [];
  const affected = rows.filter((r) => r.before === c.server && !stay.includes(r.client));
  const bound = c.maxOutageMs !== undefined ? `within ${c.maxOutageMs / 1000} s` : '';
  const moves = `clients of ${c.server} move${c.to ? ` to ${c.to}` : ''} ${bound}`.trim();
  const expected = stay.length ? `${stay.join(', ')} keep${stay.length === 1 ? 's' : ''} its server${affected.length || c.to || bound ? `; ${moves}` : ''}` : moves;
  if (stay.length) return evalStay(c, rows, stay, affected, expected);
  if (!affected.length) {
    return result(c, false, expected, 'no client was on it', `no client was answered by ${c.server} before the failure (${rows.map((r) => `${r.client} -> ${r.before ?? 'none'}`).join(', ') || 'no clients'}), so its failover cannot be measured`);
  }
  const found = affected.map((r) => (r.after && r.after !== r.before
    ? `${r.client}: ${r.before} -> ${r.after}${r.outageMs !== undefined ? ` after ${(r.outageMs / 1000).toFixed(2)} s` : ''}`
    : `${r.client}: ${r.before} -> no other server answered`)).join(', ');
  const problems: string[] = [];
  for (const r of affected) {
    if (!r.after || r.after === c.server) problems.push(`${r.client} was not answered by another server within ${c.timeoutMs / 1000} s`);
    else if (c.to && r.after !== c.to) problems.push(`${r.client} moved to ${r.after}, not ${c.to}`);
    else if (c.maxOutageMs !== undefined && (r.outageMs ?? Infinity) > c.maxOutageMs) problems.push(`${r.client} was cut off for ${((r.outageMs ?? 0) / 1000).toFixed(2)} s, more than ${c.maxOutageMs / 1000} s`);
  }
  if (!problems.length) return result(c, true, expected, found, `after ${c.server} failed (${c.how}): ${found}`);
  return result(c, false, expected, found, `after ${c.server} failed (${c.how}): ${problems.join('; ')}`);
}

/** A failover check with `stay`: the listed clients keep their server; any others on the failed one must move as asked. */
function evalStay(c: FailoverCheck, rows: readonly { client: string; before?: string; after?: string; outageMs?: number; lost: number }[], stay: readonly string[], affected: readonly { client: string; before?: string; after?: string; outageMs?: number }[], expected: string): CheckResult {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const name of stay) {
    const r = rows.find((x) => x.client === name);
    if (!r?.before) { problems.push(`${name} got no answer before the failure`); seen.push(`${name}: no answer`); continue; }
    seen.push(`${name}: ${r.before} -> ${r.after ?? 'no answer'}`);
    if (r.before === c.server) problems.push(`${name} was served by ${c.server}, the server that failed, so it had to move to ${r.after && r.after !== c.server ? r.after : 'another server'} (its TCP connections break)`);
    else if (r.after !== r.before) problems.push(`${name} moved from ${r.before} to ${r.after ?? 'nothing'} although ${r.before} did not fail (its TCP connections break)`);
  }
  for (const r of affected) {
    seen.push(`${r.client}: ${r.before} -> ${r.after ?? 'no answer'}`);
    if (!r.after || r.after === c.server) problems.push(`${r.client} was not answered by another server within ${c.timeoutMs / 1000} s`);
    else if (c.to && r.after !== c.to) problems.push(`${r.client} moved to ${r.after}, not ${c.to}`);
    else if (c.maxOutageMs !== undefined && (r.outageMs ?? Infinity) > c.maxOutageMs) problems.push(`${r.client} was cut off for ${((r.outageMs ?? 0) / 1000).toFixed(2)} s, more than ${c.maxOutageMs / 1000} s`);
  }
  const found = seen.join(', ');
  if (!problems.length) return result(c, true, expected, found, `while ${c.server} failed (${c.how}): ${found}`);
  return result(c, false, expected, found, `while ${c.server} failed (${c.how}): ${problems.join('; ')}`);
}

/** Waits for convergence, then evaluates every check in order. */
export async function runChecks(lab: string, topo: Topology, spec: CheckSpec, opts: RunOptions = {}): Promise<CheckReport> {
  let converged = true;
  let convergeSeconds = 0;
  if (!opts.skipWait) {
    const w = await waitConverged(lab, topo, { timeoutMs: spec.timeoutS * 1000, quietMs: 1000 });
    converged = w.converged;
    convergeSeconds = w.seconds;
  }
  const results: CheckResult[] = [];
  for (const c of spec.checks) {
    try {
      results.push(await runOne(lab, topo, c));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      results.push(result(c, false, c.name, 'error', `could not check: ${msg}`));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  return { spec: spec.file, lab, converged, convergeSeconds, ok: failed === 0, passed: results.length - failed, failed, results };
}

export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  if (!r.converged) out.push(`note: the lab did not converge within the spec's timeout (some sessions are not Established); checking anyway`);
  for (const x of r.results) {
    out.push(`${x.ok ? 'PASS' : 'FAIL'}  ${x.name}`);
    if (!x.ok) {
      out.push(`      ${x.message}`);
      out.push(`      expected: ${x.expected}`);
      out.push(`      found:    ${x.found}`);
      out.push(`      (${r.spec}:${x.line})`);
    }
  }
  out.push(`${r.passed}/${r.results.length} checks pass${r.ok ? '' : ` — ${r.failed} fail`}`);
  return out.join('\n') + '\n';
}
