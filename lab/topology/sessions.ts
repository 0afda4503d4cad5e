/**
 * BGP sessions of every speaker in a lab.
 *
 * Owns: the default sessions (every speaker sharing a link or LAN; eBGP when
 * the ASNs differ, iBGP when equal; anycast servers never peer with each
 * other, RFC 4786), explicit `neighbors` entries (by node or by address),
 * and the generated import/export policies — always explicit, as RFC 8212
 * asks. Sessions run between directly connected addresses, one per shared
 * link, over IPv4 when both ends have it (MP-BGP carries IPv6 too).
 *
 * Not supported: multihop sessions, sessions between loopbacks.
 */
import { parseAddress } from '../../src/lib/prefix.js';
import type { Segment, SegmentEndpoint } from './addressing.js';
import { canonical, onSubnet, SPEAKER_KINDS, suggest, type Ifc } from './graph.js';
import { ACCEPT_ALL, onlyPrefixes } from './policy.js';
import type { SpecNode, TopologySpec } from './spec.js';
import type { BgpNeighbor, PolicySpec } from './types.js';

export interface SessionInput {
  readonly spec: TopologySpec;
  readonly nodes: ReadonlyMap<string, SpecNode>;
  readonly ifcs: ReadonlyMap<string, Ifc[]>;
  readonly segments: readonly Segment[];
  readonly ifcOf: (e: SegmentEndpoint) => Ifc;
  readonly err: (field: string, message: string) => void;
}

/** A node that runs a BGP speaker in this lab. */
export function isSpeaker(n: SpecNode | undefined): boolean {
  return !!n && SPEAKER_KINDS.has(n.kind) && (n.kind !== 'external' || n.asn !== undefined);
}

