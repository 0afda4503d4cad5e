/**
 * Mininet compatibility: `--topo` strings build what `mn --topo` builds, and
 * Mininet Python custom topologies import.
 *
 * Expected node names, link order and ports come from Debian's mininet
 * package (test/fixtures/mininet-builtin-topos.json records them; when
 * /usr/bin/python3 can import mininet the test also asks it live).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  importHelperPath, loadMininetCustom, loadMininetCustomTopo, mininetTopology, naturalCompare, runMininetImport, SYSTEM_PYTHON,
  splitTopoString, type MininetImport,
} from '../../../lab/topology/mininet.js';
import { TopologyValidationError, type Topology } from '../../../lab/topology/types.js';

const fixtures = join(import.meta.dirname, '../../fixtures');
const recorded = JSON.parse(readFileSync(join(fixtures, 'mininet-builtin-topos.json'), 'utf8')) as {
  topos: Record<string, { hosts: string[]; switches: string[]; links: [string, number, string, number][] }>;
};
const custom = join(fixtures, 'mininet-custom.py');
const realMininet = (await execa(SYSTEM_PYTHON, ['-c', 'import mininet.topo'], { reject: false })).exitCode === 0;
// One python run asks the real mininet package for every recorded form.
const live = realMininet
  ? (JSON.parse((await execa(SYSTEM_PYTHON, [importHelperPath(), '--builtin', ...Object.keys(recorded.topos)])).stdout) as { topos: Record<string, MininetImport> }).topos
  : undefined;

const linkPairs = (t: Topology) => t.links.map((l) => `${l.a.interface}<->${l.b.interface}`);
const errorOf = async (f: () => unknown) => {
  try { await f(); } catch (e) { expect(e).toBeInstanceOf(TopologyValidationError); return (e as TopologyValidationError).errors; }
  throw new Error('no error');
};

describe('--topo builders match Mininet', () => {
  for (const [form, want] of Object.entries(recorded.topos)) {
    it(form, async () => {
      const t = mininetTopology(form);
      expect(t.nodes.filter((n) => n.kind === 'host').map((n) => n.name)).toEqual(want.hosts);
      expect(t.nodes.filter((n) => n.kind === 'switch').map((n) => n.name)).toEqual(want.switches);
      expect(linkPairs(t)).toEqual(want.links.map(([a, pa, b, pb]) => `${a}-eth${pa}<->${b}-eth${pb}`));
      if (live) {
        expect(live[form].mininet).toBe('real');
        expect(t.nodes.map((n) => n.name)).toEqual([...live[form].hosts, ...live[form].switches]);
        expect(linkPairs(t)).toEqual(live[form].links.map((l) => `${l.node1}-eth${l.port1}<->${l.node2}-eth${l.port2}`));
      }
    });
  }

  it('covers every mn topology name', () => {
    const names = new Set(Object.keys(recorded.topos).map((f) => f.split(',')[0]));
    expect([...names].sort()).toEqual(['linear', 'minimal', 'reversed', 'single', 'torus', 'tree']);
  });

  it('addresses hosts as Mininet does: 10.0.0.N/8 in sorted host order, on the default interface only', () => {
    const t = mininetTopology('linear,2,2');
    const ips = Object.fromEntries(t.nodes.filter((n) => n.kind === 'host').map((n) => [n.name, n.interfaces[0].ipv4]));
    expect(ips).toEqual({ h1s1: '10.0.0.1/8', h1s2: '10.0.0.2/8', h2s1: '10.0.0.3/8', h2s2: '10.0.0.4/8' });
    const big = mininetTopology('single,300');
    expect(big.nodes.find((n) => n.name === 'h256')!.interfaces[0].ipv4).toBe('10.0.1.0/8');
    expect(big.nodes.every((n) => n.interfaces.every((i) => !i.ipv6))).toBe(true);
    expect(big.nodes.every((n) => !n.defaultRoute && !n.neighbors)).toBe(true);
  });

  it('names the lab after the topology unless told', () => {
    expect(mininetTopology('tree,depth=2,fanout=2').name).toBe('tree-depth-2-fanout-2');
    expect(mininetTopology('linear,4', { name: 't1' }).name).toBe('t1');
    expect(mininetTopology('linear,4').origin).toBe('mininet:linear,4');
  });

  it('rejects bad strings with a message naming the topology', async () => {
    expect((await errorOf(() => mininetTopology('ring,3')))[0]).toMatchObject({ file: 'mininet:ring,3', field: 'topo', message: expect.stringMatching(/unknown topology 'ring'/) });
    expect((await errorOf(() => mininetTopology('torus,2,2')))[0].message).toMatch(/x must be an integer between 3/);
    expect((await errorOf(() => mininetTopology('single,x')))[0].message).toMatch(/k must be an integer/);
    expect((await errorOf(() => mininetTopology('linear,2,n=2,k=3')))[0].message).toMatch(/'k' given twice/);
    expect((await errorOf(() => mininetTopology('tree,fanout=2,size=3')))[0].message).toMatch(/unknown parameter 'size'/);
    expect((await errorOf(() => mininetTopology('minimal,3')))[0].message).toMatch(/too many arguments/);
  });

  it('splits topology strings as mininet.util.splitArgs', () => {
    expect(splitTopoString('tree,2,fanout=3,x=1.5,y=abc')).toEqual({ name: 'tree', args: [2], kwargs: { fanout: 3, x: 1.5, y: 'abc' } });
  });

  it('sorts names naturally (mininet.util.natural)', () => {
    expect(['s10', 's2', 'h1s10', 'h1s2', 'h10', 'h1'].sort(naturalCompare)).toEqual(['h1', 'h1s2', 'h1s10', 'h10', 's2', 's10']);
  });
});

describe('Mininet custom topology import', () => {
  const lineOf = (text: string) => readFileSync(custom, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

  it('imports nodes, ports, link options and host ip', async () => {
    const t = await loadMininetCustom(custom, 'dumbbell');
    expect(t.nodes.map((n) => n.name)).toEqual(['h1', 'h2', 'h3', 'h4', 's1', 's2']);
    expect(linkPairs(t)).toEqual(['h1-eth0<->s1-eth1', 'h2-eth0<->s1-eth2', 's1-eth3<->s2-eth1', 's2-eth2<->h3-eth0', 's2-eth3<->h4-eth0']);
    const bottleneck = t.links[2];
    const shaping = { rateMbit: 10, delayMs: 5, jitterMs: 1, lossPercent: 2 };
    expect(bottleneck.aToB).toEqual(shaping);
    expect(bottleneck.bToA).toEqual(shaping);
    expect(t.links[0].aToB).toBeUndefined();
    const ip = (n: string) => t.nodes.find((x) => x.name === n)!.interfaces[0].ipv4;
    expect([ip('h1'), ip('h2'), ip('h4')]).toEqual(['10.0.0.101/8', '10.0.0.2/8', '10.0.0.4/8']);
    expect(bottleneck.source).toMatchObject({ file: custom, line: lineOf('self.addLink(s1, s2') });
    expect(t.nodes.find((n) => n.name === 'h1')!.source?.line).toBe(lineOf("addHost('h1'"));
  });

  it('reads string arguments as mn does ("4" is 4, "n=4" a keyword)', async () => {
    const byPosition = await loadMininetCustom(custom, 'ring', ['4']);
    const byKeyword = await loadMininetCustom(custom, 'ring', ['n=4'], { standIn: true });
    expect(byPosition.nodes.filter((n) => n.kind === 'host')).toHaveLength(4);
    expect(linkPairs(byKeyword)).toEqual(linkPairs(byPosition));
  });

  it('passes arguments to the topology class', async () => {
    const t = await loadMininetCustomTopo(custom, 'ring,4');
    expect(t.nodes.filter((n) => n.kind === 'switch').map((n) => n.name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(t.nodes.find((n) => n.name === 's1')!.interfaces.map((i) => i.peerNode)).toEqual(['h1', 's2', 's4']);
  });

  it('builds the same topology with the stand-in Topo as with the real one', async () => {
    const standIn = await runMininetImport([custom, 'ring', JSON.stringify({ args: [5] })], { standIn: true });
    expect(standIn.mininet).toBe('stand-in');
    const viaStandIn = await loadMininetCustom(custom, 'dumbbell', [], { standIn: true });
    expect(linkPairs(viaStandIn)).toEqual(['h1-eth0<->s1-eth1', 'h2-eth0<->s1-eth2', 's1-eth3<->s2-eth1', 's2-eth2<->h3-eth0', 's2-eth3<->h4-eth0']);
    if (realMininet) {
      const real = await runMininetImport([custom, 'ring', JSON.stringify({ args: [5] })]);
      expect(real.mininet).toBe('real');
      expect({ ...standIn, mininet: '' }).toEqual({ ...real, mininet: '' });
      expect(viaStandIn).toEqual(await loadMininetCustom(custom, 'dumbbell'));
    }
  });

  it('reports a failing build() with the file and line', async () => {
    const broken = join(fixtures, 'mininet-broken.py');
    const e = await errorOf(() => loadMininetCustom(broken, 'broken', [], { standIn: true }));
    expect(e[0]).toMatchObject({ file: broken, line: 9, message: expect.stringMatching(/ValueError: no such host/) });
  });

  it('refuses interface names Linux cannot have: colliding ports, over 15 characters, bad node names', async () => {
    const file = join(fixtures, 'mininet-clash.py');
    const clash = await errorOf(() => loadMininetCustom(file, 'portclash', [], { standIn: true }));
    expect(clash).toEqual([expect.objectContaining({ file, message: expect.stringMatching(/'s1-eth1' is used twice on node 's1'/) })]);
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes("addHost('h2')")) + 1;
    expect(clash[0].line).toBe(line);
    const long = await errorOf(() => loadMininetCustom(file, 'longnames', [], { standIn: true }));
    expect(long.map((e) => e.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/'webserver01-eth0' is 16 characters; Linux allows 15/),
      expect.stringMatching(/node name 'DB' is not valid/),
    ]));
  });

  it('names the topologies a file offers when the name is wrong', async () => {
    const e = await errorOf(() => loadMininetCustom(custom, 'star'));
    expect(e[0].message).toMatch(/no topology 'star'; the file defines: dumbbell, ring/);
  });

  it('reports a file that cannot be run', async () => {
    const e = await errorOf(() => loadMininetCustom(join(fixtures, 'does-not-exist.py'), 'x'));
    expect(e[0].file).toMatch(/does-not-exist\.py$/);
    expect(e[0].message).toMatch(/No such file|FileNotFoundError/);
  });
});
