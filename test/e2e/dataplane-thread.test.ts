// The data plane in its own worker thread (root). Three parts:
//
// 1. DataplaneThread hosted in this test process, its worker opening
//    AF_PACKET ports inside r1's namespace of a chain
//      client (cl0) ── (r1a) r1 (r1b) ── (sv0) server
//    forwards with routes fed through its RouteSink; a UDP ping-pong
//    client → server keeps answering while 100,000 route changes are
//    posted to the thread (the burst that used to stall forwarding for
//    ~200 ms when the FIB lived on the forwarding thread), and the burst's
//    last route forwards afterwards. A process whose worker still polls
//    its ports exits cleanly (the addon's async cleanup hook).
// 2. The router process: it exits non-zero with the thread's error when an
//    interface cannot be opened.
// 3. A lab of router processes: an injector peer sends r1 20,000 prefixes
//    over BGP while a UDP ping-pong crosses r1; it is answered throughout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { getPriority } from 'node:os';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneThread } from '../../src/dataplane/dataplane-thread.js';
import { parsePrefix } from '../../src/lib/prefix.js';
import type { NextHop, RouteChange } from '../../src/router/route-table.js';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
const id = randomBytes(3).toString('hex');
const NS = { cl: `dt-${id}-cl`, r1: `dt-${id}-r1`, sv: `dt-${id}-sv`, bad: `dt-${id}-bad` };
const created: string[] = [];
const PINGPONG = join(ROOT, 'dist/bench/lib/udp-pingpong.js');
const PEER = join(ROOT, 'dist/bench/lib/bgp-bench-peer.js');

async function ip(...args: string[]): Promise<string> {
  return String((await execa('ip', args)).stdout);
}

async function inNs(ns: string, argv: string[], reject = true) {
  return execa('ip', ['netns', 'exec', ns, ...argv], { reject, timeout: 60_000 });
}

