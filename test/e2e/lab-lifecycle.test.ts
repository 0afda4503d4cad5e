/**
 * The orchestrator end to end, as root, in real namespaces: Mininet topologies
 * up, pingall, links as Mininet lists them, link delay, teardown leaving the
 * host exactly as before, and `lab clean` after a SIGKILL mid-deploy.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, hostSnapshot, isolateRunDir, isRoot, lab, labNamespaces, namespaceList, uniqueLabName } from './helpers.js';

const root = isRoot();
let iso: { dir: string; cleanup: () => void };
const labsMade: string[] = [];

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
});

afterAll(async () => {
  if (!root) return;
  await lab(['clean'], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('lab lifecycle (root)', () => {
  it('linear,4: up, pingall 0% dropped, down leaves host netns, links, routes and sysctls as before', async () => {
    const before = await hostSnapshot();
    const nsBefore = await namespaceList();
    const name = uniqueLabName('t');
    labsMade.push(name);
    const up = await lab(['up', '--topo', 'linear,4', '--name', name]);
    expect(up.stdout).toMatch(/lab .* up: 8 nodes, 7 links in [\d.]+ s/);
    expect((await labNamespaces(name)).sort()).toEqual([`${name}-h1`, `${name}-h2`, `${name}-h3`, `${name}-h4`, `${name}-s1`, `${name}-s2`, `${name}-s3`, `${name}-s4`].sort());
    // Offloads are off on a veth end.
    const k = await execa('ip', ['netns', 'exec', `${name}-h1`, 'ethtool', '-k', 'h1-eth0']);
    expect(k.stdout).toMatch(/tx-checksumming: off/);
    expect(k.stdout).toMatch(/generic-segmentation-offload: off/);
    const ping = await lab(['pingall', '--lab', name]);
    expect(ping.stdout).toContain('*** Results: 0% dropped (12/12 received)');
    const status = JSON.parse((await lab(['status', '--lab', name, '--json'])).stdout);
    expect(status[0].nodes.every((n: { present: boolean }) => n.present)).toBe(true);
    await lab(['down', name]);
    expect(await labNamespaces(name)).toEqual([]);
    expect(await namespaceList()).toEqual(expect.arrayContaining(nsBefore));
    expect(await hostSnapshot()).toEqual(before);
  });

  it('a second lab with the same name is refused while the first is up', async () => {
    const name = uniqueLabName('t');
    await lab(['up', '--topo', 'single,2', '--name', name]);
    const again = await lab(['up', '--topo', 'single,2', '--name', name], { reject: false });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already up/);
    await lab(['down', name]);
  });

  it('SIGKILL of lab up in the middle of a 20-node deploy, then lab clean: nothing left', async () => {
    const before = await hostSnapshot();
    const name = uniqueLabName('k');
    const child = execa(process.execPath, [CLI, 'up', '--topo', 'linear,10', '--name', name], {
      reject: false,
      env: { ANYCAST_LAB_RUN_DIR: process.env.ANYCAST_LAB_RUN_DIR },
    });
    // Wait until some of its namespaces exist, then kill it mid-deploy.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await labNamespaces(name)).length < 5) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await child;
    expect((await labNamespaces(name)).length).toBeGreaterThan(0);
    const clean = await lab(['clean']);
    expect(clean.stdout).toContain(`cleaned ${name}`);
    expect(await labNamespaces(name)).toEqual([]);
    expect(existsSync(`${process.env.ANYCAST_LAB_RUN_DIR}/${name}`)).toBe(false);
    expect(await hostSnapshot()).toEqual(before);
    // Idempotent: a second clean finds nothing.
    expect((await lab(['clean'])).stdout).toContain('nothing to clean');
  });

  it('a link with 20 ms delay each way shows about 40 ms RTT', async () => {
    const name = uniqueLabName('d');
    const file = `${process.env.ANYCAST_LAB_RUN_DIR}/delay.yaml`;
    writeFileSync(file, ['name: delay', 'nodes:', '  h1: {kind: host}', '  h2: {kind: host}', 'links:', '  - endpoints: [h1, h2]', '    delay: 20ms', ''].join('\n'));
    await lab(['up', file, '--name', name]);
    try {
      const topo = JSON.parse((await lab(['status', '--lab', name, '--json'])).stdout);
      expect(topo[0].nodes).toHaveLength(2);
      await lab(['exec', '--lab', name, 'h1', 'ping', '-c', '1', '-n', '10.0.0.1']); // neighbours resolved first
      const r = await lab(['exec', '--lab', name, 'h1', 'ping', '-c', '5', '-i', '0.2', '-n', '10.0.0.1']);
      const [min, avg] = /= ([\d.]+)\/([\d.]+)\//.exec(r.stdout)!.slice(1).map(Number);
      expect(min).toBeGreaterThan(39);
      expect(avg).toBeLessThan(55);
    } finally {
      await lab(['down', name]);
    }
  });
});

describe.runIf(root)('links as Mininet lists them (root, mininet installed)', () => {
  const mnInstalled = existsSync('/usr/bin/mn');
  for (const spec of ['single,3', 'linear,4', 'tree,depth=2,fanout=2']) {
    it.runIf(mnInstalled)(`${spec}: same interface pairs as mn --switch lxbr --controller none`, async () => {
      // Mininet runs inside a namespace of its own so that its bridges never touch the host.
      const iso = uniqueLabName('mn');
      await execa('ip', ['netns', 'add', iso]);
      let mnLinks: string[];
      try {
        const r = await execa('ip', ['netns', 'exec', iso, '/usr/bin/python3', '/usr/bin/mn', '--topo', spec, '--switch', 'lxbr', '--controller', 'none'], { input: 'links\nexit\n', reject: false, timeout: 60_000, all: true });
        mnLinks = [...String(r.all).matchAll(/(\S+-eth\d+<->\S+-eth\d+)/g)].map((m) => m[1]);
      } finally {
        await execa('ip', ['netns', 'del', iso], { reject: false });
      }
      expect(mnLinks.length).toBeGreaterThan(0);
      const name = uniqueLabName('m');
      await lab(['up', '--topo', spec, '--name', name]);
      try {
        const ours = [...(await lab(['links', '--lab', name])).stdout.matchAll(/(\S+-eth\d+<->\S+-eth\d+) \(OK OK\)/g)].map((m) => m[1]);
        expect(ours).toEqual(mnLinks);
      } finally {
        await lab(['down', name]);
      }
    });
  }
});
