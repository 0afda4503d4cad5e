/**
 * In-process namespace work for the runner, through the `netnstools` addon
 * (src/dataplane/native/netns_tools.c): switch the calling thread into a
 * named network namespace for the length of a synchronous function, write
 * that namespace's sysctls through /proc/sys, turn a device's offloads off,
 * and start a child process that inherits the namespace. None of these
 * unshares a mount namespace or remounts /sys, as `ip netns exec` and `ip -n`
 * do for every call.
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

interface Addon {
  runIn<T>(path: string, fn: () => T): T;
  setOffloads(devices: readonly string[], on: boolean): void;
  getOffloads(device: string): Offloads;
}

export interface NetnsTools {
  /** Runs `fn` with the calling thread inside namespace `ns` (a name under /run/netns). */
  runIn<T>(ns: string, fn: () => T): T;
  /** Offloads (tx checksum, TSO, GSO, GRO) on or off for devices of the current namespace. */
  setOffloads(devices: readonly string[], on: boolean): void;
  getOffloads(device: string): Offloads;
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
  const addon = createRequire(import.meta.url)(path) as Addon;
  cached = {
    runIn: (ns, fn) => addon.runIn(netnsPath(ns), fn),
    setOffloads: (devices, on) => addon.setOffloads(devices, on),
    getOffloads: (device) => addon.getOffloads(device),
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
