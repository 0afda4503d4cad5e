/**
 * The lab's side of anycast: the service and health-checker processes of
 * every anycast-server node (started by `lab up` after the routers, which
 * are the nodes' BGP speakers), and the tools built on them: probe,
 * catchment (observed beside the oracle's prediction, which leaves out
 * what the running lab says is not working: failed or withdrawn sites, down
 * interfaces), fail/recover in six ways, failover measurement and a DDoS
 * load test.
 *
 * Failure kinds (recover undoes each; what was done is kept in
 * anycast-failures.json in the run directory):
 *   service    the service stops (sockets closed); the health check withdraws
 *   kill       SIGKILL of the node's router process (TCP closes at once);
 *              recover starts a new one (journaled like the first)
 *   freeze     SIGSTOP of the router process (hold timer); SIGCONT
 *   link       the server's own link end(s) down (carrier loss at the router)
 *   blackhole  every packet in and out of the server's links dropped with the
 *              links up (policy rules: `iif DEV blackhole` for what comes in,
 *              `iif lo blackhole` after the local table for what goes out),
 *              so only the hold timer notices
 *   drain      the operator's way: the health checker withdraws, waits, then
 *              stops the service (no probe lost); recover undrains
 *
 * Spoofed DDoS sources are not supported (they need raw sockets with
 * IP_HDRINCL; see src/anycast/flood-main.ts).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { ControlClient } from '../src/control/client.js';
import { defaultHealthConfig, defaultServiceConfig, type HealthCheckConfig, type ServiceConfig } from '../src/anycast/config.js';
import { coveringAnycastPrefix, predictCatchment, type CatchmentPrediction, type OracleOptions } from '../src/anycast/oracle.js';
import { summarizeProbes, type ProbeResult, type StreamSummary } from '../src/anycast/probe-analysis.js';
import { MAX_SPOOFING_ATTACKERS } from '../src/anycast/spoofed-frames.js';
import { ROUTER_NODE_FLAGS } from '../src/router/config.js';
import type { ServiceStatus } from '../src/anycast/service.js';
import { labDir, processStartTime, readJournal } from './journal.js';
import { LabError } from './lab.js';
import { namespaceName } from './plan.js';
import { distEntry, processAlive, spawnInNamespace, waitFor } from './processes.js';
import { controlSocketOf } from './routers.js';
import type { Topology, TopologyNode } from './topology/types.js';

export const FAILURE_KINDS = ['service', 'kill', 'freeze', 'link', 'blackhole', 'drain'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Health-check timing of every site; ANYCAST_LAB_HEALTH="INTERVAL_MS,RISE,FALL" overrides it. */
export function healthTiming(): { intervalMs: number; rise: number; fall: number } {
  const d = { intervalMs: 500, rise: 2, fall: 3 };
  const env = process.env.ANYCAST_LAB_HEALTH;
  if (!env) return d;
  const [i, r, f] = env.split(',').map(Number);
  return { intervalMs: i > 0 ? i : d.intervalMs, rise: r >= 1 ? r : d.rise, fall: f >= 1 ? f : d.fall };
}

export function anycastServers(topo: Topology): TopologyNode[] {
  return topo.nodes.filter((n) => n.kind === 'anycast-server' && n.anycast);
}

export function clientHosts(topo: Topology): TopologyNode[] {
  return topo.nodes.filter((n) => n.kind === 'host');
}

export function serviceSocketOf(lab: string, node: string): string {
  return join(labDir(lab), `${node}-service.sock`);
}

export function healthSocketOf(lab: string, node: string): string {
  return join(labDir(lab), `${node}-health.sock`);
}

/** The first anycast address of the given family in the lab. */
export function defaultAnycastAddress(topo: Topology, family: 4 | 6 = 4): string {
  for (const s of anycastServers(topo)) {
    const a = s.anycast!.addresses.find((x) => x.includes(':') === (family === 6));
    if (a) return a.split('/')[0];
  }
  throw new LabError(`this lab has no IPv${family} anycast address`);
}

function serverNode(topo: Topology, name: string): TopologyNode {
  const n = topo.nodes.find((x) => x.name === name);
  if (!n || n.kind !== 'anycast-server') {
    throw new LabError(`${name} is not an anycast server (servers: ${anycastServers(topo).map((s) => s.name).join(' ') || 'none'})`);
  }
  return n;
}

