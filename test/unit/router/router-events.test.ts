import { describe, expect, it } from 'vitest';
import { Router, EVENT_DETAIL_MAX, type RouteSink } from '../../../src/router/router.js';
import type { RouteChange } from '../../../src/router/route-table.js';
import { ControlServer } from '../../../src/control/server.js';
import type { RouterConfig } from '../../../src/router/config.js';
import type { BestPathChange, PeerRef, Route, RouteAttrs } from '../../../src/bgp/rib/types.js';
import { formatPrefix, type IpPrefix } from '../../../src/lib/prefix.js';

const cfg: RouterConfig = {
  version: 1, lab: 't', node: 'r1', kind: 'router', asn: 65001, routerId: '10.0.0.1', dataplane: 'kernel',
  controlSocket: '/nonexistent', networks: [], staticRoutes: [], originateConnected: false, multipath: false, neighbors: [],
  interfaces: [{ name: 'eth0', ipv4: '10.0.1.1/24', mtu: 1500 }, { name: 'eth1', ipv4: '10.0.2.1/24', mtu: 1500 }],
};

const peerA: PeerRef = { id: 1, address: { family: 4, bytes: Uint8Array.of(10, 0, 1, 2) }, asn: 65100, routerId: 1, kind: 'ebgp', name: 'a' };
const nhA = Uint8Array.of(10, 0, 1, 2);
const nhB = Uint8Array.of(10, 0, 2, 2);

function prefix(i: number): IpPrefix {
  return { family: 4, bytes: Uint8Array.of(172, 16 + (i >> 8), i & 255, 0), len: 24 };
}
function route(p: IpPrefix, nextHop: Uint8Array, asns: number[]): Route {
  return { prefix: p, peer: peerA, attrs: { nextHop, asPath: [{ type: 2, asns }] } as unknown as RouteAttrs };
}
function announce(n: number, nextHop = nhA): BestPathChange[] {
  return Array.from({ length: n }, (_, i) => ({ prefix: prefix(i), newBest: route(prefix(i), nextHop, [65100, 64500]), step: 'only-path', reason: 'only path' }));
}

function setup() {
  const control = new ControlServer('r1');
  const applied: RouteChange[] = [];
  const sink: RouteSink = { apply: (c) => { applied.push(c); } };
  const router = new Router(cfg, [sink], control);
  router.start(new Map([['eth0', true], ['eth1', true]]));
  applied.length = 0;
  const since = control.recentEvents().length;
  return { control, router, applied, events: () => control.recentEvents().slice(since) };
}

describe('Router events', () => {
  it(`a chunk of up to ${EVENT_DETAIL_MAX} changes gets a best-path and a fib event per prefix`, () => {
    const { router, applied, events } = setup();
    router.onBestPathChanges(announce(EVENT_DETAIL_MAX));
    expect(applied).toHaveLength(EVENT_DETAIL_MAX);
    const ev = events();
    expect(ev.filter((e) => e.type === 'best-path')).toHaveLength(EVENT_DETAIL_MAX);
    expect(ev.filter((e) => e.type === 'fib')).toHaveLength(EVENT_DETAIL_MAX);
    expect(ev.find((e) => e.type === 'best-path')).toMatchObject({ prefix: '172.16.0.0/24', new: 'a [65100 64500]', reason: 'only path' });
    expect(ev.find((e) => e.type === 'fib')).toMatchObject({ prefix: '172.16.0.0/24', action: 'add', via: '10.0.1.2', interface: 'eth0' });
  });

  it('a larger chunk gets one summary event with the counts, and every change still reaches the sinks', () => {
    const { router, applied, events } = setup();
    router.onBestPathChanges(announce(1000));
    expect(applied).toHaveLength(1000);
    // Prefixes with one next hop share one next-hop list.
    expect(new Set(applied.map((c) => c.route.nextHops)).size).toBe(1);
    const ev = events();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'log', level: 'info', detail: { bestPath: 1000, added: 1000, withdrawn: 0, fibAdd: 1000, fibReplace: 0, fibRemove: 0 } });
    expect(ev[0].type === 'log' && ev[0].message).toMatch(/best path changed for 1000 prefixes \(1000 new, 0 withdrawn; 172\.16\.0\.0\/24 … 172\.19\.231\.0\/24\); fib 1000 add, 0 replace, 0 remove/);
    expect(router.table.size).toBe(1000 + 2); // and the two connected subnets
  });

  it('withdrawals and next-hop moves are counted; small ones are per-prefix again', () => {
    const { router, applied, events } = setup();
    router.onBestPathChanges(announce(100));
    const moved = announce(100, nhB).map((c, i) => ({ ...c, oldBest: route(prefix(i), nhA, [65100, 64500]) }));
    router.onBestPathChanges(moved);
    const withdrawn = Array.from({ length: 3 }, (_, i) => ({ prefix: prefix(i), oldBest: route(prefix(i), nhB, [65100]), step: 'no-path' as const, reason: 'withdrawn' }));
    router.onBestPathChanges(withdrawn);
    const ev = events();
    expect(ev[1]).toMatchObject({ type: 'log', detail: { bestPath: 100, added: 0, fibReplace: 100 } });
    expect(ev.slice(2).map((e) => e.type)).toEqual(['fib', 'best-path', 'fib', 'best-path', 'fib', 'best-path']);
    expect(ev[2]).toMatchObject({ type: 'fib', action: 'remove', prefix: '172.16.0.0/24', via: '10.0.2.2', interface: 'eth1' });
    expect(applied.filter((c) => c.action === 'remove')).toHaveLength(3);
    expect(router.fib().filter((f) => f.source === 'bgp')).toHaveLength(97);
  });

  it('an interface going down removes the routes over it, as one summary when many', () => {
    const { router, events } = setup();
    router.onBestPathChanges(announce(50));
    router.onBestPathChanges(announce(5, nhB).map((c, i) => ({ ...c, prefix: prefix(200 + i), newBest: route(prefix(200 + i), nhB, [65100]) })));
    router.interfaceChanged('eth0', false);
    const ev = events();
    expect(ev.some((e) => e.type === 'log' && e.detail?.fibRemove === 50)).toBe(true);
    expect(router.fib().filter((f) => f.source === 'bgp').map((f) => f.prefix)).toEqual(['172.16.200.0/24', '172.16.201.0/24', '172.16.202.0/24', '172.16.203.0/24', '172.16.204.0/24']);
    router.interfaceChanged('eth1', false);
    expect(events().filter((e) => e.type === 'fib' && e.action === 'remove' && e.interface === 'eth1' && e.prefix.startsWith('172.16.20'))).toHaveLength(5);
    expect(formatPrefix(prefix(1))).toBe('172.16.1.0/24');
  });
});
