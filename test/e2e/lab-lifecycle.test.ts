/**
 * The orchestrator end to end, as root, in real namespaces: Mininet topologies
 * up, pingall, links as Mininet lists them, link delay, teardown leaving the
 * host exactly as before, and `lab clean` after a SIGKILL mid-deploy.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, hostSnapshot, isolateRunDir, isRoot, lab, labNamespaces, namespaceList, uniqueLabName } from './helpers.js';

const root = isRoot();

/** A namespace that is not the lab's: teardown must leave it alone. */
const canaries: string[] = [];
async function makeCanary(): Promise<string> {
  const canary = uniqueLabName('canary');
  canaries.push(canary);
  await execa('ip', ['netns', 'add', canary]);
  return canary;
}
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
  for (const c of canaries) await execa('ip', ['netns', 'del', c], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('lab lifecycle (root)', () => {
  it('linear,4: up, pingall 0% dropped, down leaves host netns, links, routes and sysctls as before', async () => {
    const before = await hostSnapshot();
    const canary = await makeCanary();
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
    expect(await namespaceList()).toContain(canary);
    await execa('ip', ['netns', 'del', canary]); // before the snapshot: it was made after `before`
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

  it('SIGKILL of lab up in the middle of a 20-node deploy (10 routers, 10 hosts), then lab clean: nothing left', async () => {
    const before = await hostSnapshot();
    const canary = await makeCanary();
    const name = uniqueLabName('k');
    const file = `${process.env.ANYCAST_LAB_RUN_DIR}/twenty.yaml`;
    const nodes = Array.from({ length: 10 }, (_, i) => [`  r${i + 1}: {kind: router, asn: ${65001 + i}}`, `  h${i + 1}: host`]).flat();
    const links = Array.from({ length: 10 }, (_, i) => [`  - [h${i + 1}, r${i + 1}]`, ...(i ? [`  - [r${i}, r${i + 1}]`] : [])]).flat();
    writeFileSync(file, ['name: twenty', 'nodes:', ...nodes, 'links:', ...links, ''].join('\n'));
    const child = execa(process.execPath, [CLI, 'up', file, '--name', name], { reject: false, env: { ANYCAST_LAB_RUN_DIR: process.env.ANYCAST_LAB_RUN_DIR } });
    // Kill it once it has started router processes (journaled), before it has finished.
    const journal = `${process.env.ANYCAST_LAB_RUN_DIR}/${name}/journal.jsonl`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(existsSync(journal) && readFileSync(journal, 'utf8').includes('"type":"process"'))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await child;
    const entries = readFileSync(journal, 'utf8');
    expect(entries).toContain('"type":"process"');
    expect(entries).not.toContain('"type":"up"'); // it really was mid-deploy
    expect((await labNamespaces(name)).length).toBe(20);
    const clean = await lab(['clean']);
    expect(clean.stdout).toContain(`cleaned ${name}`);
    expect(await labNamespaces(name)).toEqual([]);
    expect(existsSync(`${process.env.ANYCAST_LAB_RUN_DIR}/${name}`)).toBe(false);
    // No process of the lab survives: every journaled PID is gone.
    for (const line of entries.split('\n').filter((l) => l.includes('"type":"process"'))) {
      const pid = JSON.parse(line).pid as number;
      expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    }
    expect(await namespaceList()).toContain(canary); // clean removes only what journals name
    await execa('ip', ['netns', 'del', canary]);
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
      const [min] = /= ([\d.]+)\/([\d.]+)\//.exec(r.stdout)!.slice(1).map(Number);
      expect(min).toBeGreaterThan(39);
      expect(min).toBeLessThan(50);
    } finally {
      await lab(['down', name]);
    }
  });
  it('a Mininet custom topology file (test/fixtures/mininet-custom.py) imports and runs, its link options applied', async () => {
    const name = uniqueLabName('c');
    const up = await lab(['up', '--custom', 'test/fixtures/mininet-custom.py', '--topo', 'dumbbell', '--name', name]);
    expect(up.stdout).toMatch(/up: 6 nodes, 5 links/);
    try {
      const links = (await lab(['links', '--lab', name])).stdout;
      expect(links).toContain('s1-eth3<->s2-eth1 (OK OK)');
      // h1 (10.0.0.101, as the file says) to h3 across the 5 ms ± 1 ms bottleneck: RTT at least 2 × (5 − 1) = 8 ms
      // (jitter can take up to 1 ms off each direction); the link has 2% loss, so some of 10 may be lost.
      const r = await lab(['exec', '--lab', name, 'h1', 'ping', '-c', '10', '-i', '0.1', '-n', '10.0.0.3'], { reject: false });
      const m = /= ([\d.]+)\/([\d.]+)\//.exec(String(r.stdout));
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(8);
      expect(String((await lab(['dump', '--lab', name])).stdout)).toContain('h1-eth0:10.0.0.101/8');
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
