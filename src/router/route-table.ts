/**
 * The router's routing table: for each prefix, the candidate routes by
 * source (connected, static, BGP) and the installed one, chosen by
 * administrative preference (connected < static < bgp, as operators expect).
 * Every change of the installed route is reported once, so the kernel
 * mirror, the data plane and the event stream follow it.
 *
 * Storage, sized for a full BGP table. IPv4: one open-addressing hash table
 * in typed arrays keyed by (network address, length), each slot holding the
 * three sources' next-hop sets as small integers (no object and no Map entry
 * per prefix: at a million prefixes Map growth and lookups were a fifth of
 * the router's time). IPv6: one map per source keyed by canonical prefix
 * text. A candidate's next hops are the array as given: callers share one
 * array between the many prefixes with the same next hops (the router
 * interns one per BGP next hop); IPv4 slots refer to it through a registry
 * with reference counts. Route objects (TableRoute) are made on demand, for
 * a change or a view.
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

/** Shared next-hop arrays by small integer ids (1-based; 0 is "none"), counted by use. */
class HopsRegistry {
  private readonly byId: (Hops | undefined)[] = [undefined];
  private readonly refs: number[] = [0];
  private readonly ids = new Map<Hops, number>();
  private readonly free: number[] = [];

  get(id: number): Hops {
    return this.byId[id] as Hops;
  }

  /** The id of `h`, counting one more use. */
  acquire(h: Hops): number {
    let id = this.ids.get(h);
    if (id === undefined) {
      id = this.free.pop() ?? this.byId.length;
      this.byId[id] = h;
      this.refs[id] = 0;
      this.ids.set(h, id);
    }
    this.refs[id]++;
    return id;
  }

  release(id: number): void {
    if (--this.refs[id] > 0) return;
    this.ids.delete(this.byId[id] as Hops);
    this.byId[id] = undefined;
    this.free.push(id);
  }
}

const EMPTY_SLOT = 0;
const USED_SLOT = 1;
const TOMB_SLOT = 2;
/** Int32 words per slot: address, length | state << 8, and the three sources' next-hop ids. */
const STRIDE = 5;

/**
 * IPv4 candidates: (address, length) → three next-hop ids (0: none), by open
 * addressing with linear probing. A slot's words sit together, so a probe
 * touches one cache line.
 */
class Ipv4Slots {
  cap = 0;
  /** STRIDE words per slot. */
  w = new Int32Array(0);
  private used = 0;
  private tombs = 0;

  constructor() {
    this.resize(1024);
  }

  private static hash(a: number, len: number): number {
    let h = Math.imul(a ^ (len << 24) ^ len, 0x9e3779b1);
    h ^= h >>> 15;
    return Math.imul(h, 0x85ebca77) ^ (h >>> 13);
  }

  /** The word offset of (a, len)'s slot, or -1. */
  find(a: number, len: number): number {
    const w = this.w;
    const mask = this.cap - 1;
    const want = len | (USED_SLOT << 8);
    for (let i = Ipv4Slots.hash(a, len) & mask; ; i = (i + 1) & mask) {
      const o = i * STRIDE;
      const meta = w[o + 1];
      if (meta === want && w[o] === a) return o;
      if (meta >>> 8 === EMPTY_SLOT) return -1;
    }
  }

  /** The word offset of (a, len)'s slot, made when absent. */
  findOrAdd(a: number, len: number): number {
    const found = this.find(a, len);
    if (found >= 0) return found;
    if ((this.used + this.tombs + 1) * 4 > this.cap * 3) this.resize((this.used + 1) * 4 > this.cap ? this.cap * 2 : this.cap);
    const w = this.w;
    const mask = this.cap - 1;
    let i = Ipv4Slots.hash(a, len) & mask;
    while (w[i * STRIDE + 1] >>> 8 === USED_SLOT) i = (i + 1) & mask;
    const o = i * STRIDE;
    if (w[o + 1] >>> 8 === TOMB_SLOT) this.tombs--;
    w[o] = a;
    w[o + 1] = len | (USED_SLOT << 8);
    w[o + 2] = w[o + 3] = w[o + 4] = 0;
    this.used++;
    return o;
  }

