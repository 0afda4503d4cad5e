/**
 * Shared helpers of the namespace tests: unique lab names, an isolated run
 * directory per test file, the built CLI, and snapshots of the host's own
 * network state (which must be identical after every lab).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/lab/cli.js');

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** `t` + 6 random hex digits + suffix: unique per run, short enough for namespace names. */
export function uniqueLabName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/** Gives this test file its own run directory so `lab clean` only sees its labs. */
export function isolateRunDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync('/run/anycast-lab-test-');
  chmodSync(dir, 0o755); // daemons that drop privileges (FRR runs as user frr) must reach their files
  process.env.ANYCAST_LAB_RUN_DIR = dir;
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function ensureBuilt(): Promise<void> {
  if (!existsSync(CLI)) await execa('npx', ['tsc', '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT });
}

export async function lab(args: string[], opts: { reject?: boolean; timeout?: number } = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: opts.reject ?? true, timeout: opts.timeout ?? 120_000, env: { ANYCAST_LAB_RUN_DIR: process.env.ANYCAST_LAB_RUN_DIR } });
}

/**
 * The host's own network state: links, routes, forwarding sysctls. The
 * namespace list is compared separately (namespacesKept): other labs may
 * come and go on a shared machine while a test runs.
 */
export async function hostSnapshot(): Promise<Record<string, string>> {
  const get = async (argv: string[]) => String((await execa(argv[0], argv.slice(1), { reject: false })).stdout);
  return {
    links: (await get(['ip', '-d', 'link'])).replace(/\s+/g, ' '),
    routes4: await get(['ip', 'route', 'show', 'table', 'all']),
    routes6: await get(['ip', '-6', 'route', 'show', 'table', 'all']),
    sysctl: await get(['sysctl', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.rp_filter', 'net.ipv6.conf.all.accept_ra']),
  };
}

export async function namespaceList(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return String(r.stdout).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

/** Namespaces whose name starts with the lab's prefix. */
export async function labNamespaces(labName: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return String(r.stdout).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${labName}-`));
}
