/**
 * Teardown by journal: stop the processes a lab recorded (by PID, checked
 * against the recorded start time so a reused PID is never signalled), stop
 * whatever else still runs inside the lab's own namespaces (`ip netns pids`,
 * e.g. a `lab exec` left in the background), delete the namespaces the journal
 * names (their veths and bridges go with them), and remove the run directory.
 * Idempotent: what is already gone is skipped. Never matches by pattern.
 */
import { existsSync, rmSync } from 'node:fs';
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

async function namespacePids(ns: string): Promise<{ pid: number; startTime: string }[]> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
  if (r.exitCode !== 0) return [];
  return String(r.stdout)
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid)
    .flatMap((pid) => {
      const startTime = processStartTime(pid);
      return startTime ? [{ pid, startTime }] : [];
    });
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
  const stragglers = (await Promise.all(present.map(namespacePids))).flat();
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
