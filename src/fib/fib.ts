/**
 * The forwarding information base of one router: routes (prefix -> next hop
 * or ECMP group) for IPv4 and IPv6 over the longest-prefix-match structures of
 * index.ts, a next-hop table the routes point into, next-hop groups, a change
 * listener and the views `show fib` and `explain` need.
 *
 * - Next hops are interned: the same (family, gateway, interface, source)
 *   gets the same id, reference-counted by the routes and groups using it.
 *   A next hop without a gateway address is "connected" (on-link: the packet's
 *   own destination is the neighbour to resolve).
 * - Groups are interned the same way by their sorted member ids. A lookup
 *   returns one number: a next-hop id, or a group id tagged with GROUP_FLAG;
 *   `resolve(value, flowHash)` picks the member for a flow (hash modulo the
 *   member count, members in id order, so a flow keeps its member while the
 *   group is unchanged). RFC 2992 hash-threshold is not implemented.
 * - Listeners see every add/replace/remove after it is applied (the router
 *   mirrors them into the kernel table).
 *
 * Pure: no I/O, no clock. Errors of the caller's data come back as values;
 * bad arguments that only code can produce (wrong family) are RangeErrors.
 * Not here: route selection between sources (bgp/rib and router config decide
 * what is installed), neighbour resolution (dataplane).
 */
import {
  bytesEqual, formatAddress, formatPrefix, ipv4ToNumber, ipv6ToWords, maskBytes,
  type Family, type IpAddress, type IpPrefix,
} from '../lib/prefix.js';
import { createIpv4Lpm, createIpv6Lpm, type Ipv4Lpm, type Ipv6Lpm } from './index.js';

export type RouteSource = 'connected' | 'static' | 'bgp';

/** What a caller supplies to name a next hop. */
export interface NextHopSpec {
  readonly family: Family;
  /** gateway address in network order; null for a connected (on-link) route */
  readonly address: Uint8Array | null;
  readonly ifIndex: number;
  readonly ifName: string;
  readonly source: RouteSource;
}

export interface NextHop extends NextHopSpec {
  readonly id: number;
}

export interface NextHopGroup {
  readonly id: number;
  /** next-hop ids, ascending */
  readonly members: readonly number[];
}

export interface FibRoute {
  readonly prefix: IpPrefix;
  readonly source: RouteSource;
  /** next-hop id, or GROUP_FLAG | group id */
  readonly target: number;
  readonly nextHops: readonly NextHop[];
}

export type FibChange =
  | { readonly type: 'add'; readonly route: FibRoute }
  | { readonly type: 'replace'; readonly route: FibRoute; readonly previous: FibRoute }
  | { readonly type: 'remove'; readonly previous: FibRoute };

export type FibResult = { ok: true; route: FibRoute } | { ok: false; error: 'exists' | 'missing' | 'no-next-hop' | 'family-mismatch' };

export interface FibMatch {
  readonly route: FibRoute;
  /** true for the longest match, the one forwarding uses */
  readonly selected: boolean;
}

/** Group values in the LPM carry this bit; next-hop ids stay below it. */
export const GROUP_FLAG = 1 << 29;
export const NO_ROUTE = -1;

export function isGroup(value: number): boolean {
  return value >= 0 && (value & GROUP_FLAG) !== 0;
}

function nextHopKey(s: NextHopSpec): string {
  const gw = s.address ? Array.from(s.address).join('.') : '-';
  return `${s.family}|${gw}|${s.ifIndex}|${s.ifName}|${s.source}`;
}

function routeKey(p: IpPrefix): string {
  return `${p.family}|${formatPrefix(p)}`;
}

interface Slot<T> {
  value: T;
  refs: number;
}

export class Fib {
  private readonly v4: Ipv4Lpm = createIpv4Lpm();
  private readonly v6: Ipv6Lpm = createIpv6Lpm();
  private readonly routes = new Map<string, FibRoute>();
  private readonly hops: Array<Slot<NextHop> | undefined> = [];
  private readonly hopIds = new Map<string, number>();
  private readonly freeHopIds: number[] = [];
  private readonly groups: Array<Slot<NextHopGroup> | undefined> = [];
  private readonly groupIds = new Map<string, number>();
  private readonly freeGroupIds: number[] = [];
  private readonly listeners = new Set<(c: FibChange) => void>();

