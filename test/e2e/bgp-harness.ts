/**
 * Helpers of the BGP interop tests (root): two namespaces joined by a veth,
 * our speaker run in one of them through test/e2e/fixtures/bgp-speaker.mjs
 * (driven by JSON lines), a packet capture, and cleanup by name and PID.
 * Every command is an argv array through execa.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';

export const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/e2e/fixtures/bgp-speaker.mjs');

/** Compile the speaker and what it imports into dist/ (the project's layout). */
export async function buildSpeaker(): Promise<void> {
  // `make test` builds first; compile only when the speaker is missing from dist/.
  if (existsSync(join(ROOT, 'dist/src/bgp/speaker.js'))) return;
  await execa('npx', [
    'tsc', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck',
    '--esModuleInterop', '--types', 'node', '--rootDir', ROOT, '--outDir', join(ROOT, 'dist'), join(ROOT, 'src/bgp/speaker.ts'),
  ], { cwd: ROOT });
}

export function uniqueId(): string {
  return randomBytes(3).toString('hex');
}

export async function inNs(ns: string, argv: string[], opts: { reject?: boolean } = {}): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', ns, ...argv], { reject: opts.reject ?? true });
  return String(r.stdout);
}

/** Two namespaces and a veth between them with IPv4 and IPv6 addresses; offloads off. */
export async function makeLink(a: { ns: string; dev: string; v4: string; v6: string }, b: { ns: string; dev: string; v4: string; v6: string }): Promise<void> {
  for (const side of [a, b]) {
    await execa('ip', ['netns', 'add', side.ns]);
    await execa('ip', ['-n', side.ns, 'link', 'set', 'lo', 'up']);
    await inNs(side.ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  }
  await execa('ip', ['link', 'add', 'name', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
  for (const side of [a, b]) {
    await execa('ip', ['-n', side.ns, 'addr', 'add', side.v4, 'dev', side.dev]);
    await execa('ip', ['-n', side.ns, '-6', 'addr', 'add', side.v6, 'dev', side.dev, 'nodad']);
    await execa('ip', ['-n', side.ns, 'link', 'set', side.dev, 'up']);
    await inNs(side.ns, ['ethtool', '-K', side.dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { reject: false });
  }
}

export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  for (const ns of names) await execa('ip', ['netns', 'del', ns], { reject: false });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SpeakerEvent { readonly event: string; readonly [k: string]: unknown }

/** Our speaker in a namespace, driven over stdin/stdout JSON lines. */
export class SpeakerProcess {
  readonly events: SpeakerEvent[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  stderr = '';

  private constructor(readonly proc: ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; buffer: false; reject: false }>) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let m: Record<string, unknown>;
      try { m = JSON.parse(line); } catch { return; }
      if (typeof m.id === 'number') {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error !== undefined) w?.reject(new Error(String(m.error)));
        else w?.resolve(m.result);
      } else if (typeof m.event === 'string') {
        this.events.push(m as SpeakerEvent);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  static async start(ns: string, dir: string, config: unknown): Promise<SpeakerProcess> {
    const file = join(dir, `speaker-${ns}.json`);
    writeFileSync(file, JSON.stringify(config));
    const proc = execa('ip', ['netns', 'exec', ns, process.execPath, FIXTURE, file], {
      stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false,
    });
    const sp = new SpeakerProcess(proc);
    await waitUntil('speaker started', async () => sp.events.some((e) => e.event === 'started') || (proc.exitCode !== null ? (() => { throw new Error(`speaker exited: ${sp.stderr}`); })() : false), 10_000);
    return sp;
  }

  request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.pid !== undefined) this.proc.kill('SIGKILL');
  }
}

export async function waitUntil<T>(what: string, f: () => Promise<T | false | undefined>, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== false && v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** tcpdump writing a pcap in `ns` on `dev`; stop() ends it with SIGINT and waits. */
export async function startCapture(ns: string, dev: string, file: string): Promise<{ stop: () => Promise<void> }> {
  const p = execa('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-U', '--immediate-mode', '-w', file, 'tcp', 'port', '179'], { reject: false, buffer: false, stderr: 'pipe' });
  // tcpdump says "listening on" once the capture is live. Immediate mode: with
  // TPACKET_V3 blocks, packets still in an unretired block are lost at SIGINT.
  await new Promise<void>((res) => {
    const t = setTimeout(res, 3000);
    p.stderr!.on('data', (d: Buffer) => { if (d.toString().includes('listening on')) { clearTimeout(t); res(); } });
  });
  return {
    stop: async () => {
      if (p.exitCode === null) p.kill('SIGINT');
      await p;
    },
  };
}

/** tshark's verdict on a capture: BGP messages from `src`, and any malformed or expert warning/error among them. */
export async function tsharkCheck(file: string, src: string): Promise<{ messages: number; problems: string }> {
  const ip = src.includes(':') ? 'ipv6' : 'ip';
  // reject: true, so a filter tshark does not understand fails the test instead of matching nothing.
  const all = await execa('tshark', ['-r', file, '-Y', `bgp && ${ip}.src == ${src}`, '-T', 'fields', '-e', 'bgp.type']);
  const types = String(all.stdout).split('\n').filter((l) => l.trim() !== '').flatMap((l) => l.split(','));
  const bad = await execa('tshark', ['-r', file, '-Y', `bgp && ${ip}.src == ${src} && (_ws.malformed || _ws.expert.severity >= 0x600000)`]);
  return { messages: types.length, problems: String(bad.stdout).trim() };
}