async function withClient<T>(path: string, fn: (c: ControlClient) => Promise<T>, timeoutMs = 2000): Promise<T> {
  const c = await ControlClient.connect(path, timeoutMs);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function socketAnswers(path: string): Promise<boolean> {
  try {
    await withClient(path, (c) => c.request('hello', {}, 1000), 500);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- processes

/** Starts the service and health checker of every anycast server; returns when every site's prefixes are announced. */
export async function startAnycastServers(lab: string, topo: Topology, progress: (done: number, total: number) => void = () => {}): Promise<void> {
  const servers = anycastServers(topo);
  const timing = healthTiming();
  let done = 0;
  await Promise.all(
    servers.map(async (node) => {
      const ns = namespaceName(lab, node.name);
      const addresses = node.anycast!.addresses.map((a) => a.split('/')[0]);
      const svc: ServiceConfig = { ...defaultServiceConfig(node.name, addresses), controlSocket: serviceSocketOf(lab, node.name) };
      const svcFile = join(labDir(lab), `${node.name}-service.json`);
      writeFileSync(svcFile, JSON.stringify(svc, null, 1));
      const sp = spawnInNamespace(lab, ns, node.name, 'anycast-service', [process.execPath, distEntry('src/anycast/service-main.js'), svcFile], `${node.name}-service`);
      await waitFor(`${node.name}'s service`, async () => {
        if (!processAlive(sp.pid)) throw new LabError(`${node.name}'s service exited: see ${sp.log}`);
        return socketAnswers(svc.controlSocket!);
      }, 15_000);

      const hc: HealthCheckConfig = {
        ...defaultHealthConfig(node.name, addresses[0], controlSocketOf(lab, node.name)),
        ...timing,
        serviceSocket: svc.controlSocket,
        controlSocket: healthSocketOf(lab, node.name),
      };
      const hcFile = join(labDir(lab), `${node.name}-health.json`);
      writeFileSync(hcFile, JSON.stringify(hc, null, 1));
      const hp = spawnInNamespace(lab, ns, node.name, 'anycast-health', [process.execPath, distEntry('src/anycast/health-main.js'), hcFile], `${node.name}-health`);
      await waitFor(`${node.name}'s announcement`, async () => {
        if (!processAlive(hp.pid)) throw new LabError(`${node.name}'s health checker exited: see ${hp.log}`);
        try {
          const st = await withClient(controlSocketOf(lab, node.name), (c) => c.request('anycast.status', {}, 1000), 500);
          return st.announced === true;
        } catch {
          return false;
        }
      }, 20_000);
      progress(++done, servers.length);
    }),
  );
}

export async function serviceStatus(lab: string, node: string): Promise<ServiceStatus> {
  return (await withClient(serviceSocketOf(lab, node), (c) => c.request('anycast.status', {}))) as unknown as ServiceStatus;
}

export async function healthStatus(lab: string, node: string): Promise<Record<string, unknown>> {
  return withClient(healthSocketOf(lab, node), (c) => c.request('anycast.status', {}));
}

export async function resetCounters(lab: string, topo: Topology): Promise<void> {
  await Promise.all(anycastServers(topo).map((s) => withClient(serviceSocketOf(lab, s.name), (c) => c.request('anycast.control', { action: 'reset-counters' }))));
}

/** Every site's counters (since the last reset), by site name. */
export async function allServiceStatus(lab: string, topo: Topology): Promise<Record<string, ServiceStatus>> {
  const out: Record<string, ServiceStatus> = {};
  await Promise.all(anycastServers(topo).map(async (s) => (out[s.name] = await serviceStatus(lab, s.name))));
  return out;
}

export interface SiteReport {
  readonly name: string;
  readonly serviceUp?: boolean;
  readonly verdict?: string;
  readonly drained?: boolean;
  readonly announced?: boolean;
  readonly failed?: string;
  readonly sinceReset?: number;
  readonly byClient?: ServiceStatus['byClient'];
  /** The site's own anycast addresses (requests from them are its health checker's). */
  readonly addresses?: readonly string[];
  readonly errors: readonly string[];
}

/** Every site's state as its three processes report it (service, health checker, router), and any `lab fail` in force. */
export async function sites(lab: string, topo: Topology, opts: { reset?: boolean } = {}): Promise<SiteReport[]> {
  const failures = readFailures(lab);
  return Promise.all(
    anycastServers(topo).map(async (s): Promise<SiteReport> => {
      const errors: string[] = [];
      const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (err) {
          errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      };
      const svc = await soft('service', () => serviceStatus(lab, s.name));
      const hc = await soft('health checker', () => healthStatus(lab, s.name));
      const rt = await soft('router', () => withClient(controlSocketOf(lab, s.name), (c) => c.request('anycast.status', {}, 1000), 500));
      if (opts.reset) await soft('reset', () => withClient(serviceSocketOf(lab, s.name), (c) => c.request('anycast.control', { action: 'reset-counters' })));
      return {
        name: s.name,
        serviceUp: svc?.up,
        verdict: hc?.verdict as string | undefined,
        drained: hc?.drained as boolean | undefined,
        announced: rt ? rt.announced === true : undefined,
        failed: failures[s.name]?.how,
        sinceReset: svc?.sinceReset,
        byClient: svc?.byClient,
        addresses: svc?.addresses,
        errors,
      };
    }),
  );
}

export function formatSites(rows: readonly SiteReport[]): string {
  const yn = (v: boolean | undefined, y: string, n: string) => (v === undefined ? '?' : v ? y : n);
  const out = [`${'site'.padEnd(8)} ${'service'.padEnd(8)} ${'health'.padEnd(9)} ${'bgp'.padEnd(10)} ${'failed'.padEnd(10)} ${'requests'.padStart(8)}  by client (whoami/dns/flood)`];
  for (const r of rows) {
    const clients = Object.entries(r.byClient ?? {})
      .map(([a, c]) => `${r.addresses?.includes(a) ? `${a} (health check)` : a} ${c.whoami}/${c.dns}/${c.flood}`)
      .join(', ');
    out.push(`${r.name.padEnd(8)} ${yn(r.serviceUp, 'up', 'DOWN').padEnd(8)} ${((r.verdict ?? '?') + (r.drained ? '*' : '')).padEnd(9)} ${yn(r.announced, 'announced', 'withdrawn').padEnd(10)} ${(r.failed ?? '-').padEnd(10)} ${String(r.sinceReset ?? '?').padStart(8)}  ${clients}`);
    for (const e of r.errors) out.push(`         ! ${e}`);
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- probe

export interface ProbeReport {
  readonly client: string;
  readonly address: string;
  /** The server that answered most of the probes (undefined: none answered). */
  readonly server?: string;
  readonly results: readonly ProbeResult[];
  readonly summary: StreamSummary;
  /** The client's entry router and its best path's AS path for the covering prefix. */
  readonly router?: string;
  readonly prefix?: string;
  readonly asPath?: readonly number[];
  readonly note?: string;
}

function mostCommon(counts: Readonly<Record<string, number>>): string | undefined {
  let best: string | undefined;
  for (const [k, v] of Object.entries(counts)) if (best === undefined || v > counts[best]) best = k;
  return best;
}

/** Real UDP whoami probes from the client's namespace, and the AS path its router holds. */
export async function probeFrom(lab: string, topo: Topology, client: string, address: string, opts: { count?: number; intervalMs?: number } = {}): Promise<ProbeReport> {
  const node = topo.nodes.find((n) => n.name === client);
  if (!node) throw new LabError(`no node '${client}' in lab`);
  const r = await execa('ip', ['netns', 'exec', namespaceName(lab, client), process.execPath, distEntry('src/anycast/probe-main.js'), address,
    '--count', String(opts.count ?? 3), '--interval', String(opts.intervalMs ?? 50), '--timeout', '1000', '--id', client, '--json'], { reject: false });
  let parsed: { results: ProbeResult[] } | undefined;
  try {
    parsed = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '');
  } catch {
    throw new LabError(`probe from ${client} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  }
  const results = parsed!.results;
  const summary = summarizeProbes(results);
  const prefix = coveringAnycastPrefix(topo, address);
  const { router, asPath, note } = await routerPath(lab, topo, node, address, prefix);
  return { client, address, server: mostCommon(summary.byServer), results, summary, router, prefix, asPath, note };
}

async function routerPath(lab: string, topo: Topology, client: TopologyNode, address: string, prefix: string | undefined): Promise<{ router?: string; asPath?: number[]; note?: string }> {
  const pred = predictCatchment(topo, prefix ?? (address.includes(':') ? '::/0' : '0.0.0.0/0'), [client.name]).predictions[0];
  const router = pred?.router;
  if (!router || !prefix) return { router, note: prefix ? undefined : `${address} is not inside an anycast prefix` };
  try {
    const rib = await withClient(controlSocketOf(lab, router), (c) => c.request('show.rib', { prefix }));
    const best = rib.find((e) => e.prefix === prefix)?.paths.find((p) => p.best);
    return best ? { router, asPath: best.asPath } : { router, note: `${router} has no best path for ${prefix}` };
  } catch (err) {
    return { router, note: `${router}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

// ---------------------------------------------------------------- catchment

export interface CatchmentRow {
  readonly client: string;
  readonly observed?: string;
  readonly predicted: readonly string[];
  readonly tie: boolean;
  /** Observed is one of the predicted sites. */
  readonly match: boolean;
  readonly rttMs?: number;
  readonly asPath?: readonly number[];
  readonly router?: string;
}

export interface CatchmentReport {
  readonly address: string;
  readonly prefix?: string;
  readonly oracleConverged: boolean;
  /** What the oracle left out because the running lab says it is not working, e.g. "b (failed: service)". */
  readonly oracleLeftOut: readonly string[];
  readonly rows: readonly CatchmentRow[];
}

export function predictedCatchment(topo: Topology, address: string, state: OracleOptions = {}): { prefix?: string; converged: boolean; predictions: readonly CatchmentPrediction[] } {
  const prefix = coveringAnycastPrefix(topo, address);
  if (!prefix) return { converged: true, predictions: [] };
  const r = predictCatchment(topo, prefix, clientHosts(topo).map((c) => c.name), state);
  return { prefix, converged: r.converged, predictions: r.predictions };
}

export interface LiveOracleState {
  readonly withdrawn: readonly string[];
  readonly down: readonly string[];
  readonly downInterfaces: readonly string[];
  /** One line per thing left out, for the reader. */
  readonly leftOut: readonly string[];
}

/** Failures that stop a site's BGP speaker (or every session of it); the others only withdraw. */
const SPEAKER_DOWN: readonly FailureKind[] = ['kill', 'freeze', 'link', 'blackhole'];

/**
 * What the oracle must leave out in a running lab: sites failed with
 * `lab fail` (from the failures file), sites whose speaker says it is not
 * announcing (a health check that went down by itself), and interfaces that
 * are not up (`link A B down`, a cut link).
 */
export async function liveOracleState(lab: string, topo: Topology): Promise<LiveOracleState> {
  const failures = readFailures(lab);
  const withdrawn: string[] = [];
  const down: string[] = [];
  const leftOut: string[] = [];
  await Promise.all(
    anycastServers(topo).map(async (s) => {
      const f = failures[s.name];
      if (f) {
        (SPEAKER_DOWN.includes(f.how) ? down : withdrawn).push(s.name);
        leftOut.push(`${s.name} (failed: ${f.how})`);
        return;
      }
      try {
        const st = await withClient(controlSocketOf(lab, s.name), (c) => c.request('anycast.status', {}, 1000), 500);
        if (st.announced === false) {
          withdrawn.push(s.name);
          leftOut.push(`${s.name} (withdrawn)`);
        }
      } catch {
        down.push(s.name);
        leftOut.push(`${s.name} (its BGP speaker does not answer)`);
      }
    }),
  );
  const downInterfaces: string[] = [];
  await Promise.all(
    topo.nodes.map(async (n) => {
      if (!n.interfaces.length) return;
      const r = await execa('ip', ['-n', namespaceName(lab, n.name), '-json', 'link', 'show'], { reject: false });
      if (r.exitCode !== 0) return;
      const state = new Map((JSON.parse(String(r.stdout)) as { ifname: string; operstate?: string; flags?: string[] }[]).map((l) => [l.ifname, l]));
      for (const i of n.interfaces) {
        const l = state.get(i.name);
        const up = l !== undefined && (l.flags ?? []).includes('UP') && (l.flags ?? []).includes('LOWER_UP');
        if (!up) downInterfaces.push(`${n.name}/${i.name}`);
      }
    }),
  );
  downInterfaces.sort();
  if (downInterfaces.length) leftOut.push(`interfaces down: ${downInterfaces.map((x) => x.split('/')[1]).join(' ')}`);
  return { withdrawn: withdrawn.sort(), down: down.sort(), downInterfaces, leftOut: leftOut.sort() };
}

export async function catchment(lab: string, topo: Topology, address: string): Promise<CatchmentReport> {
  const state = await liveOracleState(lab, topo);
  const oracle = predictedCatchment(topo, address, state);
  const rows = await Promise.all(
    clientHosts(topo).map(async (c): Promise<CatchmentRow> => {
      const p = await probeFrom(lab, topo, c.name, address, { count: 3, intervalMs: 20 });
      const pred = oracle.predictions.find((x) => x.client === c.name);
      const predicted = pred?.servers ?? [];
      return {
        client: c.name,
        observed: p.server,
        predicted,
        tie: pred?.tie ?? false,
        match: p.server !== undefined && predicted.includes(p.server),
        rttMs: p.summary.rttMs?.median,
        asPath: p.asPath,
        router: p.router,
      };
    }),
  );
  return { address, prefix: oracle.prefix, oracleConverged: oracle.converged, oracleLeftOut: state.leftOut, rows };
}

// ---------------------------------------------------------------- fail / recover

interface FailureRecord {
  readonly how: FailureKind;
  readonly at: string;
  readonly pid?: number;
}

function failuresFile(lab: string): string {
  return join(labDir(lab), 'anycast-failures.json');
}

function readFailures(lab: string): Record<string, FailureRecord> {
  const f = failuresFile(lab);
  if (!existsSync(f)) return {};
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Record<string, FailureRecord>;
  } catch {
    return {};
  }
}

function writeFailures(lab: string, v: Record<string, FailureRecord>): void {
  writeFileSync(failuresFile(lab), JSON.stringify(v, null, 1));
}

/** The live router (BGP speaker) process of a server node, from the journal. */
export function speakerPid(lab: string, node: string): number | undefined {
  const entries = readJournal(lab).filter((e) => e.type === 'process' && e.node === node && e.role === 'anycast-server');
  for (const e of entries.reverse()) {
    if (e.type === 'process' && processStartTime(e.pid) === e.startTime) return e.pid;
  }
  return undefined;
}

async function ip(ns: string, args: readonly string[], reject = true): Promise<void> {
  const r = await execa('ip', ['-n', ns, ...args], { reject: false });
  if (reject && r.exitCode !== 0) throw new LabError(`ip -n ${ns} ${args.join(' ')}: ${String(r.stderr).trim()}`);
}

/** Policy rules of the blackhole failure (both families). */
export function blackholeRules(node: TopologyNode): { add: string[][]; del: string[][] } {
  const add: string[][] = [];
  const del: string[][] = [];
  for (const fam of ['-4', '-6']) {
    // The local table moves from priority 0 to 3 so that the drop rules come first for input.
    add.push([fam, 'rule', 'add', 'pref', '3', 'lookup', 'local']);
    add.push([fam, 'rule', 'del', 'pref', '0', 'lookup', 'local']);
    for (const i of node.interfaces) add.push([fam, 'rule', 'add', 'pref', '1', 'iif', i.name, 'blackhole']);
    // Locally generated traffic not for a local address: dropped.
    add.push([fam, 'rule', 'add', 'pref', '4', 'iif', 'lo', 'blackhole']);
    del.push([fam, 'rule', 'add', 'pref', '0', 'lookup', 'local']);
    del.push([fam, 'rule', 'del', 'pref', '4', 'iif', 'lo', 'blackhole']);
    for (const i of node.interfaces) del.push([fam, 'rule', 'del', 'pref', '1', 'iif', i.name, 'blackhole']);
    del.push([fam, 'rule', 'del', 'pref', '3', 'lookup', 'local']);
  }
  return { add, del };
}

export interface FailResult {
  readonly server: string;
  readonly how: FailureKind;
  /** When the failure was set off (the signal, request or command issued), ms since the epoch. */
  readonly startedAt: number;
  /** When the command that made it returned (for a link cut, the network may already have reacted). */
  readonly at: number;
  readonly detail: string;
}

export async function failServer(lab: string, topo: Topology, server: string, how: FailureKind): Promise<FailResult> {
  const node = serverNode(topo, server);
  const failures = readFailures(lab);
  if (failures[server]) throw new LabError(`${server} is already failed (${failures[server].how}): lab recover ${server} first`);
  const ns = namespaceName(lab, server);
  let detail = '';
  let pid: number | undefined;
  const startedAt = Date.now();
  let at = startedAt;
  switch (how) {
    case 'service':
      await withClient(serviceSocketOf(lab, server), (c) => c.request('anycast.control', { action: 'stop' }));
      detail = 'service stopped; the health check will withdraw';
      break;
    case 'kill':
    case 'freeze': {
      pid = speakerPid(lab, server);
      if (pid === undefined) throw new LabError(`${server}'s router process is not running`);
      process.kill(pid, how === 'kill' ? 'SIGKILL' : 'SIGSTOP');
      at = Date.now();
      if (how === 'kill') await waitFor(`${server}'s router to die`, () => !processAlive(pid!) || processStartTime(pid!) === undefined, 5000);
      detail = how === 'kill' ? `router process ${pid} killed (SIGKILL)` : `router process ${pid} frozen (SIGSTOP)`;
      break;
    }
    case 'drain':
      // Returns once the service is stopped, after the drain wait: the failure "took effect" at the withdrawal.
      at = Date.now();
      await withClient(healthSocketOf(lab, server), (c) => c.request('anycast.control', { action: 'drain' }, 30_000));
      detail = 'withdrawn, then the service stopped after the drain wait';
      break;
    case 'link':
      for (const i of node.interfaces) await ip(ns, ['link', 'set', 'dev', i.name, 'down']);
      detail = `link(s) down: ${node.interfaces.map((i) => i.name).join(' ')}`;
      break;
    case 'blackhole':
      for (const argv of blackholeRules(node).add) await ip(ns, argv);
      detail = `all traffic of ${node.interfaces.map((i) => i.name).join(' ')} dropped, links up`;
      break;
  }
  // `at` is when the failure took effect: after the signal, the request or the ip command.
  const doneAt = how === 'kill' || how === 'freeze' || how === 'drain' ? at : Date.now();
  writeFailures(lab, { ...failures, [server]: { how, at: new Date(doneAt).toISOString(), ...(pid !== undefined ? { pid } : {}) } });
  return { server, how, startedAt, at: doneAt, detail };
}

export async function recoverServer(lab: string, topo: Topology, server: string): Promise<FailResult> {
  const node = serverNode(topo, server);
  const failures = readFailures(lab);
  const f = failures[server];
  if (!f) throw new LabError(`${server} is not failed (nothing to recover)`);
  const ns = namespaceName(lab, server);
  const at = Date.now();
  let detail = '';
  switch (f.how) {
    case 'service':
      await withClient(serviceSocketOf(lab, server), (c) => c.request('anycast.control', { action: 'start' }));
      detail = 'service started; the health check will announce after rise good probes';
      break;
    case 'kill': {
      const cfg = join(labDir(lab), `${server}.json`);
      const p = spawnInNamespace(lab, ns, server, node.kind, [process.execPath, ...ROUTER_NODE_FLAGS, distEntry('src/router/main.js'), cfg]);
      await waitFor(`${server}'s control socket`, async () => {
        if (!processAlive(p.pid)) throw new LabError(`${server}'s router exited: see ${p.log}`);
        return socketAnswers(controlSocketOf(lab, server));
      }, 20_000);
      detail = `router restarted (pid ${p.pid}); the health checker re-announces`;
      break;
    }
    case 'drain':
      await withClient(healthSocketOf(lab, server), (c) => c.request('anycast.control', { action: 'undrain' }));
      detail = 'service started; announced again after rise good probes';
      break;
    case 'freeze':
      if (f.pid !== undefined && processAlive(f.pid)) process.kill(f.pid, 'SIGCONT');
      detail = `router process ${f.pid} continued (SIGCONT)`;
      break;
    case 'link':
      for (const i of node.interfaces) {
        await ip(ns, ['link', 'set', 'dev', i.name, 'up']);
        // Admin down flushes IPv6 addresses (keep_addr_on_down=0) and every route through the link.
        if (i.ipv6) await ip(ns, ['addr', 'replace', i.ipv6, 'dev', i.name, 'nodad'], false);
      }
      if (node.defaultRoute?.ipv4) await ip(ns, ['route', 'replace', 'default', 'via', node.defaultRoute.ipv4], false);
      if (node.defaultRoute?.ipv6) await ip(ns, ['route', 'replace', '::/0', 'via', node.defaultRoute.ipv6], false);
      detail = `link(s) up: ${node.interfaces.map((i) => i.name).join(' ')}`;
      break;
    case 'blackhole':
      for (const argv of blackholeRules(node).del) await ip(ns, argv, false);
      detail = 'traffic flows again';
      break;
  }
  const rest = { ...failures };
  delete rest[server];
  writeFailures(lab, rest);
  return { server, how: f.how, startedAt: at, at: Date.now(), detail };
}

// ---------------------------------------------------------------- failover

export interface FailoverRow {
  readonly client: string;
  readonly before?: string;
  readonly after?: string;
  /** Last reply from the old server to the first from the new one. */
  readonly outageMs?: number;
  /** From the failure being set off to the first reply from the new server. */
  readonly failureToNewMs?: number;
  /** Wall-clock time (ms since the epoch) of the first reply from the new server. */
  readonly firstNewEpochMs?: number;
  readonly lost: number;
  readonly sent: number;
  readonly maxGapMs: number;
}

export interface FailoverReport {
  readonly server: string;
  readonly how: FailureKind;
  readonly address: string;
  readonly rate: number;
  readonly health: { intervalMs: number; rise: number; fall: number };
  /** Wall-clock time (ms since the epoch) the failure took effect. */
  readonly failedAtEpochMs: number;
  readonly rows: readonly FailoverRow[];
}

interface StreamProc {
  readonly client: string;
  readonly proc: ResultPromise;
  start?: number;
  first?: string;
  changes: { from: string | null; to: string; at: number }[];
  summary?: StreamSummary & { startEpochMs: number };
}

/** Streams probes from every client across a failure of `server` and measures each client's move. */
export async function failover(lab: string, topo: Topology, server: string, how: FailureKind, opts: { address: string; rate?: number; timeoutMs?: number; settleMs?: number }): Promise<FailoverReport> {
  serverNode(topo, server);
  const rate = opts.rate ?? 200;
  const streams: StreamProc[] = clientHosts(topo).map((c) => {
    const proc = execa('ip', ['netns', 'exec', namespaceName(lab, c.name), process.execPath, distEntry('src/anycast/probe-main.js'), opts.address,
      '--rate', String(rate), '--json', '--id', c.name, '--timeout', '300'], { reject: false, buffer: false });
    const s: StreamProc = { client: c.name, proc, changes: [] };
    let buf = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line);
          if (ev.event === 'start') s.start = ev.startEpochMs;
          else if (ev.event === 'change') {
            s.changes.push(ev);
            s.first ??= ev.to;
          } else if (ev.event === 'summary') s.summary = ev;
        } catch {
          // not a JSON line
        }
      }
    });
    return s;
  });
  const stopAll = async () => {
    for (const s of streams) s.proc.kill('SIGTERM');
    await Promise.all(streams.map((s) => s.proc));
  };
  let failedAt: number;
  try {
    // One Node process per client starts here: on a loaded machine the last may take several seconds.
    await waitFor('a first reply at every client', () => streams.every((s) => s.first !== undefined), 15_000).catch(() => {
      throw new LabError(`no reply to ${opts.address} at: ${streams.filter((s) => !s.first).map((s) => s.client).join(' ')}`);
    });
    await new Promise((r) => setTimeout(r, 300));
    // Measured from when the failure was set off: an upper bound on the reaction time, and a
    // reroute that beats the failing command's own return (a link cut) still counts.
    failedAt = (await failServer(lab, topo, server, how)).startedAt;
    const moved = (s: StreamProc) => s.first !== server || s.changes.some((c) => c.to !== server && s.start !== undefined && s.start + c.at >= failedAt);
    await waitFor('every client to move', () => streams.every(moved), opts.timeoutMs ?? 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 500));
  } finally {
    await stopAll();
  }
  const rows = streams.map((s): FailoverRow => {
    const sum = s.summary;
    if (!sum) return { client: s.client, lost: 0, sent: 0, maxGapMs: 0 };
    const failAt = failedAt - sum.startEpochMs;
    const change = sum.changes.find((c) => c.from === server && c.firstNewAt >= failAt);
    return {
      client: s.client,
      before: sum.before,
      after: sum.after,
      outageMs: change?.outageMs,
      failureToNewMs: change ? change.firstNewAt - failAt : undefined,
      firstNewEpochMs: change ? sum.startEpochMs + change.firstNewAt : undefined,
      lost: sum.lost,
      sent: sum.sent,
      maxGapMs: sum.maxGapMs,
    };
  });
  return { server, how, address: opts.address, rate, health: healthTiming(), failedAtEpochMs: failedAt!, rows };
}

