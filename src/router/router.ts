/**
 * One router (or anycast-server speaker) process's composition: interfaces
 * and their connected routes, static routes, BGP (through a speaker), the
 * routing table, the kernel mirror of it, interface state, and the control
 * channel's views. I/O comes in through the injected pieces, so a test can
 * drive a Router with fakes; main.ts wires the real ones.
 *
 * Interface down (carrier lost, also when the far end of a veth goes down):
 * its connected routes are withdrawn, BGP sessions over it drop at once, and
 * routes whose next hop it reached are removed — in that order, within one
 * turn of the event loop.
 *
 * Not supported: recursive next-hop resolution (BGP next hops must be on a
 * connected subnet, as for eBGP between neighbours; multi-hop iBGP is not
 * resolved), policy-based routing.
 */
import {
  formatAddress, formatPrefix, parseAddress, parsePrefix, prefixCovers, type IpAddress, type IpPrefix,
} from '../lib/prefix.js';
import type { BestPathChange } from '../bgp/rib/types.js';
import type { BgpStatus, ExplainResult, FibEntryInfo, InterfaceInfo, NeighborInfo, RibEntryInfo } from '../control/protocol.js';
import type { ControlServer } from '../control/server.js';
import type { RouterConfig } from './config.js';
import { RouteTable, type NextHop, type RouteChange, type TableRoute } from './route-table.js';

/** What the router needs of its BGP speaker (src/bgp/speaker.ts implements it). */
export interface SpeakerLike {
  start(): Promise<void>;
  stop(text?: string): Promise<void>;
  originate(prefixes: readonly IpPrefix[]): void;
  withdrawOriginated(prefixes: readonly IpPrefix[]): void;
  interfaceDown(name: string): void;
  interfaceUp(name: string): void;
  neighbors(): NeighborInfo[];
  rib(prefix?: IpPrefix): RibEntryInfo[];
  status(): BgpStatus;
  nextHopsChanged?(): void;
}

/** Where installed routes go besides the table (the kernel mirror; later the data plane). */
export interface RouteSink {
  apply(change: RouteChange): void;
}

export interface ConnectedSubnet {
  readonly interface: string;
  readonly prefix: IpPrefix;
  readonly address: IpAddress;
}

export function connectedSubnets(cfg: RouterConfig): ConnectedSubnet[] {
  const out: ConnectedSubnet[] = [];
  for (const i of cfg.interfaces) {
    for (const cidr of [i.ipv4, i.ipv6]) {
      if (!cidr) continue;
      const p = parsePrefix(cidr, { allowHostBits: true });
      const a = parseAddress(cidr.split('/')[0]);
      if (p.ok && a.ok) out.push({ interface: i.name, prefix: p.value, address: a.value });
    }
  }
  return out;
}

/** A chunk of changes larger than this gets one summary event instead of per-prefix events. */
export const EVENT_DETAIL_MAX = 16;

const NO_HOPS: readonly NextHop[] = Object.freeze([]);

/** Counts for a summary event. */
interface ChangeTally {
  bestPath: number;
  added: number;
  withdrawn: number;
  add: number;
  replace: number;
  remove: number;
  first?: IpPrefix;
  last?: IpPrefix;
}

function newTally(): ChangeTally {
  return { bestPath: 0, added: 0, withdrawn: 0, add: 0, replace: 0, remove: 0 };
}

export class Router {
  readonly table = new RouteTable();
  private readonly up = new Map<string, boolean>();
  private readonly subnets: ConnectedSubnet[];
  private speaker?: SpeakerLike;

  constructor(
    readonly cfg: RouterConfig,
    private readonly sinks: readonly RouteSink[],
    private readonly control: ControlServer,
  ) {
    this.subnets = connectedSubnets(cfg);
    for (const i of cfg.interfaces) this.up.set(i.name, true);
  }

  attachSpeaker(s: SpeakerLike): void {
    this.speaker = s;
  }