  /** Frees a slot whose three sources are all empty. */
  drop(o: number): void {
    this.w[o + 1] = TOMB_SLOT << 8;
    this.used--;
    this.tombs++;
  }

  private resize(cap: number): void {
    const old = this.w;
    const oldCap = this.cap;
    this.cap = cap;
    const w = (this.w = new Int32Array(cap * STRIDE));
    this.used = 0;
    this.tombs = 0;
    const mask = cap - 1;
    for (let j = 0; j < oldCap; j++) {
      const src = j * STRIDE;
      const meta = old[src + 1];
      if (meta >>> 8 !== USED_SLOT) continue;
      let i = Ipv4Slots.hash(old[src], meta & 0xff) & mask;
      while (w[i * STRIDE + 1] >>> 8 === USED_SLOT) i = (i + 1) & mask;
      const o = i * STRIDE;
      for (let k = 0; k < STRIDE; k++) w[o + k] = old[src + k];
      this.used++;
    }
  }
}

export class RouteTable {
  private readonly v4 = new Ipv4Slots();
  private readonly hopIds = new HopsRegistry();
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
    if (prefix.family === 4) return this.set4(prefix, s, nextHops);
    const key = formatPrefix(prefix);
    const maps = this.v6;
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
    return this.change(prefix, oldSource, oldHops, newSource, newHops);
  }

  private set4(prefix: IpPrefix, s: number, nextHops: Hops): RouteChange | undefined {
    const t = this.v4;
    const a = key4(prefix);
    const o = nextHops.length > 0 ? t.findOrAdd(a, prefix.len) : t.find(a, prefix.len);
    if (o < 0) return undefined;
    const w = t.w;
    const base = o + 2;
    let oldSource = -1;
    for (let i = 0; i < 3; i++) if (w[base + i] !== 0) { oldSource = i; break; }
    const oldHops = oldSource >= 0 ? this.hopIds.get(w[base + oldSource]) : undefined;
    const had = w[base + s];
    if (nextHops.length === 0) {
      if (had === 0) return undefined;
      w[base + s] = 0;
      this.hopIds.release(had);
      if (w[base] === 0 && w[base + 1] === 0 && w[base + 2] === 0) t.drop(o);
    } else if (had === 0 || this.hopIds.get(had) !== nextHops) {
      w[base + s] = this.hopIds.acquire(nextHops);
      if (had !== 0) this.hopIds.release(had);
    }
    if (oldSource >= 0 && oldSource < s) return undefined;
    let newSource = -1;
    let newHops: Hops | undefined;
    if (nextHops.length > 0) {
      newSource = s;
      newHops = nextHops;
    } else {
      for (let i = s + 1; i < 3; i++) {
        const id = w[base + i];
        if (id !== 0) { newSource = i; newHops = this.hopIds.get(id); break; }
      }
    }
    return this.change(prefix, oldSource, oldHops, newSource, newHops);
  }

  /** The installed route went from (oldSource, oldHops) to (newSource, newHops); -1: none. */
  private change(prefix: IpPrefix, oldSource: number, oldHops: Hops | undefined, newSource: number, newHops: Hops | undefined): RouteChange | undefined {
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
      const h = prefix.family === 4 ? this.candidate4(prefix, i) : this.v6[i].get(formatPrefix(prefix));
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

  private candidate4(prefix: IpPrefix, source: number): Hops | undefined {
    const o = this.v4.find(key4(prefix), prefix.len);
    const id = o < 0 ? 0 : this.v4.w[o + 2 + source];
    return id === 0 ? undefined : this.hopIds.get(id);
  }

  /** Calls `fn` for each installed route whose next hops pass `want` (all when absent). */
  private forEachInstalled(fn: (r: TableRoute) => void, want?: (h: Hops) => boolean): void {
    const t = this.v4;
    const w = t.w;
    for (let o = 0; o < t.cap * STRIDE; o += STRIDE) {
      if (w[o + 1] >>> 8 !== USED_SLOT) continue;
      for (let i = 0; i < 3; i++) {
        const id = w[o + 2 + i];
        if (id === 0) continue;
        const h = this.hopIds.get(id);
        if (want === undefined || want(h)) fn({ prefix: prefix4(w[o], w[o + 1] & 0xff), source: SOURCES[i], nextHops: h });
        break;
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
