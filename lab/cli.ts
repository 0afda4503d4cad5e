#!/usr/bin/env node
/**
 * `lab`: the command-line entry point. One handler per command; the table's
 * `usage` and `help` are the help text. Every command that reads a running
 * lab takes `--lab NAME` (default: the only lab that is up).
 *
 *   lab up FILE.yaml | --topo SPEC | --custom FILE.py --topo NAME  [--name LAB] [--cli]
 *   lab down LAB | lab clean | lab status [--json]
 *   lab exec NODE CMD... | lab tcpdump NODE INTF [ARGS...]
 *   lab pingall | lab links | lab net | lab nodes | lab dump
 */
import { basename } from 'node:path';
import { execa } from 'execa';
import { journaledLabs } from './journal.js';
import { namespaceName } from './plan.js';
import { findNode, interfaceStatus, LabError, labExists, labStatus, labUp, nodePids, pingall, readLabTopology, endSystems } from './lab.js';
import { cleanAll, teardownLab } from './teardown.js';
import { formatDump, formatLinks, formatNet, formatNodes, formatPingall } from './format.js';
import { loadTopologyFile } from './topology/load.js';
import { loadMininetCustom, mininetTopology } from './topology/mininet.js';
import { TopologyValidationError, type Topology } from './topology/types.js';
import { runPrompt, runPromptCommand, SHELL_PROMPT_COMMANDS } from './prompt.js';
import { formatIperf, iperf, iperfPair, parseBandwidth } from './iperf.js';
import { CommandError } from './runner.js';
import { parseArgs, type ParsedArgs } from './cli-args.js';
import { formatTrace, renderSvg, startCapture, stopCaptures, topologyDot, trace } from './debug-tools.js';
import { controlOf, routerNodes } from './routers.js';
import { collectEvents, formatArp, formatEvent, formatExplain, formatFib, formatInterfaces, formatNeighbors, formatRib, waitConverged } from './router-views.js';
import type { ArpEntryInfo, ControlEvent, FibEntryInfo, InterfaceInfo, NeighborInfo, RibEntryInfo } from '../src/control/protocol.js';
import {
  anycastServers, catchment, ddos, defaultAnycastAddress, failover, failServer, FAILURE_KINDS, formatCatchment, formatDdos, formatFailover, formatProbe, formatSites, probeFrom, recoverServer, sites, type FailureKind,
} from './anycast.js';

function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** The lab a command acts on: --lab, else the only one up. */
export function resolveLab(args: ParsedArgs): string {
  const named = flag(args, 'lab');
  if (named) {
    if (!labExists(named)) throw new LabError(`no lab named '${named}' is up (labs up: ${journaledLabs().join(' ') || 'none'})`);
    return named;
  }
  const labs = journaledLabs();
  if (labs.length === 1) return labs[0];
  if (labs.length === 0) throw new LabError('no lab is up (start one with: lab up FILE.yaml)');
  throw new LabError(`several labs are up (${labs.join(' ')}): say which with --lab NAME`);
}

export async function topologyFromArgs(args: ParsedArgs): Promise<Topology> {
  const custom = flag(args, 'custom');
  const topo = flag(args, 'topo');
  if (custom) {
    if (!topo) throw new LabError('usage: lab up --custom FILE.py --topo NAME[,ARG...]');
    const [name, ...rest] = topo.split(',');
    return loadMininetCustom(custom, name, rest);
  }
  if (topo) return mininetTopology(topo);
  const file = args.positional[0];
  if (!file) throw new LabError('usage: lab up FILE.yaml | --topo SPEC | --custom FILE.py --topo NAME');
  return loadTopologyFile(file);
}

/** The control client of a router node, with a clear error for other kinds. */
async function routerControl(lab: string, node: string) {
  const n = findNode(readLabTopology(lab), node);
  if (n.kind !== 'router' && n.kind !== 'anycast-server') throw new LabError(`${node} is a ${n.kind}, not a router (routers: ${routerNodes(readLabTopology(lab)).map((r) => r.name).join(' ')})`);
  return controlOf(lab, node);
}

function defaultLabName(topo: Topology, args: ParsedArgs): string {
  const explicit = flag(args, 'name');
  if (explicit) return explicit;
  if (topo.name && /^[a-z][a-z0-9-]*$/.test(topo.name)) return topo.name;
  return 'lab';
}

