/**
 * The runner: executes a Plan, argv arrays only (never a shell). Work is
 * batched so a 100-node lab costs about a hundred short process spawns:
 * one `ip -batch` for every namespace and one for every veth, then one
 * `ip -batch` per namespace for bridges, addresses, links and routes.
 *
 * Sysctls and offloads are done in this process through the netnstools addon
 * (lab/netns-tools.ts): the main thread enters each namespace with setns(2),
 * writes /proc/sys, sets the offloads with one ethtool ioctl per device, sends
 * the namespace's bridge, address, link and route lines as rtnetlink requests
 * (or, when a line is not one the addon builds, forks that namespace's
 * `ip -batch`: the child inherits the namespace, and nothing remounts /sys as
 * `ip netns exec` and `ip -n` do), and returns. When the addon is not built,
 * the same work runs through `ip netns exec` and `ip -n NS -batch`.
 */
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { appendJournal } from './journal.js';
import { ipLineToOp, loadNetnsTools, writeSysctls, type NetnsTools, type RtOp } from './netns-tools.js';
import { batchLine, type NsCommand, type Plan } from './plan.js';

export type Progress = (stage: string, done: number, total: number) => void;

export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly stderr: string, readonly exitCode: number | undefined) {
    super(`command failed (${exitCode}): ${argv.join(' ')}\n${stderr.trim()}`);
    this.name = 'CommandError';
  }
}

export async function run(argv: readonly string[], input?: string): Promise<string> {
  const [file, ...args] = argv;
  const r = await execa(file, args, { input, reject: false, stripFinalNewline: true });
  if (r.exitCode !== 0) throw new CommandError(argv, String(r.stderr || r.stdout), r.exitCode);
  return String(r.stdout);
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function groupByNs(cmds: readonly NsCommand[]): Map<string, (readonly string[])[]> {
  const m = new Map<string, (readonly string[])[]>();
  for (const c of cmds) {
    let lines = m.get(c.ns);
    if (!lines) m.set(c.ns, (lines = []));
    lines.push(c.argv);
  }
  return m;
}

/** Every line as an rtnetlink op, or undefined when one of them is not a shape the addon builds. */
function rtOps(lines: readonly (readonly string[])[]): RtOp[] | undefined {
  const ops: RtOp[] = [];
  for (const l of lines) {
    const op = ipLineToOp(l);
    if (!op) return undefined;
    ops.push(op);
  }
  return ops;
}

/**
 * Runs argv with the child started inside namespace `ns` (it inherits the
 * thread's namespace at fork time); resolves to stdout, rejects with a
 * CommandError on a non-zero exit.
 */
export function runInNamespace(tools: NetnsTools, ns: string, argv: readonly string[], input?: string): Promise<string> {
  const [file, ...args] = argv;
  const child = tools.runIn(ns, () => spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdin.on('error', () => undefined); // a child that exits early closes its stdin: its exit code tells
    child.on('error', (e) => reject(new CommandError(['ip', 'netns', 'exec', ns, ...argv], e.message, undefined)));
    child.on('close', (code) => {
      if (code === 0) resolve(out.replace(/\n$/, ''));
      else reject(new CommandError(['ip', 'netns', 'exec', ns, ...argv], err || out, code ?? undefined));
    });
    child.stdin.end(input ?? '');
  });
}

const PARALLEL = 6;
/** In-namespace `ip -batch` children in flight at once (each is short and mostly kernel work). */
const PARALLEL_FORKS = 8;

function groupOffloads(offloads: Plan['offloads']): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const o of offloads) {
    let devs = m.get(o.ns);
    if (!devs) m.set(o.ns, (devs = []));
    devs.push(o.dev);
  }
  return m;
}

/**
 * tools.runIn, with a failure reported as the CommandError of the command it
 * replaces (`equivalent`), so callers see one error type either way.
 */
