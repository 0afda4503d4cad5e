/**
 * `lab snapshot` / `lab restore`: the router configs of a running lab (the
 * JSON the lab gives each router and anycast-server process, see
 * lab/routers.ts and src/router/config.ts) saved to one file, and put back.
 *
 * A snapshot is `{ version: 1, lab, origin, takenAt, configs: { NODE: RouterConfig } }`.
 * It is plain JSON on purpose: editing a copy (a policy's local-pref, a
 * neighbour's hold time, a `networks` list) and restoring it is how a
 * router's config is changed in a running lab.
 *
 * Restore checks every config against the lab first (the node exists, is
 * of the same kind, has the same interfaces) and refuses the whole file on
 * any mismatch; then it restarts exactly the processes whose config
 * differs (a router reads its config once, at start: a restart with the
 * new file is the simple correct way), and waits for convergence. The
 * `lab` and `controlSocket` fields are the lab's own, so a snapshot also
 * restores into a lab of another name built from the same topology.
 *
 * Not supported: restoring into a lab with other nodes or interfaces;
 * hosts' static routes and link states (lab reset does those).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouterConfig } from '../src/router/config.js';
import { labDir, processStartTime, readJournal } from './journal.js';
import { LabError } from './lab.js';
import { waitFor } from './processes.js';
import { controlSocketOf, routerConfigFor, routerNodes, spawnRouterProcess, waitForControlSocket } from './routers.js';
import { waitConverged, type ConvergenceResult } from './router-views.js';
import type { Topology, TopologyNode } from './topology/types.js';

export interface Snapshot {
  readonly version: 1;
  readonly lab: string;
  readonly origin: string;
  readonly takenAt: string;
  readonly configs: Record<string, RouterConfig>;
}

export function routerConfigFile(lab: string, node: string): string {
  return join(labDir(lab), `${node}.json`);
}

/** The config a router process of the lab runs with now. */
export function currentConfig(lab: string, node: string): RouterConfig | undefined {
  const f = routerConfigFile(lab, node);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as RouterConfig;
}

export function takeSnapshot(lab: string, topo: Topology, now = new Date()): Snapshot {
  const configs: Record<string, RouterConfig> = {};
  for (const n of routerNodes(topo)) {
    const c = currentConfig(lab, n.name);
    if (c) configs[n.name] = c;
  }
  return { version: 1, lab, origin: topo.origin, takenAt: now.toISOString(), configs };
}

/** Default snapshot file name: `<lab>-snapshot-YYYYMMDD-HHMMSS.json` in the working directory. */
export function defaultSnapshotFile(lab: string, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${lab}-snapshot-${t}.json`;
}

export function writeSnapshot(file: string, s: Snapshot): void {
  writeFileSync(file, JSON.stringify(s, null, 1) + '\n');
}

/**
 * Reads and checks a snapshot file against the lab: every problem in one
 * LabError (file, node and what differs). Returns the configs with the
 * lab's own `lab` and `controlSocket`.
 */
export function parseSnapshot(text: string, file: string, lab: string, topo: Topology): Map<string, RouterConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LabError(`${file}: not JSON: ${(err as Error).message}`);
  }
  const s = raw as Partial<Snapshot>;
  if (!s || typeof s !== 'object' || s.version !== 1 || !s.configs || typeof s.configs !== 'object') {
    throw new LabError(`${file}: not a lab snapshot (want {"version": 1, "configs": {...}} as written by lab snapshot)`);
  }
  const errors: string[] = [];
  const out = new Map<string, RouterConfig>();
  for (const [name, cfg] of Object.entries(s.configs)) {
    const node = topo.nodes.find((n) => n.name === name);
    if (!node) { errors.push(`${name}: no such node in lab ${lab}`); continue; }
    if (node.kind !== 'router' && node.kind !== 'anycast-server') { errors.push(`${name}: is a ${node.kind} in lab ${lab}, not a router`); continue; }
    if (!cfg || typeof cfg !== 'object' || cfg.node !== name || cfg.version !== 1) { errors.push(`${name}: not a router config for ${name}`); continue; }
    if (cfg.kind !== node.kind) { errors.push(`${name}: a ${cfg.kind} config, but ${name} is a ${node.kind}`); continue; }
    const want = node.interfaces.map((i) => i.name).join(' ');
    const have = (cfg.interfaces ?? []).map((i) => i.name).join(' ');
    if (want !== have) { errors.push(`${name}: interfaces ${have || 'none'} in the snapshot, ${want} in the lab`); continue; }
    if (!Number.isInteger(cfg.asn) || !Array.isArray(cfg.neighbors)) { errors.push(`${name}: asn or neighbors missing`); continue; }
    out.set(name, { ...cfg, lab, controlSocket: controlSocketOf(lab, name) });
  }
  if (errors.length) throw new LabError(`${file}: cannot restore into lab ${lab}:\n  ${errors.join('\n  ')}`);
  return out;
}

/** The live router process of `node` (role = its kind), from the journal. */
export function routerPid(lab: string, node: TopologyNode): number | undefined {
  for (const e of readJournal(lab).reverse()) {
    if (e.type === 'process' && e.node === node.name && e.role === node.kind && processStartTime(e.pid) === e.startTime) return e.pid;
  }
  return undefined;
}

/**
 * Stops `node`'s router process (Cease to its neighbours), writes `cfg` as
 * its config and starts a new one (journaled), waiting for its control socket.
 */
export async function restartRouter(lab: string, node: TopologyNode, cfg: RouterConfig): Promise<number> {
  const old = routerPid(lab, node);
  if (old !== undefined) {
    const start = processStartTime(old);
    const gone = () => processStartTime(old) !== start;
    try { process.kill(old, 'SIGCONT'); } catch { /* gone */ } // a frozen process cannot act on SIGTERM
    try { process.kill(old, 'SIGTERM'); } catch { /* gone */ }
    try {
      await waitFor(`${node.name}'s router to stop`, gone, 5000);
    } catch {
      try { process.kill(old, 'SIGKILL'); } catch { /* gone */ }
      await waitFor(`${node.name}'s router to die`, gone, 2000);
    }
  }
  const p = spawnRouterProcess(lab, node, cfg);
  try {
    await waitForControlSocket(lab, node.name, p);
  } catch (err) {
    throw new LabError(err instanceof Error ? err.message : String(err));
  }
  return p.pid;
}

