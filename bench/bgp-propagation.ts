/**
 * BGP propagation benchmark (issue 4): an injector peer sends N IPv4
 * prefixes to the device under test (DUT); a collector peer receives what
 * the DUT re-advertises. Measured per run: propagation time (the injector's
 * first UPDATE byte until the collector holds all N), peak RSS of the DUT
 * (VmHWM from /proc/PID/status; FRR: zebra + bgpd summed; also VmRSS when
 * both sessions are up, before the first UPDATE: "idle") and its CPU
 * seconds during propagation (utime + stime from /proc/PID/stat, delta from
 * Established to complete). DUTs: our router process (src/router/main.ts,
 * `dataplane: kernel`), BIRD 2 (`bird -f`), FRR (zebra + `bgpd -n`), and
 * `none` (the injector straight to the collector: the harness's own cost).
 *
 *   node --expose-gc dist/bench/bgp-propagation.js [--quick] [--sizes 100000,1000000]
 *        [--runs 3] [--dut none,ours,bird,frr] [--per-path 8] [--kernel] [--timeout S]
 *        [--profile DIR]   (V8 CPU profile of our router, node --cpu-prof)
 *        [--heap-profile DIR] (V8 sampling allocation profile of our router, node --heap-prof)
 *        [--linger S]      (keep the DUT up S seconds after each run, e.g. for a heap snapshot)
 *
 * Root is needed (namespaces); without it the benchmark says so and exits 0.
 * Each run makes three namespaces with unique names, injector — DUT —
 * collector, joined by veths (10.0.1.0/24 and 10.0.2.0/24), and removes them
 * at the end, pass or fail. The peers are child processes started with
 * `ip netns exec` (bench/lib/bgp-bench-peer.ts); the table is the
 * deterministic synthetic one of bench/lib/synthetic-table.ts (mostly /24,
 * then /22, /23, /21, ...; half of the prefixes more-specifics of others),
 * `--per-path` prefixes per AS path (1-6 ASNs), all UPDATEs encoded before
 * the clock starts. DUTs run in turn within each run, so load on the shared
 * machine falls on all of them alike; ratios are taken within one
 * invocation.
 *
 * By default no DUT writes its routes into the kernel (ours
 * `kernelRoutes: false`, BIRD without a kernel protocol, FRR's bgpd with
 * `-n`): the figure is the BGP speaker's. `--kernel` turns the kernel copy on
 * for all three.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PeerArgs, PeerEvent } from './lib/bgp-bench-peer.js';
import { ROUTER_NODE_FLAGS, type RouterConfig } from '../src/router/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const PEER_JS = join(here, 'lib', 'bgp-bench-peer.js');
const ROUTER_JS = join(here, '..', 'src', 'router', 'main.js');

export type Dut = 'none' | 'ours' | 'bird' | 'frr';
const DUT_LABEL: Record<Dut, string> = { none: 'no device (harness)', ours: 'ours (router process)', bird: 'BIRD 2', frr: 'FRR (zebra + bgpd -n)' };

const INJ_AS = 65100;
const DUT_AS = 65001;
const COL_AS = 65200;
const HOLD = 240;
const SEED = 20251125;

export interface RunResult {
  readonly dut: Dut;
  readonly prefixes: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  /** VmRSS with both sessions Established, before the first UPDATE: the process's own baseline. */
  readonly idleRssMB: number;
  readonly updatesSent: number;
  readonly announcedSeen: number;
  readonly withdrawnSeen: number;
}

interface Options {
  sizes: number[];
  runs: number;
  duts: Dut[];
  perPath: number;
  kernel: boolean;
  timeoutS?: number;
  /** Directory for a V8 CPU profile of our router (`node --cpu-prof`). */
  profileDir?: string;
  /** Directory for a V8 sampling heap (allocation) profile of our router (`node --heap-prof`). */
  heapProfileDir?: string;
  /** Seconds the DUT stays up after a run is measured (inspection). */
  lingerS?: number;
}

// ---------------------------------------------------------------- processes

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat, after the comm field). */
function cpuSecondsOf(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** VmHWM (peak resident set) in MB. */
function peakRssMBOf(pid: number): number {
  return statusMB(pid, 'VmHWM');
}

function statusMB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? (Number(m[1]) * 1024) / 1e6 : NaN;
}