interface Command {
  readonly usage: string;
  readonly help: string;
  /** Positional arguments after which everything is passed through untouched. */
  readonly passthroughAfter?: number;
  readonly run: (args: ParsedArgs) => Promise<number>;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/**
 * Progress lines of `lab up` on stderr: on a terminal one line rewritten in
 * place, otherwise one line per finished stage.
 */
function upProgress() {
  const tty = process.stderr.isTTY;
  let open = false;
  const reported = new Set<string>();
  const stage = (stage: string, done: number, total: number) => {
    if (tty) {
      process.stderr.write(`\r*** ${stage} ${done}/${total}\x1b[K`);
      open = true;
    } else if (done === total && !reported.has(stage)) {
      reported.add(stage);
      process.stderr.write(`*** ${stage} ${done}/${total}\n`);
    }
  };
  const end = () => {
    if (open) process.stderr.write('\n');
    open = false;
  };
  return { stage, end };
}

/**
 * After `lab up`: wait for BGP (progress: sessions established), then the
 * map with the catchment measured by probes; without waiting (or when BGP
 * does not converge) the catchment is the oracle's prediction, labelled so.
 */
async function upMap(lab: string, topo: Topology, wait: boolean, progress: ReturnType<typeof upProgress>): Promise<string> {
  const { catchmentView, formatLabMap, predictedView } = await import('./lab-map.js');
  const hasAnycast = anycastServers(topo).length > 0;
  let converged: { converged: boolean; seconds: number } | undefined;
  if (wait && routerNodes(topo).length) {
    // Sessions come up within a few seconds (ConnectRetry is 1-2 s); a count that has not moved
    // for STALL_MS is a misconfigured session (try `lab show ROUTER neighbors`), not worth waiting for.
    const STALL_MS = 8000;
    const t0 = Date.now();
    let lastCount = -1;
    let lastChange = t0;
    for (;;) {
      const r = await waitConverged(lab, topo, { timeoutMs: 400, quietMs: 1000 });
      progress.stage('BGP sessions established', r.established, r.sessions);
      if (r.established !== lastCount) [lastCount, lastChange] = [r.established, Date.now()];
      const seconds = (Date.now() - t0) / 1000;
      const stalled = r.established < r.sessions && Date.now() - lastChange > STALL_MS;
      if (r.converged || stalled || seconds > 30) {
        progress.end();
        converged = { converged: r.converged, seconds };
        out(r.converged
          ? `*** converged in ${seconds.toFixed(2)} s (${r.established}/${r.sessions} sessions established, no UPDATE for 1 s)`
          : `*** not converged after ${seconds.toFixed(1)} s: ${r.established}/${r.sessions} sessions established${stalled ? ` (none came up in the last ${STALL_MS / 1000} s: see lab show ROUTER neighbors)` : ''}`);
        break;
      }
    }
  }
  if (!hasAnycast) return formatLabMap(lab, topo, []);
  const address = defaultAnycastAddress(topo);
  const view = wait && converged?.converged ? await catchmentView(lab, topo, { address }) : predictedView(topo, address);
  return formatLabMap(lab, topo, [view], converged);
}

export const COMMANDS: Record<string, Command> = {
  up: {
    usage: 'lab up FILE.yaml | --topo SPEC | --custom FILE.py --topo NAME [--name LAB] [--cli] [--no-wait]',
    help: 'Bring a lab up from a topology file or a Mininet topology, showing progress (namespaces, links, processes, BGP sessions, convergence), and end with a map: nodes, links, anycast addresses and the catchment (measured; with --no-wait, predicted by the oracle, without waiting for BGP). With --cli open the prompt and take the lab down on exit.',
    async run(args) {
      const topo = await topologyFromArgs(args);
      const lab = defaultLabName(topo, args);
      const progress = upProgress();
      const r = await labUp(lab, topo, { progress: progress.stage });
      progress.end();
      out(`*** lab ${lab} up: ${topo.nodes.length} nodes, ${topo.links.length} links in ${r.seconds.toFixed(2)} s`);
      out(await upMap(lab, topo, !args.flags.has('no-wait'), progress));
      if (args.flags.has('cli')) {
        try {
          await runPrompt(lab);
        } finally {
          // The lab must not be left half down: from here until the process exits,
          // Ctrl-C is noted, not obeyed.
          process.on('SIGINT', () => process.stderr.write('*** interrupt ignored: the lab is going down\n'));
          const t0 = Date.now();
          await teardownLab(lab);
          out(`*** lab ${lab} down in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
        }
      }
      return 0;
    },
  },
  cli: {
    usage: 'lab cli [--lab LAB]',
    help: 'Open the lab> prompt on a lab that is up (exit leaves the lab up).',
    async run(args) {
      await runPrompt(resolveLab(args));
      return 0;
    },
  },
  down: {
    usage: 'lab down [LAB]',
    help: 'Take a lab down: remove exactly what its journal records.',
    async run(args) {
      const lab = args.positional[0] ?? resolveLab(args);
      const t0 = Date.now();
      const r = await teardownLab(lab);
      out(`*** lab ${lab} down: ${r.namespaces} namespaces, ${r.processes} processes in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      return 0;
    },
  },
  clean: {
    usage: 'lab clean',
    help: 'Take down every journaled lab (also after a killed `lab up`).',
    async run() {
      const reports = await cleanAll();
      out(reports.length ? reports.map((r) => `*** cleaned ${r.lab}: ${r.namespaces} namespaces, ${r.processes} processes`).join('\n') : '*** nothing to clean');
      return 0;
    },
  },
  status: {
    usage: 'lab status [--lab LAB] [--json]',
    help: 'Show the labs that are up, their nodes and processes.',
    async run(args) {
      const labs = flag(args, 'lab') ? [resolveLab(args)] : journaledLabs();
      const all = labs.map((l) => labStatus(l));
      if (args.flags.has('json')) out(JSON.stringify(all, null, 2));
      else if (all.length === 0) out('no lab is up');
      else
        for (const s of all) {
          const present = s.nodes.filter((n) => n.present).length;
          out(`${s.lab}: ${s.up ? 'up' : 'incomplete'} (${s.origin}), ${present}/${s.nodes.length} namespaces${s.upSeconds ? `, built in ${s.upSeconds.toFixed(2)} s` : ''}`);
          for (const n of s.nodes) out(`  ${n.name.padEnd(12)} ${n.kind.padEnd(15)} ${n.namespace}${n.present ? '' : ' (missing)'}`);
        }
      return 0;
    },
  },
  exec: {
    usage: 'lab exec NODE CMD [ARGS...]',
    help: 'Run a command inside a node\'s namespace.',
    passthroughAfter: 1,
    async run(args) {
      const [node, ...cmd] = args.positional;
      if (!node || cmd.length === 0) throw new LabError('usage: lab exec NODE CMD [ARGS...]');
      const lab = resolveLab(args);
      findNode(readLabTopology(lab), node);
      const r = await execa('ip', ['netns', 'exec', namespaceName(lab, node), ...cmd], { stdio: 'inherit', reject: false });
      return r.exitCode ?? 1;
    },
  },
  tcpdump: {
    usage: 'lab tcpdump NODE INTF [TCPDUMP ARGS...]',
    help: 'Capture live on a node\'s interface (tcpdump -n -l -i INTF ...).',
    passthroughAfter: 2,
    async run(args) {
      const [node, intf, ...rest] = args.positional;
      if (!node || !intf) throw new LabError('usage: lab tcpdump NODE INTF [TCPDUMP ARGS...]');
      const lab = resolveLab(args);
      const n = findNode(readLabTopology(lab), node);
      if (intf !== 'lo' && intf !== 'any' && !n.interfaces.some((i) => i.name === intf) && intf !== node) {
        throw new LabError(`node ${node} has no interface ${intf} (it has: ${n.interfaces.map((i) => i.name).join(' ')})`);
      }
      const r = await execa('ip', ['netns', 'exec', namespaceName(lab, node), 'tcpdump', '-n', '-l', '-i', intf, ...rest], { stdio: 'inherit', reject: false });
      return r.exitCode ?? 1;
    },
  },
  pingall: {
    usage: 'lab pingall [--lab LAB] [--json]',
    help: 'Ping between every pair of hosts (one packet each), as Mininet does.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const results = await pingall(lab, topo);
      if (args.flags.has('json')) out(JSON.stringify(results));
      else out(formatPingall(endSystems(topo).map((n) => n.name), results));
      return results.every((r) => r.ok) ? 0 : 1;
    },
  },
  links: {
    usage: 'lab links [--lab LAB] [--json]',
    help: 'List links as interface pairs with their status, as Mininet does.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const st = await interfaceStatus(lab, topo);
      const status = (node: string, intf: string) => st.get(`${node}/${intf}`) ?? 'MISSING';
      if (args.flags.has('json')) {
        const end = (e: { node: string; interface: string }) => ({ node: e.node, interface: e.interface, status: status(e.node, e.interface) });
        out(JSON.stringify(topo.links.map((l) => ({ a: end(l.a), b: end(l.b) })), null, 2));
      } else out(formatLinks(topo, status));
      return 0;
    },
  },
  net: {
    usage: 'lab net [--lab LAB] [--json]',
    help: 'List every node\'s connections, as Mininet does.',
    async run(args) {
      const topo = readLabTopology(resolveLab(args));
      if (args.flags.has('json')) out(JSON.stringify(topo.nodes.map((n) => ({ name: n.name, connections: n.interfaces.map((i) => ({ interface: i.name, peerNode: i.peerNode, peerInterface: i.peerInterface })) })), null, 2));
      else out(formatNet(topo));
      return 0;
    },
  },
  nodes: {
    usage: 'lab nodes [--lab LAB] [--json]',
    help: 'List the nodes.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      if (args.flags.has('json')) out(JSON.stringify(topo.nodes.map((n) => ({ name: n.name, kind: n.kind, ...(n.asn !== undefined ? { asn: n.asn } : {}), namespace: namespaceName(lab, n.name) })), null, 2));
      else out(formatNodes(topo));
      return 0;
    },
  },
  dump: {
    usage: 'lab dump [--lab LAB] [--json]',
    help: 'Describe every node and its addresses.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const pids = nodePids(lab);
      if (args.flags.has('json')) {
        out(JSON.stringify(topo.nodes.map((n) => ({
          name: n.name,
          kind: n.kind,
          ...(n.asn !== undefined ? { asn: n.asn } : {}),
          interfaces: n.interfaces.map((i) => ({ name: i.name, ipv4: i.ipv4, ipv6: i.ipv6, peerNode: i.peerNode })),
          ...(n.anycast ? { anycast: n.anycast } : {}),
          ...(pids.has(n.name) ? { pid: pids.get(n.name) } : {}),
        })), null, 2));
      } else out(formatDump(topo, (n) => pids.get(n)));
      return 0;
    },
  },
  iperf: {
    usage: 'lab iperf [HOST1 HOST2] [--duration S] [--json]',
    help: 'TCP bandwidth from HOST1 to HOST2 (default: the first and last hosts) with iperf3, as Mininet\'s iperf: the rate received, the rate sent.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const [a, b] = iperfPair(topo, args.positional);
      const r = await iperf(lab, a, b, { seconds: Number(flag(args, 'duration') ?? 3) });
      out(args.flags.has('json') ? JSON.stringify(r) : formatIperf(r));
      return 0;
    },
  },
  iperfudp: {
    usage: 'lab iperfudp BW [HOST1 HOST2] [--duration S] [--json]',
    help: 'UDP at BW bits/s (10M, 500k) from HOST1 to HOST2 with iperf3, as Mininet\'s iperfudp: the rate received, the rate sent, the loss.',
    async run(args) {
      const [bw, ...hosts] = args.positional;
      const bps = bw === undefined ? undefined : parseBandwidth(bw);
      if (bps === undefined || bps <= 0) throw new LabError('usage: lab iperfudp BW [HOST1 HOST2] (BW such as 10M or 500k)');
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const [a, b] = iperfPair(topo, hosts);
      const r = await iperf(lab, a, b, { seconds: Number(flag(args, 'duration') ?? 3), udpBps: bps });
      out(args.flags.has('json') ? JSON.stringify(r) : formatIperf(r));
      return 0;
    },
  },
  show: {
    usage: 'lab show ROUTER interfaces|bgp|neighbors|fib|arp|counters [--json]',
    help: 'Ask a router: its interfaces, BGP table (best path and why), BGP neighbours, FIB, ARP/ND neighbour table or counters.',
    async run(args) {
      const [node, what] = args.positional;
      const views = ['interfaces', 'bgp', 'neighbors', 'fib', 'arp', 'counters'];
      if (!node || !what || !views.includes(what)) throw new LabError(`usage: lab show ROUTER ${views.join('|')}`);
      const lab = resolveLab(args);
      const c = await routerControl(lab, node);
      try {
        const method = ({ interfaces: 'show.interfaces', bgp: 'show.rib', neighbors: 'show.neighbors', fib: 'show.fib', arp: 'show.arp', counters: 'show.counters' } as const)[what as 'bgp'];
        const data: unknown = await c.request(method, {});
        if (args.flags.has('json')) out(JSON.stringify(data, null, 2));
        else if (what === 'interfaces') out(formatInterfaces(data as InterfaceInfo[]));
        else if (what === 'bgp') out(formatRib(data as RibEntryInfo[]));
        else if (what === 'neighbors') out(formatNeighbors(data as NeighborInfo[]));
        else if (what === 'fib') out(formatFib(data as FibEntryInfo[]));
        else if (what === 'arp') out(formatArp(data as ArpEntryInfo[]));
        else out(Object.entries(data as Record<string, number>).map(([k, v]) => `${k.padEnd(28)} ${v}`).join('\n'));
      } finally {
        c.close();
      }
      return 0;
    },
  },
  explain: {
    usage: 'lab explain ROUTER ADDRESS [--json]',
    help: 'Why a router forwards ADDRESS where it does: covering prefixes, the longest, its next hop, the BGP candidates and the step that beat each.',
    async run(args) {
      const [node, address] = args.positional;
      if (!node || !address) throw new LabError('usage: lab explain ROUTER ADDRESS');
      const lab = resolveLab(args);
      const c = await routerControl(lab, node);
      try {
        const e = await c.request('explain', { address });
        out(args.flags.has('json') ? JSON.stringify(e, null, 2) : formatExplain(node, e));
      } finally {
        c.close();
      }
      return 0;
    },
  },
  wait: {
    usage: 'lab wait --converged [--timeout S] [--quiet MS] [--json]',
    help: 'Return when every BGP session is Established and no UPDATE has been seen for a quiet period; print the time it took.',
    async run(args) {
      const lab = resolveLab(args);
      const timeoutMs = Number(flag(args, 'timeout') ?? 60) * 1000;
      const quietMs = Number(flag(args, 'quiet') ?? 1000);
      const r = await waitConverged(lab, readLabTopology(lab), { timeoutMs, quietMs });
      if (args.flags.has('json')) out(JSON.stringify(r));
      else out(r.converged ? `*** converged in ${r.seconds.toFixed(2)} s (${r.established}/${r.sessions} sessions established)` : `*** not converged after ${r.seconds.toFixed(1)} s: ${r.established}/${r.sessions} sessions established`);
      return r.converged ? 0 : 1;
    },
  },
  events: {
    usage: 'lab events [--follow] [--json]',
    help: 'The timeline of session, best-path, FIB and interface changes across the lab.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const show = (e: ControlEvent) => out(args.flags.has('json') ? JSON.stringify(e) : formatEvent(e));
      for (const e of await collectEvents(lab, topo)) show(e);
      if (!args.flags.has('follow')) return 0;
      const clients = await Promise.all(routerNodes(topo).map((n) => controlOf(lab, n.name)));
      await Promise.all(clients.map((c) => c.subscribe(show)));
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      for (const c of clients) c.close();
      return 0;
    },
  },
  probe: {
    usage: 'lab probe CLIENT [ADDRESS] [--count N] [--json]',
    help: 'Real UDP whoami probes from CLIENT to the anycast address: which server answered, the RTT, and the AS path CLIENT\'s router holds.',
    async run(args) {
      const [client, address] = args.positional;
      if (!client) throw new LabError('usage: lab probe CLIENT [ADDRESS] [--count N] [--json]');
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const r = await probeFrom(lab, topo, client, address ?? defaultAnycastAddress(topo), { count: Number(flag(args, 'count') ?? 3) });
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatProbe(r));
      return r.server ? 0 : 1;
    },
  },
  catchment: {
    usage: 'lab catchment [ADDRESS] [--diff] [--json]',
    help: 'Probe from every client: client -> server, beside the server the oracle (BGP decision over the topology) predicts; --diff shows only disagreements.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const r = await catchment(lab, topo, args.positional[0] ?? defaultAnycastAddress(topo));
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatCatchment(r, args.flags.has('diff')));
      return r.rows.every((x) => x.match) ? 0 : 1;
    },
  },
  sites: {
    usage: 'lab sites [--reset] [--json]',
    help: 'Every anycast site: service up, health verdict, announced or withdrawn, a failure in force, and what it received per client since the last reset (--reset: then reset).',
    async run(args) {
      const lab = resolveLab(args);
      const r = await sites(lab, readLabTopology(lab), { reset: args.flags.has('reset') });
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatSites(r));
      return r.every((x) => x.errors.length === 0) ? 0 : 1;
    },
  },
  fail: {
    usage: `lab fail SERVER --how ${FAILURE_KINDS.join('|')} [--json]`,
    help: 'Break an anycast server: stop its service, kill or freeze its BGP speaker, cut its link, drop its traffic with the link up, or drain it (withdraw, wait, stop).',
    async run(args) {
      const [server] = args.positional;
      const how = flag(args, 'how') ?? 'service';
      if (!server || !(FAILURE_KINDS as readonly string[]).includes(how)) throw new LabError(`usage: lab fail SERVER --how ${FAILURE_KINDS.join('|')}`);
      const lab = resolveLab(args);
      const r = await failServer(lab, readLabTopology(lab), server, how as FailureKind);
      out(args.flags.has('json') ? JSON.stringify(r) : `*** ${server} failed (${how}): ${r.detail}`);
      return 0;
    },
  },
  recover: {
    usage: 'lab recover SERVER [--json]',
    help: 'Undo `lab fail SERVER`.',
    async run(args) {
      const [server] = args.positional;
      if (!server) throw new LabError('usage: lab recover SERVER');
      const lab = resolveLab(args);
      const r = await recoverServer(lab, readLabTopology(lab), server);
      out(args.flags.has('json') ? JSON.stringify(r) : `*** ${server} recovered (${r.how}): ${r.detail}`);
      return 0;
    },
  },
  failover: {
    usage: `lab failover SERVER [ADDRESS] --how ${FAILURE_KINDS.join('|')} [--rate N] [--timeout S] [--json]`,
    help: 'Stream probes from every client across a failure of SERVER: per client the server before and after, the outage and the probes lost. The server stays failed (lab recover SERVER).',
    async run(args) {
      const [server, address] = args.positional;
      const how = flag(args, 'how') ?? 'service';
      if (!server || !(FAILURE_KINDS as readonly string[]).includes(how)) throw new LabError(`usage: lab failover SERVER [ADDRESS] --how ${FAILURE_KINDS.join('|')}`);
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const r = await failover(lab, topo, server, how as FailureKind, {
        address: address ?? defaultAnycastAddress(topo),
        rate: Number(flag(args, 'rate') ?? 200),
        timeoutMs: Number(flag(args, 'timeout') ?? 20) * 1000,
      });
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatFailover(r));
      return 0;
    },
  },
  ddos: {
    usage: 'lab ddos [ADDRESS] --rate N --duration S [--spoof] [--json]',
    help: 'Attackers (hosts named attacker*/atk*/bot*, else every client) flood the anycast address at N datagrams/s each; per-server received counts. --spoof: forged sources (198.18.0.0/15, 2001:2::/48), sent at layer 2.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const r = await ddos(lab, topo, {
        address: args.positional[0] ?? defaultAnycastAddress(topo),
        rate: Number(flag(args, 'rate') ?? 1000),
        duration: Number(flag(args, 'duration') ?? 2),
        spoof: args.flags.has('spoof'),
      });
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatDdos(r));
      return 0;
    },
  },
  trace: {
    usage: 'lab trace CLIENT ADDRESS [--json]',
    help: 'Send one marked UDP probe from CLIENT to ADDRESS: each router\'s own decision (matched prefix, next hop, egress) or drop reason, hop by hop, then the server that answered.',
    async run(args) {
      const [client, address] = args.positional;
      if (!client || !address) throw new LabError('usage: lab trace CLIENT ADDRESS');
      const lab = resolveLab(args);
      const t = await trace(lab, readLabTopology(lab), client, address);
      out(args.flags.has('json') ? JSON.stringify(t, null, 2) : formatTrace(t));
      return t.hops.length ? 0 : 1;
    },
  },
  capture: {
    usage: 'lab capture NODE INTF [FILE] | lab capture --all | lab capture --stop',
    help: 'Write packets of NODE\'s INTF (or every link with --all) to pcap files in the lab\'s captures directory until --stop; read them with tcpdump -r or Wireshark.',
    async run(args) {
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      if (args.flags.has('stop')) {
        const files = await stopCaptures(lab);
        out(files.length ? files.join('\n') : 'no captures');
        return 0;
      }
      if (args.flags.has('all')) {
        for (const l of topo.links) out(await startCapture(lab, topo, l.a.node, l.a.interface));
        return 0;
      }
      const [node, intf, file] = args.positional;
      if (!node || !intf) throw new LabError('usage: lab capture NODE INTF [FILE] | --all | --stop');
      out(await startCapture(lab, topo, node, intf, file));
      return 0;
    },
  },
  graph: {
    usage: 'lab graph [ADDRESS] [--format dot|svg] [--predicted] [--lab LAB]',
    help: 'Draw the topology (Graphviz dot, or SVG) with the catchment of the anycast address: each client coloured by the site it reaches (measured by probes; --predicted: the oracle\'s prediction, no packet sent), routers outlined by the site their best path leads to, a legend.',
    async run(args) {
      const format = flag(args, 'format') ?? 'dot';
      if (format !== 'dot' && format !== 'svg') throw new LabError('usage: lab graph [ADDRESS] [--format dot|svg] [--predicted]');
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const { catchmentView } = await import('./lab-map.js');
      const view = anycastServers(topo).length
        ? await catchmentView(lab, topo, { address: args.positional[0] ?? defaultAnycastAddress(topo), measure: !args.flags.has('predicted') })
        : undefined;
      const dot = topologyDot(topo, view);
      out(format === 'svg' ? await renderSvg(dot) : dot);
      return 0;
    },
  },
  check: {
    usage: 'lab check SPEC.yaml [--lab LAB] [--json]',
    help: 'Wait for convergence, then test every assertion of a check spec (sessions, routes, reachability, traceroute, catchment, failover); exit 0 when all hold.',
    async run(args) {
      const { loadCheckSpecFile, specNodeErrors } = await import('./check-spec.js');
      const { formatCheckReport, runChecks } = await import('./check.js');
      const file = args.positional[0];
      if (!file) throw new LabError('usage: lab check SPEC.yaml [--lab LAB] [--json]');
      const parsed = await loadCheckSpecFile(file);
      const invalid = (errors: readonly { file: string; line: number; field: string; message: string }[]) => {
        if (args.flags.has('json')) out(JSON.stringify({ ok: false, errors }, null, 2));
        process.stderr.write(`lab: invalid check spec:\n${errors.map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`).join('\n')}\n`);
        return 2;
      };
      if (!parsed.ok) return invalid(parsed.errors);
      const lab = resolveLab(args);
      const topo = readLabTopology(lab);
      const unknown = specNodeErrors(parsed.spec, topo);
      if (unknown.length) return invalid(unknown);
      const r = await runChecks(lab, topo, parsed.spec);
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatCheckReport(r));
      return r.ok ? 0 : 1;
    },
  },
  inject: {
    usage: 'lab inject [--at NODE] announce PREFIX... [--as-path "ASN ..."] [--next-hop A] [--med N] [--local-pref N] [--community ASN:V ...] [--origin igp|egp|incomplete] | withdraw PREFIX... | status | --clear [--json]',
    help: 'A scriptable BGP peer at an external node (with an asn) of the topology: announce prefixes with chosen attributes, withdraw them; --clear withdraws everything and removes the peer.',
    passthroughAfter: 0,
    async run(args) {
      const { formatInject, parseInjectArgs, runInject } = await import('./inject.js');
      const parsed = parseInjectArgs(args.positional);
      const lab = resolveLab({ positional: [], flags: new Map(parsed.lab !== undefined ? [['lab', parsed.lab]] : []) });
      const r = await runInject(lab, readLabTopology(lab), parsed);
      out(parsed.json ? JSON.stringify(r, null, 2) : formatInject(r));
      return r.notAnnounced?.length ? 1 : 0;
    },
  },
  reset: {
    usage: 'lab reset [--lab LAB] [--timeout S] [--json]',
    help: 'Back to the topology\'s start state without a teardown: inject peers removed, anycast failures recovered, interfaces up, router configs as the topology gives them (changed ones restarted), then wait for convergence.',
    async run(args) {
      const { formatReset, resetLab } = await import('./reset.js');
      const lab = resolveLab(args);
      const r = await resetLab(lab, readLabTopology(lab), { timeoutMs: Number(flag(args, 'timeout') ?? 60) * 1000 });
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatReset(r));
      return r.convergence?.converged === false ? 1 : 0;
    },
  },
  snapshot: {
    usage: 'lab snapshot [FILE] [--lab LAB] [--json]',
    help: 'Save every router\'s config (the JSON its process runs with) to FILE (default LAB-snapshot-DATE-TIME.json); edit a copy and restore it to change a running router.',
    async run(args) {
      const { defaultSnapshotFile, takeSnapshot, writeSnapshot } = await import('./snapshot.js');
      const lab = resolveLab(args);
      const file = args.positional[0] ?? defaultSnapshotFile(lab);
      const s = takeSnapshot(lab, readLabTopology(lab));
      writeSnapshot(file, s);
      const nodes = Object.keys(s.configs);
      out(args.flags.has('json') ? JSON.stringify({ file, nodes }) : `*** ${nodes.length} router config(s) saved to ${file}: ${nodes.join(' ')}`);
      return 0;
    },
  },
  restore: {
    usage: 'lab restore FILE [--lab LAB] [--timeout S] [--json]',
    help: 'Put back the router configs of a snapshot: every config is checked against the lab first; routers whose config differs are restarted with it; then wait for convergence.',
    async run(args) {
      const { formatApply, restoreSnapshot } = await import('./snapshot.js');
      const file = args.positional[0];
      if (!file) throw new LabError('usage: lab restore FILE [--lab LAB] [--timeout S] [--json]');
      const lab = resolveLab(args);
      const r = await restoreSnapshot(lab, readLabTopology(lab), file, Number(flag(args, 'timeout') ?? 60) * 1000);
      out(args.flags.has('json') ? JSON.stringify(r, null, 2) : formatApply(`restored ${file}`, r));
      return r.convergence?.converged === false ? 1 : 0;
    },
  },
  help: {
    usage: 'lab help',
    help: 'This list.',
    async run() {
      out(helpText());
      return 0;
    },
  },
};

export function helpText(): string {
  return [
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.help}`),
    `  lab ${SHELL_PROMPT_COMMANDS.join('|')} ... [--lab LAB]\n      The prompt's own commands, from the shell (see help at the lab> prompt).`,
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    out(`usage: lab COMMAND [ARGS]\n${helpText()}`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd && !SHELL_PROMPT_COMMANDS.includes(name)) {
    process.stderr.write(`lab: unknown command '${name}' (try: lab help)\n`);
    return 2;
  }
  try {
    if (!cmd) {
      // A prompt command (link, intfs, pingpair, source, time): run it on the lab named, as at its prompt.
      const isLab = (i: number) => rest[i] === '--lab' || rest[i - 1] === '--lab' || rest[i].startsWith('--lab=');
      const lab = resolveLab(parseArgs(rest.filter((_, i) => isLab(i))));
      return await runPromptCommand(lab, name, rest.filter((_, i) => !isLab(i)));
    }
    return await cmd.run(parseArgs(rest, cmd.passthroughAfter));
  } catch (err) {
    if (err instanceof TopologyValidationError) {
      process.stderr.write(`lab: invalid topology:\n${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`lab: ${err.message}\n`);
      return 1;
    }
    if (err instanceof LabError) {
      process.stderr.write(`lab: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const invokedAs = process.argv[1] ? basename(process.argv[1]) : '';
if (invokedAs === 'cli.js' || invokedAs === 'lab') {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`lab: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
