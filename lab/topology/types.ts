/**
 * The validated topology: what a topology file (YAML), a Mininet topology
 * string (`linear,4`) or an imported Mininet Python topology becomes after
 * loading, validation and automatic addressing. Everything downstream (the
 * plan, router configs, the CLI) reads only this value.
 *
 * A topology is a pure graph of names plus addresses; building it is a
 * separate step (lab/plan). Names follow Mininet: nodes `h1`, `s1`, `r1`;
 * interfaces `<node>-eth<N>` numbered from 0 in link order.
 */

export type NodeKind = 'host' | 'switch' | 'router' | 'anycast-server' | 'external' | 'bird' | 'frr';

export type DataplaneMode = 'userspace' | 'kernel';
/** How a userspace data plane receives transit frames: AF_PACKET (default) or AF_XDP (src/dataplane/native/xsk.c). */
export type FrameIoMode = 'af_packet' | 'af_xdp';

/** Where a value came from, for error messages: file, line, field. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly field: string;
}

export interface InterfaceAddress {
  /** "10.0.0.1/31" — address with the subnet's prefix length. */
  readonly ipv4?: string;
  /** "fd8a:52c1:9e07:1::1/64". */
  readonly ipv6?: string;
}

export interface Interface extends InterfaceAddress {
  /** `<node>-eth<N>`, at most 15 characters. */
  readonly name: string;
  readonly node: string;
  /** The link this interface belongs to (index into Topology.links). */
  readonly link: number;
  /** The node at the other end (for a switch LAN: the switch). */
  readonly peerNode: string;
  readonly peerInterface: string;
  readonly mtu: number;
}

// Router-facing parts of a node (neighbours, policy, static routes) are the
// router's config contract, defined beside the router process.
export type { BgpNeighbor, PolicySpec, PolicyTerm, StaticRoute } from '../../src/router/config.js';
import type { BgpNeighbor, StaticRoute } from '../../src/router/config.js';

export interface TopologyNode {
  readonly name: string;
  readonly kind: NodeKind;
  /** Routers, anycast servers, bird/frr and external speakers. */
  readonly asn?: number;
  /** Dotted quad; default derived from the node's first IPv4 address. */
  readonly routerId?: string;
  readonly dataplane?: DataplaneMode;
  /** Routers with a userspace data plane: how transit frames arrive (default af_packet). */
  readonly frameIo?: FrameIoMode;
  readonly neighbors?: readonly BgpNeighbor[];
  /** Prefixes a router originates besides its connected ones. */
  readonly networks?: readonly string[];
  readonly staticRoutes?: readonly StaticRoute[];
  /** Anycast servers: addresses (/32, /128 on lo) and the prefixes announced. */
  readonly anycast?: { readonly addresses: readonly string[]; readonly prefixes: readonly string[] };
  /** Hosts: default gateways (router addresses on the host's link). */
  readonly defaultRoute?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Originate connected prefixes into BGP (routers; default true). */
  readonly originateConnected?: boolean;
  readonly multipath?: boolean;
  readonly interfaces: readonly Interface[];
  readonly source?: SourceRef;
}

/** Traffic shaping of one direction of a link (tc netem + tbf, like Mininet's TCLink). */
export interface LinkShaping {
  /** Milliseconds. */
  readonly delayMs?: number;
  readonly jitterMs?: number;
  /** Percent, 0–100. */
  readonly lossPercent?: number;
  /** Megabits per second. */
  readonly rateMbit?: number;
}

export interface Link {
  readonly index: number;
  readonly a: { readonly node: string; readonly interface: string };
  readonly b: { readonly node: string; readonly interface: string };
  /** Shaping applied on egress of a's interface (a → b) and of b's (b → a). */
  readonly aToB?: LinkShaping;
  readonly bToA?: LinkShaping;
  readonly mtu: number;
  /** IPv4/IPv6 subnet of this link or of the switch LAN it belongs to. */
  readonly subnet4?: string;
  readonly subnet6?: string;
  readonly source?: SourceRef;
}

export interface Topology {
  readonly name: string;
  /** The file it came from, or `mininet:linear,4`. */
  readonly origin: string;
  readonly description?: string;
  readonly nodes: readonly TopologyNode[];
  readonly links: readonly Link[];
  readonly addressing: { readonly ipv4Pool: string; readonly ipv6Pool: string };
  readonly defaults: { readonly dataplane: DataplaneMode; readonly holdTime: number; readonly keepalive: number };
}

/** One validation problem, always with where it is. */
export interface TopologyError {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

export class TopologyValidationError extends Error {
  constructor(readonly errors: readonly TopologyError[]) {
    super(errors.map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`).join('\n'));
    this.name = 'TopologyValidationError';
  }
}