  get size(): number {
    return this.routes.size;
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  onChange(fn: (c: FibChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- next hops and groups ----------------------------------------------

  nextHop(id: number): NextHop | undefined {
    return this.hops[id]?.value;
  }

  group(id: number): NextHopGroup | undefined {
    return this.groups[id]?.value;
  }

  /** Every next hop in use, by id. */
  nextHops(): NextHop[] {
    return this.hops.filter((h): h is Slot<NextHop> => h !== undefined).map((h) => h.value);
  }

  groupsInUse(): NextHopGroup[] {
    return this.groups.filter((g): g is Slot<NextHopGroup> => g !== undefined).map((g) => g.value);
  }

  private refHop(spec: NextHopSpec): number {
    const key = nextHopKey(spec);
    let id = this.hopIds.get(key);
    if (id === undefined) {
      id = this.freeHopIds.pop() ?? this.hops.length;
      const value: NextHop = {
        id, family: spec.family, address: spec.address ? Uint8Array.from(spec.address) : null,
        ifIndex: spec.ifIndex, ifName: spec.ifName, source: spec.source,
      };
      this.hops[id] = { value, refs: 0 };
      this.hopIds.set(key, id);
    }
    (this.hops[id] as Slot<NextHop>).refs++;
    return id;
  }

  private unrefHop(id: number): void {
    const slot = this.hops[id];
    if (!slot) return;
    if (--slot.refs === 0) {
      this.hopIds.delete(nextHopKey(slot.value));
      this.hops[id] = undefined;
      this.freeHopIds.push(id);
    }
  }

  /** Intern the target of a route: one next hop, or a group of several. */
  private refTarget(specs: readonly NextHopSpec[]): number {
    const ids = [...new Set(specs.map((s) => this.refHop(s)))].sort((a, b) => a - b);
    if (ids.length !== specs.length) {
      // duplicates in the list: keep one reference per distinct next hop
      const counts = new Map<number, number>();
      for (const s of specs) {
        const id = this.hopIds.get(nextHopKey(s)) as number;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const [id, c] of counts) for (let i = 1; i < c; i++) this.unrefHop(id);
    }
    if (ids.length === 1) return ids[0];
    const key = ids.join(',');
    let gid = this.groupIds.get(key);
    if (gid === undefined) {
      gid = this.freeGroupIds.pop() ?? this.groups.length;
      this.groups[gid] = { value: { id: gid, members: ids }, refs: 0 };
      this.groupIds.set(key, gid);
    } else {
      // the group already holds one reference on each member
      for (const id of ids) this.unrefHop(id);
    }
    (this.groups[gid] as Slot<NextHopGroup>).refs++;
    return GROUP_FLAG | gid;
  }

  private unrefTarget(target: number): void {
    if (!isGroup(target)) {
      this.unrefHop(target);
      return;
    }
    const gid = target & ~GROUP_FLAG;
    const slot = this.groups[gid];
    if (!slot) return;
    if (--slot.refs === 0) {
      this.groupIds.delete(slot.value.members.join(','));
      this.groups[gid] = undefined;
      this.freeGroupIds.push(gid);
      for (const id of slot.value.members) this.unrefHop(id);
    }
  }

  /** The next hops a target value stands for. */
  nextHopsOf(target: number): NextHop[] {
    if (target < 0) return [];
    if (!isGroup(target)) {
      const h = this.nextHop(target);
      return h ? [h] : [];
    }
    const g = this.group(target & ~GROUP_FLAG);
    return g ? g.members.map((id) => this.nextHop(id)).filter((h): h is NextHop => h !== undefined) : [];
  }

  /**
   * The next hop a lookup result stands for, for one flow: a next-hop id is
   * itself; a group picks member (flowHash mod size). Undefined for no route.
   */
  resolve(value: number, flowHash: number): NextHop | undefined {
    if (value < 0) return undefined;
    if (!isGroup(value)) return this.nextHop(value);
    const g = this.group(value & ~GROUP_FLAG);
    if (!g || g.members.length === 0) return undefined;
    return this.nextHop(g.members[(flowHash >>> 0) % g.members.length]);
  }

  // ---- routes ------------------------------------------------------------

  get(prefix: IpPrefix): FibRoute | undefined {
    return this.routes.get(routeKey(normalise(prefix)));
  }

  /** Add a route that is not there yet. */
  add(prefix: IpPrefix, nextHops: NextHopSpec | readonly NextHopSpec[], source: RouteSource): FibResult {
    const p = normalise(prefix);
    if (this.routes.has(routeKey(p))) return { ok: false, error: 'exists' };
    return this.put(p, nextHops, source);
  }

  /** Replace the next hops of a route that is there. */
  replace(prefix: IpPrefix, nextHops: NextHopSpec | readonly NextHopSpec[], source: RouteSource): FibResult {
    const p = normalise(prefix);
    if (!this.routes.has(routeKey(p))) return { ok: false, error: 'missing' };
    return this.put(p, nextHops, source);
  }

  /** Add or replace. */
  set(prefix: IpPrefix, nextHops: NextHopSpec | readonly NextHopSpec[], source: RouteSource): FibResult {
    return this.put(normalise(prefix), nextHops, source);
  }

  private put(p: IpPrefix, nextHops: NextHopSpec | readonly NextHopSpec[], source: RouteSource): FibResult {
    const specs: readonly NextHopSpec[] = isSpecList(nextHops) ? nextHops : [nextHops];
    if (specs.length === 0) return { ok: false, error: 'no-next-hop' };
    for (const s of specs) {
      if (s.family !== p.family) return { ok: false, error: 'family-mismatch' };
      if (s.address && s.address.length !== (s.family === 4 ? 4 : 16)) return { ok: false, error: 'family-mismatch' };
    }
    const key = routeKey(p);
    const previous = this.routes.get(key);
    const target = this.refTarget(specs);
    const route: FibRoute = { prefix: p, source, target, nextHops: this.nextHopsOf(target) };
    this.routes.set(key, route);
    this.lpmInsert(p, target);
    if (previous) this.unrefTarget(previous.target);
    this.emit(previous ? { type: 'replace', route, previous } : { type: 'add', route });
    return { ok: true, route };
  }

  remove(prefix: IpPrefix): boolean {
    const p = normalise(prefix);
    const key = routeKey(p);
    const previous = this.routes.get(key);
    if (!previous) return false;
    this.routes.delete(key);
    this.lpmRemove(p);
    this.unrefTarget(previous.target);
    this.emit({ type: 'remove', previous });
    return true;
  }

  private emit(c: FibChange): void {
    for (const fn of this.listeners) fn(c);
  }

  private lpmInsert(p: IpPrefix, target: number): void {
    if (p.family === 4) this.v4.insert(ipv4ToNumber(p.bytes), p.len, target);
    else {
      const w = ipv6ToWords(p.bytes);
      this.v6.insert(w[0], w[1], w[2], w[3], p.len, target);
    }
  }

  private lpmRemove(p: IpPrefix): void {
    if (p.family === 4) this.v4.remove(ipv4ToNumber(p.bytes), p.len);
    else {
      const w = ipv6ToWords(p.bytes);
      this.v6.remove(w[0], w[1], w[2], w[3], p.len);
    }
  }

  // ---- lookups -----------------------------------------------------------

  /** Hot path, IPv4: next-hop id, GROUP_FLAG | group id, or -1. */
  lookup4(addr: number): number {
    return this.v4.lookup(addr);
  }

  /** Hot path, IPv6 as four unsigned 32-bit words. */
  lookup6(w0: number, w1: number, w2: number, w3: number): number {
    return this.v6.lookup(w0, w1, w2, w3);
  }

  lookupBatch4(addrs: Uint32Array, out: Int32Array): void {
    this.v4.lookupBatch(addrs, out);
  }

  lookupBatch6(addrs: Uint32Array, out: Int32Array): void {
    this.v6.lookupBatch(addrs, out);
  }

  /** The longest-matching route for an address, if any. */
  lookup(address: IpAddress): FibRoute | undefined {
    return this.matches(address).find((m) => m.selected)?.route;
  }

  /** Every route covering an address, longest first; the first is selected. */
  matches(address: IpAddress): FibMatch[] {
    const found = address.family === 4
      ? this.v4.matches(ipv4ToNumber(address.bytes)).map((m) => m.len)
      : (() => {
        const w = ipv6ToWords(address.bytes);
        return this.v6.matches(w[0], w[1], w[2], w[3]).map((m) => m.len);
      })();
    const out: FibMatch[] = [];
    for (let i = found.length - 1; i >= 0; i--) {
      const p: IpPrefix = { family: address.family, bytes: maskBytes(address.bytes, found[i]), len: found[i] };
      const r = this.routes.get(routeKey(p));
      if (r) out.push({ route: r, selected: out.length === 0 });
    }
    return out;
  }

  /** All routes for `show fib`: IPv4 before IPv6, then by address, then length. */
  list(family?: Family): FibRoute[] {
    const all = [...this.routes.values()].filter((r) => family === undefined || r.prefix.family === family);
    return all.sort(comparePrefixes);
  }

  /** One line per route, as `show fib` prints it. */
  format(family?: Family): string[] {
    return this.list(family).map((r) => `${formatPrefix(r.prefix)} ${r.source} ${r.nextHops.map(formatNextHop).join(', ')}`);
  }
}

export function formatNextHop(h: NextHop): string {
  return h.address ? `via ${formatAddress(h.address)} dev ${h.ifName}` : `dev ${h.ifName} (connected)`;
}

function isSpecList(x: NextHopSpec | readonly NextHopSpec[]): x is readonly NextHopSpec[] {
  return Array.isArray(x);
}

function normalise(p: IpPrefix): IpPrefix {
  const max = p.family === 4 ? 32 : 128;
  if (p.bytes.length !== max / 8 || !Number.isInteger(p.len) || p.len < 0 || p.len > max) {
    throw new RangeError(`malformed prefix: family ${p.family}, ${p.bytes.length} bytes, length ${p.len}`);
  }
  const bytes = maskBytes(p.bytes, p.len);
  return bytesEqual(bytes, p.bytes) ? p : { family: p.family, bytes, len: p.len };
}

function comparePrefixes(a: FibRoute, b: FibRoute): number {
  if (a.prefix.family !== b.prefix.family) return a.prefix.family - b.prefix.family;
  const x = a.prefix.bytes;
  const y = b.prefix.bytes;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return a.prefix.len - b.prefix.len;
}
