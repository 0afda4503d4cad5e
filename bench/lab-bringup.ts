/**
 * Lab bring-up plus tear-down, ours against Mininet in the same run:
 * `lab up --topo linear,N` then `lab down` (two CLI processes, as a user runs
 * them), and `mn --topo linear,N --switch lxbr --controller none --test none`
 * (Debian's mininet, run inside a namespace of its own so its bridges never
 * touch the host). Prints seconds and the ratio Mininet/ours (higher is
 * better for us).
 *
 * Then, in this process, the runner's stages for the first size, twice: with
 * the netnstools addon (setns + /proc/sys + ethtool ioctls, `ip -batch`
 * children forked inside each namespace) and without it (`ip netns exec` for
 * every sysctl set and device, `ip -n NS -batch`), each followed by the
 * teardown, so the stage costs can be compared in the same run.
 *
 *   node dist/bench/lab-bringup.js [--quick] [--sizes=50,100] [--runs=3] [--no-stages]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLabDir } from '../lab/journal.js';
import { loadNetnsTools } from '../lab/netns-tools.js';
import { planLab } from '../lab/plan.js';
import { packageRoot } from '../lab/processes.js';
import { executePlan } from '../lab/runner.js';
import { teardownLab } from '../lab/teardown.js';
import { mininetTopology } from '../lab/topology/mininet.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizesArg = args.find((a) => a.startsWith('--sizes='))?.slice(8);
const sizes = sizesArg ? sizesArg.split(',').map(Number) : quick ? [20] : [50, 100];
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? (quick ? 1 : 3));
const stages = !args.includes('--no-stages');

const cli = join(packageRoot(), 'dist/lab/cli.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return seconds(t0);
}

async function ours(n: number, runDir: string): Promise<{ total: number; up: number; down: number }> {
  const name = `bench${n}`;
  const env = { ANYCAST_LAB_RUN_DIR: runDir };
  const up = await timeIt(async () => {
    await execa(process.execPath, [cli, 'up', '--topo', `linear,${n}`, '--name', name], { env });
  });
  const down = await timeIt(async () => {
    await execa(process.execPath, [cli, 'down', name], { env });
  });
  return { total: up + down, up, down };
}

async function mininet(n: number): Promise<number> {
  const iso = `benchmn${n}`;
  await execa('ip', ['netns', 'add', iso]);
  try {
    return await timeIt(async () => {
      const r = await execa('ip', ['netns', 'exec', iso, '/usr/bin/python3', '/usr/bin/mn', '--topo', `linear,${n}`, '--switch', 'lxbr', '--controller', 'none', '--test', 'none'], { reject: false, all: true, timeout: 600_000 });
      if (r.exitCode !== 0) throw new Error(`mn failed: ${String(r.all).slice(-500)}`);
    });
  } finally {
    await execa('ip', ['netns', 'del', iso], { reject: false });
  }
}

/**
 * Seconds per runner stage: from the end of the previous stage (its last
 * progress report) to this stage's last report; then the teardown.
 */
