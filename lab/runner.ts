/**
 * The runner: executes a Plan with execa, argv arrays only (never a shell).
 * Work is batched so a 100-node lab costs a few hundred process spawns, not
 * thousands: one `ip -batch` for every namespace and veth, one
 * `ip -n NS -batch` and one `sysctl` per namespace, one ethtool per device, run a few at a time.
 */
import { execa } from 'execa';
import { appendJournal } from './journal.js';
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

function groupByNs(cmds: readonly NsCommand[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of cmds) {
    let lines = m.get(c.ns);
    if (!lines) m.set(c.ns, (lines = []));
    lines.push(batchLine(c.argv));
  }
  return m;
}

const PARALLEL = 6;

export async function executePlan(plan: Plan, progress: Progress = () => {}): Promise<void> {
  // 1. Namespaces: journaled first, then made in one batch.
  appendJournal(plan.lab, ...plan.namespaces.map((n) => ({ type: 'netns' as const, name: n.ns })));
  progress('namespaces', 0, plan.namespaces.length);
  await run(['ip', '-batch', '-'], plan.namespaces.map((n) => batchLine(['netns', 'add', n.ns])).join('\n') + '\n');
  progress('namespaces', plan.namespaces.length, plan.namespaces.length);

  // 2. Sysctls before any interface exists, so `default.*` applies to every new one.
  let done = 0;
  await mapLimit(plan.sysctls, PARALLEL, async (s) => {
    await run(['ip', 'netns', 'exec', s.ns, 'sysctl', '-q', '-w', ...s.settings]);
    progress('sysctls', ++done, plan.sysctls.length);
  });

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
  await mapLimit(plan.offloads, PARALLEL, async (o) => {
    await run(['ip', 'netns', 'exec', o.ns, 'ethtool', '-K', o.dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    progress('offloads', ++done, plan.offloads.length);
  });

  // 5. Bridges, ports, addresses, links up, routes: one batch per namespace.
  const byNs = [...groupByNs(plan.ipLines)];
  done = 0;
  await mapLimit(byNs, PARALLEL, async ([ns, lines]) => {
    await run(['ip', '-n', ns, '-batch', '-'], lines.join('\n') + '\n');
    progress('addresses', ++done, byNs.length);
  });
}
