/**
 * What `lab check` says: the pure evaluators turn router answers (shapes of
 * src/control/protocol.ts) into pass/fail results whose messages say what
 * was expected, what was found, and which decision step or ICMP error
 * explains the difference.
 */
import { describe, expect, it } from 'vitest';
import type { FibEntryInfo, NeighborInfo, PathInfo, RibEntryInfo } from '../../../src/control/protocol.js';
import { decisionWalk, evalFailover, evalFib, evalReach, evalRib, evalSession, evalTraceroute, formatCheckReport, parseTraceroute, pingSummary } from '../../../lab/check.js';
import type { FailoverCheck, ReachCheck, RouteCheck, SessionCheck, TracerouteCheck } from '../../../lab/check-spec.js';
import { loadTopologyText } from '../../../lab/topology/load.js';

const topo = loadTopologyText(
  [
    'name: t',
    'nodes: {h1: host, h2: host, r1: {kind: router, asn: 65001}, r2: {kind: router, asn: 65002}, r3: {kind: router, asn: 65003}}',
    'links:',
    '  - {endpoints: [h1, r1], r1: {ipv4: 10.1.0.1/24}, h1: {ipv4: 10.1.0.10/24}}',
    '  - {endpoints: [r1, r2], r1: {ipv4: 10.12.0.1/24}, r2: {ipv4: 10.12.0.2/24}}',
    '  - {endpoints: [r1, r3], r1: {ipv4: 10.13.0.1/24}, r3: {ipv4: 10.13.0.3/24}}',
    '  - {endpoints: [r3, h2], r3: {ipv4: 10.9.0.1/24}, h2: {ipv4: 10.9.0.10/24}}',
  ].join('\n'),
  't.yaml',
);

const route = (o: Partial<RouteCheck>): RouteCheck => ({ kind: 'route', name: 'r', line: 3, router: 'r1', prefix: '10.9.0.0/24', in: 'rib', present: true, ...o });
const path = (o: Partial<PathInfo>): PathInfo => ({ from: '10.12.0.2', asPath: [], nextHop: '10.12.0.2', localPref: 100, origin: 'igp', communities: [], best: false, ...o });

const viaR2: PathInfo = path({ from: '10.12.0.2', fromNode: 'r2', asPath: [65002, 65003], localPref: 200, best: true });
const viaR3 = path({ from: '10.13.0.3', asPath: [65003], nextHop: '10.13.0.3', lostBy: 'LOCAL_PREF 200 > 100' });
const rib: RibEntryInfo[] = [{ prefix: '10.9.0.0/24', paths: [viaR2, viaR3], reason: 'local-pref: LOCAL_PREF 200 > 100' }];

