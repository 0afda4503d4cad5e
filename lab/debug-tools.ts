/**
 * Debugging tools a student reaches for: `trace` (a marked probe; each
 * router's own forwarding decision or drop reason, hop by hop, then the
 * server that answered), `capture` (pcap files under the lab's captures
 * directory, by node and interface or on every link), and `graph` (the
 * topology as Graphviz dot, or SVG through Debian's graphviz, with the
 * catchment drawn on it when there is one).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { isIPv6 } from 'node:net';
import type { ControlEvent } from '../src/control/protocol.js';
import { WHOAMI_PORT } from '../src/anycast/whoami.js';
import { labDir, processStartTime, readJournal } from './journal.js';
import { LabError, findNode } from './lab.js';
import { namespaceName } from './plan.js';
import { distEntry, logContains, processAlive, spawnInNamespace, waitFor } from './processes.js';
import { controlOf, routerNodes } from './routers.js';
import type { Topology, TopologyNode } from './topology/types.js';
import type { CatchmentView } from './lab-map.js';

export interface TraceHop {
  readonly router: string;
  readonly ingress: string;
  readonly ttl: number;
  readonly action: string;
  readonly prefix?: string;
  readonly nextHop?: string;
  readonly egress?: string;
  readonly reason?: string;
  readonly icmp?: string;
}

export interface TraceResult {
  readonly client: string;
  readonly address: string;
  readonly hops: TraceHop[];
  readonly answeredBy?: string;
  readonly rttMs?: number;
  readonly notes: string[];
}

function addressOf(node: TopologyNode, v6: boolean): string | undefined {
  const cidr = node.interfaces.find((i) => (v6 ? i.ipv6 : i.ipv4))?.[v6 ? 'ipv6' : 'ipv4'];
  return cidr?.split('/')[0];
}

/** Sends one marked UDP probe from CLIENT to ADDRESS and collects every router's decision about it. */
export async function trace(lab: string, topo: Topology, client: string, address: string): Promise<TraceResult> {
  const node = findNode(topo, client);
  const v6 = isIPv6(address);
  const src = addressOf(node, v6);
  if (!src) throw new LabError(`${client} has no IPv${v6 ? 6 : 4} address`);
  const routers = routerNodes(topo).filter((n) => n.kind === 'router');
  const filter = { protocol: 17, src, dst: address, dstPort: WHOAMI_PORT };
  const notes: string[] = [];
  const clients = await Promise.all(routers.map(async (r) => ({ name: r.name, c: await controlOf(lab, r.name) })));
  try {
    for (const { name, c } of clients) {
      const r = await c.request('trace.set', { filter });
      if (!r.ok) notes.push(`${name}: ${r.error}`);
    }
    const t0 = Date.now();
    const probe = await execa('ip', ['netns', 'exec', namespaceName(lab, client), process.execPath, distEntry('src/anycast/probe-main.js'), address, '--count', '1', '--timeout', '1000', '--json'], { reject: false });
    let answeredBy: string | undefined, rttMs: number | undefined;
    try {
      const j = JSON.parse(String(probe.stdout));
      const first = (Array.isArray(j) ? j : j.results ?? j.probes ?? [])[0];
      answeredBy = first?.server;
      rttMs = first?.rttMs;
    } catch {
      notes.push('the probe printed no result');
    }
    await new Promise((r) => setTimeout(r, 100));
    const events: ControlEvent[] = [];
    for (const { c } of clients) events.push(...(await c.request('events.list', {})).filter((e) => e.type === 'trace' && e.t >= t0 - 5));
    events.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const hops: TraceHop[] = events.flatMap((e) => {
      if (e.type !== 'trace') return [];
      const d = e.detail as Record<string, unknown>;
      if (d.dst !== address) return []; // the reply's way back is not part of the trace
      return [{ router: e.node, ingress: String(d.ingress), ttl: Number(d.ttl), action: String(d.action), prefix: d.prefix as string | undefined, nextHop: d.nextHop as string | undefined, egress: d.egress as string | undefined, reason: d.reason as string | undefined, icmp: d.icmp as string | undefined }];
    });
    // Path order is TTL order: each router sees the probe with one less. The
    // routers' clocks and event delivery (a data-plane thread, then the
    // control channel) can put two hops in the same millisecond either way.
    hops.sort((a, b) => b.ttl - a.ttl);
    return { client, address, hops, answeredBy, rttMs, notes };
  } finally {
    for (const { c } of clients) {
      await c.request('trace.set', { filter: null }).catch(() => undefined);
      c.close();
    }
  }
}

