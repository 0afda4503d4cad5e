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
 */
import { execa, type ResultPromise } from 'execa';

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
  private failures = 0;
  private lines = 0;

  start(): void {
    this.proc = execa('ip', ['-force', '-batch', '-'], { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false, buffer: false });
    this.proc.stderr?.on('data', (d: Buffer) => {
      // "Command failed -:N" per failing line; a delete of an absent route is normal
      this.failures += (String(d).match(/Command failed/g) ?? []).length;
    });
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
    if (!this.proc) return;
    this.proc.stdin?.end();
    await this.proc;
    this.proc = undefined;
  }

  private write(line: string): void {
    if (!this.proc?.stdin) throw new Error('kernel route writer not started');
    this.lines++;
    this.proc.stdin.write(line + '\n');
  }
}
