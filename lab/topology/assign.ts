/**
 * Addresses for every interface of a lab: per-endpoint overrides (or
 * Mininet's host `ip`s) first, then subnets from the pools for every other
 * segment, then free host addresses in link order — routers first on a LAN.
 * Also checks override consistency, overlaps, network/broadcast addresses
 * and pool exhaustion.
 *
 * Not here: the allocators themselves (addressing.ts).
 */
import { formatAddress, formatPrefix, parseAddress, parsePrefix, prefixCovers, type IpPrefix } from '../../src/lib/prefix.js';
import { hostAddresses, Ipv4Allocator, Ipv6Allocator, lanPrefixLength, overlappingPairs, withLength, type Segment, type SegmentEndpoint } from './addressing.js';
import type { Ifc, SegmentSubnets } from './graph.js';
import type { SpecAddress, SpecLink, SpecNode, TopologySpec } from './spec.js';

/** Fill in interface addresses; return each segment's subnets. */
export function assignAddresses(
  spec: TopologySpec,
  nodes: ReadonlyMap<string, SpecNode>,
  links: readonly SpecLink[],
  linkIfcs: readonly [Ifc, Ifc][],
  segments: readonly Segment[],
  ifcOf: (e: SegmentEndpoint) => Ifc,
  err: (field: string, message: string) => void,
): Map<number, SegmentSubnets> {
  const out = new Map<number, SegmentSubnets>();
  // Per-endpoint overrides (YAML) or Mininet host `ip`s on the default interface.
  const overrides = new Map<Ifc, SpecAddress>();
  links.forEach((l, li) => {
    const [a, b] = linkIfcs[li];
    if (l.addressA) overrides.set(a, l.addressA);
    if (l.addressB) overrides.set(b, l.addressB);
  });
  if (spec.style === 'mininet') {
    // Mininet's Node.defaultIntf: the interface with the lowest port number.
    const lowest = new Map<string, Ifc>();
    for (const i of linkIfcs.flat()) {
      const m = lowest.get(i.node);
      if (!m || i.port < m.port) lowest.set(i.node, i);
    }
    for (const n of nodes.values()) {
      if (!n.mininetIp) continue;
      const dflt = lowest.get(n.name);
      if (!dflt) continue;
      overrides.set(dflt, { ...overrides.get(dflt), ipv4: n.mininetIp.includes('/') ? n.mininetIp : `${n.mininetIp}/8` });
    }
  }
  const fieldOf = (i: Ifc, fam: 'ipv4' | 'ipv6') => {
    const l = links[i.link];
    const side = linkIfcs[i.link][0] === i ? l.a : l.b;
    return spec.style === 'mininet' ? nodes.get(i.node)?.field ?? l.field : `${l.field}.${/^[A-Za-z_][\w-]*$/.test(side) ? side : JSON.stringify(side)}.${fam}`;
  };

  const reserved: IpPrefix[] = [];
  for (const n of nodes.values()) {
    for (const p of [...(n.anycast?.prefixes ?? []), ...(n.networks ?? [])]) {
      const r = parsePrefix(p);
      if (r.ok) reserved.push(r.value);
    }
  }
  // Pass 1: segments with overrides take the override's subnet.
  for (const seg of segments) {
    const s: SegmentSubnets = {};
    for (const fam of ['ipv4', 'ipv6'] as const) {
      for (const e of seg.endpoints) {
        const i = ifcOf(e);
        const text = overrides.get(i)?.[fam];
        if (!text) continue;
        const p = parsePrefix(text, { allowHostBits: true });
        if (!p.ok) continue;
        const cur = fam === 'ipv4' ? s.v4 : s.v6;
        const field = fieldOf(i, fam);
        if (!cur) {
          const v = { prefix: p.value, field };
          if (fam === 'ipv4') s.v4 = v; else s.v6 = v;
        } else if (!(cur.prefix.len === p.value.len && prefixCovers(cur.prefix, p.value))) {
          err(field, `${text} is not in this ${seg.kind === 'lan' ? 'LAN' : 'link'}'s subnet ${formatPrefix(cur.prefix)} (set by ${cur.field})`);
        }
        const bits = (fam === 'ipv4' ? 32 : 128) - p.value.len;
        const host = parseAddress(text.split('/')[0]);
        if (bits > 1 && fam === 'ipv4' && host.ok) {
          if (formatAddress(host.value) === formatAddress(p.value.bytes)) err(field, `${text} is the subnet's network address`);
          if (bits < 32 && isBroadcast(host.value.bytes, p.value.len)) err(field, `${text} is the subnet's broadcast address`);
        }
        // Canonical text (RFC 5952), like the generated addresses: compared as strings later.
        i[fam] = host.ok ? withLength(host.value, p.value.len) : text;
        i.addrField[fam] = field;
      }
    }
    out.set(seg.index, s);
    if (s.v4) reserved.push(s.v4.prefix);
    if (s.v6) reserved.push(s.v6.prefix);
  }

  // Overlapping subnets between segments (Mininet's one flat /8 is exempt).
  if (spec.style === 'lab') {
    const all = [...out.values()].flatMap((s) => [s.v4, s.v6]).filter((x): x is { prefix: IpPrefix; field: string } => !!x);
    for (const [x, y] of overlappingPairs(all.map((a) => ({ ...a, prefix: { ...a.prefix, bytes: maskTo(a.prefix) } })))) {
      // Report at the one written later, naming the earlier.
      const [later, earlier] = all.indexOf(x) > all.indexOf(y) ? [x, y] : [y, x];
      err(later.field, `subnet ${formatPrefix(later.prefix)} overlaps ${formatPrefix(earlier.prefix)} of another link (${earlier.field})`);
    }
  }
  if (spec.style !== 'lab') {
    for (const seg of segments) {
      const s = out.get(seg.index)!;
      if (s.v4) s.v4 = { ...s.v4, prefix: { ...s.v4.prefix, bytes: maskTo(s.v4.prefix) } };
    }
    return out;
  }

  // Pass 2: allocate from the pools; fill endpoints in order.
  const pool4 = parsePrefix(spec.addressing.ipv4);
  const pool6 = parsePrefix(spec.addressing.ipv6);
  const alloc4 = pool4.ok ? new Ipv4Allocator(pool4.value, reserved) : undefined;
  const alloc6 = pool6.ok ? new Ipv6Allocator(pool6.value, reserved) : undefined;
  let exhausted4 = false, exhausted6 = false;
  for (const seg of segments) {
    const s = out.get(seg.index)!;
    if (seg.endpoints.length === 0) continue;
    const firstField = linkIfcs[seg.links[0]][0].field.replace(/\.endpoints\[\d\]$/, '');
    if (!s.v4 && alloc4) {
      const p = alloc4.allocate(seg.kind === 'p2p' && seg.endpoints.length <= 2 ? 31 : lanPrefixLength(seg.endpoints.length));
      if (p) s.v4 = { prefix: p, field: firstField };
      else if (!exhausted4) { exhausted4 = true; err('addressing.ipv4', `the IPv4 pool ${spec.addressing.ipv4} is too small for this lab's links`); }
    }
    if (!s.v6 && alloc6) {
      const p = alloc6.allocate();
      if (p) s.v6 = { prefix: p, field: firstField };
      else if (!exhausted6) { exhausted6 = true; err('addressing.ipv6', `the IPv6 pool ${spec.addressing.ipv6} is too small for this lab's links`); }
    }
    for (const fam of ['ipv4', 'ipv6'] as const) {
      const sub = fam === 'ipv4' ? s.v4 : s.v6;
      if (!sub) continue;
      const used = new Set(seg.endpoints.map((e) => ifcOf(e)[fam]).filter((x): x is string => !!x));
      const gen = hostAddresses({ ...sub.prefix, bytes: maskTo(sub.prefix) });
      for (const e of seg.endpoints) {
        const i = ifcOf(e);
        if (i[fam]) continue;
        for (;;) {
          const n = gen.next();
          if (n.done) { err(fieldOf(i, fam), `subnet ${formatPrefix(sub.prefix)} has no address left for ${i.name}`); break; }
          const text = withLength(n.value, sub.prefix.len);
          if (used.has(text)) continue;
          i[fam] = text;
          used.add(text);
          break;
        }
      }
    }
  }
  for (const s of out.values()) {
    if (s.v4) s.v4 = { ...s.v4, prefix: { ...s.v4.prefix, bytes: maskTo(s.v4.prefix) } };
    if (s.v6) s.v6 = { ...s.v6, prefix: { ...s.v6.prefix, bytes: maskTo(s.v6.prefix) } };
  }
  return out;
}

function maskTo(p: IpPrefix): Uint8Array {
  const r = parsePrefix(`${formatAddress(p.bytes)}/${p.len}`, { allowHostBits: true });
  return r.ok ? r.value.bytes : p.bytes;
}

function isBroadcast(bytes: Uint8Array, len: number): boolean {
  for (let bit = len; bit < 32; bit++) if (((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) === 0) return false;
  return true;
}
