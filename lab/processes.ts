/**
 * Process supervision: starts the lab's long-running processes (link
 * shaper, routers, anycast servers, BIRD/FRR) inside their namespaces,
 * detached so they outlive `lab up`, with output to logs/<name>.log, and
 * journals each one's PID and kernel start time at once. Readiness is
 * awaited by a condition (a line in the log, a socket that answers), never
 * by a fixed sleep.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendJournal, labDir, processStartTime } from './journal.js';

/** The package root (where package.json is), from src or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
  return dir;
}

/** A compiled entry point of the project (always from dist/, so processes start fast). */
export function distEntry(relative: string): string {
  const p = join(packageRoot(), 'dist', relative);
  if (!existsSync(p)) throw new Error(`${p} is missing: run make build`);
  return p;
}

export interface Spawned {
  readonly pid: number;
  readonly log: string;
}

export function logPath(lab: string, name: string): string {
  return join(labDir(lab), 'logs', `${name}.log`);
}

/** Starts `argv` in namespace `ns`, detached, logging to logs/<logName>.log; journals the PID. */
export function spawnInNamespace(lab: string, ns: string, node: string, role: string, argv: readonly string[], logName = node): Spawned {
  const log = logPath(lab, logName);
  const fd = openSync(log, 'a', 0o644);
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]} in ${ns}`);
    child.unref();
    // `ip netns exec` execs the command: the PID is the command's own.
    appendJournal(lab, { type: 'process', pid: child.pid, startTime: processStartTime(child.pid) ?? '?', node, role });
    return { pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}

/** Waits until `check` holds, polling every few milliseconds; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function logContains(log: string, text: string): boolean {
  try {
    return readFileSync(log, 'utf8').includes(text);
  } catch {
    return false;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
