/**
 * The router's FIB as the data plane sees it: installed routes of the
 * routing table applied to a src/fib Fib (LPM + next-hop table + ECMP
 * groups), and the data plane's RouteLookup answered from it without
 * allocating: one RouteResult per FIB target value (a next hop or a group),
 * rebuilt when the FIB changes.
 *
 * A target value is shared by many prefixes, so `prefixText` (read only by
 * packet traces) is computed on demand from the address of the last lookup.
 *
 * The next-hop specs of a change are kept per next-hop array (the router
 * and route-batch.ts share one array between the many prefixes of one next
 * hop), so a burst of changes parses each gateway address once.
 */
import { Fib } from '../fib/fib.js';
import { formatPrefix, numberToIpv4, wordsToIpv6 } from '../lib/prefix.js';
import type { NextHop as DataplaneNextHop, RouteLookup, RouteResult } from '../dataplane/forward.js';
import { parseAddress } from '../lib/prefix.js';
import type { NextHop, RouteChange, RouteSource } from './route-table.js';
import type { NextHopSpec } from '../fib/fib.js';

const SOURCE_SLOT: Readonly<Record<RouteSource, number>> = { connected: 0, static: 1, bgp: 2 };
import type { RouteSink } from './router.js';

export class FibRouteLookup implements RouteLookup, RouteSink {
  readonly fib = new Fib();
  private readonly results = new Map<number, RouteResult>();
  private last4 = 0;
  private last6: number[] = [0, 0, 0, 0];
  private lastFamily: 4 | 6 = 4;
  /** Specs by next-hop array, then by family and source (slot (family 4: 0, 6: 3) + source). */
  private readonly specs = new WeakMap<readonly NextHop[], Array<readonly NextHopSpec[] | undefined>>();

  constructor(private readonly interfaces: readonly string[]) {
    this.fib.onChange(() => this.results.clear());
  }

  apply(change: RouteChange): void {
    const prefix = change.route.prefix;
    if (change.action === 'remove') {
      this.fib.remove(prefix);
      return;
    }
    this.fib.set(prefix, this.specsOf(change.route.nextHops, prefix.family, change.route.source), change.route.source);
  }

  private specsOf(hops: readonly NextHop[], family: 4 | 6, source: RouteSource): readonly NextHopSpec[] {
    let slots = this.specs.get(hops);
    if (!slots) {
      slots = [];
      this.specs.set(hops, slots);
    }
    const k = (family === 4 ? 0 : 3) + SOURCE_SLOT[source];
    let specs = slots[k];
    if (!specs) {
      specs = hops.map((h) => {
        const gw = h.via ? parseAddress(h.via) : undefined;
        return {
          family,
          address: gw && gw.ok ? gw.value.bytes : null,
          ifIndex: Math.max(0, this.interfaces.indexOf(h.interface)),
          ifName: h.interface,
          source,
        };
      });
      slots[k] = specs;
    }
    return specs;
  }

  lookup4(dst: number): RouteResult | undefined {
    this.last4 = dst;
    this.lastFamily = 4;
    return this.resultFor(this.fib.lookup4(dst));
  }

  lookup6(w0: number, w1: number, w2: number, w3: number): RouteResult | undefined {
    const l = this.last6;
    l[0] = w0; l[1] = w1; l[2] = w2; l[3] = w3;
    this.lastFamily = 6;
    return this.resultFor(this.fib.lookup6(w0, w1, w2, w3));
  }

  private resultFor(value: number): RouteResult | undefined {
    if (value < 0) return undefined;
    let r = this.results.get(value);
    if (!r) {
      const nextHops: DataplaneNextHop[] = this.fib.nextHopsOf(value).map((h) => (h.address ? { interface: h.ifName, gateway: h.address } : { interface: h.ifName }));
      const self = this;
      r = {
        nextHops,
        get prefixText(): string {
          const bytes = self.lastFamily === 4 ? numberToIpv4(self.last4) : wordsToIpv6(self.last6);
          const route = self.fib.lookup({ family: self.lastFamily, bytes });
          return route ? formatPrefix(route.prefix) : '?';
        },
      };
      this.results.set(value, r);
    }
    return r;
  }
}