  /** Installs connected and static routes and originates into BGP; call once at start. */
  start(initialUp: ReadonlyMap<string, boolean>): void {
    for (const i of this.cfg.interfaces) this.up.set(i.name, initialUp.get(i.name) ?? true);
    this.nextHopCache.clear();
    this.ecmpHopsCache.clear();
    for (const s of this.subnets) if (this.isUp(s.interface)) this.apply(this.table.set(s.prefix, 'connected', [{ interface: s.interface }]));
    for (const r of this.cfg.staticRoutes) {
      const p = parsePrefix(r.prefix);
      const hop = this.resolveNextHop(r.via);
      if (p.ok && hop) this.apply(this.table.set(p.value, 'static', [hop]));
    }
    this.speaker?.originate(this.originatedPrefixes());
  }

  /** Prefixes this node announces: connected subnets of interfaces that are up (when configured) and `networks`. */
  originatedPrefixes(): IpPrefix[] {
    const out: IpPrefix[] = [];
    if (this.cfg.originateConnected) for (const s of this.subnets) if (this.isUp(s.interface)) out.push(s.prefix);
    for (const n of this.cfg.networks) {
      const p = parsePrefix(n);
      if (p.ok) out.push(p.value);
    }
    return out;
  }

  isUp(ifname: string): boolean {
    return this.up.get(ifname) ?? false;
  }

  /** The connected interface whose subnet holds `address`, if it is up. */
  resolveNextHop(address: string | Uint8Array): NextHop | undefined {
    const bytes = typeof address === 'string' ? (() => { const a = parseAddress(address); return a.ok ? a.value.bytes : undefined; })() : address;
    if (!bytes) return undefined;
    const addr: IpAddress = { family: bytes.length === 4 ? 4 : 6, bytes: bytes.length === 32 ? bytes.subarray(0, 16) : bytes };
    const s = this.subnets.find((x) => this.isUp(x.interface) && prefixCovers(x.prefix, addr));
    return s ? { via: formatAddress(addr.bytes), interface: s.interface } : undefined;
  }

  /**
   * resolveNextHop per next-hop byte array: the RIB interns next hops, so the
   * many prefixes of one burst share a few arrays. Each entry also holds the
   * one-element next-hop list the routing table stores for every prefix
   * using that next hop (shared, never copied). Cleared when an interface
   * changes state.
   */
  private readonly nextHopCache = new Map<Uint8Array, { readonly hop: NextHop; readonly hops: readonly NextHop[] } | null>();
  private cachedNextHop(bytes: Uint8Array): { readonly hop: NextHop; readonly hops: readonly NextHop[] } | null {
    let e = this.nextHopCache.get(bytes);
    if (e !== undefined) return e;
    if (this.nextHopCache.size > 10_000) this.nextHopCache.clear();
    const hop = this.resolveNextHop(bytes);
    e = hop ? { hop, hops: Object.freeze([hop]) } : null;
    this.nextHopCache.set(bytes, e);
    return e;
  }
  /** Shared next-hop lists of ECMP sets, by their text ("via%interface|..."). */
  private readonly ecmpHopsCache = new Map<string, readonly NextHop[]>();

  /** For the RIB: a BGP next hop is usable when it lies in a connected subnet of an up interface. */
  nextHopReachable = (nextHop: Uint8Array): boolean => this.cachedNextHop(nextHop) !== null;

