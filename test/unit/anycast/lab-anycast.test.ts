/**
 * The pure parts of lab/anycast.ts: the blackhole's policy-rule sequence
 * (never a moment without a `lookup local` rule, undone exactly), who
 * attacks in `lab ddos`, the health timing override, and the text views.
 */
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../lab/topology/load.js';
import { anycastServers, attackers, blackholeRules, defaultAnycastAddress, formatCatchment, formatFailover, formatSites, healthTiming, predictedCatchment } from '../../../lab/anycast.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Applies `ip rule add/del` argv lists to a model rule table: "fam pref selector action". */
function simulate(start: string[], cmds: readonly string[][]): string[][] {
  const rules = [...start];
  const snapshots: string[][] = [];
  for (const c of cmds) {
    const [fam, , op, , pref, ...rest] = c;
    const key = `${fam} ${pref} ${rest.join(' ')}`;
    if (op === 'add') rules.push(key);
    else {
      const i = rules.indexOf(key);
      expect(i, `deleting a rule that is not there: ${key}`).toBeGreaterThanOrEqual(0);
      rules.splice(i, 1);
    }
    snapshots.push([...rules]);
  }
  return snapshots;
}

describe('blackhole rules', () => {
  it('drop everything from the links and everything locally generated, keep local delivery; undo restores the table', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    const b = topo.nodes.find((n) => n.name === 'b')!;
    const { add, del } = blackholeRules(b);
    const initial = ['-4 0 lookup local', '-6 0 lookup local'];
    const during = simulate(initial, add);
    for (const snap of during) for (const fam of ['-4', '-6']) expect(snap.some((r) => r.startsWith(fam) && r.endsWith('lookup local'))).toBe(true);
    const final = during[during.length - 1];
    for (const fam of ['-4', '-6']) {
      expect(final).toContain(`${fam} 1 iif b-eth0 blackhole`);
      expect(final).toContain(`${fam} 3 lookup local`);
      expect(final).toContain(`${fam} 4 iif lo blackhole`);
      expect(final).not.toContain(`${fam} 0 lookup local`);
    }
    const after = simulate(final, del);
    for (const snap of after) for (const fam of ['-4', '-6']) expect(snap.some((r) => r.startsWith(fam) && r.endsWith('lookup local'))).toBe(true);
    expect(after[after.length - 1].sort()).toEqual([...initial].sort());
  });
});

describe('lab anycast helpers', () => {
  const saved = process.env.ANYCAST_LAB_HEALTH;
  afterEach(() => {
    if (saved === undefined) delete process.env.ANYCAST_LAB_HEALTH;
    else process.env.ANYCAST_LAB_HEALTH = saved;
  });

  it('health timing: defaults 500/2/3, ANYCAST_LAB_HEALTH overrides, nonsense falls back', () => {
    delete process.env.ANYCAST_LAB_HEALTH;
    expect(healthTiming()).toEqual({ intervalMs: 500, rise: 2, fall: 3 });
    process.env.ANYCAST_LAB_HEALTH = '200,1,2';
    expect(healthTiming()).toEqual({ intervalMs: 200, rise: 1, fall: 2 });
    process.env.ANYCAST_LAB_HEALTH = 'x,0,-1';
    expect(healthTiming()).toEqual({ intervalMs: 500, rise: 2, fall: 3 });
  });

  it('servers, default addresses, attackers and the oracle on anycast-basic', async () => {
    const topo = await loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
    expect(anycastServers(topo).map((n) => n.name).sort()).toEqual(['a', 'b', 'c']);
    expect(defaultAnycastAddress(topo)).toBe('192.0.2.53');
    expect(defaultAnycastAddress(topo, 6)).toBe('2001:db8::53');
    expect(attackers(topo).map((n) => n.name)).toEqual(['client']);
    const p = predictedCatchment(topo, '192.0.2.53');
    expect(p.prefix).toBe('192.0.2.0/24');
    expect(p.predictions.map((x) => [x.client, x.servers])).toEqual([['client', ['b']]]);
  });

  it('hosts named attacker*/atk*/bot* are the attackers when there are any', () => {
    const host = (name: string) => ({ name, kind: 'host' as const, interfaces: [] });
    const topo = { nodes: [host('client'), host('atk1'), host('bot2')] } as unknown as Parameters<typeof attackers>[0];
    expect(attackers(topo).map((n) => n.name)).toEqual(['atk1', 'bot2']);
  });

  it('text views mark disagreements and show the failover columns', () => {
    const c = formatCatchment({ address: '192.0.2.53', prefix: '192.0.2.0/24', oracleConverged: true, rows: [
      { client: 'h1', observed: 'a', predicted: ['a'], tie: false, match: true, rttMs: 0.5, asPath: [64500], router: 'r1' },
      { client: 'h2', observed: 'c', predicted: ['a', 'b'], tie: true, match: false },
    ] });
    expect(c).toMatch(/h1\s+a\s+a\s+0\.500\s+r1: \[64500\]\n/);
    expect(c).toMatch(/h2\s+c\s+a\|b \(tie\).*<- differs/);
    expect(formatCatchment({ address: 'x', oracleConverged: true, rows: [{ client: 'h1', observed: 'a', predicted: ['a'], tie: false, match: true }] }, true)).not.toContain('h1 ');
    const f = formatFailover({ server: 'b', how: 'service', address: '192.0.2.53', rate: 200, health: { intervalMs: 500, rise: 2, fall: 3 }, failedAtEpochMs: 0, rows: [
      { client: 'client', before: 'b', after: 'a', outageMs: 1234.56, failureToNewMs: 1300, lost: 250, sent: 400, maxGapMs: 1234.56 },
    ] });
    expect(f).toContain('fall 3');
    expect(f).toMatch(/client\s+b\s+a\s+1234\.6\s+1300\.0\s+250\s+400/);
    const st = formatSites([
      { name: 'b', serviceUp: false, verdict: 'down', drained: true, announced: false, failed: 'drain', sinceReset: 7, addresses: ['192.0.2.53'], byClient: { '10.0.0.0': { whoami: 3, dns: 1, flood: 0 }, '192.0.2.53': { whoami: 3, dns: 0, flood: 0 } }, errors: [] },
      { name: 'c', errors: ['service: cannot connect'] },
    ]);
    expect(st).toMatch(/b\s+DOWN\s+down\*\s+withdrawn\s+drain\s+7\s+10\.0\.0\.0 3\/1\/0, 192\.0\.2\.53 \(health check\) 3\/0\/0/);
    expect(st).toMatch(/c\s+\?\s+\?.*\n\s+! service: cannot connect/);
  });
});