export function formatTrace(t: TraceResult): string {
  const out = [`trace ${t.client} -> ${t.address} (UDP to port ${WHOAMI_PORT})`];
  t.hops.forEach((h, i) => {
    const head = `${String(i + 1).padStart(2)}  ${h.router.padEnd(8)} in ${h.ingress} ttl ${h.ttl}`;
    if (h.action === 'forward' || h.action === 'queued') out.push(`${head}: matched ${h.prefix}, next hop ${h.nextHop} out of ${h.egress}${h.action === 'queued' ? ' (waiting for ARP/ND)' : ''}`);
    else if (h.action === 'drop') out.push(`${head}: DROPPED (${h.reason})${h.icmp ? `, sent ICMP ${h.icmp}` : ''}`);
    else out.push(`${head}: delivered to ${h.router} itself`);
  });
  if (!t.hops.length) out.push('  no router recorded the probe (is any router on the path? is its data plane userspace?)');
  out.push(t.answeredBy ? `answered by ${t.answeredBy}${t.rttMs !== undefined ? ` in ${t.rttMs.toFixed(2)} ms` : ''}` : 'no answer');
  for (const n of t.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

// ---- capture ----

export function capturesDir(lab: string): string {
  return join(labDir(lab), 'captures');
}

/** Starts a background tcpdump writing NODE's INTF to a pcap in the captures directory; journaled. */
export async function startCapture(lab: string, topo: Topology, node: string, intf: string, file?: string): Promise<string> {
  const n = findNode(topo, node);
  if (!n.interfaces.some((i) => i.name === intf)) throw new LabError(`node ${node} has no interface ${intf} (it has: ${n.interfaces.map((i) => i.name).join(' ')})`);
  const name = file ?? `${node}-${intf}-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}.pcap`;
  if (name.includes('/')) throw new LabError('capture FILE is a name inside the lab\'s captures directory');
  const path = join(capturesDir(lab), name);
  const p = spawnInNamespace(lab, namespaceName(lab, node), node, 'capture', ['tcpdump', '-n', '-U', '--immediate-mode', '-i', intf, '-w', path], `capture-${node}-${intf}`);
  await waitFor(`tcpdump on ${node} ${intf}`, () => {
    if (!processAlive(p.pid)) throw new LabError(`tcpdump exited: see ${p.log}`);
    return logContains(p.log, 'listening on');
  }, 5000);
  return path;
}

/** Stops every running capture of the lab (SIGINT, so tcpdump flushes), returns their files. */
export async function stopCaptures(lab: string): Promise<string[]> {
  const procs = readJournal(lab).flatMap((e) => (e.type === 'process' && e.role === 'capture' ? [e] : []));
  for (const p of procs) if (processStartTime(p.pid) === p.startTime) process.kill(p.pid, 'SIGINT');
  await waitFor('captures to stop', () => procs.every((p) => processStartTime(p.pid) !== p.startTime), 5000);
  return existsSync(capturesDir(lab)) ? readdirSync(capturesDir(lab)).map((f) => join(capturesDir(lab), f)) : [];
}

// ---- graph ----

/** Fill colours of the sites' catchments, in site order (light, for nodes) and their dark edge colours. */
const SITE_FILL = ['#fdd0a2', '#c6dbef', '#c7e9c0', '#dadaeb', '#fcbba1', '#fee391', '#d9f0d3', '#f2f2f2'];
const SITE_EDGE = ['#e6550d', '#3182bd', '#31a354', '#756bb1', '#de2d26', '#d9a400', '#1b7837', '#636363'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The topology as Graphviz dot. With a catchment: each site has a colour;
 * a client is filled with the colour of the site it reaches and joined to it
 * by a dashed edge of that colour; a router's outline has the colour of the
 * site its best path leads to (the oracle's); unavailable sites are grey and
 * dashed; a legend says which colour is which site and whether the
 * catchment was measured or predicted.
 */
export function topologyDot(topo: Topology, view?: CatchmentView): string {
  const shape = (n: TopologyNode) => ({ host: 'box', switch: 'box3d', router: 'circle', 'anycast-server': 'doublecircle', external: 'octagon', bird: 'circle', frr: 'circle' })[n.kind];
  const lines = [`graph "${topo.name}" {`, '  layout=neato; overlap=false; splines=true;', '  node [fontname="Helvetica"];'];
  const siteIndex = new Map((view?.sites ?? []).map((s, i) => [s, i % SITE_FILL.length]));
  const reached = new Map((view?.rows ?? []).map((r) => [r.client, r]));
  const unavailable = new Set(view?.unavailable ?? []);
  if (view) {
    lines.push(`  label="catchment of ${view.address}: ${view.source === 'measured' ? 'measured by probes from each client' : 'predicted by the oracle (no packet sent)'}"; labelloc=t; fontname="Helvetica";`);
  }
  for (const n of topo.nodes) {
    let label = n.asn ? `${n.name}\\nAS${n.asn}` : n.name;
    let style = n.kind === 'anycast-server' ? ', style=filled, fillcolor="#ffe08a"' : n.kind === 'bird' || n.kind === 'frr' ? ', style=filled, fillcolor="#d0e8ff"' : '';
    if (view && n.kind === 'anycast-server') {
      const i = siteIndex.get(n.name);
      if (unavailable.has(n.name)) {
        style = ', style="filled,dashed", fillcolor="#e0e0e0", fontcolor="#808080"';
        label += '\\n(unavailable)';
      } else if (i !== undefined) style = `, style=filled, fillcolor="${SITE_FILL[i]}", color="${SITE_EDGE[i]}", penwidth=2`;
    }
    const r = reached.get(n.name);
    if (r) {
      const i = r.site !== undefined ? siteIndex.get(r.site) : undefined;
      style = i !== undefined ? `, style=filled, fillcolor="${SITE_FILL[i]}", color="${SITE_EDGE[i]}", penwidth=2` : ', style="filled,dashed", fillcolor="#ffffff"';
      label += `\\n-> ${r.site ?? (r.predicted.length > 1 ? r.predicted.join('|') : 'none')}`;
    }
    const rs = view?.routerSites.get(n.name);
    if (view && rs?.length === 1 && n.kind !== 'anycast-server' && !r) {
      const i = siteIndex.get(rs[0]);
      if (i !== undefined) style += `, color="${SITE_EDGE[i]}", penwidth=2`;
    }
    lines.push(`  "${n.name}" [shape=${shape(n)}, label="${label}"${style}];`);
  }
  for (const l of topo.links) {
    const delay = l.aToB?.delayMs ?? l.bToA?.delayMs;
    lines.push(`  "${l.a.node}" -- "${l.b.node}" [taillabel="${l.a.interface.split('-').pop()}", headlabel="${l.b.interface.split('-').pop()}"${delay ? `, label="${delay} ms"` : ''}];`);
  }
  for (const r of view?.rows ?? []) {
    if (r.site === undefined) continue;
    const i = siteIndex.get(r.site) ?? 0;
    lines.push(`  "${r.client}" -- "${r.site}" [style=dashed, color="${SITE_EDGE[i]}", penwidth=2, len=3, label="catchment", fontcolor="${SITE_EDGE[i]}"];`);
  }
  if (view?.sites.length) {
    const rows = view.sites.map((s) => {
      const i = siteIndex.get(s)!;
      const clients = view.rows.filter((r) => r.site === s).map((r) => r.client);
      const state = unavailable.has(s) ? ' (unavailable)' : '';
      return `<TR><TD BGCOLOR="${unavailable.has(s) ? '#e0e0e0' : SITE_FILL[i]}">${esc(s)}${state}</TD><TD ALIGN="LEFT">${esc(clients.join(' ') || '-')}</TD></TR>`;
    });
    const how = view.source === 'measured' ? 'measured' : 'predicted (oracle)';
    const foot = '<TR><TD COLSPAN="2" ALIGN="LEFT">client: filled with its site\'s colour<BR ALIGN="LEFT"/>router outline: the site of its best path (oracle)<BR ALIGN="LEFT"/></TD></TR>';
    lines.push(`  "legend" [shape=none, margin=0, label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"><TR><TD COLSPAN="2"><B>catchment of ${esc(view.address)}, ${how}</B></TD></TR><TR><TD>site</TD><TD>clients</TD></TR>${rows.join('')}${foot}</TABLE>>];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export async function renderSvg(dot: string): Promise<string> {
  const r = await execa('dot', ['-Tsvg'], { input: dot, reject: false });
  if (r.exitCode !== 0) throw new LabError(`graphviz failed: ${String(r.stderr).trim() || 'is graphviz installed? (make setup installs it)'}`);
  return String(r.stdout);
}