  /** The routing table's next hops for a best-path change: a shared list, empty when unusable or originated here. */
  private bgpHops(c: BestPathChange): readonly NextHop[] {
    if (c.ecmp === undefined || c.ecmp.length <= 1) {
      const r = c.ecmp?.length === 1 ? c.ecmp[0] : c.newBest;
      // Originated here: the connected/static route is what forwards.
      if (r === undefined || r.peer.kind === 'local' || !r.attrs.nextHop) return NO_HOPS;
      return this.cachedNextHop(r.attrs.nextHop)?.hops ?? NO_HOPS;
    }
    const hops: NextHop[] = [];
    let single: readonly NextHop[] = NO_HOPS;
    for (const r of c.ecmp) {
      if (r.peer.kind === 'local' || !r.attrs.nextHop) continue;
      const e = this.cachedNextHop(r.attrs.nextHop);
      if (!e || hops.some((h) => h.via === e.hop.via && h.interface === e.hop.interface)) continue;
      hops.push(e.hop);
      single = e.hops;
    }
    if (hops.length <= 1) return single;
    const key = hops.map((h) => `${h.via ?? ''}%${h.interface}`).join('|');
    let shared = this.ecmpHopsCache.get(key);
    if (shared === undefined) {
      if (this.ecmpHopsCache.size > 10_000) this.ecmpHopsCache.clear();
      this.ecmpHopsCache.set(key, (shared = Object.freeze(hops)));
    }
    return shared;
  }

  /**
   * Best-path changes from one chunk of the speaker's work. A chunk of up to
   * EVENT_DETAIL_MAX changes gets a `best-path` and a `fib` event per prefix
   * (the timeline of a lab's small changes); a larger one (a table arriving)
   * gets one summary event, so a burst costs no event or text per prefix.
   */
  onBestPathChanges(changes: readonly BestPathChange[]): void {
    const tally = changes.length > EVENT_DETAIL_MAX ? newTally() : undefined;
    for (const c of changes) {
      this.apply(this.table.set(c.prefix, 'bgp', this.bgpHops(c)), tally);
      if (tally) {
        tally.bestPath++;
        if (!c.newBest) tally.withdrawn++;
        else if (!c.oldBest) tally.added++;
        tally.first ??= c.prefix;
        tally.last = c.prefix;
        continue;
      }
      this.control.emit({
        type: 'best-path', prefix: formatPrefix(c.prefix),
        old: c.oldBest ? describePath(c.oldBest.peer.name, c.oldBest.attrs.asPath) : undefined,
        new: c.newBest ? describePath(c.newBest.peer.name, c.newBest.attrs.asPath) : undefined,
        reason: c.reason,
      });
    }
    if (tally) this.emitSummary(tally);
  }

  /** Carrier or admin state of an interface changed. */
  interfaceChanged(ifname: string, isUp: boolean): void {
    if (this.up.get(ifname) === isUp || !this.up.has(ifname)) return;
    this.up.set(ifname, isUp);
    this.nextHopCache.clear();
    this.ecmpHopsCache.clear();
    this.control.emit({ type: 'interface', interface: ifname, up: isUp });
    const mine = this.subnets.filter((x) => x.interface === ifname);
    for (const s of mine) this.apply(this.table.set(s.prefix, 'connected', isUp ? [{ interface: ifname }] : []));
    // A connected prefix is announced only while its interface is up.
    if (this.cfg.originateConnected && mine.length) {
      if (isUp) this.speaker?.originate(mine.map((s) => s.prefix));
      else this.speaker?.withdrawOriginated(mine.map((s) => s.prefix));
    }
    if (!isUp) {
      this.speaker?.interfaceDown(ifname);
      const via = this.table.routesVia(ifname).filter((r) => r.source !== 'connected');
      const tally = via.length > EVENT_DETAIL_MAX ? newTally() : undefined;
      const remaining = new Map<readonly NextHop[], readonly NextHop[]>();
      for (const r of via) {
        let hops = remaining.get(r.nextHops);
        if (hops === undefined) remaining.set(r.nextHops, (hops = Object.freeze(r.nextHops.filter((h) => h.interface !== ifname))));
        this.apply(this.table.set(r.prefix, r.source, hops), tally);
      }
      if (tally) this.emitSummary(tally);
    } else {
      this.speaker?.interfaceUp(ifname);
      for (const st of this.cfg.staticRoutes) {
        const p = parsePrefix(st.prefix);
        const hop = this.resolveNextHop(st.via);
        if (p.ok && hop?.interface === ifname) this.apply(this.table.set(p.value, 'static', [hop]));
      }
    }
    this.speaker?.nextHopsChanged?.();
  }

