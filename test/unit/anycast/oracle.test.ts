/**
 * The catchment oracle over real topology files (loaded and validated by
 * lab/topology): anycast-basic sends the client to b; prepending on b's
 * session moves it to a; LOCAL_PREF beats a shorter path; equal paths are
 * reported as a tie; IPv6 follows the same decision.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../lab/topology/load.js';
import { bestRoutes, coveringAnycastPrefix, predictCatchment } from '../../../src/anycast/oracle.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

describe('catchment oracle', () => {
  it('anycast-basic: the client reaches b over AS path [64500]; r2 prefers a, r3 c', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    const r = predictCatchment(topo, '192.0.2.0/24');
    expect(r.converged).toBe(true);
    expect(r.predictions).toHaveLength(1);
    const p = r.predictions[0];
    expect(p).toMatchObject({ client: 'client', router: 'r1', servers: ['b'], tie: false });
    expect(p.paths.map((x) => x.asPath)).toEqual([[64500]]);
    expect(r.best.get('r2')!.map((x) => x.server)).toEqual(['a']);
    expect(r.best.get('r3')!.map((x) => x.server)).toEqual(['c']);
    // r3 hears b through r2 and r1: [65002 65001 64500] loses to c's [64500].
    expect(r.best.get('r3')![0].asPath).toEqual([64500]);
  });

  it('anycast-basic over IPv6 gives the same answer', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    expect(coveringAnycastPrefix(topo, '2001:db8::53')).toBe('2001:db8::/48');
    expect(predictCatchment(topo, '2001:db8::/48').predictions[0].servers).toEqual(['b']);
  });

  it('without b, the next nearest is a (failover target), then c', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    const withoutB = { nodes: topo.nodes.filter((n) => n.name !== 'b') };
    expect(predictCatchment(withoutB, '192.0.2.0/24').predictions[0].servers).toEqual(['a']);
    const onlyC = { nodes: topo.nodes.filter((n) => n.name !== 'b' && n.name !== 'a') };
    const p = predictCatchment(onlyC, '192.0.2.0/24').predictions[0];
    expect(p.servers).toEqual(['c']);
    expect(p.paths[0].asPath).toEqual([65002, 65003, 64500]);
  });

  it('prepending on b\'s export moves the client to a', async () => {
    const topo = await loadTopologyFile(fixture('prepend.yaml'));
    const p = predictCatchment(topo, '192.0.2.0/24').predictions[0];
    expect(p.servers).toEqual(['a']);
    expect(p.paths[0].asPath).toEqual([65002, 64500]);
    // r1 still has b's prepended path as a candidate; it is longer.
    expect(predictCatchment(topo, '2001:db8::/48').predictions[0].servers).toEqual(['a']);
  });

  it('LOCAL_PREF set on import beats a shorter AS path', async () => {
    const topo = await loadTopologyFile(fixture('local-pref.yaml'));
    const p = predictCatchment(topo, '192.0.2.0/24').predictions[0];
    expect(p.servers).toEqual(['a']);
    expect(p.paths[0]).toMatchObject({ localPref: 200, asPath: [65002, 65004, 64500] });
  });

  it('equal AS paths are reported as a tie, not resolved', async () => {
    const topo = await loadTopologyFile(fixture('tie.yaml'));
    const p = predictCatchment(topo, '192.0.2.0/24').predictions[0];
    expect(p.tie).toBe(true);
    expect(p.servers).toEqual(['a', 'b']);
  });

  it('regions: the catchment splits, one client per site', async () => {
    const topo = await loadTopologyFile(fixture('regions.yaml'));
    const r = predictCatchment(topo, '192.0.2.0/24');
    expect(Object.fromEntries(r.predictions.map((p) => [p.client, p.servers]))).toEqual({ client1: ['a'], client2: ['c'], client3: ['b'] });
  });

  it('regions with c prepending twice: client2 leaves c for a tie between a and b', async () => {
    const topo = await loadTopologyFile(fixture('regions-prepend.yaml'));
    const r = predictCatchment(topo, '192.0.2.0/24');
    const by = Object.fromEntries(r.predictions.map((p) => [p.client, p]));
    expect(by.client1.servers).toEqual(['a']);
    expect(by.client3.servers).toEqual(['b']);
    expect(by.client2).toMatchObject({ servers: ['a', 'b'], tie: true });
    expect(by.client2.paths.every((p) => p.asPath.length === 2)).toBe(true);
  });

  it('decision steps: local-pref, then AS path length, then eBGP over iBGP', () => {
    const base = { server: 'x', asPath: [1, 2], localPref: 100, via: 'ebgp' as const };
    expect(bestRoutes([base, { ...base, server: 'y', localPref: 150, asPath: [1, 2, 3] }]).map((r) => r.server)).toEqual(['y']);
    expect(bestRoutes([base, { ...base, server: 'y', asPath: [1] }]).map((r) => r.server)).toEqual(['y']);
    expect(bestRoutes([base, { ...base, server: 'y', via: 'ibgp' }]).map((r) => r.server)).toEqual(['x']);
    expect(bestRoutes([base, { ...base, server: 'y' }]).map((r) => r.server)).toEqual(['x', 'y']);
    expect(bestRoutes([])).toEqual([]);
  });

  it('a failed (withdrawn) site is left out: without b the client goes to a, without a and b to c', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    const noB = predictCatchment(topo, '192.0.2.0/24', undefined, { withdrawn: ['b'] });
    expect(noB.predictions[0]).toMatchObject({ client: 'client', router: 'r1', servers: ['a'], tie: false });
    expect(noB.predictions[0].paths.map((p) => p.asPath)).toEqual([[65002, 64500]]);
    // b still speaks BGP: r1 still sends it the routes of a and c, it just originates nothing.
    expect(noB.best.get('b')).toEqual([]);
    const noAB = predictCatchment(topo, '2001:db8::/48', undefined, { withdrawn: ['a', 'b'] });
    expect(noAB.predictions[0].servers).toEqual(['c']);
    expect(noAB.predictions[0].paths[0].asPath).toEqual([65002, 65003, 64500]);
    const none = predictCatchment(topo, '192.0.2.0/24', undefined, { withdrawn: ['a', 'b', 'c'] });
    expect(none.predictions[0]).toMatchObject({ servers: [], note: 'r1 has no route to 192.0.2.0/24' });
  });

  it('a speaker that is down holds no session; a down interface carries none', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    expect(predictCatchment(topo, '192.0.2.0/24', undefined, { down: ['b'] }).predictions[0].servers).toEqual(['a']);
    // r1-eth2 is r1's end of the link to b; either end down cuts the session.
    const intf = (node: string, peer: string) => `${node}/${topo.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.peerNode === peer)!.name}`;
    expect(predictCatchment(topo, '192.0.2.0/24', undefined, { downInterfaces: [intf('r1', 'b')] }).predictions[0].servers).toEqual(['a']);
    expect(predictCatchment(topo, '192.0.2.0/24', undefined, { downInterfaces: [intf('b', 'r1')] }).predictions[0].servers).toEqual(['a']);
    // r2 down: r1 keeps b; with b's link also down r1 has nothing left.
    expect(predictCatchment(topo, '192.0.2.0/24', undefined, { down: ['r2'] }).predictions[0].servers).toEqual(['b']);
    const cut = predictCatchment(topo, '192.0.2.0/24', undefined, { down: ['r2'], downInterfaces: [intf('r1', 'b')] });
    expect(cut.predictions[0]).toMatchObject({ servers: [], note: 'r1 has no route to 192.0.2.0/24' });
    expect(cut.best.get('r3')!.map((p) => p.server)).toEqual(['c']);
    // The client's own link down: it reaches nothing, whatever BGP holds.
    expect(predictCatchment(topo, '192.0.2.0/24', undefined, { downInterfaces: [intf('client', 'r1')] }).predictions[0]).toMatchObject({ servers: [], note: "client's link to r1 is down" });
  });

  it('regions: c failed sends client2 to a tie of a and b; the other clients stay', async () => {
    const topo = await loadTopologyFile(fixture('regions.yaml'));
    const r = predictCatchment(topo, '192.0.2.0/24', undefined, { withdrawn: ['c'] });
    expect(Object.fromEntries(r.predictions.map((p) => [p.client, p.servers]))).toEqual({ client1: ['a'], client2: ['a', 'b'], client3: ['b'] });
  });

  it('an address outside every anycast prefix has no covering prefix', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    expect(coveringAnycastPrefix(topo, '198.51.100.1')).toBeUndefined();
    expect(coveringAnycastPrefix(topo, 'not an address')).toBeUndefined();
  });
});