function inNamespace(tools: NetnsTools, ns: string, equivalent: readonly string[], fn: () => void): void {
  try {
    tools.runIn(ns, fn);
  } catch (e) {
    throw new CommandError(['ip', 'netns', 'exec', ns, ...equivalent], (e as Error).message, undefined);
  }
}

export interface ExecuteOptions {
  /** Use `ip netns exec` for everything even when the addon is built (for comparisons). */
  readonly noAddon?: boolean;
}

export async function executePlan(plan: Plan, progress: Progress = () => {}, opts: ExecuteOptions = {}): Promise<void> {
  const tools = opts.noAddon ? undefined : loadNetnsTools();
  // 1. Namespaces: journaled first, then made in one batch.
  appendJournal(plan.lab, ...plan.namespaces.map((n) => ({ type: 'netns' as const, name: n.ns })));
  progress('namespaces', 0, plan.namespaces.length);
  await run(['ip', '-batch', '-'], plan.namespaces.map((n) => batchLine(['netns', 'add', n.ns])).join('\n') + '\n');
  progress('namespaces', plan.namespaces.length, plan.namespaces.length);

  // 2. Sysctls before any interface exists, so `default.*` applies to every new one.
  let done = 0;
  if (tools) {
    for (const s of plan.sysctls) {
      inNamespace(tools, s.ns, ['sysctl', '-w', ...s.settings], () => writeSysctls(s.settings));
      progress('sysctls', ++done, plan.sysctls.length);
    }
  } else {
    await mapLimit(plan.sysctls, PARALLEL, async (s) => {
      await run(['ip', 'netns', 'exec', s.ns, 'sysctl', '-q', '-w', ...s.settings]);
      progress('sysctls', ++done, plan.sysctls.length);
    });
  }

  // 3. veth pairs, each end created directly in its namespace, one batch.
  if (plan.veths.length) {
    const lines = plan.veths.map((v) =>
      batchLine(['link', 'add', v.a.dev, 'netns', v.a.ns, 'mtu', String(v.mtu), 'type', 'veth', 'peer', 'name', v.b.dev, 'netns', v.b.ns, 'mtu', String(v.mtu)]),
    );
    await run(['ip', '-batch', '-'], lines.join('\n') + '\n');
  }
  progress('links', plan.veths.length, plan.veths.length);

  // 4. Offloads off on every veth end (tx checksum, TSO, GSO, GRO): DESIGN.md data-plane facts.
  done = 0;
  if (tools) {
    for (const [ns, devs] of groupOffloads(plan.offloads)) {
      inNamespace(tools, ns, ['ethtool', '-K', devs.join(','), 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], () => tools.setOffloads(devs, false));
      done += devs.length;
      progress('offloads', done, plan.offloads.length);
    }
  } else {
    await mapLimit(plan.offloads, PARALLEL, async (o) => {
      await run(['ip', 'netns', 'exec', o.ns, 'ethtool', '-K', o.dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      progress('offloads', ++done, plan.offloads.length);
    });
  }

  // 5. Bridges, ports, addresses, links up, routes: rtnetlink in process, or one batch per namespace.
  const byNs = [...groupByNs(plan.ipLines)];
  done = 0;
  const forked: typeof byNs = [];
  for (const [ns, lines] of byNs) {
    const ops = tools && rtOps(lines);
    if (!tools || !ops) {
      forked.push([ns, lines]);
      continue;
    }
    inNamespace(tools, ns, ['ip', '-batch', '-'], () => tools.rtnetlink(ops));
    progress('addresses', ++done, byNs.length);
  }
  await mapLimit(forked, tools ? PARALLEL_FORKS : PARALLEL, async ([ns, lines]) => {
    const input = lines.map(batchLine).join('\n') + '\n';
    if (tools) await runInNamespace(tools, ns, ['ip', '-batch', '-'], input);
    else await run(['ip', '-n', ns, '-batch', '-'], input);
    progress('addresses', ++done, byNs.length);
  });
}
