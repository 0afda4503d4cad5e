/**
 * The lab graph while it is being built: interfaces with their addresses and
 * the segment (link or LAN) each belongs to, plus small helpers shared by
 * build.ts, assign.ts and sessions.ts.
 *
 * Not exported beyond lab/topology: the result is the `Topology` of types.ts.
 */
import type { IpPrefix } from '../../src/lib/prefix.js';
import { formatAddress, parseAddress, parsePrefix, prefixCovers } from '../../src/lib/prefix.js';
import type { NodeKind } from './types.js';

/** Kinds that speak BGP (an `external` one only when it has an ASN). */
export const SPEAKER_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['router', 'anycast-server', 'external', 'bird', 'frr']);
/** Kinds that forward packets: hosts' default gateways. */
export const ROUTER_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['router', 'bird', 'frr']);

/** One interface under construction. */
export interface Ifc {
  name: string;
  node: string;
  link: number;
  port: number;
  peerNode: string;
  peerInterface: string;
  mtu: number;
  ipv4?: string;
  ipv6?: string;
  /** Field path of the endpoint this interface came from. */
  field: string;
  /** Field paths of addresses set by an override. */
  addrField: { ipv4?: string; ipv6?: string };
  segment: number;
}

/** The subnets of one segment and the field that decided each. */
export interface SegmentSubnets { v4?: { prefix: IpPrefix; field: string }; v6?: { prefix: IpPrefix; field: string } }

export type Family = 'ipv4' | 'ipv6';

/** Address text without length, canonical (RFC 5952 for IPv6). */
export function canonical(text: string): string {
  const a = parseAddress(text.split('/')[0]);
  return a.ok ? formatAddress(a.value) : text;
}

/** True when `addr` (no length) lies in the subnet of interface address `ifcAddr` ("10.0.0.1/24"). */
export function onSubnet(ifcAddr: string | undefined, addr: string): boolean {
  if (!ifcAddr) return false;
  const p = parsePrefix(ifcAddr, { allowHostBits: true });
  const a = parseAddress(addr.split('/')[0]);
  return p.ok && a.ok && prefixCovers(p.value, a.value);
}

export function suggest(name: string, names: readonly string[]): string {
  const close = names.filter((n) => n.startsWith(name.slice(0, 1)) && Math.abs(n.length - name.length) <= 1);
  return close.length > 0 && close.length <= 4 ? ` (nodes: ${close.join(', ')})` : '';
}