function alive(pid: number | undefined): boolean {
  return pid !== undefined && existsSync(`/proc/${pid}/stat`);
}

/** A child process whose stdout is a stream of JSON events. */
class Peer {
  readonly proc: ChildProcess;
  private readonly events: PeerEvent[] = [];
  private waiters: Array<() => void> = [];
  private stderr = '';

  constructor(ns: string, args: PeerArgs) {
    this.proc = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER_JS, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        return;
      }
      this.wake();
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + String(d)).slice(-2000);
    });
    this.proc.on('exit', () => this.wake());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(line: string): void {
    this.proc.stdin?.write(line + '\n');
  }

  latest<K extends PeerEvent['ev']>(ev: K): Extract<PeerEvent, { ev: K }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i].ev === ev) return this.events[i] as Extract<PeerEvent, { ev: K }>;
    return undefined;
  }

  /** Resolves with the first event `ev`; rejects on a fatal event, exit or timeout. */
  async wait<K extends PeerEvent['ev']>(ev: K, timeoutMs: number, what: string): Promise<Extract<PeerEvent, { ev: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.ev === ev);
      if (e) return e as Extract<PeerEvent, { ev: K }>;
      const bad = this.events.find((x) => x.ev === 'error' || x.ev === 'notification' || x.ev === 'closed');
      if (bad) throw new Error(`${what}: ${JSON.stringify(bad)}`);
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${what}: peer exited (${this.proc.exitCode ?? this.proc.signalCode}) ${this.stderr.trim()}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const p = this.latest('progress');
        throw new Error(`${what}: timed out after ${(timeoutMs / 1000).toFixed(0)} s${p ? ` (collector held ${p.held})` : ''}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

async function waitUntil(what: string, ms: number, f: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
}

// ---------------------------------------------------------------- DUT configs

function birdConf(kernel: boolean): string {
  return [
    'router id 10.0.1.2;',
    'protocol device {}',
    ...(kernel ? ['protocol kernel { ipv4 { export all; }; merge paths off; }'] : []),
    'protocol bgp injector {',
    `  local 10.0.1.2 as ${DUT_AS}; neighbor 10.0.1.1 as ${INJ_AS};`,
    `  hold time ${HOLD}; keepalive time ${HOLD / 3}; connect retry time 2;`,
    '  ipv4 { import all; export all; };',
    '}',
    'protocol bgp collector {',
    `  local 10.0.2.1 as ${DUT_AS}; neighbor 10.0.2.2 as ${COL_AS};`,
    `  hold time ${HOLD}; keepalive time ${HOLD / 3}; connect retry time 2;`,
    '  ipv4 { import all; export all; };',
    '}',
    '',
  ].join('\n');
}

function frrConf(): string {
  return [
    'frr defaults traditional',
    'hostname dut',
    '!',
    `router bgp ${DUT_AS}`,
    ' bgp router-id 10.0.1.2',
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ` timers bgp ${HOLD / 3} ${HOLD}`,
    ` neighbor 10.0.1.1 remote-as ${INJ_AS}`,
    ` neighbor 10.0.2.2 remote-as ${COL_AS}`,
    ' neighbor 10.0.1.1 timers connect 2',
    ' neighbor 10.0.2.2 timers connect 2',
    ' address-family ipv4 unicast',
    '  neighbor 10.0.1.1 activate',
    '  neighbor 10.0.2.2 activate',
    ' exit-address-family',
    '!',
    '',
  ].join('\n');
}

function oursConf(lab: string, dir: string, kernel: boolean): RouterConfig {
  const accept = { terms: [], default: 'accept' } as const;
  return {
    version: 1, lab, node: 'dut', kind: 'router', asn: DUT_AS, routerId: '10.0.1.2', dataplane: 'kernel', kernelRoutes: kernel,
    controlSocket: join(dir, 'dut.sock'),
    interfaces: [{ name: 'dut-eth0', ipv4: '10.0.1.2/24', mtu: 1500 }, { name: 'dut-eth1', ipv4: '10.0.2.1/24', mtu: 1500 }],
    neighbors: [
      { address: '10.0.1.1', remoteAs: INJ_AS, localAddress: '10.0.1.2', interface: 'dut-eth0', kind: 'ebgp', import: accept, export: accept, holdTime: HOLD, keepalive: HOLD / 3 },
      { address: '10.0.2.2', remoteAs: COL_AS, localAddress: '10.0.2.1', interface: 'dut-eth1', kind: 'ebgp', import: accept, export: accept, holdTime: HOLD, keepalive: HOLD / 3 },
    ],
    networks: [], staticRoutes: [], originateConnected: false, multipath: false,
  };
}

function frrIds(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'frr']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'frr']).toString().trim()) };
}

/** Starts the DUT in `ns`; returns its processes (their PIDs are the daemons': `ip netns exec` execs). */
async function startDut(dut: Dut, ns: string, lab: string, dir: string, kernel: boolean, profileDir?: string, heapProfileDir?: string): Promise<ChildProcess[]> {
  const run = (name: string, argv: string[]): ChildProcess => {
    const log = createWriteStream(join(dir, `${name}.log`));
    const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    return p;
  };
  const check = (p: ChildProcess, name: string) => () => {
    if (p.exitCode !== null) throw new Error(`${name} exited (${p.exitCode}): see ${join(dir, name + '.log')}`);
    return true;
  };
  if (dut === 'none') return [];
  if (dut === 'ours') {
    const cfg = join(dir, 'dut.json');
    writeFileSync(cfg, JSON.stringify(oursConf(lab, dir, kernel)));
    const p = run('ours', [process.execPath, ...ROUTER_NODE_FLAGS, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...(heapProfileDir ? ['--heap-prof', '--heap-prof-dir', heapProfileDir] : []), ROUTER_JS, cfg]);
    await waitUntil('our router', 15_000, () => check(p, 'ours')() && existsSync(join(dir, 'dut.sock')));
    return [p];
  }
  if (dut === 'bird') {
    const conf = join(dir, 'bird.conf');
    writeFileSync(conf, birdConf(kernel));
    const ctl = join(dir, 'bird.ctl');
    const p = run('bird', ['bird', '-f', '-c', conf, '-s', ctl, '-P', join(dir, 'bird.pid')]);
    await waitUntil('BIRD', 15_000, () => check(p, 'bird')() && existsSync(ctl));
    return [p];
  }
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  const zconf = join(dir, 'zebra.conf');
  const bconf = join(dir, 'bgpd.conf');
  writeFileSync(zconf, 'hostname dut\n');
  writeFileSync(bconf, frrConf());
  for (const f of [zconf, bconf]) chownSync(f, uid, gid);
  const zserv = join(dir, 'zserv.api');
  const z = run('zebra', ['/usr/lib/frr/zebra', '-z', zserv, '--vty_socket', dir, '-i', join(dir, 'zebra.pid'), '-f', zconf]);
  await waitUntil('zebra', 15_000, () => check(z, 'zebra')() && existsSync(zserv));
  const b = run('bgpd', ['/usr/lib/frr/bgpd', '-z', zserv, '--vty_socket', dir, '-i', join(dir, 'bgpd.pid'), '-P', '0', '-f', bconf, ...(kernel ? [] : ['-n'])]);
  await waitUntil('bgpd', 15_000, () => check(b, 'bgpd')() && existsSync(join(dir, 'bgpd.vty')));
  return [z, b];
}

// ---------------------------------------------------------------- one run

let seq = 0;
const cleanups = new Set<() => void>();

function makeNetwork(tag: string): { inj: string; dut: string; col: string; remove: () => void } {
  const inj = `${tag}-inj`;
  const dut = `${tag}-dut`;
  const col = `${tag}-col`;
  const made: string[] = [];
  const remove = (): void => {
    for (const ns of made.splice(0)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    for (const ns of [inj, dut, col]) {
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'inj-eth0', 'netns', inj, 'type', 'veth', 'peer', 'name', 'dut-eth0', 'netns', dut);
    ip('link', 'add', 'dut-eth1', 'netns', dut, 'type', 'veth', 'peer', 'name', 'col-eth0', 'netns', col);
    for (const [ns, dev, addr] of [[inj, 'inj-eth0', '10.0.1.1/24'], [dut, 'dut-eth0', '10.0.1.2/24'], [dut, 'dut-eth1', '10.0.2.1/24'], [col, 'col-eth0', '10.0.2.2/24']]) {
      ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { inj, dut, col, remove };
}

export async function runOnce(dut: Dut, n: number, opts: Options): Promise<RunResult> {
  const tag = `bgpp${process.pid % 100000}r${seq++}`;
  const dir = mkdtempSync(join(tmpdir(), 'bgp-propagation-'));
  const net = makeNetwork(tag);
  const procs: ChildProcess[] = [];
  const peers: Peer[] = [];
  const cleanup = (): void => {
    for (const p of peers) p.kill();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    net.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  const fail = (error: string): RunResult => ({ dut, prefixes: n, ok: false, error, seconds: NaN, cpuSeconds: NaN, peakRssMB: NaN, idleRssMB: NaN, updatesSent: 0, announcedSeen: 0, withdrawnSeen: 0 });
  try {
    const timeoutMs = (opts.timeoutS ?? 30 + n * 0.0006) * 1000;
    const base = { holdTime: HOLD, prefixes: n, perPath: opts.perPath, seed: SEED };
    // Peers build their tables while the DUT starts.
    const injector = new Peer(net.inj, { ...base, role: 'injector', connect: { host: '10.0.1.2', localAddress: '10.0.1.1' }, localAs: INJ_AS, peerAs: DUT_AS, routerId: '10.0.1.1', nextHop: '10.0.1.1' });
    peers.push(injector);
    const collector = dut === 'none'
      ? new Peer(net.dut, { ...base, role: 'collector', listen: { host: '10.0.1.2' }, localAs: DUT_AS, peerAs: INJ_AS, routerId: '10.0.1.2' })
      : new Peer(net.col, { ...base, role: 'collector', connect: { host: '10.0.2.1', localAddress: '10.0.2.2' }, localAs: COL_AS, peerAs: DUT_AS, routerId: '10.0.2.2' });
    peers.push(collector);
    const dutProcs = await startDut(dut, net.dut, tag, dir, opts.kernel, opts.profileDir, opts.heapProfileDir);
    procs.push(...dutProcs);
    const pids = dutProcs.map((p) => p.pid!);
    const ready = await injector.wait('ready', 120_000, 'injector build');
    await collector.wait('ready', 120_000, 'collector build');
    await injector.wait('established', 30_000, 'injector session');
    await collector.wait('established', 30_000, 'collector session');
    const cpu0 = pids.reduce((a, p) => a + cpuSecondsOf(p), 0);
    const idleRss = pids.reduce((a, p) => a + statusMB(p, 'VmRSS'), 0);
    injector.send('go');
    const sent = await injector.wait('sent', 10_000, 'injector send');
    const done = await collector.wait('complete', timeoutMs, `${dut} propagation of ${n}`);
    for (const p of pids) if (!alive(p)) throw new Error(`${dut} died during the run (see ${dir})`);
    const cpu1 = pids.reduce((a, p) => a + cpuSecondsOf(p), 0);
    const rss = pids.reduce((a, p) => a + peakRssMBOf(p), 0);
    if (opts.lingerS) await new Promise((r) => setTimeout(r, opts.lingerS! * 1000));
    return {
      dut, prefixes: n, ok: true,
      seconds: Number(BigInt(done.ns) - BigInt(sent.firstByteNs)) / 1e9,
      cpuSeconds: cpu1 - cpu0, peakRssMB: rss, idleRssMB: idleRss,
      updatesSent: ready.updates ?? 0, announcedSeen: done.announced, withdrawnSeen: done.withdrawn,
    };
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  } finally {
    for (const p of peers) p.kill();
    await Promise.all(procs.map(stopProcess));
    cleanup();
    cleanups.delete(cleanup);
  }
}

// ---------------------------------------------------------------- report

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

export function report(results: readonly RunResult[], sizes: readonly number[], duts: readonly Dut[]): string {
  const lines: string[] = [];
  for (const n of sizes) {
    const rows = duts.map((dut) => {
      const rs = results.filter((r) => r.dut === dut && r.prefixes === n);
      const ok = rs.filter((r) => r.ok);
      return {
        dut, runs: rs.length, ok: ok.length,
        seconds: median(ok.map((r) => r.seconds)),
        range: ok.length ? `${fmt(Math.min(...ok.map((r) => r.seconds)))}–${fmt(Math.max(...ok.map((r) => r.seconds)))}` : '—',
        cpu: median(ok.map((r) => r.cpuSeconds)),
        rss: median(ok.map((r) => r.peakRssMB)),
        idle: median(ok.map((r) => r.idleRssMB)),
        errors: rs.filter((r) => !r.ok).map((r) => r.error ?? '?'),
      };
    });
    const bird = rows.find((r) => r.dut === 'bird');
    const frr = rows.find((r) => r.dut === 'frr');
    lines.push(`\n${n.toLocaleString('en')} prefixes (medians of the successful runs)`);
    lines.push('| DUT | runs ok | time s (min–max) | CPU s | peak RSS MB | idle RSS MB | time ÷ BIRD | RSS ÷ BIRD | time ÷ FRR | RSS ÷ FRR |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const ratio = (a: number, b: number | undefined) => (b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
      const dev = r.dut !== 'none';
      lines.push(`| ${DUT_LABEL[r.dut]} | ${r.ok}/${r.runs} | ${fmt(r.seconds)} (${r.range}) | ${dev ? fmt(r.cpu) : '—'} | ${dev ? fmt(r.rss, 0) : '—'} | ${dev ? fmt(r.idle, 0) : '—'} | ${ratio(r.seconds, bird?.seconds)} | ${dev ? ratio(r.rss, bird?.rss) : '—'} | ${ratio(r.seconds, frr?.seconds)} | ${dev ? ratio(r.rss, frr?.rss) : '—'} |`);
    }
    for (const r of rows) for (const e of r.errors) lines.push(`  ${r.dut} failed: ${e}`);
  }
  return lines.join('\n');
}

function parseArgs(argv: string[]): Options {
  const val = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const duts = (val('--dut') ?? 'none,ours,bird,frr').split(',').map((s) => s.trim()) as Dut[];
  for (const d of duts) if (!(d in DUT_LABEL)) throw new Error(`unknown DUT '${d}' (none, ours, bird, frr)`);
  const timeout = val('--timeout');
  const profileDir = val('--profile');
  const linger = val('--linger');
  const heapProfileDir = val('--heap-profile');
  return {
    sizes: (val('--sizes') ?? (quick ? '20000' : '100000,1000000')).split(',').map(Number),
    runs: Number(val('--runs') ?? (quick ? 1 : 3)),
    duts,
    perPath: Number(val('--per-path') ?? 8),
    kernel: argv.includes('--kernel'),
    ...(timeout ? { timeoutS: Number(timeout) } : {}),
    ...(profileDir ? { profileDir } : {}),
    ...(linger ? { lingerS: Number(linger) } : {}),
    ...(heapProfileDir ? { heapProfileDir } : {}),
  };
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    console.log('bgp-propagation: needs root (network namespaces); skipped');
    return 0;
  }
  const onSignal = (): void => {
    for (const c of cleanups) c();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  console.log(`BGP propagation: sizes ${opts.sizes.join(', ')}; ${opts.runs} run(s); DUTs ${opts.duts.join(', ')}; ${opts.perPath} prefixes per AS path; kernel copy ${opts.kernel ? 'on' : 'off'}`);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared: absolute figures swing; compare ratios)`);
  const results: RunResult[] = [];
  for (const n of opts.sizes) {
    for (let run = 0; run < opts.runs; run++) {
      for (const dut of opts.duts) {
        const r = await runOnce(dut, n, opts);
        results.push(r);
        console.log(`  ${n} ${dut} run ${run + 1}: ${r.ok ? `${fmt(r.seconds)} s, CPU ${fmt(r.cpuSeconds)} s, peak RSS ${fmt(r.peakRssMB, 0)} MB (${dut === 'none' ? '' : `idle ${fmt(r.idleRssMB, 0)} MB; `}${r.updatesSent} UPDATEs sent; collector saw ${r.announcedSeen} announced, ${r.withdrawnSeen} withdrawn)` : `FAILED: ${r.error}`}`);
      }
    }
  }
  console.log(report(results, opts.sizes, opts.duts));
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  return results.some((r) => !r.ok) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then((c) => process.exit(c), (e: unknown) => {
    for (const c of cleanups) c();
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(1);
  });
}
