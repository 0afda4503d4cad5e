/**
 * Text output in Mininet's formats (`nodes`, `net`, `links`, `dump`,
 * `pingall`), from a topology value. Pure.
 */
import type { Topology, TopologyNode } from './topology/types.js';

/** Mininet's naturalSeq: digits compare as numbers ("h2" < "h10"). */
export function naturalKey(s: string): (string | number)[] {
  return s.split(/(\d+)/).filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function naturalCompare(a: string, b: string): number {
  const ka = naturalKey(a), kb = naturalKey(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    const x = ka[i], y = kb[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return ka.length - kb.length;
}

export function formatNodes(topo: Topology): string {
  const names = topo.nodes.map((n) => n.name).sort();
  return `available nodes are: \n${names.join(' ')}\n`;
}

/**
 * Like Mininet's dumpNodeConnections over hosts, then switches, then the
 * rest: `h1 h1-eth0:s1-eth1`. Switches list `lo:` first.
 */
export function formatNet(topo: Topology): string {
  const order = (n: TopologyNode) => (n.kind === 'host' ? 0 : n.kind === 'switch' ? 1 : 2);
  const nodes = [...topo.nodes].sort((a, b) => order(a) - order(b) || naturalCompare(a.name, b.name));
  return nodes
    .map((n) => {
      const parts = n.interfaces.map((i) => ` ${i.name}:${i.peerInterface}`);
      if (n.kind === 'switch') parts.unshift(' lo: ');
      return n.name + parts.join('');
    })
    .join('\n') + '\n';
}

/** Links in Mininet's order (topology links sorted naturally by (node1, node2)) with their interface pairs. */
export function sortedLinks(topo: Topology): { a: string; b: string; aNode: string; bNode: string }[] {
  return [...topo.links]
    .sort((x, y) => naturalCompare(x.a.node, y.a.node) || naturalCompare(x.b.node, y.b.node))
    .map((l) => ({ a: l.a.interface, b: l.b.interface, aNode: l.a.node, bNode: l.b.node }));
}

export function formatLinks(topo: Topology, status: (node: string, intf: string) => string = () => 'OK'): string {
  return sortedLinks(topo).map((l) => `${l.a}<->${l.b} (${status(l.aNode, l.a)} ${status(l.bNode, l.b)})`).join('\n') + '\n';
}

export function formatDump(topo: Topology, pidOf: (node: string) => number | undefined = () => undefined): string {
  return topo.nodes
    .map((n) => {
      const intfs = n.interfaces.map((i) => `${i.name}:${i.ipv4 ?? 'None'}`).join(',');
      const pid = pidOf(n.name);
      return `<${kindClass(n)} ${n.name}: ${intfs}${pid ? ` pid=${pid}` : ''}>`;
    })
    .join('\n') + '\n';
}

function kindClass(n: TopologyNode): string {
  switch (n.kind) {
    case 'host': return 'Host';
    case 'switch': return 'LinuxBridge';
    case 'router': return 'Router';
    case 'anycast-server': return 'AnycastServer';
    case 'external': return 'External';
    case 'bird': return 'Bird';
    case 'frr': return 'Frr';
  }
}

export interface PingResult { readonly from: string; readonly to: string; readonly ok: boolean }

export function formatPingall(nodes: readonly string[], results: readonly PingResult[]): string {
  const ok = new Map(results.map((r) => [`${r.from}>${r.to}`, r.ok]));
  const lines = ['*** Ping: testing ping reachability'];
  for (const a of nodes) {
    const row = nodes.filter((b) => b !== a).map((b) => (ok.get(`${a}>${b}`) ? b : 'X'));
    lines.push(`${a} -> ${row.join(' ')}`);
  }
  const sent = results.length, received = results.filter((r) => r.ok).length;
  const dropped = sent === 0 ? 0 : Math.round((100 * (sent - received)) / sent);
  lines.push(`*** Results: ${dropped}% dropped (${received}/${sent} received)`);
  return lines.join('\n') + '\n';
}
