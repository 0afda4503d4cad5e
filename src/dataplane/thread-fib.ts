/**
 * The data-plane thread's copy of the FIB: the longest-prefix-match tables
 * of src/fib (index.ts) holding, for each prefix, the id of its next-hop set
 * as route-batch.ts numbers them, and one RouteResult per set; the
 * pipeline's RouteLookup.
 *
 * Why not src/fib's Fib (as FibRouteLookup on the router's thread): that
 * keeps a JavaScript object graph per route (key text, route object, prefix
 * bytes, next-hop array: about 600 bytes of heap each), and on this thread
 * the garbage collector's pauses over 100,000 such routes — scavenges of
 * 11-15 ms, a 43-ms mark-compact, measured — are pauses in forwarding. Here
 * a route costs only its entries in the tables' typed arrays.
 *
 * `apply` takes one decoded change (RouteBatchDecoder.read); `flush` builds
 * what the tables defer (a bulk load, IPv6 range lists) so that the cost
 * lands in the worker's bounded route chunks, not in a packet's lookup.
 * `prefixText` (read by packet traces only) is found on demand through the
 * tables' `matches` for the address of the last lookup.
 *
 * Not here: next-hop reference counting (sets are few and kept, as the
 * encoder keeps their ids), `show fib`/`explain` views (the router's thread
 * answers those from its routing table).
 */
import { createIpv4Lpm, createIpv6Lpm } from '../fib/index.js';
import { formatPrefix, numberToIpv4, parseAddress, wordsToIpv6 } from '../lib/prefix.js';
import type { NextHop as DataplaneNextHop, RouteLookup, RouteResult } from './forward.js';
import type { RawRouteChange } from './route-batch.js';
import type { NextHop } from '../router/route-table.js';

export class ThreadFib implements RouteLookup {
  private readonly v4 = createIpv4Lpm();
  private readonly v6 = createIpv6Lpm();
  private readonly results: Array<RouteResult | undefined> = [];
  private last4 = 0;
  private readonly last6: [number, number, number, number] = [0, 0, 0, 0];
  private lastFamily: 4 | 6 = 4;

  /** Registers next-hop set `id` (route-batch.ts's BatchMessage.hopSets). */
  defineHopSet(id: number, hops: readonly NextHop[]): void {
    const nextHops: DataplaneNextHop[] = hops.map((h) => {
      const gw = h.via ? parseAddress(h.via) : undefined;
      return gw && gw.ok ? { interface: h.interface, gateway: gw.value.bytes } : { interface: h.interface };
    });
    const self = this;
    this.results[id] = {
      nextHops,
      get prefixText(): string {
        return self.matchedPrefix();
      },
    };
  }

  /** Applies one change; an unknown next-hop set is a programming error (RangeError). */
  apply(c: RawRouteChange): void {
    if (!c.remove && !this.results[c.hopSet]) throw new RangeError(`thread FIB: next-hop set ${c.hopSet} not defined`);
    if (c.family === 4) {
      if (c.remove) this.v4.remove(c.w0, c.len);
      else this.v4.insert(c.w0, c.len, c.hopSet);
    } else if (c.remove) {
      this.v6.remove(c.w0, c.w1, c.w2, c.w3, c.len);
    } else {
      this.v6.insert(c.w0, c.w1, c.w2, c.w3, c.len, c.hopSet);
    }
  }

  /** Builds whatever the tables deferred (call after a chunk of changes). */
  flush(): void {
    this.v4.flush();
    this.v6.flush();
  }

  lookup4(dst: number): RouteResult | undefined {
    this.last4 = dst;
    this.lastFamily = 4;
    const v = this.v4.lookup(dst);
    return v < 0 ? undefined : this.results[v];
  }

  lookup6(w0: number, w1: number, w2: number, w3: number): RouteResult | undefined {
    const l = this.last6;
    l[0] = w0; l[1] = w1; l[2] = w2; l[3] = w3;
    this.lastFamily = 6;
    const v = this.v6.lookup(w0, w1, w2, w3);
    return v < 0 ? undefined : this.results[v];
  }

  private matchedPrefix(): string {
    if (this.lastFamily === 4) {
      const m = this.v4.matches(this.last4 >>> 0).at(-1);
      return m ? formatPrefix({ family: 4, bytes: numberToIpv4(m.addr), len: m.len }) : '?';
    }
    const l = this.last6;
    const m = this.v6.matches(l[0] >>> 0, l[1] >>> 0, l[2] >>> 0, l[3] >>> 0).at(-1);
    return m ? formatPrefix({ family: 6, bytes: wordsToIpv6(m.words), len: m.len }) : '?';
  }
}
