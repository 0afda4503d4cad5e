/**
 * Text views of what routers report over the control channel: `show`,
 * `explain`, `events`, and convergence waiting (`lab wait --converged`).
 * Pure formatting plus the polling loop; the data comes from
 * src/control/client.ts.
 */
import type { ArpEntryInfo, ControlEvent, ExplainResult, FibEntryInfo, InterfaceInfo, NeighborInfo, RibEntryInfo } from '../src/control/protocol.js';
import { controlOf, routerNodes } from './routers.js';
import { idleExternalNodes } from './inject.js';
import type { Topology } from './topology/types.js';

export function formatInterfaces(rows: readonly InterfaceInfo[]): string {
  return rows.map((i) => `${i.name.padEnd(12)} ${(i.up ? 'up' : 'DOWN').padEnd(5)} mtu ${String(i.mtu).padEnd(5)} ${i.addresses.join(' ')}`).join('\n') + '\n';
}

export function formatNeighbors(rows: readonly NeighborInfo[]): string {
  const head = `${'neighbor'.padEnd(26)} ${'AS'.padEnd(8)} ${'state'.padEnd(12)} ${'up/down'.padEnd(8)} ${'rcvd'.padStart(6)} ${'acc'.padStart(6)} ${'sent'.padStart(6)}  last error`;
  const lines = rows.map((n) =>
    `${(n.address + (n.node ? ` (${n.node})` : '')).padEnd(26)} ${String(n.remoteAs).padEnd(8)} ${n.state.padEnd(12)} ${formatSeconds(n.uptime).padEnd(8)} ${String(n.prefixesReceived).padStart(6)} ${String(n.prefixesAccepted).padStart(6)} ${String(n.prefixesAdvertised).padStart(6)}  ${n.lastError ?? ''}`,
  );
  return [head, ...lines].join('\n') + '\n';
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.floor(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** `show ROUTER bgp`: every candidate, `*>` on the best, `*=` multipath, and why each loser lost. */
export function formatRib(rows: readonly RibEntryInfo[]): string {
  const out: string[] = [`   ${'prefix'.padEnd(24)} ${'next hop'.padEnd(26)} ${'lpref'.padStart(5)} ${'med'.padStart(5)}  AS path`];
  for (const e of rows) {
    e.paths.forEach((p, i) => {
      const mark = p.best ? '*>' : p.multipath ? '*=' : ' *';
      const path = p.asPath.length ? p.asPath.join(' ') : '(local)';
      const origin = p.origin === 'igp' ? 'i' : p.origin === 'egp' ? 'e' : '?';
      const why = p.best ? `  best: ${e.reason}` : p.lostBy ? `  lost: ${p.lostBy}` : '';
      out.push(`${mark} ${(i === 0 ? e.prefix : '').padEnd(24)} ${p.nextHop.padEnd(26)} ${String(p.localPref).padStart(5)} ${String(p.med ?? '').padStart(5)}  ${path} ${origin}${why}`);
    });
  }
  return out.join('\n') + '\n';
}

/** `show ROUTER arp`: the router's own neighbour table (ARP and ND), by interface. */
export function formatArp(rows: readonly ArpEntryInfo[]): string {
  if (!rows.length) return 'no neighbour entries\n';
  const sorted = [...rows].sort((a, b) => a.interface.localeCompare(b.interface) || a.address.localeCompare(b.address));
  const head = `${'address'.padEnd(28)} ${'mac'.padEnd(18)} ${'state'.padEnd(11)} interface`;
  return [head, ...sorted.map((r) => `${r.address.padEnd(28)} ${(r.mac ?? '(incomplete)').padEnd(18)} ${r.state.padEnd(11)} ${r.interface}`)].join('\n') + '\n';
}

export function formatFib(rows: readonly FibEntryInfo[]): string {
  return rows
    .map((r) => `${r.prefix.padEnd(28)} ${r.source.padEnd(10)} ${r.nextHops.map((h) => (h.via ? `via ${h.via} dev ${h.interface}` : `dev ${h.interface}`)).join(', ')}`)
    .join('\n') + '\n';
}

export function formatExplain(router: string, e: ExplainResult): string {
  const out: string[] = [`${router}: how ${e.address} is forwarded`];
  if (e.matches.length) {
    out.push('  covering prefixes (longest wins):');
    for (const m of e.matches) out.push(`    ${m === e.matches[e.matches.length - 1] ? '=>' : '  '} ${formatFib([m]).trimEnd()}`);
  }
  if (e.chosen) {
    const h = e.chosen.nextHops.map((x) => (x.via ? `next hop ${x.via} out of ${x.interface}` : `directly out of ${x.interface}`)).join(', or ');
    out.push(`  longest match ${e.chosen.prefix} (${e.chosen.source}): ${h}`);
  }
  if (e.rib) {
    out.push(`  BGP candidates for ${e.rib.prefix}:`);
    for (const p of e.rib.paths) {
      const path = p.asPath.length ? p.asPath.join(' ') : '(local)';
      out.push(`    ${p.best ? 'best ' : p.multipath ? 'ecmp ' : 'lost '} from ${p.fromNode ?? p.from} AS path [${path}] next hop ${p.nextHop}${p.best ? ` — chosen by: ${e.rib.reason}` : p.lostBy ? ` — beaten by: ${p.lostBy}` : ''}`);
    }
  }
  for (const n of e.notes) out.push(`  note: ${n}`);
  return out.join('\n') + '\n';
}

export function formatEvent(e: ControlEvent): string {
  const t = new Date(e.t).toISOString().slice(11, 23);
  switch (e.type) {
    case 'session': return `${t} ${e.node.padEnd(8)} session ${e.peer} ${e.from} -> ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    case 'best-path': return `${t} ${e.node.padEnd(8)} best path ${e.prefix}: ${e.old ?? 'none'} -> ${e.new ?? 'none'} (${e.reason})`;
    case 'fib': return `${t} ${e.node.padEnd(8)} fib ${e.action} ${e.prefix}${e.via ? ` via ${e.via}` : ''}${e.interface ? ` dev ${e.interface}` : ''}`;
    case 'interface': return `${t} ${e.node.padEnd(8)} interface ${e.interface} ${e.up ? 'up' : 'down'}`;
    case 'anycast': return `${t} ${e.node.padEnd(8)} anycast ${e.action}${e.detail ? `: ${e.detail}` : ''}`;
    case 'trace': {
      const d = e.detail as Record<string, unknown>;
      const what = d.action === 'drop' ? `dropped (${String(d.reason)})` : d.action === 'kernel' ? 'to the router itself' : `matched ${String(d.prefix)}, next hop ${String(d.nextHop)} out of ${String(d.egress)}`;
      return `${t} ${e.node.padEnd(8)} trace ${String(d.src)} -> ${String(d.dst)} in ${String(d.ingress)} ttl ${String(d.ttl)}: ${what}`;
    }
    case 'log': return `${t} ${e.node.padEnd(8)} ${e.level} ${e.message}`;
  }
}

export interface ConvergenceResult {
  readonly converged: boolean;
  readonly seconds: number;
  readonly sessions: number;
  readonly established: number;
}

/**
 * Waits until every BGP session of every router is Established and no
 * UPDATE has been sent or received anywhere for `quietMs`. Sessions toward
 * an `external` node count only while the lab's inject peer runs there or
 * once they are Established (the lab cannot wait for a speaker it does not run).
 */
export async function waitConverged(lab: string, topo: Topology, opts: { timeoutMs: number; quietMs: number }): Promise<ConvergenceResult> {
  const t0 = Date.now();
  const nodes = routerNodes(topo);
  const clients = await Promise.all(nodes.map((n) => controlOf(lab, n.name)));
  try {
    for (;;) {
      const st = await Promise.all(clients.map((c) => c.request('bgp.status')));
      // Sessions toward external nodes where the lab runs no speaker (no inject peer) are not waited for.
      const idle = idleExternalNodes(lab, topo);
      const ignored = idle.size ? (await Promise.all(clients.map((c) => c.request('show.neighbors', {})))).flat().filter((n) => n.node !== undefined && idle.has(n.node) && n.state !== 'Established').length : 0;
      const established = st.reduce((a, s) => a + s.established, 0);
      // (a session over a link that is down is already left out by the router: never below `established`)
      const sessions = Math.max(established, st.reduce((a, s) => a + s.sessions, 0) - ignored);
      const quiet = st.every((s) => s.msSinceLastUpdate < 0 || s.msSinceLastUpdate >= opts.quietMs);
      const seconds = (Date.now() - t0) / 1000;
      if (established === sessions && quiet) return { converged: true, seconds, sessions, established };
      if (Date.now() - t0 > opts.timeoutMs) return { converged: false, seconds, sessions, established };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const c of clients) c.close();
  }
}

/** Every node's buffered events, merged in time order. */
export async function collectEvents(lab: string, topo: Topology): Promise<ControlEvent[]> {
  const all: ControlEvent[] = [];
  for (const n of routerNodes(topo)) {
    const c = await controlOf(lab, n.name);
    try {
      all.push(...(await c.request('events.list', {})));
    } finally {
      c.close();
    }
  }
  return all.sort((a, b) => a.t - b.t || a.seq - b.seq);
}
