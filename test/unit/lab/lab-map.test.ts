/**
 * The map `lab up` ends with and the catchment `lab graph` draws, from
 * topologies/anycast-basic.yaml: the oracle's view names b for the client
 * (a once b is withdrawn, nothing once every site is), the map's last line
 * is the client's site, and the dot output colours the client like the site
 * it reaches, joins them by a catchment edge and has a legend.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../lab/topology/load.js';
import { formatLabMap, predictedView, type CatchmentView } from '../../../lab/lab-map.js';
import { topologyDot } from '../../../lab/debug-tools.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const basic = () => loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
const state = (withdrawn: string[]) => ({ withdrawn, down: [], downInterfaces: [], leftOut: withdrawn.map((s) => `${s} (failed: service)`) });

describe('lab map', () => {
  it('predicted: the client reaches b via r1 over AS path 64500, and the map ends with it, labelled as a prediction', async () => {
    const topo = await basic();
    const v = predictedView(topo, '192.0.2.53');
    expect(v).toMatchObject({ source: 'predicted', prefix: '192.0.2.0/24', sites: ['a', 'b', 'c'], unavailable: [] });
    expect(v.rows).toEqual([{ client: 'client', site: 'b', predicted: ['b'], router: 'r1', asPath: [64500], note: undefined }]);
    const map = formatLabMap('basic', topo, [v]);
    const lines = map.trimEnd().split('\n');
    expect(lines[0]).toBe('*** map of lab basic');
    expect(map).toContain('nodes      7: hosts client; routers r1 (AS65001), r2 (AS65002), r3 (AS65003); anycast servers a b c (AS64500)');
    expect(map).toContain('links      6: client-r1 r1-r2 r2-r3 b-r1 a-r2 c-r3');
    expect(map).toContain('anycast    192.0.2.53, 2001:db8::53 at a b c (announcing 192.0.2.0/24, 2001:db8::/48)');
    expect(map).toMatch(/^catchment  of 192\.0\.2\.53, PREDICTED by the oracle/m);
    expect(lines[lines.length - 1]).toMatch(/^ {2}client -> b +via r1, AS path 64500$/);
  });

  it('with b withdrawn the prediction is a (AS path 65002 64500) and the map says what was left out', async () => {
    const topo = await basic();
    const v = predictedView(topo, '192.0.2.53', state(['b']));
    expect(v.rows[0]).toMatchObject({ site: 'a', asPath: [65002, 64500] });
    expect(v.unavailable).toEqual(['b']);
    const map = formatLabMap('basic', topo, [v], { converged: false, seconds: 30 });
    expect(map).toMatch(/PREDICTED by the oracle from the topology, no packet sent \(BGP has not converged\); left out: b \(failed: service\)/);
    expect(map.trimEnd().split('\n').pop()).toMatch(/client -> a +via r1, AS path 65002 64500/);
    const none = predictedView(topo, '192.0.2.53', state(['a', 'b', 'c']));
    expect(formatLabMap('basic', topo, [none]).trimEnd().split('\n').pop()).toMatch(/client -> - +via r1; r1 has no route to 192\.0\.2\.0\/24/);
  });

  it('measured: "the oracle agrees" only when every client reached a predicted site; a disagreement is on the client\'s line', async () => {
    const topo = await basic();
    const v = predictedView(topo, '192.0.2.53');
    const agree: CatchmentView = { ...v, source: 'measured' };
    expect(formatLabMap('basic', topo, [agree])).toMatch(/measured: a UDP whoami probe from each client; the oracle agrees/);
    const differ: CatchmentView = { ...v, source: 'measured', rows: [{ ...v.rows[0], site: 'c', note: 'the oracle predicted b' }] };
    const map = formatLabMap('basic', topo, [differ]);
    expect(map).not.toMatch(/agrees/);
    expect(map.trimEnd().split('\n').pop()).toMatch(/client -> c +via r1, AS path 64500; the oracle predicted b/);
  });

  it('a lab without anycast servers has a map of nodes and links only', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/chain.yaml'));
    const map = formatLabMap('chain', topo, []);
    expect(map).not.toMatch(/anycast|catchment/);
    expect(map).toMatch(/^links {6}\d+: /m);
  });
});

describe('lab graph with the catchment', () => {
  it('the client is filled with b\'s colour, joined to b by a catchment edge; r1 outlined in b\'s colour; a legend', async () => {
    const topo = await basic();
    const dot = topologyDot(topo, predictedView(topo, '192.0.2.53'));
    const fill = (node: string) => new RegExp(`^ {2}"${node}" \\[[^\\n]*fillcolor="(#[0-9a-f]{6})"`, 'm').exec(dot)?.[1];
    const outline = (node: string) => new RegExp(`^ {2}"${node}" \\[[^\\n]*color="(#[0-9a-f]{6})", penwidth=2\\]`, 'm').exec(dot)?.[1];
    expect(fill('client')).toBe(fill('b'));
    expect(fill('a')).not.toBe(fill('b'));
    expect(fill('c')).not.toBe(fill('b'));
    expect(dot).toMatch(/^ {2}"client" \[shape=box, label="client\\n-> b"/m);
    expect(dot).toMatch(/^ {2}"client" -- "b" \[style=dashed, color="#[0-9a-f]{6}", penwidth=2, len=3, label="catchment"/m);
    expect(outline('r1')).toBe(outline('b'));
    expect(outline('r2')).toBe(outline('a'));
    expect(outline('r3')).toBe(outline('c'));
    expect(dot).toContain('label="catchment of 192.0.2.53: predicted by the oracle (no packet sent)"');
    expect(dot).toMatch(/"legend" \[shape=none.*catchment of 192\.0\.2\.53, predicted \(oracle\).*<TD BGCOLOR="#[0-9a-f]{6}">b<\/TD><TD ALIGN="LEFT">client<\/TD>/);
  });

  it('with b unavailable: b grey and dashed, the client coloured like a; without a catchment, no legend', async () => {
    const topo = await basic();
    const dot = topologyDot(topo, predictedView(topo, '192.0.2.53', state(['b'])));
    expect(dot).toMatch(/^ {2}"b" \[shape=doublecircle, label="b\\nAS64500\\n\(unavailable\)", style="filled,dashed"/m);
    expect(dot).toMatch(/^ {2}"client" -- "a" \[style=dashed/m);
    expect(dot).not.toMatch(/"client" -- "b"/);
    const plain = topologyDot(topo);
    expect(plain).not.toMatch(/legend|catchment/);
    expect(plain).toMatch(/^ {2}"client" -- "r1" /m);
  });
});
