/**
 * `iperf` and `iperfudp` between two hosts, as Mininet's CLI has them, with
 * Debian's iperf3: a one-off server (`iperf3 -s -1`) in one namespace, the
 * client (`iperf3 -c ADDRESS -J`) in the other, the JSON result read back.
 * TCP reports what the sender sent and the receiver received; UDP at a
 * given rate reports what arrived and the loss.
 *
 * Not here: parallel streams, reverse mode, IPv6 (the hosts' first IPv4
 * addresses are used, as Mininet does).
 */
import { execa } from 'execa';
import { endSystems, findNode, firstIpv4, LabError } from './lab.js';
import { namespaceName } from './plan.js';
import type { Topology, TopologyNode } from './topology/types.js';

export interface IperfResult {
  readonly client: string;
  readonly server: string;
  readonly protocol: 'tcp' | 'udp';
  readonly seconds: number;
  /** TCP: bits per second sent by the client; UDP: the offered rate achieved. */
  readonly sentBps: number;
  /** Bits per second that reached the server. */
  readonly receivedBps: number;
  /** UDP only: datagrams lost, percent. */
  readonly lostPercent?: number;
}

const PORT = 5201;

/** "10M", "500k", "1G" or plain bits per second; undefined when not a rate. */
export function parseBandwidth(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** Mininet's format: "94.1 Mbits/sec". */
export function formatBps(bps: number): string {
  const units = ['bits/sec', 'Kbits/sec', 'Mbits/sec', 'Gbits/sec'];
  let v = bps;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** The two hosts: those named, else the first and last end systems (Mininet's default). */
export function iperfPair(topo: Topology, names: readonly string[]): [TopologyNode, TopologyNode] {
  if (names.length === 1 || names.length > 2) throw new LabError('name two hosts, or none for the first and the last');
  if (names.length === 2) return [findNode(topo, names[0]), findNode(topo, names[1])];
  const hosts = endSystems(topo);
  if (hosts.length < 2) throw new LabError('iperf needs two hosts');
  return [hosts[0], hosts[hosts.length - 1]];
}

async function listening(lab: string, node: string): Promise<boolean> {
  const r = await execa('ip', ['netns', 'exec', namespaceName(lab, node), 'ss', '-Hltn', `sport = :${PORT}`], { reject: false });
  return String(r.stdout).trim().length > 0;
}

/** Runs one iperf3 test from `client` to `server`; `udpBps` makes it UDP at that rate. */
export async function iperf(lab: string, client: TopologyNode, server: TopologyNode, opts: { seconds?: number; udpBps?: number } = {}): Promise<IperfResult> {
  if (client.name === server.name) throw new LabError('iperf needs two different hosts');
  const address = firstIpv4(server);
  if (!address) throw new LabError(`${server.name} has no IPv4 address`);
  const seconds = opts.seconds ?? 3;
  const srv = execa('ip', ['netns', 'exec', namespaceName(lab, server.name), 'iperf3', '-s', '-1', '-p', String(PORT)], { reject: false });
  try {
    const t0 = Date.now();
    while (!(await listening(lab, server.name))) {
      if (srv.exitCode !== null || srv.killed) throw new LabError(`iperf3 server on ${server.name} exited: ${String((await srv).stderr).trim()}`);
      if (Date.now() - t0 > 5000) throw new LabError(`iperf3 server on ${server.name} is not listening after 5 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const udp = opts.udpBps !== undefined;
    const argv = ['netns', 'exec', namespaceName(lab, client.name), 'iperf3', '-c', address, '-p', String(PORT), '-t', String(seconds), '-J', ...(udp ? ['-u', '-b', String(Math.round(opts.udpBps!))] : [])];
    const r = await execa('ip', argv, { reject: false, timeout: (seconds + 15) * 1000 });
    let j: { error?: string; end?: { sum_sent?: { bits_per_second: number }; sum_received?: { bits_per_second: number }; sum?: { bits_per_second: number; lost_percent: number } } };
    try {
      j = JSON.parse(String(r.stdout));
    } catch {
      throw new LabError(`iperf3 from ${client.name} to ${server.name} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
    }
    if (j.error) throw new LabError(`iperf3 from ${client.name} to ${server.name}: ${j.error}`);
    if (udp) {
      // UDP: sum_sent is what the client sent, sum_received (iperf3 3.9+) or sum what the server counted.
      const sent = j.end?.sum_sent?.bits_per_second ?? j.end?.sum?.bits_per_second ?? 0;
      const sum = j.end?.sum;
      const lost = sum?.lost_percent ?? 0;
      const received = j.end?.sum_received?.bits_per_second ?? (sum ? sum.bits_per_second * (1 - lost / 100) : 0);
      return { client: client.name, server: server.name, protocol: 'udp', seconds, sentBps: sent, receivedBps: received, lostPercent: lost };
    }
    return { client: client.name, server: server.name, protocol: 'tcp', seconds, sentBps: j.end?.sum_sent?.bits_per_second ?? 0, receivedBps: j.end?.sum_received?.bits_per_second ?? 0 };
  } finally {
    if (srv.exitCode === null) srv.kill('SIGTERM');
    await srv;
  }
}

/** Mininet's line: `*** Results: ['93.9 Mbits/sec', '94.1 Mbits/sec']` (server, client), plus UDP loss. */
export function formatIperf(r: IperfResult): string {
  const head = `*** Iperf: testing ${r.protocol.toUpperCase()} bandwidth between ${r.client} and ${r.server} (${r.seconds} s)`;
  const res = `*** Results: ['${formatBps(r.receivedBps)}', '${formatBps(r.sentBps)}']${r.lostPercent !== undefined ? `, ${r.lostPercent.toFixed(2)}% lost` : ''}`;
  return `${head}\n${res}\n`;
}
