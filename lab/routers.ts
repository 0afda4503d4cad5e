/**
 * The lab's side of router and anycast-server processes: one JSON config per
 * node generated from the topology (src/router/config.ts is the contract),
 * one process per node started in its namespace, and readiness awaited on
 * its control socket. The lab never reaches into a router: it talks to it
 * through src/control/client.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/control/client.js';
import { controlSocketPath } from '../src/control/protocol.js';
import { ROUTER_NODE_FLAGS, type RouterConfig } from '../src/router/config.js';
import { labDir } from './journal.js';
import { namespaceName } from './plan.js';
import { distEntry, processAlive, spawnInNamespace, waitFor } from './processes.js';
import type { Topology, TopologyNode } from './topology/types.js';

/** Nodes that run our router process. */
export function routerNodes(topo: Topology): TopologyNode[] {
  return topo.nodes.filter((n) => n.kind === 'router' || n.kind === 'anycast-server');
}

export function controlSocketOf(lab: string, node: string): string {
  return controlSocketPath(labDir(lab), node);
}

export function routerConfigFor(lab: string, topo: Topology, node: TopologyNode): RouterConfig {
  if (node.kind !== 'router' && node.kind !== 'anycast-server') throw new Error(`${node.name} is not a router`);
  if (node.asn === undefined) throw new Error(`${node.name} has no ASN`);
  const v6Of = (ifname: string) => node.interfaces.find((i) => i.name === ifname)?.ipv6?.split('/')[0];
  return {
    version: 1,
    lab,
    node: node.name,
    kind: node.kind,
    asn: node.asn,
    routerId: node.routerId ?? node.interfaces.find((i) => i.ipv4)?.ipv4?.split('/')[0] ?? '0.0.0.0',
    dataplane: node.kind === 'router' ? node.dataplane ?? topo.defaults.dataplane : 'kernel',
    ...(node.frameIo ? { frameIo: node.frameIo } : {}),
    controlSocket: controlSocketOf(lab, node.name),
    interfaces: node.interfaces.map((i) => ({ name: i.name, ipv4: i.ipv4, ipv6: i.ipv6, mtu: i.mtu })),
    neighbors: (node.neighbors ?? []).map((n) => ({ ...n, localAddress6: n.localAddress6 ?? v6Of(n.interface) })),
    networks: node.networks ?? [],
    staticRoutes: node.staticRoutes ?? [],
    originateConnected: node.kind === 'router' ? node.originateConnected ?? true : false,
    multipath: node.multipath ?? false,
    anycast: node.anycast,
  };
}

/** Writes a router's config where the lab keeps it and starts its process in the node's namespace (journaled). */
export function spawnRouterProcess(lab: string, node: TopologyNode, cfg: RouterConfig): { pid: number; log: string } {
  const file = join(labDir(lab), `${node.name}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 1));
  return spawnInNamespace(lab, namespaceName(lab, node.name), node.name, node.kind, [process.execPath, ...ROUTER_NODE_FLAGS, distEntry('src/router/main.js'), file]);
}

/** Waits until a just-started router answers on its control socket; fails at once if its process exits. */
export async function waitForControlSocket(lab: string, name: string, p: { pid: number; log: string }): Promise<void> {
  await waitFor(`${name}'s control socket`, async () => {
    if (!processAlive(p.pid)) throw new Error(`${name}'s process exited: see ${p.log}`);
    try {
      const c = await ControlClient.connect(controlSocketOf(lab, name), 500);
      c.close();
      return true;
    } catch {
      return false;
    }
  }, 20_000);
}

/** Starts every router/server process and waits until each answers on its control socket. */
export async function startRouters(lab: string, topo: Topology, progress: (done: number, total: number) => void = () => {}): Promise<void> {
  const nodes = routerNodes(topo);
  const started = nodes.map((node) => ({ node, p: spawnRouterProcess(lab, node, routerConfigFor(lab, topo, node)) }));
  let done = 0;
  await Promise.all(
    started.map(async ({ node, p }) => {
      await waitForControlSocket(lab, node.name, p);
      progress(++done, started.length);
    }),
  );
}

/** Connects to a node's control socket (the caller closes it). */
export async function controlOf(lab: string, node: string): Promise<ControlClient> {
  return ControlClient.connect(controlSocketOf(lab, node));
}