// ---------------------------------------------------------------- ddos

export interface DdosReport {
  readonly address: string;
  readonly ratePerAttacker: number;
  readonly seconds: number;
  readonly attackers: readonly { readonly name: string; readonly sent: number }[];
  readonly servers: readonly { readonly name: string; readonly received: number; readonly byClient: Record<string, number> }[];
  readonly sent: number;
  readonly received: number;
  /** Sources spoofed from 198.18.0.0/15 or 2001:2::/48 (one block per attacker), sent at layer 2. */
  readonly spoofed: boolean;
}

/** Attackers: hosts named attacker*, atk* or bot*; else every client host. */
export function attackers(topo: Topology): TopologyNode[] {
  const flagged = clientHosts(topo).filter((n) => /^(attacker|atk|bot)/.test(n.name));
  return flagged.length ? flagged : clientHosts(topo);
}

export async function ddos(lab: string, topo: Topology, opts: { address: string; rate: number; duration: number; spoof?: boolean }): Promise<DdosReport> {
  const who = attackers(topo);
  if (opts.spoof && who.length > MAX_SPOOFING_ATTACKERS) throw new LabError(`--spoof gives each attacker its own source block; at most ${MAX_SPOOFING_ATTACKERS} attackers, this lab has ${who.length}`);
  await resetCounters(lab, topo);
  const sentBy = await Promise.all(
    who.map(async (a, index) => {
      const r = await execa('ip', ['netns', 'exec', namespaceName(lab, a.name), process.execPath, distEntry('src/anycast/flood-main.js'), opts.address,
        '--rate', String(opts.rate), '--duration', String(opts.duration), '--id', a.name, ...(opts.spoof ? ['--spoof', String(index)] : [])], { reject: false });
      try {
        return { name: a.name, sent: Number(JSON.parse(String(r.stdout).trim()).sent) };
      } catch {
        throw new LabError(`flood from ${a.name} failed: ${String(r.stderr).trim()}`);
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  const st = await allServiceStatus(lab, topo);
  const servers = Object.entries(st).map(([name, s]) => {
    const byClient: Record<string, number> = {};
    for (const [addr, c] of Object.entries(s.byClient)) if (c.flood) byClient[addr] = c.flood;
    return { name, received: Object.values(byClient).reduce((a, b) => a + b, 0), byClient };
  }).sort((a, b) => a.name.localeCompare(b.name));
  return {
    address: opts.address,
    ratePerAttacker: opts.rate,
    seconds: opts.duration,
    attackers: sentBy,
    servers,
    sent: sentBy.reduce((a, b) => a + b.sent, 0),
    received: servers.reduce((a, b) => a + b.received, 0),
    spoofed: opts.spoof === true,
  };
}

// ---------------------------------------------------------------- text

export function formatProbe(p: ProbeReport): string {
  const lines = p.results.map((r) => (r.server === undefined ? `  seq ${r.seq}: no reply` : `  seq ${r.seq}: ${r.server}  ${r.rttMs!.toFixed(3)} ms  (it saw ${r.seen})`));
  const path = p.asPath ? `${p.router} holds ${p.prefix} with AS path [${p.asPath.join(' ') || '(local)'}]` : p.note ?? '';
  return [`${p.client} -> ${p.address}: ${p.server ?? 'no answer'}`, ...lines, path ? `  ${path}` : ''].filter(Boolean).join('\n') + '\n';
}

export function formatCatchment(r: CatchmentReport, onlyDiff = false): string {
  const head = `${'client'.padEnd(12)} ${'server'.padEnd(10)} ${'oracle'.padEnd(14)} ${'rtt ms'.padStart(8)}  AS path at entry router`;
  const rows = r.rows.filter((x) => !onlyDiff || !x.match).map((x) =>
    `${x.client.padEnd(12)} ${(x.observed ?? '-').padEnd(10)} ${((x.predicted.join('|') || '-') + (x.tie ? ' (tie)' : '')).padEnd(14)} ${(x.rttMs?.toFixed(3) ?? '-').padStart(8)}  ${x.asPath ? `${x.router}: [${x.asPath.join(' ')}]` : ''}${x.match ? '' : '   <- differs'}`,
  );
  const left = r.oracleLeftOut?.length ? [`the oracle leaves out: ${r.oracleLeftOut.join(', ')}`] : [];
  return [`catchment of ${r.address}${r.prefix ? ` (${r.prefix})` : ''}${r.oracleConverged ? '' : ' — oracle did not converge'}`, ...left, head, ...rows].join('\n') + '\n';
}

export function formatFailover(r: FailoverReport): string {
  const head = `failover of ${r.server} (${r.how}), ${r.rate} probes/s per client to ${r.address}; health check every ${r.health.intervalMs} ms, rise ${r.health.rise}, fall ${r.health.fall}`;
  const cols = `${'client'.padEnd(12)} ${'before'.padEnd(8)} ${'after'.padEnd(8)} ${'outage ms'.padStart(10)} ${'fail→new ms'.padStart(12)} ${'lost'.padStart(6)} ${'sent'.padStart(6)}`;
  const rows = r.rows.map((x) => `${x.client.padEnd(12)} ${(x.before ?? '-').padEnd(8)} ${(x.after ?? '-').padEnd(8)} ${(x.outageMs?.toFixed(1) ?? '-').padStart(10)} ${(x.failureToNewMs?.toFixed(1) ?? '-').padStart(12)} ${String(x.lost).padStart(6)} ${String(x.sent).padStart(6)}`);
  return [head, cols, ...rows].join('\n') + '\n';
}

export function formatDdos(r: DdosReport): string {
  const lines = [`flood of ${r.address}: ${r.attackers.length} attacker(s) at ${r.ratePerAttacker}/s for ${r.seconds} s${r.spoofed ? ', spoofed sources (198.18.0.0/15, 2001:2::/48)' : ''}`];
  if (r.spoofed) for (const s of r.servers) lines.push(`  server   ${s.name.padEnd(10)} saw ${Object.keys(s.byClient).length} distinct source(s)`);
  for (const a of r.attackers) lines.push(`  attacker ${a.name.padEnd(10)} sent ${a.sent}`);
  for (const s of r.servers) lines.push(`  server   ${s.name.padEnd(10)} received ${s.received} (${r.received ? ((100 * s.received) / r.received).toFixed(1) : '0'}%)`);
  lines.push(`  total sent ${r.sent}, received ${r.received} (${r.sent ? ((100 * r.received) / r.sent).toFixed(2) : '0'}%)`);
  return lines.join('\n') + '\n';
}