/** Same config? (key order aside: both sides come from JSON) */
export function sameConfig(a: RouterConfig | undefined, b: RouterConfig): boolean {
  if (a === undefined) return false;
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)).map(([k, v]) => [k, norm(v)]));
    return x;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

export interface ApplyResult {
  readonly restarted: string[];
  readonly unchanged: string[];
  readonly convergence?: ConvergenceResult;
}

/** Restarts the routers whose wanted config differs from the running one (or that are not running); waits for convergence. */
export async function applyConfigs(lab: string, topo: Topology, wanted: ReadonlyMap<string, RouterConfig>, opts: { timeoutMs: number; wait: boolean }): Promise<ApplyResult> {
  const restarted: string[] = [];
  const unchanged: string[] = [];
  for (const [name, cfg] of wanted) {
    const node = topo.nodes.find((n) => n.name === name)!;
    if (sameConfig(currentConfig(lab, name), cfg) && routerPid(lab, node) !== undefined) { unchanged.push(name); continue; }
    await restartRouter(lab, node, cfg);
    restarted.push(name);
  }
  const convergence = opts.wait ? await waitConverged(lab, topo, { timeoutMs: opts.timeoutMs, quietMs: 1000 }) : undefined;
  return { restarted, unchanged, ...(convergence ? { convergence } : {}) };
}

export async function restoreSnapshot(lab: string, topo: Topology, file: string, timeoutMs = 60_000): Promise<ApplyResult> {
  if (!existsSync(file)) throw new LabError(`no snapshot file ${file}`);
  const wanted = parseSnapshot(readFileSync(file, 'utf8'), file, lab, topo);
  return applyConfigs(lab, topo, wanted, { timeoutMs, wait: true });
}

/** The topology's own configs (what `lab up` wrote), for `lab reset`. */
export function topologyConfigs(lab: string, topo: Topology): Map<string, RouterConfig> {
  return new Map(routerNodes(topo).map((n) => [n.name, routerConfigFor(lab, topo, n)]));
}

export function formatApply(verb: string, r: ApplyResult): string {
  const lines = [`*** ${verb}: ${r.restarted.length ? `restarted ${r.restarted.join(' ')}` : 'no router config changed'}${r.unchanged.length ? `; unchanged: ${r.unchanged.join(' ')}` : ''}`];
  const c = r.convergence;
  if (c) lines.push(c.converged ? `*** converged in ${c.seconds.toFixed(2)} s (${c.established}/${c.sessions} sessions established)` : `*** not converged after ${c.seconds.toFixed(1)} s: ${c.established}/${c.sessions} sessions established`);
  return lines.join('\n');
}