describe('route checks in the RIB', () => {
  it('names the best path, the wanted one and the step that beat it', () => {
    const r = evalRib(route({ via: 'r3', asPath: [65003] }), rib, topo);
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      'r1 should reach 10.9.0.0/24 via r3, AS path 65003, but its best path is via r2 (AS path 65002 65003): the path via r3 (AS path 65003) lost: LOCAL_PREF 200 > 100',
    );
    expect(r.expected).toBe('10.9.0.0/24 in r1\'s BGP table: via r3, AS path 65003');
    expect(r.found).toMatch(/^best via r2 \(AS path 65002 65003\), LOCAL_PREF 200, chosen by: local-pref/);
  });

  it('passes when the best path has the attributes, maps peer addresses to nodes', () => {
    const best = rib[0].paths.map((p) => ({ ...p, best: !p.best, lostBy: undefined }));
    const r = evalRib(route({ via: 'r3', asPath: [65003], bestReasonContains: 'LOCAL-PREF' }), [{ ...rib[0], paths: best }], topo);
    expect(r).toMatchObject({ ok: true, message: "r1's best path to 10.9.0.0/24 is via r3 (AS path 65003) (local-pref: LOCAL_PREF 200 > 100)" });
  });

  it('lists what is wrong when no candidate fits', () => {
    const r = evalRib(route({ localPref: 300, communities: ['65000:1'] }), rib, topo);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('LOCAL_PREF is 200, not 300; communities are none, missing 65000:1; other candidates: via r3 (AS path 65003) lost: LOCAL_PREF 200 > 100');
  });

  it('walks the decision steps the paths tie on before the deciding one', () => {
    const best = path({ asPath: [65002, 65004], best: true });
    expect(decisionWalk(best, path({ asPath: [65003, 65004], lostBy: 'router id 10.12.0.2 < 10.13.0.3' }))).toBe('LOCAL_PREF 100 = 100, AS_PATH 2 = 2, ORIGIN IGP = IGP, then router id 10.12.0.2 < 10.13.0.3');
    expect(decisionWalk(path({ asPath: [65666], best: true }), path({ asPath: [65002, 65003], lostBy: 'AS_PATH 1 < 2' }))).toBe('LOCAL_PREF 100 = 100, then AS_PATH 1 < 2');
    expect(decisionWalk(best, path({ asPath: [65002, 65004], med: 20, lostBy: 'MED 0 < 20 (both from AS 65002)' }))).toBe('LOCAL_PREF 100 = 100, AS_PATH 2 = 2, ORIGIN IGP = IGP, then MED 0 < 20');
    expect(decisionWalk(best, path({ asPath: [65003], lostBy: 'next hop 10.9.9.9 unreachable' }))).toBe('next hop 10.9.9.9 unreachable');
  });

  it('absent and present routes', () => {
    expect(evalRib(route({ present: false }), rib, topo)).toMatchObject({ ok: false, message: "r1 should have no route to 10.9.0.0/24, but it has 2: via r2 (AS path 65002 65003); via 10.13.0.3 (AS path 65003)".replace('via 10.13.0.3', 'via r3') });
    expect(evalRib(route({ present: false }), [], topo).ok).toBe(true);
    expect(evalRib(route({}), [], topo)).toMatchObject({ ok: false, found: 'absent', message: "r1 should have a route to 10.9.0.0/24, but its BGP table has no route to it" });
  });

  it('appends the hint to failures only', () => {
    expect(evalRib(route({ present: false, hint: 'filter it' }), rib, topo).message).toMatch(/\(hint: filter it\)$/);
    expect(evalRib(route({ present: false, hint: 'filter it' }), [], topo).message).not.toContain('hint');
  });
});

describe('route checks in the FIB', () => {
  const fib: FibEntryInfo[] = [
    { prefix: '10.9.0.0/16', source: 'static', nextHops: [{ via: '10.12.0.2', interface: 'r1-eth1' }] },
    { prefix: '10.9.0.0/24', source: 'bgp', nextHops: [{ via: '10.12.0.2', interface: 'r1-eth1' }] },
  ];
  it('says which covering entry packets follow when the prefix is missing', () => {
    const r = evalFib(route({ prefix: '10.9.128.0/17', in: 'fib', via: 'r3' }), fib, topo);
    expect(r.message).toBe("r1 should have a forwarding entry for 10.9.128.0/17 via r3, but it has none; packets to it follow the covering 10.9.0.0/16 (static, via 10.12.0.2 (r2) dev r1-eth1)");
  });
  it('checks next hops by node and counts them (ECMP)', () => {
    const r = evalFib(route({ in: 'fib', via: 'r3', nextHops: 2 }), fib, topo);
    expect(r.ok).toBe(false);
    expect(r.message).toBe("r1's forwarding entry for 10.9.0.0/24 is wrong: its next hop is via 10.12.0.2 (r2) dev r1-eth1, not r3; it has 1 next hop(s) (via 10.12.0.2 (r2) dev r1-eth1), not 2");
    expect(evalFib(route({ in: 'fib', via: 'r2', source: 'bgp' }), fib, topo).ok).toBe(true);
  });
});

