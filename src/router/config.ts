/**
 * The router process's configuration: the contract between the lab, which
 * generates one JSON file per router or anycast-server node from the
 * topology, and src/router/main.ts, which reads it. Also the policy and
 * neighbour shapes the topology validator produces.
 */

/**
 * V8 options every router process is started with (by the lab, the Mininet
 * module and the benchmarks alike). Semi-spaces of at most 8 MB: a burst of
 * UPDATEs otherwise grows the young generation to 2 x 16 MB that stays
 * committed; measured on 100,000 prefixes, peak RSS 105-109 MB against
 * 112-114 MB with Node's default, the same time, and no change at 1,000,000
 * (docs/benchmarks.md "BGP propagation"). 4 MB and less promote more and
 * peak higher.
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

export interface BgpNeighbor {
  /** The peer node's name (when it is a node of this lab). */
  readonly node?: string;
  /** The peer's address; with `node`, derived from the shared link. */
  readonly address: string;
  readonly remoteAs: number;
  /** Our local address for this session. */
  readonly localAddress: string;
  /**
   * Our IPv6 address on the interface toward the peer: the NEXT_HOP of the
   * IPv6 routes we send in MP_REACH_NLRI over this (IPv4-transported)
   * session. The router fills it from its interface when absent.
   */
  readonly localAddress6?: string;
  /** Our interface toward the peer. */
  readonly interface: string;
  readonly kind: 'ebgp' | 'ibgp';
  readonly import: PolicySpec;
  readonly export: PolicySpec;
  readonly maxPrefixes?: number;
  readonly holdTime: number;
  readonly keepalive: number;
}

/** Route policy as written in a topology: an ordered list of terms, first match wins. */
export interface PolicySpec {
  readonly terms: readonly PolicyTerm[];
  /** What happens to routes no term matches. */
  readonly default: 'accept' | 'reject';
}

export interface PolicyTerm {
  readonly match: {
    /** "192.0.2.0/24" or "192.0.2.0/24 le 32" / "ge 24 le 28" length ranges. */
    readonly prefixes?: readonly string[];
    /** AS numbers any of which appear in the AS_PATH. */
    readonly asPathContains?: readonly number[];
    /** "65000:100" or well-known names. */
    readonly communities?: readonly string[];
  };
  readonly action: 'accept' | 'reject';
  readonly set?: {
    readonly localPref?: number;
    readonly med?: number;
    readonly communities?: readonly string[];
    readonly prepend?: number;
  };
}

export interface StaticRoute {
  readonly prefix: string;
  readonly via: string;
}


export interface RouterInterfaceConfig {
  readonly name: string;
  /** "10.0.0.1/31" */
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly mtu: number;
}

export interface RouterConfig {
  readonly version: 1;
  readonly lab: string;
  readonly node: string;
  readonly kind: 'router' | 'anycast-server';
  readonly asn: number;
  /** Dotted quad. */
  readonly routerId: string;
  readonly dataplane: 'kernel' | 'userspace';
  /**
   * How the userspace data plane receives transit frames: 'af_packet'
   * (default) or 'af_xdp' (an XDP program hands them to an AF_XDP socket;
   * the kernel's taps, tcpdump included, no longer see them arrive).
   */
  readonly frameIo?: 'af_packet' | 'af_xdp';
  /**
   * Mirror static and BGP routes into the namespace's kernel table (default
   * true). Off for very large tables (the propagation benchmark), where the
   * copy would cost more than the BGP work; the router's own traffic then
   * has only the connected routes.
   */
  readonly kernelRoutes?: boolean;
  /** Unix socket of the control channel. */
  readonly controlSocket: string;
  readonly interfaces: readonly RouterInterfaceConfig[];
  readonly neighbors: readonly BgpNeighbor[];
  readonly networks: readonly string[];
  readonly staticRoutes: readonly StaticRoute[];
  readonly originateConnected: boolean;
  readonly multipath: boolean;
  /** Anycast servers: the service addresses (on lo) and the prefixes announced while healthy. */
  readonly anycast?: { readonly addresses: readonly string[]; readonly prefixes: readonly string[] };
}
