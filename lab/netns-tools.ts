/**
 * In-process namespace work for the runner, through the `netnstools` addon
 * (src/dataplane/native/netns_tools.c): switch the calling thread into a
 * named network namespace for the length of a synchronous function, write
 * that namespace's sysctls through /proc/sys, turn a device's offloads off,
 * start a child process that inherits the namespace, and carry out the few
 * `ip` lines a lab plan uses (link up, bridge create, bridge port, address,
 * route via a gateway) as rtnetlink requests without an `ip` process. None of
 * these unshares a mount namespace or remounts /sys, as `ip netns exec` and
 * `ip -n` do for every call.
 *
 * Everything passed to `runIn` must be synchronous: the thread is back in its
 * own namespace when `runIn` returns (also when the function throws).
 *
 * Not here: choosing what to write (lab/plan.ts), the fallback through
 * `ip netns exec` when the addon is not built (lab/runner.ts).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './processes.js';

export interface Offloads {
  readonly tx: boolean;
  readonly tso: boolean;
  readonly gso: boolean;
  readonly gro: boolean;
}

/**
 * An rtnetlink request the addon builds itself (netns_tools.c run_op):
 * ['link-up', dev] | ['link-master', dev, bridge] |
 * ['bridge', name, forward_delay, stp_state, mcast_snooping] ('' = kernel default) |
 * ['addr', dev, cidr, 'nodad' | ''] | ['route', 'default' | cidr, gateway].
 */
export type RtOp = readonly string[];

interface Addon {
  runIn<T>(path: string, fn: () => T): T;
  setOffloads(devices: readonly string[], on: boolean): void;
  getOffloads(device: string): Offloads;
  rtnetlink(ops: readonly RtOp[]): void;
}

export interface NetnsTools {
  /** Runs `fn` with the calling thread inside namespace `ns` (a name under /run/netns). */
  runIn<T>(ns: string, fn: () => T): T;
  /** Offloads (tx checksum, TSO, GSO, GRO) on or off for devices of the current namespace. */
  setOffloads(devices: readonly string[], on: boolean): void;
  getOffloads(device: string): Offloads;
  /** Carries out the ops in order in the current namespace; throws at the first failure. */
  rtnetlink(ops: readonly RtOp[]): void;
}

export function addonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'netnstools.node');
}

const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

export function netnsPath(ns: string): string {
  if (!NETNS_NAME.test(ns) || ns === '.' || ns === '..') throw new Error(`netns-tools: bad namespace name ${JSON.stringify(ns)}`);
  return `/run/netns/${ns}`;
}

let cached: NetnsTools | null | undefined;

/** The addon, or undefined when it is not built (the caller falls back to `ip netns exec`). */
export function loadNetnsTools(): NetnsTools | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const path = addonPath();
  if (!existsSync(path)) {
    cached = null;
    return undefined;
  }
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    // Built for another Node ABI, say: the runner still works, through `ip netns exec`.
    process.emitWarning(`netns-tools: ${path} did not load (${(e as Error).message}); using ip netns exec`);
    cached = null;
    return undefined;
  }
  cached = {
    runIn: (ns, fn) => addon.runIn(netnsPath(ns), fn),
    setOffloads: (devices, on) => addon.setOffloads(devices, on),
    getOffloads: (device) => addon.getOffloads(device),
    rtnetlink: (ops) => addon.rtnetlink(ops),
  };
  return cached;
}

const SYSCTL_KEY = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;

/**
 * `key=value` (sysctl(8) notation) to the /proc/sys file and the value.
 * Keys are dotted names without `/`, so a path never leaves /proc/sys.
 */
export function sysctlPath(setting: string): { path: string; value: string } {
  const eq = setting.indexOf('=');
  const key = eq > 0 ? setting.slice(0, eq) : '';
  if (!SYSCTL_KEY.test(key)) throw new Error(`netns-tools: bad sysctl setting ${JSON.stringify(setting)}`);
  return { path: `/proc/sys/${key.replaceAll('.', '/')}`, value: setting.slice(eq + 1) };
}

/**
 * Writes sysctls of the namespace the calling thread is in: call inside
 * `runIn` (a /proc/sys/net file belongs to the namespace of whoever opens it).
 */
export function writeSysctls(settings: readonly string[]): void {
  for (const s of settings) {
    const { path, value } = sysctlPath(s);
    writeFileSync(path, value);
  }
}

const TOKEN = /^[A-Za-z0-9_.:@-]{1,62}$/;
const CIDR = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(\/\d{1,3})?$/;
const UINT = /^\d{1,9}$/;
const BRIDGE_OPTIONS = ['forward_delay', 'stp_state', 'mcast_snooping'] as const;

/**
 * The rtnetlink op for one plan line (`ip` argv without `ip`), or undefined
 * when the line is not one of the shapes the addon builds (the runner then
 * runs that namespace's lines through `ip -batch`).
 */
export function ipLineToOp(argv: readonly string[]): RtOp | undefined {
  if (!argv.every((t) => TOKEN.test(t) || CIDR.test(t))) return undefined;
  const [obj, verb, ...rest] = argv;
  if (obj === 'link' && verb === 'set') {
    if (rest.length === 2 && rest[1] === 'up') return ['link-up', rest[0]];
    if (rest.length === 3 && rest[1] === 'master') return ['link-master', rest[0], rest[2]];
    return undefined;
  }
  if (obj === 'link' && verb === 'add' && rest[1] === 'type' && rest[2] === 'bridge' && rest.length % 2 === 1) {
    const opts = new Map<string, string>();
    for (let i = 3; i < rest.length; i += 2) {
      const [k, v] = [rest[i], rest[i + 1]];
      if (!(BRIDGE_OPTIONS as readonly string[]).includes(k) || !UINT.test(v) || opts.has(k)) return undefined;
      opts.set(k, v);
    }
    return ['bridge', rest[0], ...BRIDGE_OPTIONS.map((k) => opts.get(k) ?? '')];
  }
  if (obj === 'addr' && verb === 'add' && rest[1] === 'dev' && CIDR.test(rest[0])) {
    if (rest.length === 3) return ['addr', rest[2], rest[0], ''];
    if (rest.length === 4 && rest[3] === 'nodad') return ['addr', rest[2], rest[0], 'nodad'];
    return undefined;
  }
  if (obj === 'route' && verb === 'add' && rest.length === 3 && rest[1] === 'via' && CIDR.test(rest[2])) {
    const dst = rest[0];
    const gwV6 = rest[2].includes(':');
    if (dst === 'default' || dst === '0.0.0.0/0' || dst === '::/0') {
      if ((dst === '::/0' && !gwV6) || (dst === '0.0.0.0/0' && gwV6)) return undefined;
      return ['route', 'default', rest[2]];
    }
    if (CIDR.test(dst) && dst.includes(':') === gwV6) return ['route', dst, rest[2]];
  }
  return undefined;
}