async function veth(nsA: string, a: string, nsB: string, b: string): Promise<void> {
  await ip('-n', nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
  for (const [ns, dev] of [[nsA, a], [nsB, b]]) {
    await inNs(ns, ['ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    await ip('-n', ns, 'link', 'set', dev, 'up');
  }
}

/** A child process in a namespace, read line by line (the bench's ping-pong and peer speak JSON lines). */
class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  private err = '';

  constructor(ns: string, argv: string[]) {
    this.proc = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.lines.push(l));
    this.proc.stderr!.on('data', (d: Buffer) => { this.err = (this.err + String(d)).slice(-2000); });
  }

  async line(pred: (l: string) => boolean, ms: number, what: string): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const l = this.lines.find(pred);
      if (l !== undefined) return l;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${what}: exited ${this.err.trim()}`);
      if (Date.now() > end) throw new Error(`${what}: timed out ${this.err.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(l: string): void {
    this.proc.stdin?.write(l + '\n');
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill();
  }
}

interface PingResult { samples: Array<[number, number]>; lost: number }
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs a sequential UDP ping-pong from `fromNs` to `host` (echo in `echoNs`) around `during`. */
async function pingPongAround(fromNs: string, echoNs: string, host: string, during: () => Promise<void>): Promise<{ res: PingResult; from: number; to: number }> {
  const echo = new Child(echoNs, [process.execPath, PINGPONG, 'echo', '7007']);
  let client: Child | undefined;
  try {
    await echo.line((l) => l === 'ready', 10_000, 'echo');
    client = new Child(fromNs, [process.execPath, PINGPONG, 'client', host, '7007', '0']);
    await client.line((l) => l === 'ready', 10_000, 'ping client');
    await new Promise((r) => setTimeout(r, 500));
    const from = nowUs();
    await during();
    const to = nowUs();
    await new Promise((r) => setTimeout(r, 300));
    client.send('stop');
    const res = JSON.parse(await client.line((l) => l.startsWith('{'), 10_000, 'ping result')) as PingResult;
    return { res, from, to };
  } finally {
    client?.kill();
    echo.kill();
  }
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? NaN;
}

const route = (prefix: string, nextHops: NextHop[], action: RouteChange['action'] = 'add'): RouteChange => {
  const p = parsePrefix(prefix);
  if (!p.ok) throw new Error(p.error);
  return { action, route: { prefix: p.value, source: prefix.startsWith('10.') ? 'connected' : 'bgp', nextHops } };
};

let dp: DataplaneThread | undefined;
const failures: Error[] = [];

beforeAll(async () => {
  if (!root) return;
  await ensureBuilt();
  for (const ns of Object.values(NS)) {
    await ip('netns', 'add', ns);
    created.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await inNs(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0']);
  }
  await veth(NS.cl, 'cl0', NS.r1, 'r1a');
  await veth(NS.r1, 'r1b', NS.sv, 'sv0');
  await ip('-n', NS.cl, 'addr', 'add', '10.1.0.2/24', 'dev', 'cl0');
  await ip('-n', NS.r1, 'addr', 'add', '10.1.0.1/24', 'dev', 'r1a');
  await ip('-n', NS.r1, 'addr', 'add', '10.3.0.1/24', 'dev', 'r1b');
  await ip('-n', NS.sv, 'addr', 'add', '10.3.0.2/24', 'dev', 'sv0');
  await ip('-n', NS.sv, 'addr', 'add', '198.51.100.1/32', 'dev', 'lo');
  await ip('-n', NS.cl, 'route', 'add', 'default', 'via', '10.1.0.1');
  await ip('-n', NS.sv, 'route', 'add', 'default', 'via', '10.3.0.1');
  dp = await DataplaneThread.start({
    netns: `/run/netns/${NS.r1}`,
    interfaces: [{ name: 'r1a', ipv4: ['10.1.0.1/24'] }, { name: 'r1b', ipv4: ['10.3.0.1/24'] }],
    onFailure: (e) => failures.push(e),
  });
  dp.apply(route('10.1.0.0/24', [{ interface: 'r1a' }]));
  dp.apply(route('10.3.0.0/24', [{ interface: 'r1b' }]));
  await dp.settled();
}, 60_000);

afterAll(async () => {
  await dp?.close();
  for (const ns of created) await execa('ip', ['netns', 'delete', ns], { reject: false });
});

describe.skipIf(!root)('the data plane in a worker thread', () => {
  it('forwards; counters and neighbours come back from the thread', async () => {
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '10.3.0.2'], false);
    expect(String(out.stdout)).toMatch(/3 received/);
    const c = await dp!.counters();
    expect(c.interfaces.find((i) => i.name === 'r1b')!.forwarded).toBeGreaterThanOrEqual(3);
    expect(c.ports.r1a.rxFrames).toBeGreaterThanOrEqual(3);
    expect((await dp!.neighbors()).map((n) => n.address).sort()).toEqual(['10.1.0.2', '10.3.0.2']);
    expect(await dp!.setTraceFilter({ src: 'nonsense' })).toMatchObject({ ok: false });
  });

  it('the thread runs at a higher priority than the process (nice 5 lower, as root)', () => {
    expect(dp!.nice).toBe(Math.max(-20, getPriority(0) - 5));
  });

  it('a UDP ping-pong through r1 keeps answering while 100,000 route changes arrive; the burst\'s last route forwards after', async () => {
    // 99,999 /32s toward the server, in 50 batches as the router's BGP slices post them, then one /24.
    let applied = 0;
    const { res, from, to } = await pingPongAround(NS.cl, NS.sv, '10.3.0.2', async () => {
      const before = (await dp!.settled()).applied;
      const hops: NextHop[] = [{ via: '10.3.0.2', interface: 'r1b' }];
      for (let b = 0; b < 50; b++) {
        for (let i = 0; i < 2000; i++) {
          const n = b * 2000 + i;
          if (n === 99_999) break;
          dp!.apply(route(`100.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}/32`, hops));
        }
        await new Promise((r) => setImmediate(r));
      }
      dp!.apply(route('198.51.100.0/24', hops));
      applied = (await dp!.settled()).applied - before;
    });
    expect(applied).toBe(100_000);
    const during = res.samples.filter(([t]) => t >= from && t <= to).map(([, rtt]) => rtt);
    process.stdout.write(`burst of 100,000 changes: ${((to - from) / 1000).toFixed(0)} ms, ${during.length} probes, p99 ${p99(during)} µs, max ${Math.max(...during)} µs, lost ${res.lost}\n`);
    expect(res.lost).toBe(0);
    expect(during.length).toBeGreaterThanOrEqual(20);
    // Applied on the forwarding thread through src/fib's Fib, these changes
    // took about a second in one piece; the bound leaves room for a loaded machine.
    expect(p99(during)).toBeLessThan(50_000);
    const out = await inNs(NS.cl, ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', '198.51.100.1'], false);
    expect(String(out.stdout)).toMatch(/2 received/);
    expect(failures).toEqual([]);
  }, 120_000);

  it('a process exits cleanly while its worker polls its ports, and survives the worker being terminated', async () => {
    const dir = mkdtempSync('/tmp/dt-exit-');
    const file = join(dir, 'exit.mjs');
    writeFileSync(file, [
      `import { DataplaneThread } from ${JSON.stringify(join(ROOT, 'dist/src/dataplane/dataplane-thread.js'))};`,
      `const dp = await DataplaneThread.start({ interfaces: [{ name: 'cl0' }], onFailure: (e) => console.log('failure:', e.message) });`,
      `if (process.argv[2] === 'terminate') { await dp['worker'].terminate(); await new Promise((r) => setTimeout(r, 200)); console.log('alive'); }`,
      `process.exit(0);`,
    ].join('\n'));
    try {
      for (const how of ['exit', 'terminate']) {
        const r = await inNs(NS.cl, [process.execPath, file, how], false);
        expect({ how, code: r.exitCode, signal: r.signal, stderr: String(r.stderr) }).toEqual({ how, code: 0, signal: undefined, stderr: '' });
        if (how === 'terminate') expect(String(r.stdout)).toMatch(/failure: data plane thread exited \(code 1\) while forwarding\nalive/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!root)('the router process and its data-plane thread', () => {
  it('an interface that cannot be opened: the router exits 1 naming it', async () => {
    const dir = mkdtempSync('/tmp/dt-router-');
    try {
      const cfg = {
        version: 1, lab: 'dt', node: 'r9', kind: 'router', asn: 65009, routerId: '10.9.9.9', dataplane: 'userspace', kernelRoutes: false,
        controlSocket: join(dir, 'r9.sock'), interfaces: [{ name: 'nosuch0', ipv4: '10.9.0.1/31', mtu: 1500 }],
        neighbors: [], networks: [], staticRoutes: [], originateConnected: false, multipath: false,
      };
      writeFileSync(join(dir, 'r9.json'), JSON.stringify(cfg));
      const r = await inNs(NS.bad, [process.execPath, join(ROOT, 'dist/src/router/main.js'), join(dir, 'r9.json')], false);
      expect(r.exitCode).toBe(1);
      expect(String(r.stdout)).toMatch(/error .*data plane: frame-io: open nosuch0: no such interface/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// h1 - r1 - h2 with an injector peer (the benchmark's) linked to r1.
describe.runIf(root)('a router process forwarding through a BGP burst', () => {
  const labName = uniqueLabName('dt');
  let iso: { dir: string; cleanup: () => void };
  let topo = '';
  const nsOf = (node: string) => `${labName}-${node}`;

  beforeAll(async () => {
    iso = isolateRunDir();
    await ensureBuilt();
    topo = join(iso.dir, 'burst.yaml');
    writeFileSync(topo, [
      `name: ${labName}`, 'description: forwarding through a BGP burst', 'nodes:', '  h1: host', '  h2: host',
      '  r1: { kind: router, asn: 65001 }', '  inj: { kind: external, asn: 65002 }',
      'links:', '  - [h1, r1]', '  - [r1, h2]', '  - [inj, r1]', '',
    ].join('\n'));
    await lab(['up', topo, '--name', labName]);
  }, 120_000);

  afterAll(async () => {
    await lab(['down', labName], { reject: false });
    iso?.cleanup();
  });

  it('a UDP ping-pong h1 -> h2 through r1 is answered throughout while the peer sends r1 20,000 prefixes', async () => {
    // The automatic plan's /31s in link order (docs/topology.md).
    const dump = String((await lab(['dump', '--lab', labName])).stdout);
    for (const want of ['h2-eth0:10.0.0.3/31', 'r1-eth2:10.0.0.5/31', 'inj-eth0:10.0.0.4/31']) expect(dump).toContain(want);
    const injector = new Child(nsOf('inj'), [process.execPath, PEER, JSON.stringify({
      role: 'injector', connect: { host: '10.0.0.5', localAddress: '10.0.0.4' }, localAs: 65002, peerAs: 65001, routerId: '10.0.0.4',
      holdTime: 90, prefixes: 20_000, perPath: 8, nextHop: '10.0.0.4', seed: 1,
    })]);
    try {
      await injector.line((l) => l.includes('"established"'), 60_000, 'injector session');
      await inNs(nsOf('h1'), ['ping', '-c', '2', '-i', '0.2', '-W', '1', '10.0.0.3'], false);
      let accepted = 0;
      const { res, from, to } = await pingPongAround(nsOf('h1'), nsOf('h2'), '10.0.0.3', async () => {
        injector.send('go');
        await injector.line((l) => l.includes('"sent"'), 30_000, 'injector go');
        const end = Date.now() + 60_000;
        while (Date.now() < end && accepted < 20_000) {
          const r = await lab(['show', 'r1', 'neighbors', '--json', '--lab', labName], { reject: false });
          try {
            accepted = (JSON.parse(String(r.stdout)) as Array<{ node?: string; prefixesAccepted: number }>).find((n) => n.node === 'inj')?.prefixesAccepted ?? 0;
          } catch { /* busy: ask again */ }
          if (accepted < 20_000) await new Promise((r2) => setTimeout(r2, 250));
        }
      });
      expect(accepted).toBe(20_000);
      const during = res.samples.filter(([t]) => t >= from && t <= to).map(([, rtt]) => rtt);
      process.stdout.write(`router burst of 20,000 prefixes: ${((to - from) / 1000).toFixed(0)} ms, ${during.length} probes, p99 ${p99(during)} µs, max ${Math.max(...during)} µs, lost ${res.lost}\n`);
      // Answered throughout the burst: at most 2% lost (a probe waits 200 ms;
      // a loaded two-core machine can hold any process that long), no gap of a second.
      expect(res.lost).toBeLessThanOrEqual(Math.max(2, Math.ceil(during.length * 0.02)));
      expect(during.length).toBeGreaterThanOrEqual(10);
      const sent = res.samples.map(([t]) => t).filter((t) => t >= from && t <= to);
      const gaps = sent.slice(1).map((t, i) => t - sent[i]);
      expect(Math.max(sent[0] - from, to - sent[sent.length - 1], ...gaps)).toBeLessThan(1_000_000);
      // The router still answers its control channel from the thread.
      const counters = JSON.parse(String((await lab(['show', 'r1', 'counters', '--json', '--lab', labName])).stdout)) as Record<string, number>;
      expect(counters['interfaces.r1-eth1.forwarded']).toBeGreaterThanOrEqual(during.length);
    } finally {
      injector.send('quit');
      injector.kill();
    }
  }, 180_000);
});
