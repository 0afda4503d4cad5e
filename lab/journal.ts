/**
 * The lab journal: every resource a lab creates is recorded here before it
 * is created (namespaces) or as soon as it exists (processes, with their PID
 * and kernel start time so a reused PID is never killed). Teardown reads only
 * this file: it removes exactly what is recorded, by name and PID.
 *
 * Layout: /run/anycast-lab/<lab>/journal.jsonl (one JSON object per line,
 * appended synchronously), topology.json (the validated topology),
 * logs/<node>.log, captures/, control sockets.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where labs keep their run directories; ANYCAST_LAB_RUN_DIR overrides it (tests isolate themselves so). */
export function runRoot(): string {
  return process.env.ANYCAST_LAB_RUN_DIR ?? '/run/anycast-lab';
}

export type JournalEntry =
  | { readonly type: 'lab'; readonly lab: string; readonly origin: string; readonly at: string }
  | { readonly type: 'netns'; readonly name: string }
  | { readonly type: 'process'; readonly pid: number; readonly startTime: string; readonly node: string; readonly role: string }
  | { readonly type: 'up'; readonly at: string; readonly seconds: number };

export function labDir(lab: string): string {
  return join(runRoot(), lab);
}

export function journalPath(lab: string): string {
  return join(labDir(lab), 'journal.jsonl');
}

export function createLabDir(lab: string): string {
  const dir = labDir(lab);
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o755 });
  mkdirSync(join(dir, 'captures'), { recursive: true, mode: 0o755 });
  return dir;
}

export function appendJournal(lab: string, ...entries: JournalEntry[]): void {
  if (entries.length === 0) return;
  appendFileSync(journalPath(lab), entries.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o644 });
}

/** Reads a journal; a line cut short by a kill mid-write is ignored. */
export function readJournal(lab: string): JournalEntry[] {
  const path = journalPath(lab);
  if (!existsSync(path)) return [];
  const out: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // torn last line after kill -9: the resource it named was not created yet
    }
  }
  return out;
}

export function journaledLabs(): string[] {
  const root = runRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'journal.jsonl')))
    .map((d) => d.name)
    .sort();
}

export function writeLabFile(lab: string, name: string, content: string): void {
  writeFileSync(join(labDir(lab), name), content, { mode: 0o644 });
}

export function readLabFile(lab: string, name: string): string | undefined {
  const p = join(labDir(lab), name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/**
 * Field 22 of /proc/PID/stat: the process start time in clock ticks since
 * boot; undefined when there is no such process or it is a zombie (dead,
 * waiting to be reaped).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (afterComm[0] === 'Z' || afterComm[0] === 'X') return undefined;
    return afterComm[19];
  } catch {
    return undefined;
  }
}
