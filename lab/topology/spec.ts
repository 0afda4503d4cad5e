/**
 * The topology as written, before addressing: what the YAML reader and the
 * Mininet builders produce and what `build.ts` turns into a `Topology`.
 *
 * Owns: the intermediate `TopologySpec` and the `Locator` that maps a field
 * path (`nodes.r1.asn`, `links[2].delay`) to the line it was written on, so
 * checks made after parsing still report file, line and field.
 *
 * Not here: parsing (load.ts, mininet.ts) and derivation (build.ts).
 */
import type { DataplaneMode, FrameIoMode, LinkShaping, NodeKind, PolicySpec, TopologyError } from './types.js';

export interface SpecAddress {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

export interface SpecNeighbor {
  readonly node?: string;
  readonly address?: string;
  readonly remoteAs?: number;
  readonly import?: PolicySpec;
  readonly export?: PolicySpec;
  readonly maxPrefixes?: number;
  readonly holdTime?: number;
  readonly keepalive?: number;
  /** Field path of this entry, e.g. `nodes.r1.neighbors[0]`. */
  readonly field: string;
}

export interface SpecNode {
  readonly name: string;
  readonly kind: NodeKind;
  readonly asn?: number;
  readonly routerId?: string;
  readonly dataplane?: DataplaneMode;
  readonly frameIo?: FrameIoMode;
  readonly networks?: readonly string[];
  readonly staticRoutes?: readonly { readonly prefix: string; readonly via: string }[];
  readonly neighbors?: readonly SpecNeighbor[];
  readonly anycast?: { readonly addresses: readonly string[]; readonly prefixes?: readonly string[] };
  readonly multipath?: boolean;
  readonly originateConnected?: boolean;
  /** Mininet `ip=` of a host: goes on its default (lowest-numbered) interface. */
  readonly mininetIp?: string;
  /** Set when the entry had errors; references to it resolve but it is not built. */
  readonly invalid?: boolean;
  readonly field: string;
}

export interface SpecLink {
  readonly a: string;
  readonly b: string;
  /** Explicit interface numbers (Mininet `port1`/`port2`). */
  readonly portA?: number;
  readonly portB?: number;
  readonly aToB?: LinkShaping;
  readonly bToA?: LinkShaping;
  readonly mtu?: number;
  readonly addressA?: SpecAddress;
  readonly addressB?: SpecAddress;
  readonly invalid?: boolean;
  readonly field: string;
}

export interface TopologySpec {
  readonly name: string;
  readonly origin: string;
  readonly description?: string;
  readonly addressing: { readonly ipv4: string; readonly ipv6: string };
  readonly defaults: { readonly dataplane: DataplaneMode; readonly frameIo?: FrameIoMode; readonly holdTime: number; readonly keepalive: number; readonly mtu: number };
  readonly nodes: readonly SpecNode[];
  readonly links: readonly SpecLink[];
  /**
   * 'lab': automatic addressing, host default routes, BGP neighbours.
   * 'mininet': only the addresses Mininet itself would give (hosts' `ip` on
   * their default interface), one flat subnet shared by everything.
   */
  readonly style: 'lab' | 'mininet';
}

/** Maps field paths to source lines; unknown paths fall back to the nearest parent. */
export class Locator {
  private readonly lines = new Map<string, number>();
  constructor(readonly file: string) {}

  set(field: string, line: number): void {
    if (!this.lines.has(field)) this.lines.set(field, line);
  }

  line(field: string): number {
    let f = field;
    for (;;) {
      const l = this.lines.get(f);
      if (l !== undefined) return l;
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      if (cut <= 0) return this.lines.get('') ?? 1;
      f = f.slice(0, cut);
    }
  }

  error(field: string, message: string): TopologyError {
    return { file: this.file, line: this.line(field), field, message };
  }
}