export function buildSessions({ spec, nodes, ifcs, segments, ifcOf, err }: SessionInput): Map<string, BgpNeighbor[]> {
  const speaker = isSpeaker;
  const neighbors = new Map<string, BgpNeighbor[]>();
  const addrOn = (node: string, seg: number, fam: 'ipv4' | 'ipv6') => ifcs.get(node)!.find((i) => i.segment === seg && i[fam])?.[fam];
  const sessionFor = (x: SpecNode, xi: Ifc, y: SpecNode | undefined, yAddr: string | undefined, remoteAs: number, over: Partial<BgpNeighbor>): BgpNeighbor | undefined => {
    const fam: 'ipv4' | 'ipv6' = yAddr ? (yAddr.includes(':') ? 'ipv6' : 'ipv4') : (xi.ipv4 && y && addrOn(y.name, xi.segment, 'ipv4') ? 'ipv4' : 'ipv6');
    const local = xi[fam];
    const peer = yAddr ?? (y ? addrOn(y.name, xi.segment, fam)?.split('/')[0] : undefined);
    if (!local || !peer) return undefined;
    const isAnycast = (n: SpecNode | undefined) => n?.kind === 'anycast-server';
    const dflt = defaultPolicies(x, y, isAnycast);
    return {
      ...(y ? { node: y.name } : {}),
      address: peer,
      remoteAs,
      localAddress: local.split('/')[0],
      interface: xi.name,
      kind: x.asn === remoteAs ? 'ibgp' : 'ebgp',
      import: over.import ?? dflt.import,
      export: over.export ?? dflt.export,
      ...(over.maxPrefixes !== undefined ? { maxPrefixes: over.maxPrefixes } : {}),
      holdTime: over.holdTime ?? spec.defaults.holdTime,
      keepalive: over.keepalive ?? (over.holdTime !== undefined ? Math.floor(over.holdTime / 3) : spec.defaults.keepalive),
    };
  };
  for (const x of nodes.values()) {
    if (!speaker(x) || x.asn === undefined || spec.style !== 'lab') continue;
    const out: BgpNeighbor[] = [];
    const fieldOfSession = new Map<BgpNeighbor, string>();
    if (!x.neighbors) {
      for (const xi of ifcs.get(x.name)!) {
        for (const e of segments[xi.segment]?.endpoints ?? []) {
          const y = nodes.get(e.node)!;
          if (y.name === x.name || !speaker(y) || y.asn === undefined) continue;
          if (x.kind === 'anycast-server' && y.kind === 'anycast-server') continue;
          const yi = ifcOf(e);
          if (out.some((nb) => nb.node === y.name && nb.interface === xi.name && nb.address === (yi.ipv4 ?? yi.ipv6)?.split('/')[0])) continue;
          const nb = sessionFor(x, xi, y, (yi.ipv4 && xi.ipv4 ? yi.ipv4 : yi.ipv6 && xi.ipv6 ? yi.ipv6 : undefined)?.split('/')[0], y.asn, {});
          if (nb) out.push(nb);
        }
      }
    } else {
      for (const s of x.neighbors) {
        const over = { import: s.import, export: s.export, maxPrefixes: s.maxPrefixes, holdTime: s.holdTime, keepalive: s.keepalive };
        if (s.holdTime !== undefined && s.keepalive !== undefined && s.holdTime > 0 && s.keepalive >= s.holdTime) {
          err(`${s.field}.keepalive`, `keepalive (${s.keepalive}) must be less than hold (${s.holdTime})`);
        }
        if (s.node !== undefined) {
          const y = nodes.get(s.node);
          if (!y) { err(`${s.field}.node`, `neighbor '${s.node}' is not a node of this lab${suggest(s.node, [...nodes.keys()])}`); continue; }
          if (y.name === x.name) { err(`${s.field}.node`, `a node cannot be its own neighbor`); continue; }
          if (!SPEAKER_KINDS.has(y.kind)) { err(`${s.field}.node`, `'${y.name}' is a ${y.kind} and does not speak BGP`); continue; }
          const remoteAs = s.remoteAs ?? y.asn;
          if (remoteAs === undefined) { err(s.field, `'${y.name}' has no asn: give 'remote-as'`); continue; }
          const shared = ifcs.get(x.name)!.filter((xi) => segments[xi.segment]?.endpoints.some((e) => e.node === y.name));
          if (shared.length === 0) { err(`${s.field}.node`, `'${x.name}' and '${y.name}' share no link (sessions run between directly connected addresses)`); continue; }
          const seenSeg = new Set<number>();
          for (const xi of shared) {
            if (seenSeg.has(xi.segment)) continue;
            seenSeg.add(xi.segment);
            const nb = sessionFor(x, xi, y, undefined, remoteAs, over);
            if (nb) { out.push(nb); fieldOfSession.set(nb, s.field); }
            else err(s.field, `'${x.name}' and '${y.name}' have no addresses of one family on their shared link`);
          }
        } else if (s.address !== undefined) {
          const a = parseAddress(s.address);
          if (!a.ok) continue;
          const fam = a.value.family === 4 ? 'ipv4' : 'ipv6';
          const xi = ifcs.get(x.name)!.find((i) => onSubnet(i[fam], s.address!));
          if (!xi) { err(`${s.field}.address`, `${s.address} is not on any of ${x.name}'s links`); continue; }
          const wanted = canonical(s.address);
          const owner = [...ifcs.values()].flat().find((i) => i[fam] && canonical(i[fam]!) === wanted);
          if (owner?.node === x.name) { err(`${s.field}.address`, `${s.address} is ${x.name}'s own address`); continue; }
          const y = owner ? nodes.get(owner.node) : undefined;
          const remoteAs = s.remoteAs ?? y?.asn;
          if (remoteAs === undefined) { err(s.field, `give 'remote-as' for ${s.address}`); continue; }
          const nb = sessionFor(x, xi, y, s.address, remoteAs, over);
          if (nb) { out.push(nb); fieldOfSession.set(nb, s.field); }
        }
      }
    }
    // Two entries for one session (same interface and peer address) cannot both run.
    const keys = new Set<string>();
    for (const nb of out) {
      const key = `${nb.interface}|${nb.address}`;
      if (keys.has(key)) err(fieldOfSession.get(nb) ?? x.field, `a second session with ${nb.address} on ${nb.interface}`);
      keys.add(key);
    }
    neighbors.set(x.name, out);
  }

  return neighbors;
}

/**
 * RFC 8212 wants explicit policies; the defaults are accept-all, except on
 * router ↔ anycast-server sessions: the router accepts only the server's
 * anycast prefixes, and the server exports only them.
 */
function defaultPolicies(x: SpecNode, y: SpecNode | undefined, isAnycast: (n: SpecNode | undefined) => boolean): { import: PolicySpec; export: PolicySpec } {
  if (isAnycast(y) && !isAnycast(x)) return { import: onlyPrefixes(y!.anycast?.prefixes ?? []), export: ACCEPT_ALL };
  if (isAnycast(x)) return { import: ACCEPT_ALL, export: onlyPrefixes(x.anycast?.prefixes ?? []) };
  return { import: ACCEPT_ALL, export: ACCEPT_ALL };
}