describe('sessions', () => {
  const s = (o: Partial<SessionCheck> = {}): SessionCheck => ({ kind: 'session', name: 's', line: 1, router: 'r1', neighbor: 'r2', state: 'Established', ...o });
  const n: NeighborInfo = { address: '10.12.0.2', node: 'r2', remoteAs: 65020, kind: 'ebgp', state: 'Idle', uptime: 3, prefixesReceived: 0, prefixesAccepted: 0, prefixesAdvertised: 0, lastError: '2/2 peer AS 65002, configured 65020', updatesIn: 0, updatesOut: 0 };
  it('says the state, the AS expected and the last error', () => {
    expect(evalSession(s(), [n]).message).toBe("r1's session with r2 should be Established, but it is Idle (r1 expects AS 65020 at 10.12.0.2); last error: 2/2 peer AS 65002, configured 65020");
    expect(evalSession(s({ neighbor: 'r3' }), [n])).toMatchObject({ ok: false, found: 'no such session', message: 'r1 has no BGP session with r3 at all (its sessions: r2)' });
    expect(evalSession(s({ neighbor: '10.12.0.2' }), [{ ...n, state: 'Established' }]).ok).toBe(true);
  });
});

describe('reachability and traceroute', () => {
  const reach = (o: Partial<ReachCheck> = {}): ReachCheck => ({ kind: 'reach', name: 'r', line: 1, from: 'h1', to: 'h2', expect: true, ...o });
  const unreachable = 'PING 10.9.0.10 (10.9.0.10) 56(84) bytes of data.\nFrom 10.1.0.1 icmp_seq=1 Destination Net Unreachable\n\n--- 10.9.0.10 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 201ms\n';
  it('quotes the ICMP error and names the router that sent it', () => {
    expect(pingSummary(unreachable)).toBe('From 10.1.0.1 Destination Net Unreachable');
    expect(evalReach(reach(), '10.9.0.10', false, unreachable, topo).message).toBe('h1 should reach h2 (10.9.0.10), but ping got no reply (From 10.1.0.1 (r1) Destination Net Unreachable)');
    expect(evalReach(reach({ expect: false }), '10.9.0.10', true, '', topo)).toMatchObject({ ok: false, message: 'h1 should not be able to reach h2 (10.9.0.10), but ping was answered' });
    expect(evalReach(reach({ expect: false }), '10.9.0.10', false, unreachable, topo).ok).toBe(true);
  });

  // In the format of Debian's traceroute 2.1 (`traceroute -n -q1 -w1`): one probe per hop, !N on a net unreachable.
  const out = 'traceroute to 10.9.0.10 (10.9.0.10), 8 hops max, 60 byte packets\n 1  10.1.0.1  0.512 ms\n 2  10.12.0.2  0.801 ms !N\n';
  const tr: TracerouteCheck = { kind: 'traceroute', name: 't', line: 1, from: 'h1', to: 'h2', hops: ['r1', 'r3', 'h2'] };
  it('maps hop addresses to nodes and says where the path departs', () => {
    expect(parseTraceroute(out)).toEqual(['10.1.0.1', '10.12.0.2']);
    expect(parseTraceroute(' 1  *\n 2  10.13.0.3  1.0 ms\n')).toEqual([null, '10.13.0.3']);
    expect(evalTraceroute(tr, '10.9.0.10', ['10.1.0.1', '10.12.0.2'], topo).message).toBe('traceroute from h1 to h2 should go r1 -> r3 -> h2, but it goes r1 -> r2; hop 2 is r2 instead of r3');
    expect(evalTraceroute(tr, '10.9.0.10', ['10.1.0.1'], topo).message).toContain('the trace stops after r1, where r3 should come next');
    expect(evalTraceroute(tr, '10.9.0.10', ['10.1.0.1', '10.13.0.3', '10.9.0.10'], topo).ok).toBe(true);
    expect(evalTraceroute(tr, '10.9.0.10', ['10.1.0.1', '10.12.0.2', '10.12.0.1', '10.12.0.2'], topo).message).toBe(
      'traceroute from h1 to h2 should go r1 -> r3 -> h2, but it goes r1 -> r2 -> r1 -> r2; hop 2 is r2 instead of r3 — r1 appears more than once: a forwarding loop',
    );
    expect(evalTraceroute({ ...tr, hops: ['r1', 'r3'] }, '10.9.0.10', ['10.1.0.1', '10.13.0.3', '10.9.0.10'], topo).ok).toBe(true);
  });
});

