/**
 * The check-spec parser: valid specs become typed checks with defaults;
 * every problem is reported with file, line and field, all at once; and
 * every exercise's check.yaml, starting topology and solution load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckSpec, parseDuration, specNodeErrors, type RouteCheck } from '../../../lab/check-spec.js';
import { loadTopologyText } from '../../../lab/topology/load.js';

const ROOT = resolve(import.meta.dirname, '../../..');

function errorsOf(text: string) {
  const r = parseCheckSpec(text, 'spec.yaml');
  if (r.ok) throw new Error('expected errors');
  return r.errors.map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`);
}

describe('parseCheckSpec', () => {
  it('reads every kind of assertion with its defaults', () => {
    const r = parseCheckSpec(
      [
        'description: demo',
        'timeout: 12s',
        'checks:',
        '  - session: {router: r1, neighbor: r2}',
        '  - route: {router: r1, prefix: 192.0.2.0/24, as-path: [65002, 64500], local-pref: 200, via: r2}',
        '  - route: {router: r1, prefix: 10.0.0.0/8, in: fib, present: false}',
        '  - reach: {from: h1, to: 10.0.0.1, expect: false}',
        '    hint: look at r1',
        '  - traceroute: {from: h1, to: h2, hops: [r1, r2]}',
        '  - catchment: oracle',
        '  - catchment: {client: c1, server: b}',
        '  - failover: {server: b, how: blackhole, max-outage: 500ms}',
        '    name: b fails over',
      ].join('\n'),
      'spec.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.timeoutS).toBe(12);
    expect(r.spec.checks.map((c) => c.kind)).toEqual(['session', 'route', 'route', 'reach', 'traceroute', 'catchment', 'catchment', 'failover']);
    const [session, route, absent, reach, , oracle, , fo] = r.spec.checks;
    expect(session).toMatchObject({ state: 'Established', line: 4, name: 'session r1 -> r2 Established' });
    expect(route as RouteCheck).toMatchObject({ in: 'rib', present: true, asPath: [65002, 64500], localPref: 200, via: 'r2', line: 5 });
    expect(absent).toMatchObject({ in: 'fib', present: false, name: 'no route r1 fib 10.0.0.0/8' });
    expect(reach).toMatchObject({ expect: false, hint: 'look at r1', line: 7 });
    expect(oracle).toMatchObject({ kind: 'catchment', name: 'catchment as the oracle predicts' });
    expect(oracle.kind === 'catchment' && oracle.client).toBeFalsy();
    expect(fo).toMatchObject({ how: 'blackhole', maxOutageMs: 500, timeoutMs: 20_000, name: 'b fails over' });
  });

  it('reports every error with its line and field', () => {
    const errs = errorsOf(
      [
        'checks:',
        '  - route: {router: r1, prefix: 192.0.2.1/24, in: ram}',
        '  - sesion: {router: r1, neighbor: r2}',
        '  - reach: {from: h1}',
        '  - session: {router: r1, neighbor: r2, state: Up}',
        '  - failover: {server: b, how: explode, max-outage: soon}',
        '  - catchment: {server: b}',
      ].join('\n'),
    );
    expect(errs).toContainEqual('spec.yaml:7: checks[5].catchment: a catchment check with a server needs the client that must land on it');
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:2: checks\[0\]\.route\.prefix: '192\.0\.2\.1\/24' is not a prefix/));
    expect(errs).toContainEqual("spec.yaml:2: checks[0].route.in: expected rib or fib, got 'ram'");
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:3: checks\[1\]\.sesion: unknown key 'sesion' in a check \(did you mean 'session'\?\)/));
    expect(errs).toContainEqual("spec.yaml:4: checks[2].reach: a reach check needs 'to'");
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:5: checks\[3\]\.session\.state: unknown session state 'Up'/));
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:6: checks\[4\]\.failover\.how: unknown failure 'explode'/));
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:6: checks\[4\]\.failover\.max-outage: expected a duration/));
  });

  it('reads the clients of a failover that must stay, and refuses the failing server among them', () => {
    const r = parseCheckSpec('checks:\n  - failover: {server: c, how: drain, stay: [c1, c2]}\n', 'spec.yaml');
    expect(r.ok && r.spec.checks[0]).toMatchObject({ kind: 'failover', server: 'c', how: 'drain', stay: ['c1', 'c2'] });
    expect(errorsOf('checks:\n  - failover: {server: c, stay: [c1, c]}\n')).toEqual(["spec.yaml:2: checks[0].failover: 'stay' lists clients; c is the server that fails"]);
    expect(errorsOf('checks:\n  - failover: {server: c, stay: [C1]}\n')).toEqual([expect.stringMatching(/^spec\.yaml:2: checks\[0\]\.failover\.stay\[0\]: expected a node name/)]);
  });

  it('refuses two assertions in one check, attributes on an absent route, BGP attributes on the FIB', () => {
    const errs = errorsOf(
      [
        'checks:',
        '  - reach: {from: h1, to: h2}',
        '    session: {router: r1, neighbor: r2}',
        '  - route: {router: r1, prefix: 10.0.0.0/8, present: false, via: r2}',
        '  - route: {router: r1, prefix: 10.0.0.0/8, in: fib, as-path: [1]}',
      ].join('\n'),
    );
    expect(errs).toContainEqual('spec.yaml:2: checks[0]: one assertion per check, found reach and session');
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:4: checks\[1\]\.route: a route that must be absent/));
    expect(errs).toContainEqual(expect.stringMatching(/^spec\.yaml:5: checks\[2\]\.route: BGP attributes .* use `in: rib`/));
  });

  it('reports YAML syntax errors, duplicate keys, a missing or empty list', () => {
    expect(errorsOf('checks:\n  - reach: {from: h1, to: [}\n')[0]).toMatch(/^spec\.yaml:2: \(yaml\): /);
    expect(errorsOf('checks:\n  - reach: {from: h1, from: h2, to: h3}\n')[0]).toMatch(/^spec\.yaml:2: \(yaml\): .*[Uu]nique/);
    expect(errorsOf('description: nothing\n')).toEqual(['spec.yaml:1: (document): the spec needs a `checks:` list']);
    expect(errorsOf('checks: []\n')).toEqual(['spec.yaml:1: checks: the `checks:` list is empty']);
    expect(errorsOf('')).toEqual(['spec.yaml:1: (document): the spec is empty: it needs a `checks:` list']);
  });

  it('parses durations', () => {
    expect(parseDuration('5s')).toEqual({ ok: true, value: 5000 });
    expect(parseDuration('250ms')).toEqual({ ok: true, value: 250 });
    expect(parseDuration(2)).toEqual({ ok: true, value: 2000 });
    expect(parseDuration('5 minutes').ok).toBe(false);
  });
});

describe('specNodeErrors', () => {
  it('names nodes the lab does not have, with the check\'s line; addresses are not node names', () => {
    const topo = loadTopologyText('name: t\nnodes: {h1: host, r1: {kind: router, asn: 65001}}\nlinks: [[h1, r1]]\n', 't.yaml');
    const r = parseCheckSpec(
      ['checks:', '  - reach: {from: h1, to: 192.0.2.1}', '  - route: {router: r1, prefix: 10.0.0.0/8, via: r9}', '  - traceroute: {from: h2, to: h1, hops: [r1, h1]}', '  - session: {router: h1, neighbor: r1}'].join('\n'),
      'spec.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(specNodeErrors(r.spec, topo).map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`)).toEqual([
      "spec.yaml:3: checks[1].route.via: no node 'r9' in the lab (nodes: h1 r1)",
      "spec.yaml:4: checks[2].traceroute.from: no node 'h2' in the lab (nodes: h1 r1)",
      'spec.yaml:5: checks[3].session.router: h1 is a host, not one of the lab\'s routers (r1)',
    ]);
  });
});

describe('the exercises', () => {
  const dirs = readdirSync(join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d)).sort();

  it('are at least twelve, each with a README, a topology, a check and a solution', () => {
    expect(dirs.length).toBeGreaterThanOrEqual(12);
    for (const d of dirs) {
      for (const f of ['README.md', 'topology.yaml', 'check.yaml']) expect(readFileSync(join(ROOT, 'exercises', d, f), 'utf8').length, `${d}/${f}`).toBeGreaterThan(0);
      expect(readFileSync(join(ROOT, 'solutions', d, 'topology.yaml'), 'utf8')).not.toBe(readFileSync(join(ROOT, 'exercises', d, 'topology.yaml'), 'utf8'));
    }
  });

  it('have valid check specs and topologies (start and solution) whose nodes the checks name', () => {
    for (const d of dirs) {
      const spec = parseCheckSpec(readFileSync(join(ROOT, 'exercises', d, 'check.yaml'), 'utf8'), `${d}/check.yaml`);
      expect(spec.ok ? [] : spec.errors, d).toEqual([]);
      for (const which of ['exercises', 'solutions']) {
        const topo = loadTopologyText(readFileSync(join(ROOT, which, d, 'topology.yaml'), 'utf8'), `${which}/${d}/topology.yaml`);
        const names = new Set(topo.nodes.map((n) => n.name));
        if (!spec.ok) continue;
        for (const c of spec.spec.checks) {
          const refs = Object.entries(c).filter(([k]) => ['router', 'from', 'client', 'server', 'via'].includes(k)).map(([, v]) => v as string);
          if (c.kind === 'traceroute') refs.push(...c.hops);
          if (c.kind === 'failover') refs.push(...(c.stay ?? []));
          for (const r of refs) expect(names.has(r), `${which}/${d}: check '${c.name}' names unknown node ${r}`).toBe(true);
        }
      }
    }
  });
});
