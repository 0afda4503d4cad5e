/**
 * A Mininet script runs our routers: lab/mininet/example_chain.py builds
 * h1 - r1 - r2 - r3 - h2 with Debian's mininet (/usr/bin/python3, Linux
 * bridges, no controller) and lab/mininet/anycast_lab.py's AnycastLabRouter,
 * waits for BGP, and pings h2 from h1; lab/mininet/example_anycast.py builds
 * two anycast sites (AnycastLabServer) and moves the client from the nearer
 * to the other when the nearer one's service stops.
 *
 * Containment: the script runs in a network namespace of its own (Mininet's
 * root-namespace side never touches the host's links) and in a PID
 * namespace of its own (`unshare --pid --fork --kill-child`): when its first
 * process ends, for any reason, the kernel kills every router and Mininet
 * shell it started. The namespace is deleted pass or fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, hostSnapshot, isRoot, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
const mininet = existsSync('/usr/lib/python3/dist-packages/mininet/net.py');
const ns = uniqueLabName('mn');
let dir = '';
let before: Record<string, string> = {};

/** Runs an example script in its own network and PID namespaces; never rejects. */
async function runExample(script: string, args: string[] = []) {
  return execa('ip', ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', '/usr/bin/python3', `lab/mininet/${script}`, ...args], {
    cwd: ROOT,
    reject: false,
    all: true,
    timeout: 90_000,
    env: { ANYCAST_LAB_MININET_DIR: dir },
  });
}

/** Pids of processes still running our router with a config from this test's directory. */
async function leftoverRouters(): Promise<string[]> {
  const r = await execa('pgrep', ['-f', `${dir}/`], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}

beforeAll(async () => {
  if (!root || !mininet) return;
  await ensureBuilt();
  before = await hostSnapshot();
  dir = mkdtempSync('/tmp/anycast-lab-mininet-test-');
  await execa('ip', ['netns', 'add', ns]);
});

afterAll(async () => {
  if (!root || !mininet) return;
  await execa('ip', ['netns', 'del', ns], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(root && mininet)('Mininet script with AnycastLabRouter (root)', () => {
  it('example_chain.py: three of our routers in AS 65001-65003 converge and h1 pings h2 across them', async () => {
    const r = await runExample('example_chain.py', ['--count', '3']);
    const out = String(r.all);
    expect(r.exitCode, out).toBe(0);
    expect(out).toMatch(/\*\*\* Converged in [\d.]+ s/);
    // r1 learned h2's subnet over BGP from r2.
    expect(out).toMatch(/^10\.0\.2\.0\/24 via 10\.0\.12\.2 dev r1-eth1/m);
    // Three replies, each having crossed three routers (64 - 3 = 61).
    expect(out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(out.match(/bytes from 10\.0\.2\.2: icmp_seq=\d+ ttl=61 /g)).toHaveLength(3);
    // Transit went through r2's userspace data plane (its kernel does not forward).
    const fwd = Number(/\*\*\* r2 forwarded (\d+) packets in userspace/.exec(out)?.[1]);
    expect(fwd).toBeGreaterThanOrEqual(6);
    expect(out).toMatch(/\*\*\* h1 -> h2: OK/);
    // The configs the module wrote follow the chain: r2 peers with r1 and r3 over eBGP.
    const cfg = JSON.parse(readFileSync(`${dir}/r2.json`, 'utf8')) as { asn: number; neighbors: { node: string; address: string; remoteAs: number; kind: string }[] };
    expect(cfg.asn).toBe(65002);
    expect(cfg.neighbors.map((n) => [n.node, n.address, n.remoteAs, n.kind])).toEqual([
      ['r1', '10.0.12.1', 65001, 'ebgp'],
      ['r3', '10.0.23.2', 65003, 'ebgp'],
    ]);
    // Mininet stopped the routers: no process left, and the host's own links and routes are as they were.
    expect(await leftoverRouters()).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });

  it('example_anycast.py: the nearer site s1 answers id.server; when its service stops, s2 does', async () => {
    const r = await runExample('example_anycast.py');
    const out = String(r.all);
    // On failure, say what each process logged (the run directory is removed afterwards).
    const logs = () => ['s1-health', 's2-health', 's1', 's2', 'r1', 'r2']
      .map((n) => { try { return `--- ${n}.log\n${readFileSync(`${dir}/${n}.log`, 'utf8').split('\n').slice(-25).join('\n')}`; } catch { return `--- ${n}.log: none`; } })
      .join('\n');
    expect(r.exitCode, r.exitCode === 0 ? out : `${out}\n${logs()}`).toBe(0);
    // r1 first forwards 192.0.2.0/24 to s1 (its own site), then via r2 (to s2).
    const routes = [...out.matchAll(/^192\.0\.2\.0\/24 via (\S+) dev (\S+) proto bgp/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(routes).toEqual(['10.0.13.2 r1-eth2', '10.0.12.2 r1-eth1']);
    expect(out).toMatch(/client asks 192\.0\.2\.53: id\.server is "s1"\n\*\*\* s1: service stopped\n\*\*\* client asks 192\.0\.2\.53: id\.server is "s2" \(after [\d.]+ s\)/);
    // Each site's configs: a kernel-forwarding-free BGP speaker announcing only the anycast prefix once healthy.
    const cfg = JSON.parse(readFileSync(`${dir}/s1.json`, 'utf8')) as { kind: string; originateConnected: boolean; anycast: { addresses: string[]; prefixes: string[] } };
    expect(cfg).toMatchObject({ kind: 'anycast-server', originateConnected: false, anycast: { addresses: ['192.0.2.53'], prefixes: ['192.0.2.0/24'] } });
    expect(readFileSync(`${dir}/s1-health.log`, 'utf8')).toMatch(/verdict up -> down: 3 probes in a row unanswered \(fall 3\)\n.*router confirms: prefixes withdrawn/);
    expect(await leftoverRouters()).toEqual([]);
  });
});

