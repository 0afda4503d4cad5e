/**
 * A RouteLookup over the router's FIB (src/fib/fib.ts): what the forwarding
 * pipeline asks per packet, answered from the FIB's longest-prefix match.
 *
 * The FIB returns one number per lookup (a next-hop id, or an ECMP group id
 * tagged with GROUP_FLAG), shared by every prefix using that next hop or
 * group. Each number's RouteResult (its next hops as interface name and
 * gateway bytes) is built once and cached, so a lookup allocates nothing;
 * any FIB change empties the cache (entries are rebuilt on first use). The
 * matched prefix is found only for traced packets (`describe4/6`, through
 * `Fib.lookup`).
 *
 * ECMP member choice is the pipeline's (5-tuple hash modulo the member
 * count, members in the FIB's id order), not `Fib.resolve`.
 *
 * Not here: route selection (router), neighbour resolution (neighbors.ts).
 */
import { formatPrefix, numberToIpv4, wordsToIpv6 } from '../lib/prefix.js';
import type { Fib } from '../fib/fib.js';
import type { NextHop, RouteLookup, RouteResult } from './forward.js';

export class FibRouteLookup implements RouteLookup {
  private readonly cache = new Map<number, RouteResult>();
  private readonly unsubscribe: () => void;

  constructor(private readonly fib: Fib) {
    this.unsubscribe = fib.onChange(() => this.cache.clear());
  }

  lookup4(dst: number): RouteResult | undefined {
    const v = this.fib.lookup4(dst);
    return v < 0 ? undefined : (this.cache.get(v) ?? this.build(v));
  }

  lookup6(w0: number, w1: number, w2: number, w3: number): RouteResult | undefined {
    const v = this.fib.lookup6(w0, w1, w2, w3);
    return v < 0 ? undefined : (this.cache.get(v) ?? this.build(v));
  }

  describe4(dst: number): string | undefined {
    const r = this.fib.lookup({ family: 4, bytes: numberToIpv4(dst) });
    return r ? formatPrefix(r.prefix) : undefined;
  }

  describe6(w0: number, w1: number, w2: number, w3: number): string | undefined {
    const r = this.fib.lookup({ family: 6, bytes: wordsToIpv6([w0, w1, w2, w3]) });
    return r ? formatPrefix(r.prefix) : undefined;
  }

  /** Stops following the FIB's changes. */
  close(): void {
    this.unsubscribe();
    this.cache.clear();
  }

  private build(v: number): RouteResult {
    const nextHops: NextHop[] = this.fib.nextHopsOf(v).map((h) =>
      h.address === null ? { interface: h.ifName } : { interface: h.ifName, gateway: h.address });
    const r: RouteResult = { nextHops };
    this.cache.set(v, r);
    return r;
  }
}
