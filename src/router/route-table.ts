/**
 * The router's routing table: for each prefix, the candidate routes by
 * source (connected, static, BGP) and the installed one, chosen by
 * administrative preference (connected < static < bgp, as operators expect).
 * Every change of the installed route is reported once, so the kernel
 * mirror, the data plane and the event stream follow it.
 *
 * Storage, sized for a full BGP table: one map per source; IPv4 prefixes
 * keyed, per prefix length, by the network address as a signed 32-bit number
 * (no text, no object per key), IPv6 by canonical prefix text. A candidate's
 * value is its next-hop array as given: callers share one array between the
 * many prefixes with the same next hops (the router interns one per BGP next
 * hop), so a prefix costs one map entry per source and no objects of its own.
 * Route objects (TableRoute) are made on demand, for a change or a view.
 *
 * Pure: no I/O. Not here: longest-prefix lookup structures (src/fib), BGP
 * best path (src/bgp/rib).
 */
import { formatPrefix, parsePrefix, type IpPrefix } from '../lib/prefix.js';

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

type Hops = readonly NextHop[];

/** Sources in order of preference: index 0 wins. */
const SOURCES: readonly RouteSource[] = ['connected', 'static', 'bgp'];
const SOURCE_INDEX: Readonly<Record<RouteSource, number>> = { connected: 0, static: 1, bgp: 2 };

function sameHops(a: Hops, b: Hops): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].via !== b[i].via || a[i].interface !== b[i].interface) return false;
  return true;
}

/** The network address of an IPv4 prefix as a signed 32-bit number (host bits cleared). */
function key4(p: IpPrefix): number {
  const b = p.bytes;
  const n = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
  return p.len === 0 ? 0 : n & (-1 << (32 - p.len));
}

function prefix4(key: number, len: number): IpPrefix {
  return { family: 4, bytes: Uint8Array.of(key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff), len };
}

function prefix6(key: string): IpPrefix {
  const p = parsePrefix(key);
  if (!p.ok) throw new Error(`route table: bad IPv6 key ${key}`);
  return p.value;
}

export class RouteTable {
  /** [prefix length][source] → network address → next hops. */
  private readonly v4: Map<number, Hops>[][] = Array.from({ length: 33 }, () => SOURCES.map(() => new Map<number, Hops>()));
  /** [source] → prefix text → next hops. */
  private readonly v6: Map<string, Hops>[] = SOURCES.map(() => new Map<string, Hops>());
  private installedCount = 0;

  /** Prefixes with an installed route. */
  get size(): number {
    return this.installedCount;
  }

  /**
   * Sets (or with no next hops, clears) the candidate of one source; returns
   * the installed change, if any. `nextHops` is kept as given (not copied):
   * pass a shared array for many prefixes with the same next hops.
   */
  set(prefix: IpPrefix, source: RouteSource, nextHops: Hops): RouteChange | undefined {
    const s = SOURCE_INDEX[source];
    let maps: Map<number | string, Hops>[];
    let key: number | string;
    if (prefix.family === 4) {
      key = key4(prefix);
      maps = this.v4[prefix.len] as Map<number | string, Hops>[];
    } else {
      key = formatPrefix(prefix);
      maps = this.v6 as Map<number | string, Hops>[];
    }
    let oldSource = -1;
    let oldHops: Hops | undefined;
    for (let i = 0; i < 3; i++) {
      const h = maps[i].get(key);
      if (h !== undefined) { oldSource = i; oldHops = h; break; }
    }
    if (nextHops.length === 0) {
      if (!maps[s].delete(key)) return undefined;
    } else {
      maps[s].set(key, nextHops);
    }
    // A lower-preference source changed under the installed one: nothing to report.
    if (oldSource >= 0 && oldSource < s) return undefined;
    let newSource = -1;
    let newHops: Hops | undefined;
    if (nextHops.length > 0) {
      newSource = s;
      newHops = nextHops;
    } else {
      for (let i = s + 1; i < 3; i++) {
        const h = maps[i].get(key);
        if (h !== undefined) { newSource = i; newHops = h; break; }
      }
    }
    if (newSource < 0) {
      if (oldSource < 0) return undefined;
      this.installedCount--;
      return { action: 'remove', route: { prefix, source: SOURCES[oldSource], nextHops: oldHops as Hops } };
    }
    if (oldSource < 0) {
      this.installedCount++;
      return { action: 'add', route: { prefix, source: SOURCES[newSource], nextHops: newHops as Hops } };
    }
    if (oldSource === newSource && sameHops(oldHops as Hops, newHops as Hops)) return undefined;
    return { action: 'replace', route: { prefix, source: SOURCES[newSource], nextHops: newHops as Hops } };
  }

  remove(prefix: IpPrefix, source: RouteSource): RouteChange | undefined {
    return this.set(prefix, source, []);
  }

  /** Every installed route (a new object each; for views, not per packet). */
  installed(): TableRoute[] {
    const out: TableRoute[] = [];
    this.forEachInstalled((r) => { out.push(r); });
    return out;
  }

  get(prefix: IpPrefix): TableRoute | undefined {
    return this.candidates(prefix)[0];
  }

  /** The candidates of one prefix, most preferred (the installed one) first. */
  candidates(prefix: IpPrefix): TableRoute[] {
    const out: TableRoute[] = [];
    for (let i = 0; i < 3; i++) {
      const h = prefix.family === 4 ? this.v4[prefix.len][i].get(key4(prefix)) : this.v6[i].get(formatPrefix(prefix));
      if (h !== undefined) out.push({ prefix, source: SOURCES[i], nextHops: h });
    }
    return out;
  }

  /** Every installed route whose next hops use `ifname`. */
  routesVia(ifname: string): TableRoute[] {
    const out: TableRoute[] = [];
    const uses = new Map<Hops, boolean>();
    this.forEachInstalled((r) => { out.push(r); }, (h) => {
      let u = uses.get(h);
      if (u === undefined) uses.set(h, (u = h.some((x) => x.interface === ifname)));
      return u;
    });
    return out;
  }

  /** Calls `fn` for each installed route whose next hops pass `want` (all when absent). */
  private forEachInstalled(fn: (r: TableRoute) => void, want?: (h: Hops) => boolean): void {
    for (let len = 0; len <= 32; len++) {
      const maps = this.v4[len];
      for (let i = 0; i < 3; i++) {
        for (const [key, h] of maps[i]) {
          if (want !== undefined && !want(h)) continue;
          let shadowed = false;
          for (let j = 0; j < i && !shadowed; j++) shadowed = maps[j].has(key);
          if (!shadowed) fn({ prefix: prefix4(key, len), source: SOURCES[i], nextHops: h });
        }
      }
    }
    for (let i = 0; i < 3; i++) {
      for (const [key, h] of this.v6[i]) {
        if (want !== undefined && !want(h)) continue;
        let shadowed = false;
        for (let j = 0; j < i && !shadowed; j++) shadowed = this.v6[j].has(key);
        if (!shadowed) fn({ prefix: prefix6(key), source: SOURCES[i], nextHops: h });
      }
    }
  }
}
