/**
 * `lab reset`: back to the topology's start state without a teardown.
 *
 * In order:
 * 1. inject peers removed (their routes withdrawn: lab/inject.ts);
 * 2. every anycast failure recovered (`lab recover`, lab/anycast.ts);
 * 3. every interface of the topology that is down brought up, with what
 *    admin-down took away: IPv6 addresses (keep_addr_on_down is 0), hosts'
 *    and servers' default routes and hosts' static routes;
 * 4. router configs back to the topology's: a router whose config file
 *    differs (after `lab restore`) or whose process is gone is restarted
 *    with the config `lab up` gave it (lab/snapshot.ts);
 * 5. the recovered sites' announcements awaited, then `lab wait --converged`.
 * Namespaces, veths, addresses and untouched processes stay as they are.
 *
 * Not undone: changes made by hand with `lab exec` (addresses, routes,
 * sysctls, processes started in a namespace), capture files, counters.
 */
import { execa } from 'execa';
import { recoverServer } from './anycast.js';
import { clearPeer, injectableNodes } from './inject.js';
import { readLabFile } from './journal.js';
import { namespaceName } from './plan.js';
import { mapLimit } from './runner.js';
import { waitFor } from './processes.js';
import { controlOf } from './routers.js';
import { applyConfigs, topologyConfigs } from './snapshot.js';
import { waitConverged, type ConvergenceResult } from './router-views.js';
import type { Topology, TopologyNode } from './topology/types.js';

export interface ResetResult {
  readonly injectCleared: { readonly node: string; readonly routes: number }[];
  readonly recovered: { readonly server: string; readonly how: string }[];
  /** `node/interface` brought up. */
  readonly linksUp: string[];
  readonly restarted: string[];
  readonly convergence: ConvergenceResult;
  readonly seconds: number;
  /** Seconds per step: inject, recover, links, configs, announce, converge. */
  readonly stages: Record<string, number>;
}

/** Interfaces of `node` that are administratively down (from `ip -json link`). */
async function downInterfaces(lab: string, node: TopologyNode): Promise<string[]> {
  const r = await execa('ip', ['-n', namespaceName(lab, node.name), '-json', 'link', 'show'], { reject: false });
  if (r.exitCode !== 0) return [];
  const links = JSON.parse(String(r.stdout)) as { ifname: string; flags?: string[] }[];
  const wanted = new Set(node.interfaces.map((i) => i.name));
  return links.filter((l) => wanted.has(l.ifname) && !(l.flags ?? []).includes('UP')).map((l) => l.ifname);
}

/** The `ip` argv lists that bring `names` of `node` up and put back what going down removed. */
export function linkUpCommands(node: TopologyNode, names: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const i of node.interfaces.filter((x) => names.includes(x.name))) {
    out.push(['link', 'set', 'dev', i.name, 'up']);
    if (i.ipv6 && node.kind !== 'switch') out.push(['addr', 'replace', i.ipv6, 'dev', i.name, 'nodad']);
  }
  if (!out.length) return out;
  if (node.defaultRoute?.ipv4) out.push(['route', 'replace', 'default', 'via', node.defaultRoute.ipv4]);
  if (node.defaultRoute?.ipv6) out.push(['route', 'replace', '::/0', 'via', node.defaultRoute.ipv6]);
  if (node.kind === 'host') for (const r of node.staticRoutes ?? []) out.push(['route', 'replace', r.prefix, 'via', r.via]);
  return out;
}

export async function resetLab(lab: string, topo: Topology, opts: { timeoutMs?: number } = {}): Promise<ResetResult> {
  const t0 = Date.now();
  const stages: Record<string, number> = {};
  let mark = t0;
  const stage = (name: string) => {
    const now = Date.now();
    stages[name] = (now - mark) / 1000;
    mark = now;
  };

  const injectCleared: { node: string; routes: number }[] = [];
  for (const n of injectableNodes(topo)) {
    const routes = await clearPeer(lab, n.name);
    if (routes !== undefined) injectCleared.push({ node: n.name, routes });
  }
  stage('inject');

  // Before the configs: recovering a killed site starts its router process, which the config step then finds running.
  const recovered: { server: string; how: string }[] = [];
  const failures = JSON.parse(readLabFile(lab, 'anycast-failures.json') ?? '{}') as Record<string, { how: string }>;
  for (const server of Object.keys(failures)) {
    const r = await recoverServer(lab, topo, server);
    recovered.push({ server, how: r.how });
  }
  stage('recover');

  const linksUp: string[] = [];
  await mapLimit([...topo.nodes], 8, async (node) => {
    const down = await downInterfaces(lab, node);
    if (!down.length) return;
    // Routes last: a default route needs its link up and its address back.
    for (const argv of linkUpCommands(node, down)) {
      await execa('ip', ['-n', namespaceName(lab, node.name), ...argv], { reject: !argv.includes('route') });
    }
    for (const d of down) linksUp.push(`${node.name}/${d}`);
  });
  linksUp.sort();
  stage('links');

  const applied = await applyConfigs(lab, topo, topologyConfigs(lab, topo), { timeoutMs: 0, wait: false });
  stage('configs');

  // A recovered site announces again once its health check has seen `rise` good probes: wait for that,
  // so that the convergence wait below includes its routes.
  await Promise.all(recovered.map(({ server }) => waitFor(`${server} to announce again`, async () => {
    try {
      const c = await controlOf(lab, server);
      try {
        return (await c.request('anycast.status', {})).announced === true;
      } finally {
        c.close();
      }
    } catch {
      return false;
    }
  }, 30_000)));
  stage('announce');

  const convergence = await waitConverged(lab, topo, { timeoutMs: opts.timeoutMs ?? 60_000, quietMs: 1000 });
  stage('converge');
  return { injectCleared, recovered, linksUp, restarted: applied.restarted, convergence, seconds: (Date.now() - t0) / 1000, stages };
}

export function formatReset(r: ResetResult): string {
  const lines: string[] = [];
  lines.push(`*** inject peers removed: ${r.injectCleared.length ? r.injectCleared.map((c) => `${c.node} (${c.routes} route(s))`).join(' ') : 'none'}`);
  lines.push(`*** failures recovered: ${r.recovered.length ? r.recovered.map((x) => `${x.server} (${x.how})`).join(' ') : 'none'}`);
  lines.push(`*** interfaces brought up: ${r.linksUp.length ? r.linksUp.join(' ') : 'none'}`);
  lines.push(`*** routers restarted with the topology's config: ${r.restarted.length ? r.restarted.join(' ') : 'none'}`);
  const c = r.convergence;
  lines.push(c.converged ? `*** reset in ${r.seconds.toFixed(2)} s; converged (${c.established}/${c.sessions} sessions established)` : `*** reset, but not converged after ${c.seconds.toFixed(1)} s: ${c.established}/${c.sessions} sessions established`);
  lines.push(`    ${Object.entries(r.stages).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
  return lines.join('\n');
}
