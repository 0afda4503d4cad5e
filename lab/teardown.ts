/**
 * Teardown by journal: stop the processes a lab recorded (by PID, checked
 * against the recorded start time so a reused PID is never signalled), stop
 * whatever else still runs inside the lab's own namespaces (e.g. a `lab exec`
 * left in the background: found in one pass over /proc/PID/ns/net, matched by
 * inode against the namespaces' /run/netns files, as `ip netns pids` does for
 * one namespace per spawn), delete the namespaces the journal names (their
 * veths and bridges go with them) in one `ip -batch`, and remove the run
 * directory.
 * Idempotent: what is already gone is skipped. Never matches by pattern.
 */
import { existsSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { journaledLabs, labDir, processStartTime, readJournal } from './journal.js';

function alive(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs` for what is still alive. */
async function stopProcesses(procs: readonly { pid: number; startTime: string }[], graceMs: number): Promise<void> {
  const live = procs.filter((p) => alive(p.pid, p.startTime));
  for (const p of live) signal(p.pid, 'SIGCONT'); // a frozen process cannot act on SIGTERM
  for (const p of live) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some((p) => alive(p.pid, p.startTime))) await sleep(20);
  for (const p of live) if (alive(p.pid, p.startTime)) signal(p.pid, 'SIGKILL');
}

/** The nsfs inode of each named namespace that still exists. */
function namespaceInodes(names: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const ns of names) {
    try {
      out.add(statSync(`/run/netns/${ns}`).ino);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `net:[4026532305]` → 4026532305; undefined for anything else. */
export function parseNetnsLink(link: string): number | undefined {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/** Processes (other than this one) whose network namespace is one of `names`: one pass over /proc. */
export function namespacePids(names: readonly string[]): { pid: number; startTime: string }[] {
  const inodes = namespaceInodes(names);
  return inodes.size ? pidsInNamespaces(inodes) : [];
}

/** Processes of `procRoot` (other than this one) whose /ns/net link names one of `inodes`. */
export function pidsInNamespaces(inodes: ReadonlySet<number>, procRoot = '/proc'): { pid: number; startTime: string }[] {
  const out: { pid: number; startTime: string }[] = [];
  for (const entry of readdirSync(procRoot)) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let ino: number | undefined;
    try {
      ino = parseNetnsLink(readlinkSync(`${procRoot}/${entry}/ns/net`));
    } catch {
      continue; // exited meanwhile, or a kernel thread
    }
    if (ino === undefined || !inodes.has(ino)) continue;
    const startTime = processStartTime(pid);
    if (startTime) out.push({ pid, startTime });
  }
  return out;
}

export interface TeardownReport {
  readonly lab: string;
  readonly processes: number;
  readonly namespaces: number;
}

export async function teardownLab(lab: string): Promise<TeardownReport> {
  const entries = readJournal(lab);
  const procs = entries.flatMap((e) => (e.type === 'process' ? [{ pid: e.pid, startTime: e.startTime }] : []));
  const namespaces = [...new Set(entries.flatMap((e) => (e.type === 'netns' ? [e.name] : [])))];
  await stopProcesses(procs, 1500);

  const present = namespaces.filter((ns) => existsSync(`/run/netns/${ns}`));
  const stragglers = namespacePids(present);
  await stopProcesses(stragglers, 500);

  if (present.length) {
    await execa('ip', ['-force', '-batch', '-'], { input: present.map((ns) => `netns del ${ns}`).join('\n') + '\n', reject: false });
  }
  const left = present.filter((ns) => existsSync(`/run/netns/${ns}`));
  if (left.length) throw new Error(`could not delete namespaces: ${left.join(' ')}`);
  rmSync(labDir(lab), { recursive: true, force: true });
  return { lab, processes: procs.length, namespaces: present.length };
}

export async function cleanAll(): Promise<TeardownReport[]> {
  const out: TeardownReport[] = [];
  for (const lab of journaledLabs()) out.push(await teardownLab(lab));
  return out;
}