async function stageTimes(n: number, noAddon: boolean): Promise<Map<string, number>> {
  const lab = `stages${n}`;
  const plan = planLab(lab, mininetTopology(`linear,${n}`, { name: lab }), { userspaceDataplane: false });
  createLabDir(lab);
  const start = process.hrtime.bigint();
  const last = new Map<string, bigint>();
  const out = new Map<string, number>();
  try {
    await executePlan(plan, (stage) => last.set(stage, process.hrtime.bigint()), { noAddon });
    let prev = start;
    for (const [stage, t] of last) {
      out.set(stage, Number(t - prev) / 1e9);
      prev = t;
    }
  } finally {
    const t0 = process.hrtime.bigint();
    await teardownLab(lab);
    out.set('teardown', seconds(t0));
  }
  return out;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('lab-bringup: needs root (namespaces); skipped');
    return;
  }
  const haveMn = existsSync('/usr/bin/mn');
  const runDir = mkdtempSync('/run/anycast-lab-bench-');
  process.env.ANYCAST_LAB_RUN_DIR = runDir;
  const rows: string[] = [];
  try {
    for (const n of sizes) {
      const o: number[] = [], up: number[] = [], down: number[] = [], m: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await ours(n, runDir);
        o.push(r.total);
        up.push(r.up);
        down.push(r.down);
        if (haveMn) m.push(await mininet(n));
        console.log(`linear,${n} run ${i + 1}: ours ${r.total.toFixed(2)} s (up ${r.up.toFixed(2)}, down ${r.down.toFixed(2)})${haveMn ? `, Mininet ${m[i].toFixed(2)} s` : ''}`);
      }
      const om = median(o), mm = haveMn ? median(m) : NaN;
      // Each run's ratio pairs ours with the Mininet run right after it (same load); their median and minimum.
      const ratios = m.map((x, i) => x / o[i]);
      const ratio = haveMn ? `${(mm / om).toFixed(2)}x (per run: median ${median(ratios).toFixed(2)}x, min ${Math.min(...ratios).toFixed(2)}x)` : 'n/a';
      const row = `| linear,${n} (${2 * n} nodes) | ${om.toFixed(2)} s (up ${median(up).toFixed(2)}, down ${median(down).toFixed(2)}) | ${haveMn ? mm.toFixed(2) + ' s' : 'n/a'} | ${ratio} |`;
      rows.push(row);
    }
    console.log(`\nLab bring-up + tear-down, medians of ${runs}:\n| topology | anycast-lab (lab up + lab down) | Mininet (lxbr, no controller) | Mininet / ours |\n|---|---|---|---|\n${rows.join('\n')}`);

    if (stages) {
      const n = sizes[0];
      // The fallback first: a run pays for the kernel's cleanup of the previous run's namespaces, so the addon gets the worse slot.
      const variants: [string, boolean][] = loadNetnsTools() ? [['ip netns exec', true], ['addon', false]] : [['ip netns exec', true]];
      const results = new Map<string, Map<string, number>>();
      for (const [label, noAddon] of variants) results.set(label, await stageTimes(n, noAddon));
      const names = [...new Set([...results.values()].flatMap((r) => [...r.keys()]))];
      console.log(`\nRunner stages, linear,${n} in this process (seconds):\n| stage | ${[...results.keys()].join(' | ')} |\n|---|${[...results.keys()].map(() => '---').join('|')}|`);
      for (const s of [...names, 'total']) {
        const cells = [...results.values()].map((r) => (s === 'total' ? [...r.values()].reduce((a, b) => a + b, 0) : (r.get(s) ?? 0)).toFixed(2));
        console.log(`| ${s} | ${cells.join(' | ')} |`);
      }
    }
    await routerMemory(runDir);
  } finally {
    await execa(process.execPath, [cli, 'clean'], { env: { ANYCAST_LAB_RUN_DIR: runDir }, reject: false });
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Resident memory of one process (VmRSS, kB → MB) from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Memory per router process, beside BIRD and FRR in the same lab
 * (topologies/mixed-bird-frr.yaml, converged): RSS of each of our router
 * processes, of BIRD, and of FRR's zebra + bgpd together.
 */
async function routerMemory(runDir: string): Promise<void> {
  const name = 'benchmem';
  const env = { ANYCAST_LAB_RUN_DIR: runDir };
  const topo = join(packageRoot(), 'topologies/mixed-bird-frr.yaml');
  await execa(process.execPath, [cli, 'up', topo, '--name', name], { env });
  try {
    await execa(process.execPath, [cli, 'wait', '--converged', '--lab', name, '--timeout', '60'], { env, reject: false });
    await new Promise((r) => setTimeout(r, 2000)); // BIRD and FRR settle after our routers do
    const procs = readFileSync(join(runDir, name, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((e) => e.type === 'process') as { pid: number; node: string; role: string }[];
    const ours = procs.filter((p) => p.role === 'router').map((p) => rssMb(p.pid));
    const bird = procs.filter((p) => p.role === 'bird').map((p) => rssMb(p.pid));
    const frr = [...new Set(procs.filter((p) => p.role === 'zebra' || p.role === 'bgpd').map((p) => p.node))].map((node) =>
      procs.filter((p) => p.node === node && (p.role === 'zebra' || p.role === 'bgpd')).reduce((a, p) => a + rssMb(p.pid), 0));
    const med = (xs: number[]) => (xs.length ? median(xs) : NaN);
    console.log(`\nMemory per router process (RSS, mixed-bird-frr lab, converged):\n| process | RSS |\n|---|---|`);
    console.log(`| our router (median of ${ours.length}) | ${med(ours).toFixed(1)} MB |`);
    console.log(`| BIRD | ${med(bird).toFixed(1)} MB (ours / BIRD ${(med(ours) / med(bird)).toFixed(1)}x) |`);
    console.log(`| FRR zebra + bgpd | ${med(frr).toFixed(1)} MB (ours / FRR ${(med(ours) / med(frr)).toFixed(2)}x) |`);
  } finally {
    await execa(process.execPath, [cli, 'down', name], { env, reject: false });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
