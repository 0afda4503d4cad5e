/**
 * Lab lifecycle: bring a validated topology up (plan → journal → runner →
 * processes), read a running lab back from its run directory, and the
 * Mininet-style queries that need the live namespaces (pingall, link status).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { appendJournal, createLabDir, journalPath, labDir, processStartTime, readJournal, readLabFile, writeLabFile } from './journal.js';
import { distEntry, logContains, processAlive, spawnInNamespace, waitFor } from './processes.js';
import { LAB_NAME_PATTERN, namespaceName, planLab, type ShapedLink } from './plan.js';
import { executePlan, mapLimit, type Progress } from './runner.js';
import { teardownLab } from './teardown.js';
import { routerNodes, startRouters } from './routers.js';
import { daemonNodes, startDaemons } from './daemons.js';
import { anycastServers, startAnycastServers } from './anycast.js';
import type { Topology, TopologyNode } from './topology/types.js';
import type { PingResult } from './format.js';

export interface UpOptions {
  readonly progress?: Progress;
}

export interface UpResult {
  readonly lab: string;
  readonly seconds: number;
}

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export function labExists(lab: string): boolean {
  return existsSync(journalPath(lab));
}

/**
 * Brings a lab up. On any failure the lab is taken down again (by its
 * journal) before the error is rethrown, so a failed `up` leaves nothing.
 */
export async function labUp(lab: string, topo: Topology, opts: UpOptions = {}): Promise<UpResult> {
  if (!LAB_NAME_PATTERN.test(lab)) throw new LabError(`lab name '${lab}' must match ${LAB_NAME_PATTERN}`);
  if (labExists(lab)) throw new LabError(`lab '${lab}' is already up (take it down with: lab down ${lab})`);
  const plan = planLab(lab, topo, { userspaceDataplane: true });
  const started = process.hrtime.bigint();
  createLabDir(lab);
  appendJournal(lab, { type: 'lab', lab, origin: topo.origin, at: new Date().toISOString() });
  writeLabFile(lab, 'topology.json', JSON.stringify(topo, null, 1));
  try {
    await executePlan(plan, opts.progress);
    if (plan.linkNamespace) await startShaper(lab, plan.linkNamespace, plan.shapedLinks);
    if (daemonNodes(topo).length) await startDaemons(lab, topo);
    if (routerNodes(topo).length) await startRouters(lab, topo, (done, total) => opts.progress?.('routers', done, total));
    if (anycastServers(topo).length) await startAnycastServers(lab, topo, (done, total) => opts.progress?.('anycast services', done, total));
  } catch (err) {
    await teardownLab(lab).catch(() => undefined);
    throw err;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  appendJournal(lab, { type: 'up', at: new Date().toISOString(), seconds });
  return { lab, seconds };
}

/** Starts the lab's link shaper and waits until its ports are open. */
async function startShaper(lab: string, ns: string, links: readonly ShapedLink[]): Promise<void> {
  const cfg = join(labDir(lab), 'shaper.json');
  writeFileSync(cfg, JSON.stringify({ links: links.map((l) => ({ a: l.a, b: l.b, aToB: l.aToB, bToA: l.bToA })) }));
  const p = spawnInNamespace(lab, ns, '_links', 'shaper', [process.execPath, distEntry('src/dataplane/shaper-main.js'), cfg], 'shaper');
  await waitFor('the link shaper', () => {
    if (!processAlive(p.pid)) throw new LabError(`the link shaper exited: see ${p.log}`);
    return logContains(p.log, 'ready');
  }, 10_000);
}

export function readLabTopology(lab: string): Topology {
  const text = readLabFile(lab, 'topology.json');
  if (!text) throw new LabError(`no lab named '${lab}' is up`);
  return JSON.parse(text) as Topology;
}

export function findNode(topo: Topology, name: string): TopologyNode {
  const node = topo.nodes.find((n) => n.name === name);
  if (!node) throw new LabError(`no node '${name}' in lab (nodes: ${topo.nodes.map((n) => n.name).join(' ')})`);
  return node;
}

/** End systems in Mininet's sense: what pingall pings between. */
export function endSystems(topo: Topology): TopologyNode[] {
  return topo.nodes.filter((n) => n.kind === 'host' || n.kind === 'anycast-server');
}

export function firstIpv4(node: TopologyNode): string | undefined {
  const cidr = node.interfaces.find((i) => i.ipv4)?.ipv4;
  return cidr?.split('/')[0];
}

export async function pingPair(lab: string, from: TopologyNode, to: TopologyNode): Promise<boolean> {
  const addr = firstIpv4(to);
  if (!addr) return false;
  const r = await execa('ip', ['netns', 'exec', namespaceName(lab, from.name), 'ping', '-c1', '-W1', '-n', '-q', addr], { reject: false });
  return r.exitCode === 0;
}

export async function pingall(lab: string, topo: Topology): Promise<PingResult[]> {
  const hosts = endSystems(topo);
  const pairs = hosts.flatMap((a) => hosts.filter((b) => b !== a).map((b) => [a, b] as const));
  return mapLimit(pairs, 8, async ([a, b]) => ({ from: a.name, to: b.name, ok: await pingPair(lab, a, b) }));
}

/** "OK" when the interface exists in its namespace, "MISSING" otherwise (as Mininet's links). */
export async function interfaceStatus(lab: string, topo: Topology): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await mapLimit([...topo.nodes], 8, async (n) => {
    const r = await execa('ip', ['-n', namespaceName(lab, n.name), '-json', 'link', 'show'], { reject: false });
    const names = new Set<string>(r.exitCode === 0 ? (JSON.parse(String(r.stdout)) as { ifname: string }[]).map((l) => l.ifname) : []);
    for (const i of n.interfaces) out.set(`${n.name}/${i.name}`, names.has(i.name) ? 'OK' : 'MISSING');
  });
  return out;
}

/** The first live process the journal records for each node (Mininet's `dump` shows it as pid=). */
export function nodePids(lab: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of readJournal(lab)) {
    if (e.type === 'process' && !out.has(e.node) && processStartTime(e.pid) === e.startTime) out.set(e.node, e.pid);
  }
  return out;
}

export interface LabStatus {
  readonly lab: string;
  readonly origin: string;
  readonly up: boolean;
  readonly upSeconds?: number;
  readonly nodes: { readonly name: string; readonly kind: string; readonly namespace: string; readonly present: boolean }[];
  readonly processes: { readonly node: string; readonly role: string; readonly pid: number }[];
}

export function labStatus(lab: string): LabStatus {
  const entries = readJournal(lab);
  const topo = readLabTopology(lab);
  const upEntry = entries.find((e) => e.type === 'up');
  return {
    lab,
    origin: topo.origin,
    up: !!upEntry,
    upSeconds: upEntry?.type === 'up' ? upEntry.seconds : undefined,
    nodes: topo.nodes.map((n) => {
      const ns = namespaceName(lab, n.name);
      return { name: n.name, kind: n.kind, namespace: ns, present: existsSync(`/run/netns/${ns}`) };
    }),
    processes: entries.flatMap((e) => (e.type === 'process' ? [{ node: e.node, role: e.role, pid: e.pid }] : [])),
  };
}
