/**
 * The contract between the pipeline and the router: the pipeline over the
 * router's RouteLookup (src/router/fib-lookup.ts, over src/fib/fib.ts) and
 * over the data-plane thread's (src/dataplane/thread-fib.ts, fed through
 * route-batch.ts as the worker feeds it) — results shared per next hop /
 * group, following route changes, prefixes found for traces, int32 addresses.
 */
import { describe, expect, it } from 'vitest';
import { Forwarder, Verdict, makeInterfaces } from '../../../src/dataplane/forward.js';
import { FibRouteLookup } from '../../../src/router/fib-lookup.js';
import type { NextHop, RouteChange, RouteSource } from '../../../src/router/route-table.js';
import type { RouteLookup } from '../../../src/dataplane/forward.js';
import { ThreadFib } from '../../../src/dataplane/thread-fib.js';
import { RouteBatchDecoder, RouteBatchEncoder, type RawRouteChange } from '../../../src/dataplane/route-batch.js';
import { DropReason } from '../../../src/dataplane/counters.js';
import type { TraceRecord } from '../../../src/dataplane/trace.js';
import { parsePrefix } from '../../../src/lib/prefix.js';
import { CaptureSink, mac, num4, addr, udp4, udp6 } from './helpers.js';
import { ipv6ToWords } from '../../../src/lib/prefix.js';

const R0 = '02:00:00:00:01:00', R1 = '02:00:00:00:01:01', R2 = '02:00:00:00:01:02';

function prefix(t: string) {
  const p = parsePrefix(t);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

function hop(ifName: string, via?: string): NextHop {
  return via === undefined ? { interface: ifName } : { interface: ifName, via };
}

type Lookup = RouteLookup & { apply(c: RouteChange): void };

/** ThreadFib with each change encoded, transferred and decoded as the worker receives it. */
function threadFib(): Lookup {
  const fib = new ThreadFib();
  const enc = new RouteBatchEncoder();
  const dec = new RouteBatchDecoder();
  const raw: RawRouteChange = { remove: false, family: 4, len: 0, hopSet: 0, w0: 0, w1: 0, w2: 0, w3: 0 };
  return {
    lookup4: (d) => fib.lookup4(d),
    lookup6: (a, b, c, d) => fib.lookup6(a, b, c, d),
    apply(c) {
      enc.add(c);
      const m = structuredClone(enc.take());
      for (const [id, hops] of m.hopSets) fib.defineHopSet(id, hops);
      dec.push(m);
      while (dec.read(raw)) fib.apply(raw);
      fib.flush();
    },
  };
}

const IMPLEMENTATIONS: Array<[string, () => Lookup]> = [
  ['FibRouteLookup', () => new FibRouteLookup(['eth0', 'eth1', 'eth2'])],
  ['ThreadFib', threadFib],
];

for (const [name, make] of IMPLEMENTATIONS) {
function setup() {
  const routes = make();
  const add = (p: string, nextHops: NextHop[], source: RouteSource = 'static') => routes.apply({ action: 'add', route: { prefix: prefix(p), source, nextHops } });
  add('10.0.1.0/24', [hop('eth0')], 'connected');
  add('10.0.2.0/24', [hop('eth1')], 'connected');
  add('10.0.3.0/24', [hop('eth2')], 'connected');
  add('192.0.2.0/24', [hop('eth1', '10.0.2.2')]);
  add('198.51.100.0/24', [hop('eth1', '10.0.2.2'), hop('eth2', '10.0.3.2')], 'bgp');
  add('2001:db8:99::/48', [hop('eth1', '2001:db8:2::2')]);
  const sink = new CaptureSink();
  const records: TraceRecord[] = [];
  const fw = new Forwarder({
    interfaces: makeInterfaces([
      { name: 'eth0', mac: mac(R0), mtu: 1500, ipv4: ['10.0.1.1/24'] },
      { name: 'eth1', mac: mac(R1), mtu: 1500, ipv4: ['10.0.2.1/24'], ipv6: ['2001:db8:2::1/64'] },
      { name: 'eth2', mac: mac(R2), mtu: 1500, ipv4: ['10.0.3.1/24'] },
    ]),
    routes, sink, onTrace: (r) => records.push(r), icmpRateLimit: { enabled: false, perSecond: 0, burst: 0 },
  });
  fw.neighbors.learn4(1, num4('10.0.2.2'), mac('02:00:00:00:00:bb'), 0, 0, true);
  fw.neighbors.learn4(2, num4('10.0.3.2'), mac('02:00:00:00:00:cc'), 0, 0, true);
  fw.neighbors.learn4(0, num4('10.0.1.10'), mac('02:00:00:00:00:aa'), 0, 0, true);
  const w = ipv6ToWords(addr('2001:db8:2::2'));
  fw.neighbors.learn6(1, w[0], w[1], w[2], w[3], mac('02:00:00:00:00:bb'), 0, 0, true);
  const rx = (i: number, f: Uint8Array) => fw.process(i, f, 0, f.length, 0, 0, -1, -1, 1);
  return { routes, add, sink, fw, rx, records };
}

describe(`the pipeline over ${name}`, () => {
  it('forwards by the FIB, returns the same result object for routes sharing a next hop', () => {
    const { routes, rx, sink } = setup();
    expect(rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '192.0.2.9' }))).toBe(Verdict.forwarded);
    expect(sink.take()[0].ifIndex).toBe(1);
    // Addresses arrive as int32 address bits.
    expect(routes.lookup4(num4('192.0.2.1') | 0)).toBe(routes.lookup4(num4('192.0.2.200') | 0));
    expect(routes.lookup4(num4('192.0.2.1') | 0)?.nextHops).toEqual([{ interface: 'eth1', gateway: addr('10.0.2.2') }]);
    expect(routes.lookup4(num4('10.0.2.7') | 0)?.nextHops).toEqual([{ interface: 'eth1' }]);
    expect(routes.lookup4(num4('203.0.113.1') | 0)).toBeUndefined();
  });

  it('spreads flows over an ECMP group\'s members', () => {
    const { rx, sink } = setup();
    const used = new Set<number>();
    for (let p = 0; p < 32; p++) {
      rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '198.51.100.3', sport: 1000 + p }));
      used.add(sink.take()[0].ifIndex);
    }
    expect([...used].sort()).toEqual([1, 2]);
  });

  it('follows FIB changes: a removed route is no longer used, a new one is', () => {
    const { routes, add, rx, fw, sink } = setup();
    expect(rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '192.0.2.9' }))).toBe(Verdict.forwarded);
    routes.apply({ action: 'remove', route: { prefix: prefix('192.0.2.0/24'), source: 'static', nextHops: [hop('eth1', '10.0.2.2')] } });
    expect(rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '192.0.2.9' }))).toBe(Verdict.dropped);
    expect(fw.lastDrop).toBe(DropReason.noRoute);
    add('192.0.2.0/25', [hop('eth2', '10.0.3.2')]);
    sink.take();
    expect(rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '192.0.2.9' }))).toBe(Verdict.forwarded);
    expect(sink.take()[0].ifIndex).toBe(2);
  });

  it('traces name the matched prefix in both families', () => {
    const { rx, fw, records } = setup();
    fw.setTraceFilter({ dstPort: 33434 });
    rx(0, udp4({ dstMac: R0, src: '10.0.1.10', dst: '192.0.2.9' }));
    rx(0, udp6({ dstMac: R0, src: '2001:db8:1::10', dst: '2001:db8:99::1' }));
    expect(records.map((r) => r.prefix)).toEqual(['192.0.2.0/24', '2001:db8:99::/48']);
  });
});
}