describe('failover', () => {
  const fo: FailoverCheck = { kind: 'failover', name: 'f', line: 1, server: 'a', how: 'blackhole', to: 'b', maxOutageMs: 5000, timeoutMs: 10_000 };
  it('bounds the outage and names the new server', () => {
    expect(evalFailover(fo, [{ client: 'c1', before: 'a', after: 'b', outageMs: 3200, lost: 10 }])).toMatchObject({ ok: true, found: 'c1: a -> b after 3.20 s' });
    expect(evalFailover(fo, [{ client: 'c1', before: 'a', after: 'b', outageMs: 9000, lost: 10 }]).message).toBe('after a failed (blackhole): c1 was cut off for 9.00 s, more than 5 s');
    expect(evalFailover(fo, [{ client: 'c1', before: 'a', lost: 50 }])).toMatchObject({ ok: false, found: 'c1: a -> no other server answered' });
    expect(evalFailover(fo, [{ client: 'c1', before: 'b', after: 'b', lost: 0 }]).message).toMatch(/^no client was answered by a before the failure/);
  });

  it('with stay: the listed clients keep their server while another fails', () => {
    const st: FailoverCheck = { kind: 'failover', name: 's', line: 1, server: 'c', how: 'drain', stay: ['c1'], timeoutMs: 10_000 };
    expect(evalFailover(st, [{ client: 'c1', before: 'a', after: 'a', lost: 0 }])).toMatchObject({ ok: true, expected: 'c1 keeps its server', found: 'c1: a -> a' });
    expect(evalFailover(st, [{ client: 'c1', before: 'a', after: 'b', lost: 2 }]).message).toBe('while c failed (drain): c1 moved from a to b although a did not fail (its TCP connections break)');
    expect(evalFailover(st, [{ client: 'c1', before: 'c', after: 'a', outageMs: 10, lost: 1 }]).message).toBe('while c failed (drain): c1 was served by c, the server that failed, so it had to move to a (its TCP connections break)');
    expect(evalFailover(st, [{ client: 'c2', before: 'a', after: 'a', lost: 0 }]).message).toBe('while c failed (drain): c1 got no answer before the failure');
    // Others on the failed server are still held to `to`.
    expect(evalFailover({ ...st, to: 'b' }, [{ client: 'c1', before: 'a', after: 'a', lost: 0 }, { client: 'c2', before: 'c', after: 'a', outageMs: 5, lost: 1 }]).message).toBe('while c failed (drain): c2 moved to a, not b');
  });
});

describe('the report', () => {
  it('prints PASS/FAIL lines, the details of failures with the spec line, and a count', () => {
    const fail = evalRib(route({ present: false }), rib, topo);
    const pass = evalRib(route({ present: false }), [], topo);
    const text = formatCheckReport({ spec: 'x/check.yaml', lab: 'l', converged: true, convergeSeconds: 1, ok: false, passed: 1, failed: 1, results: [pass, fail] });
    expect(text.split('\n')).toEqual([
      'PASS  r',
      'FAIL  r',
      `      ${fail.message}`,
      `      expected: ${fail.expected}`,
      `      found:    ${fail.found}`,
      '      (x/check.yaml:3)',
      '1/2 checks pass — 1 fail',
      '',
    ]);
  });
});
