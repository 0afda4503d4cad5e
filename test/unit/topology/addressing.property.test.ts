/**
 * Properties of automatic addressing and derivation over random topologies
 * (fast-check): unique addresses, each inside its link's subnet, disjoint
 * subnets between segments, Mininet's interface numbering, symmetric BGP
 * sessions, gateways on the host's own subnet, determinism.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTopologyText } from '../../../lab/topology/load.js';
import { Ipv4Allocator, hostAddresses, lanPrefixLength, overlappingPairs, prefixesOverlap } from '../../../lab/topology/addressing.js';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, prefixCovers } from '../../../src/lib/prefix.js';
import type { Topology } from '../../../lab/topology/types.js';

const kinds = ['host', 'router', 'switch'] as const;
const prefix = (s: string) => { const p = parsePrefix(s); if (!p.ok) throw new Error(p.error); return p.value; };
const POOL4 = prefix('10.0.0.0/16');
const POOL6 = prefix('fd8a:52c1:9e07::/48');

const topologyArb = fc
  .array(fc.constantFrom(...kinds), { minLength: 2, maxLength: 10 })
  .chain((ks) =>
    fc.record({
      kinds: fc.constant(ks),
      asns: fc.array(fc.integer({ min: 65001, max: 65004 }), { minLength: ks.length, maxLength: ks.length }),
      links: fc.array(fc.tuple(fc.nat(ks.length - 1), fc.nat(ks.length - 1)), { maxLength: 16 }),
    }),
  );

function yamlOf(t: { kinds: readonly string[]; asns: number[]; links: [number, number][] }): string {
  const name = (i: number) => `${t.kinds[i][0]}${i}`;
  const nodes = t.kinds.map((k, i) => (k === 'router' ? `  ${name(i)}: {kind: router, asn: ${t.asns[i]}}` : `  ${name(i)}: ${k}`));
  const links = t.links.filter(([a, b]) => a !== b).map(([a, b]) => `  - [${name(a)}, ${name(b)}]`);
  return `name: prop\nnodes:\n${nodes.join('\n')}\nlinks:${links.length ? '\n' + links.join('\n') : ' []'}\n`;
}

const inside = (subnet: string | undefined, addr: string) => {
  if (!subnet) return false;
  const p = parsePrefix(subnet);
  const a = parseAddress(addr.split('/')[0]);
  return p.ok && a.ok && prefixCovers(p.value, a.value) && addr.endsWith(`/${p.value.len}`);
};

function check(t: Topology): void {
  const seen = new Set<string>();
  for (const n of t.nodes) {
    const base = n.kind === 'switch' ? 1 : 0;
    expect(n.interfaces.map((i) => i.name)).toEqual(n.interfaces.map((_, k) => `${n.name}-eth${base + k}`));
    for (const i of n.interfaces) {
      const link = t.links[i.link];
      if (n.kind === 'switch') { expect(i.ipv4).toBeUndefined(); continue; }
      expect(inside(link.subnet4, i.ipv4!)).toBe(true);
      expect(inside(link.subnet6, i.ipv6!)).toBe(true);
      for (const a of [i.ipv4!, i.ipv6!]) {
        const key = a.split('/')[0];
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
  }
  const subnets = [...new Set(t.links.flatMap((l) => [l.subnet4, l.subnet6]).filter((s): s is string => !!s))].map((s) => parsePrefix(s));
  for (const s of subnets) {
    if (!s.ok) throw new Error(s.error);
    expect(prefixCovers(s.value.family === 4 ? POOL4 : POOL6, s.value)).toBe(true);
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = 0; j < i; j++) {
      const x = subnets[i], y = subnets[j];
      if (!x.ok || !y.ok) throw new Error('bad subnet');
      expect(prefixCovers(x.value, y.value) || prefixCovers(y.value, x.value)).toBe(false);
    }
  }
  const byName = new Map(t.nodes.map((n) => [n.name, n]));
  for (const n of t.nodes) {
    for (const nb of n.neighbors ?? []) {
      const back = byName.get(nb.node!)!.neighbors!.find((x) => x.address === nb.localAddress && x.localAddress === nb.address);
      expect(back).toBeDefined();
      expect(back!.remoteAs).toBe(n.asn);
      expect(nb.kind).toBe(nb.remoteAs === n.asn ? 'ibgp' : 'ebgp');
    }
    if (n.defaultRoute?.ipv4) {
      const gw = n.defaultRoute.ipv4;
      const owner = t.nodes.find((x) => x.interfaces.some((i) => i.ipv4?.split('/')[0] === gw))!;
      expect(owner.kind).toBe('router');
      expect(n.interfaces.some((i) => inside(t.links[i.link].subnet4, `${gw}/${t.links[i.link].subnet4!.split('/')[1]}`))).toBe(true);
    }
  }
}

describe('automatic addressing (properties)', () => {
  it('holds its invariants on random topologies and is deterministic', () => {
    fc.assert(
      fc.property(topologyArb, (spec) => {
        const text = yamlOf(spec);
        const t = loadTopologyText(text, 'prop.yaml');
        check(t);
        expect(loadTopologyText(text, 'prop.yaml')).toEqual(t);
      }),
      { numRuns: 80 },
    );
  });

  it('allocates aligned, disjoint IPv4 blocks first-fit', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(31, 30, 24, 28), { minLength: 1, maxLength: 40 }), (lens) => {
        const a = new Ipv4Allocator(POOL4, []);
        const got = lens.map((l) => a.allocate(l)!);
        got.forEach((p, i) => {
          expect(p.len).toBe(lens[i]);
          expect(parsePrefix(formatPrefix(p)).ok, `${formatPrefix(p)} is aligned`).toBe(true);
          expect(prefixCovers(POOL4, p)).toBe(true);
          for (let j = 0; j < i; j++) expect(prefixCovers(got[j], p) || prefixCovers(p, got[j])).toBe(false);
        });
      }),
    );
  });

  it('finds every overlapping subnet (checked against comparing all pairs)', () => {
    const p4 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 16, max: 31 })).map(([hi, len]) => {
      const p = parsePrefix(`10.${hi >> 8}.${hi & 255}.0/${len}`, { allowHostBits: true });
      if (!p.ok) throw new Error(p.error);
      return p.value;
    });
    fc.assert(
      fc.property(fc.array(p4, { maxLength: 30 }), (ps) => {
        const items = ps.map((prefix, id) => ({ prefix, id }));
        const involved = new Set(overlappingPairs(items).flat().map((x) => x.id));
        const oracle = new Set(items.filter((x) => items.some((y) => y !== x && prefixesOverlap(x.prefix, y.prefix))).map((x) => x.id));
        expect(involved).toEqual(oracle);
      }),
    );
  });

  it('uses both addresses of a /31 and skips network and broadcast otherwise', () => {
    const list = (s: string) => [...hostAddresses(prefix(s))].map((a) => formatAddress(a));
    expect(list('10.0.0.2/31')).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(list('10.0.0.0/30')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(list('fd00::/126')).toEqual(['fd00::1', 'fd00::2', 'fd00::3']);
    expect(lanPrefixLength(3)).toBe(24);
    expect(lanPrefixLength(254)).toBe(24);
    expect(lanPrefixLength(255)).toBe(23);
  });
});
