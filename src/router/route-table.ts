/**
 * The router's routing table: for each prefix, the candidate routes by
 * source (connected, static, BGP) and the installed one, chosen by
 * administrative preference (connected < static < bgp, as operators expect).
 * Every change of the installed route is reported once, so the kernel
 * mirror, the data plane and the event stream follow it.
 *
 * Pure: no I/O. Keys are canonical prefix text ("10.0.0.0/31").
 * Not here: longest-prefix lookup structures (src/fib), BGP best path (src/bgp/rib).
 */
import { formatPrefix, type IpPrefix } from '../lib/prefix.js';

export type RouteSource = 'connected' | 'static' | 'bgp';

export interface NextHop {
  /** Gateway address text; absent for a directly connected destination. */
  readonly via?: string;
  readonly interface: string;
}

export interface TableRoute {
  readonly prefix: IpPrefix;
  readonly source: RouteSource;
  readonly nextHops: readonly NextHop[];
}

export type RouteChange =
  | { readonly action: 'add' | 'replace'; readonly route: TableRoute }
  | { readonly action: 'remove'; readonly route: TableRoute };

const PREFERENCE: Readonly<Record<RouteSource, number>> = { connected: 0, static: 1, bgp: 2 };

interface Slot {
  readonly prefix: IpPrefix;
  readonly bySource: Map<RouteSource, TableRoute>;
  installed?: TableRoute;
}

function sameHops(a: readonly NextHop[], b: readonly NextHop[]): boolean {
  return a.length === b.length && a.every((h, i) => h.via === b[i].via && h.interface === b[i].interface);
}

export class RouteTable {
  private readonly slots = new Map<string, Slot>();

  /** Sets (or with no next hops, clears) the candidate of one source; returns the installed change, if any. */
  set(prefix: IpPrefix, source: RouteSource, nextHops: readonly NextHop[]): RouteChange | undefined {
    const key = formatPrefix(prefix);
    let slot = this.slots.get(key);
    if (!slot) {
      if (nextHops.length === 0) return undefined;
      this.slots.set(key, (slot = { prefix, bySource: new Map() }));
    }
    if (nextHops.length === 0) slot.bySource.delete(source);
    else slot.bySource.set(source, { prefix, source, nextHops });
    return this.reselect(key, slot);
  }

  remove(prefix: IpPrefix, source: RouteSource): RouteChange | undefined {
    return this.set(prefix, source, []);
  }

  installed(): TableRoute[] {
    return [...this.slots.values()].flatMap((s) => (s.installed ? [s.installed] : []));
  }

  get(prefix: IpPrefix): TableRoute | undefined {
    return this.slots.get(formatPrefix(prefix))?.installed;
  }

  candidates(prefix: IpPrefix): TableRoute[] {
    return [...(this.slots.get(formatPrefix(prefix))?.bySource.values() ?? [])];
  }

  /** Every installed route whose next hops use `ifname`. */
  routesVia(ifname: string): TableRoute[] {
    return this.installed().filter((r) => r.nextHops.some((h) => h.interface === ifname));
  }

  private reselect(key: string, slot: Slot): RouteChange | undefined {
    let best: TableRoute | undefined;
    for (const r of slot.bySource.values()) if (!best || PREFERENCE[r.source] < PREFERENCE[best.source]) best = r;
    const old = slot.installed;
    slot.installed = best;
    if (!best) {
      this.slots.delete(key);
      return old ? { action: 'remove', route: old } : undefined;
    }
    if (!old) return { action: 'add', route: best };
    if (old.source === best.source && sameHops(old.nextHops, best.nextHops)) return undefined;
    return { action: 'replace', route: best };
  }
}
