/**
 * Mirrors the router's FIB into its namespace's kernel table through one
 * long-lived `ip -force -batch -` process: each change is one line written
 * to its stdin and applied at once (no process spawn per route). Routes carry
 * `proto bgp` or `proto static` so they are told apart from the kernel's own
 * connected routes, and `ip route` in the namespace lists the same routes as
 * `show fib`.
 *
 * In `dataplane: kernel` mode the kernel forwards with this table; in
 * userspace mode (forwarding off) it only routes the router's own traffic.
 *
 * execa is loaded when the writer starts, so a router with the kernel copy
 * off (`kernelRoutes: false`) does not carry it (about 16 MB of RSS);
 * lines written before the process is up wait in order.
 */
import type { ResultPromise } from 'execa';

export interface KernelNextHop {
  /** Gateway address; absent for a directly connected destination. */
  readonly via?: string;
  readonly dev: string;
}

export interface KernelRoute {
  readonly prefix: string;
  readonly nextHops: readonly KernelNextHop[];
  readonly proto: 'bgp' | 'static';
}

/** The `ip` batch line that installs or replaces a route. */
export function routeReplaceLine(r: KernelRoute): string {
  // Batch lines take no -4/-6: the family follows from the prefix.
  const base = ['route', 'replace', r.prefix, 'proto', r.proto];
  if (r.nextHops.length === 1) {
    const nh = r.nextHops[0];
    return [...base, ...(nh.via ? ['via', nh.via] : []), 'dev', nh.dev].join(' ');
  }
  const hops = r.nextHops.flatMap((nh) => ['nexthop', ...(nh.via ? ['via', nh.via] : []), 'dev', nh.dev]);
  return [...base, ...hops].join(' ');
}

export function routeDeleteLine(prefix: string, proto: 'bgp' | 'static'): string {
  return ['route', 'del', prefix, 'proto', proto].join(' ');
}

export class KernelRouteWriter {
  private proc?: ResultPromise;
  private starting?: Promise<void>;
  private waiting: string[] = [];
  private failures = 0;
  private lines = 0;

  /** Starts `ip -batch`; resolves when it runs (writes before that are kept in order). */
  start(): Promise<void> {
    this.starting ??= import('execa').then(({ execa }) => {
      const proc = execa('ip', ['-force', '-batch', '-'], { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false, buffer: false });
      proc.stderr?.on('data', (d: Buffer) => {
        // "Command failed -:N" per failing line; a delete of an absent route is normal
        this.failures += (String(d).match(/Command failed/g) ?? []).length;
      });
      this.proc = proc;
      if (this.waiting.length) proc.stdin?.write(this.waiting.join('\n') + '\n');
      this.waiting = [];
    });
    return this.starting;
  }

  replace(r: KernelRoute): void {
    this.write(routeReplaceLine(r));
  }

  remove(prefix: string, proto: 'bgp' | 'static'): void {
    this.write(routeDeleteLine(prefix, proto));
  }

  get stats(): { lines: number; failures: number } {
    return { lines: this.lines, failures: this.failures };
  }

  async stop(): Promise<void> {
    await this.starting;
    if (!this.proc) return;
    this.proc.stdin?.end();
    await this.proc;
    this.proc = undefined;
  }

  private write(line: string): void {
    if (!this.starting) throw new Error('kernel route writer not started');
    this.lines++;
    if (this.proc?.stdin) this.proc.stdin.write(line + '\n');
    else this.waiting.push(line);
  }
}