  /** Passes a table change to the sinks; an event for it, or a count in `tally` when a summary will follow. */
  private apply(change: RouteChange | undefined, tally?: ChangeTally): void {
    if (!change) return;
    for (const s of this.sinks) s.apply(change);
    if (tally) {
      tally[change.action]++;
      return;
    }
    const nh = change.route.nextHops[0];
    this.control.emit({ type: 'fib', prefix: formatPrefix(change.route.prefix), action: change.action, via: nh?.via, interface: nh?.interface });
  }

  private emitSummary(t: ChangeTally): void {
    const span = t.first ? `; ${formatPrefix(t.first)}${t.last && t.last !== t.first ? ` … ${formatPrefix(t.last)}` : ''}` : '';
    const best = t.bestPath ? `best path changed for ${t.bestPath} prefixes (${t.added} new, ${t.withdrawn} withdrawn${span}); ` : '';
    this.control.emit({
      type: 'log', level: 'info',
      message: `${best}fib ${t.add} add, ${t.replace} replace, ${t.remove} remove`,
      detail: { bestPath: t.bestPath, added: t.added, withdrawn: t.withdrawn, fibAdd: t.add, fibReplace: t.replace, fibRemove: t.remove },
    });
  }

  // ---- control views ----

  interfaces(): InterfaceInfo[] {
    return this.cfg.interfaces.map((i) => ({ name: i.name, up: this.isUp(i.name), mtu: i.mtu, addresses: [i.ipv4, i.ipv6].filter((a): a is string => !!a) }));
  }

  fib(): FibEntryInfo[] {
    return this.table.installed().map(fibInfo).sort((a, b) => a.prefix.localeCompare(b.prefix, 'en', { numeric: true }));
  }

  explain(addressText: string): ExplainResult {
    const a = parseAddress(addressText);
    if (!a.ok) throw new Error(a.error);
    const matches = this.table.installed().filter((r) => prefixCovers(r.prefix, a.value)).sort((x, y) => x.prefix.len - y.prefix.len);
    const chosen = matches[matches.length - 1];
    const notes: string[] = [];
    let rib: RibEntryInfo | undefined;
    if (!chosen) notes.push(`no route covers ${addressText}: a packet to it gets ICMP net unreachable`);
    if (this.speaker) {
      // The BGP view of the most specific prefix covering the address, if BGP knows one.
      const ribEntries = this.speaker.rib().filter((e) => {
        const p = parsePrefix(e.prefix);
        return p.ok && prefixCovers(p.value, a.value);
      });
      ribEntries.sort((x, y) => Number(y.prefix.split('/')[1]) - Number(x.prefix.split('/')[1]));
      rib = ribEntries[0];
      if (rib && chosen && formatPrefix(chosen.prefix) === rib.prefix && chosen.source !== 'bgp') {
        notes.push(`BGP also has ${rib.prefix}, but the ${chosen.source} route is preferred`);
      }
      if (rib && !rib.paths.some((p) => p.best)) notes.push(`BGP has ${rib.prefix} but no usable path (${rib.reason})`);
    }
    return { address: addressText, matches: matches.map(fibInfo), chosen: chosen ? fibInfo(chosen) : undefined, rib, notes };
  }
}

function fibInfo(r: TableRoute): FibEntryInfo {
  return { prefix: formatPrefix(r.prefix), source: r.source, nextHops: r.nextHops.map((h) => ({ via: h.via, interface: h.interface })) };
}

function describePath(peer: string | undefined, asPath: readonly { asns: readonly number[] }[] | undefined): string {
  const path = (asPath ?? []).flatMap((s) => s.asns).join(' ');
  return `${peer ?? 'local'} [${path || 'local'}]`;
}
