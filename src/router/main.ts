/**
 * The router process: `node dist/src/router/main.js CONFIG.json`, started by
 * the lab inside the router's namespace. The composition root: the only
 * place where BGP, the routing table, the kernel mirror, interface
 * monitoring and the control channel are wired together.
 *
 * Exits cleanly on SIGTERM/SIGINT or the control `shutdown` request: every
 * BGP session is closed with Cease 6/2 (administrative shutdown, RFC 8203
 * text) first.
 */
import { readFileSync } from 'node:fs';
import { formatPrefix } from '../lib/prefix.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import { ControlServer } from '../control/server.js';
import { CONTROL_PROTOCOL_VERSION } from '../control/protocol.js';
import type { RouterConfig } from './config.js';
import { KernelRouteWriter } from './kernel-routes.js';
import { LinkMonitor } from './link-monitor.js';
import { Router, type RouteSink } from './router.js';
import type { RouteChange } from './route-table.js';
import { parsePrefix } from '../lib/prefix.js';
import { DataplaneThread } from '../dataplane/dataplane-thread.js';

/** Counters as one flat name → number map for `show counters`. */
function flattenCounters(x: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof x === 'number') out[prefix] = x;
  else if (Array.isArray(x)) x.forEach((v, i) => flattenCounters(v, `${prefix}.${(v as { name?: string })?.name ?? i}`, out));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) if (k !== 'name') flattenCounters(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function log(level: string, message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${level} ${message}\n`);
}

/** Mirrors installed static and BGP routes into the namespace's kernel table (connected ones are the kernel's own). */
function kernelSink(writer: KernelRouteWriter): RouteSink {
  return {
    apply(c: RouteChange) {
      if (c.route.source === 'connected') return;
      const prefix = formatPrefix(c.route.prefix);
      if (c.action === 'remove') writer.remove(prefix, c.route.source);
      else writer.replace({ prefix, proto: c.route.source, nextHops: c.route.nextHops.map((h) => ({ via: h.via, dev: h.interface })) });
    },
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as RouterConfig;
  const control = new ControlServer(cfg.node);
  // `kernelRoutes: false` skips the kernel mirror (very large tables).
  const kernel = cfg.kernelRoutes === false ? undefined : new KernelRouteWriter();
  await kernel?.start();
  // Userspace data plane, in its own thread with its own FIB copy: it forwards
  // transit; the kernel's copy (forwarding off) routes the router's own traffic.
  // This thread keeps no FIB: `show fib` and `explain` read the routing table.
  const dataplane = cfg.dataplane === 'userspace'
    ? await DataplaneThread.start({
      interfaces: cfg.interfaces.map((i) => ({ name: i.name, ipv4: i.ipv4 ? [i.ipv4] : [], ipv6: i.ipv6 ? [i.ipv6] : [], mtu: i.mtu })),
      ...(cfg.frameIo === 'af_xdp' ? { openOptions: { xdp: 'auto' as const } } : {}),
      onTrace: (record) => control.emit({ type: 'trace', detail: { ...record } }),
      onFailure: (err) => {
        // Never forward nothing silently: the lab's supervision sees the exit.
        log('error', `${err.message}; exiting`);
        process.exit(1);
      },
    })
    : undefined;
  for (const w of dataplane?.warnings ?? []) log('warn', w);
  const sinks: RouteSink[] = [...(kernel ? [kernelSink(kernel)] : []), ...(dataplane ? [dataplane] : [])];
  const router = new Router(cfg, sinks, control);

  let lastUpdateAt = 0;
  const speaker = new BgpSpeaker(
    { asn: cfg.asn, routerId: cfg.routerId, neighbors: cfg.neighbors, multipath: cfg.multipath, nextHopReachable: router.nextHopReachable },
    {
      onBestPathChanges: (changes) => router.onBestPathChanges(changes),
      onSessionChange: (peer, from, to, reason) => {
        control.emit({ type: 'session', peer, from, to, reason });
        log('info', `session ${peer}: ${from} -> ${to}${reason ? ` (${reason})` : ''}`);
      },
      onUpdateActivity: () => {
        lastUpdateAt = Date.now();
      },
      log: (level, message) => log(level, message),
    },
  );
  router.attachSpeaker(speaker);
  void lastUpdateAt;

  const monitor = new LinkMonitor((s) => {
    log('info', `interface ${s.name} ${s.up ? 'up' : 'down'}`);
    dataplane?.setInterfaceUp(s.name, s.up);
    router.interfaceChanged(s.name, s.up);
  });
  const initial = await monitor.start();

  control.handle('hello', () => ({ node: cfg.node, kind: cfg.kind, asn: cfg.asn, routerId: cfg.routerId, pid: process.pid, version: CONTROL_PROTOCOL_VERSION }));
  control.handle('show.interfaces', () => router.interfaces());
  control.handle('show.neighbors', () => speaker.neighbors());
  control.handle('show.rib', (p) => {
    if (!p.prefix) return speaker.rib();
    const pr = parsePrefix(p.prefix);
    if (!pr.ok) throw new Error(pr.error);
    return speaker.rib(pr.value);
  });
  control.handle('show.fib', () => router.fib());
  control.handle('show.counters', async () => ({
    ...(dataplane ? flattenCounters(await dataplane.counters()) : {}),
    kernelRouteLines: kernel?.stats.lines ?? 0,
    kernelRouteFailures: kernel?.stats.failures ?? 0,
  }));
  control.handle('show.arp', async () => ((await dataplane?.neighbors()) ?? []).map((n) => ({ interface: n.interface, address: n.address, mac: n.mac || undefined, state: n.state })));
  control.handle('trace.set', (p) => {
    if (!dataplane) return { ok: false, error: `${cfg.node} forwards with its kernel (dataplane: kernel): no packet trace` };
    return dataplane.setTraceFilter(p.filter);
  });
  control.handle('explain', (p) => router.explain(p.address));
  // Convergence counts the sessions that can come up: one over an interface that is down cannot.
  control.handle('bgp.status', () => {
    const st = speaker.status();
    const downAddresses = new Set(cfg.neighbors.filter((n) => !router.isUp(n.interface)).map((n) => n.address));
    if (!downAddresses.size) return st;
    const down = speaker.neighbors().filter((n) => downAddresses.has(n.address));
    return {
      ...st,
      sessions: st.sessions - down.length,
      established: st.established - down.filter((n) => n.state === 'Established').length,
    };
  });

  // Anycast servers: the health checker announces and withdraws the service prefixes.
  const anycastPrefixes = (cfg.anycast?.prefixes ?? []).flatMap((t) => {
    const p = parsePrefix(t);
    return p.ok ? [p.value] : [];
  });
  let announced = false;
  control.handle('anycast.status', () => ({ announced, prefixes: anycastPrefixes.map(formatPrefix) }));
  control.handle('anycast.control', (p) => {
    if (p.action !== 'announce' && p.action !== 'withdraw') throw new Error(`unknown anycast action '${p.action}' (announce|withdraw)`);
    if (!anycastPrefixes.length) throw new Error(`${cfg.node} has no anycast prefixes`);
    const want = p.action === 'announce';
    if (want !== announced) {
      announced = want;
      if (want) speaker.originate(anycastPrefixes);
      else speaker.withdrawOriginated(anycastPrefixes);
      control.emit({ type: 'anycast', action: p.action, detail: anycastPrefixes.map(formatPrefix).join(' ') });
      log('info', `anycast ${p.action} ${anycastPrefixes.map(formatPrefix).join(' ')}`);
    }
    return { announced };
  });

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `shutting down: ${reason}`);
    try {
      await speaker.stop(reason);
    } finally {
      monitor.stop();
      await dataplane?.close();
      await kernel?.stop();
      await control.close();
      process.exit(0);
    }
  };
  control.onShutdown(shutdown);

  await speaker.start();
  router.start(initial);
  await control.listen(cfg.controlSocket);
  log('info', `router ${cfg.node} AS${cfg.asn} id ${cfg.routerId} ready (${cfg.neighbors.length} neighbours)`);
}

main().catch((err) => {
  log('error', err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
