/**
 * A three-interface router for the pipeline tests:
 *   eth0 10.0.1.1/24 2001:db8:1::1/64  (host A 10.0.1.10 / 2001:db8:1::10 at 02:00:00:00:00:aa)
 *   eth1 10.0.2.1/24 2001:db8:2::1/64  MTU 1400 (neighbour 10.0.2.2 / 2001:db8:2::2 at 02:00:00:00:00:bb)
 *   eth2 10.0.3.1/24                    (neighbour 10.0.3.2 at 02:00:00:00:00:cc)
 * Routes: the connected subnets, 192.0.2.0/24 via 10.0.2.2, 198.51.100.0/24
 * over both 10.0.2.2 and 10.0.3.2 (ECMP), 2001:db8:99::/48 via 2001:db8:2::2.
 */
import { Forwarder, makeInterfaces, type ForwarderOptions } from '../../../src/dataplane/forward.js';
import { CaptureSink, TestRoutes, mac, num4, addr } from './helpers.js';
import { ipv6ToWords } from '../../../src/lib/prefix.js';

export const R_MAC = ['02:00:00:00:01:00', '02:00:00:00:01:01', '02:00:00:00:01:02'];
export const A_MAC = '02:00:00:00:00:aa';
export const B_MAC = '02:00:00:00:00:bb';
export const C_MAC = '02:00:00:00:00:cc';

export function router(opts: Partial<Pick<ForwarderOptions, 'icmpRateLimit' | 'neighbor' | 'onTrace'>> & { learn?: boolean } = {}) {
  const sink = new CaptureSink();
  const routes = new TestRoutes()
    .add('10.0.1.0/24', [{ interface: 'eth0' }])
    .add('10.0.2.0/24', [{ interface: 'eth1' }])
    .add('10.0.3.0/24', [{ interface: 'eth2' }])
    .add('192.0.2.0/24', [{ interface: 'eth1', gateway: '10.0.2.2' }])
    .add('198.51.100.0/24', [{ interface: 'eth1', gateway: '10.0.2.2' }, { interface: 'eth2', gateway: '10.0.3.2' }])
    .add('2001:db8:1::/64', [{ interface: 'eth0' }])
    .add('2001:db8:2::/64', [{ interface: 'eth1' }])
    .add('2001:db8:99::/48', [{ interface: 'eth1', gateway: '2001:db8:2::2' }]);
  const interfaces = makeInterfaces([
    { name: 'eth0', mac: mac(R_MAC[0]), mtu: 1500, ipv4: ['10.0.1.1/24'], ipv6: ['2001:db8:1::1/64'] },
    { name: 'eth1', mac: mac(R_MAC[1]), mtu: 1400, ipv4: ['10.0.2.1/24'], ipv6: ['2001:db8:2::1/64'] },
    { name: 'eth2', mac: mac(R_MAC[2]), mtu: 1500, ipv4: ['10.0.3.1/24'] },
  ]);
  const fw = new Forwarder({
    interfaces, routes, sink,
    icmpRateLimit: opts.icmpRateLimit ?? { enabled: false, perSecond: 0, burst: 0 },
    neighbor: opts.neighbor, onTrace: opts.onTrace,
  });
  if (opts.learn !== false) {
    fw.neighbors.learn4(0, num4('10.0.1.10'), mac(A_MAC), 0, 0, true);
    fw.neighbors.learn4(1, num4('10.0.2.2'), mac(B_MAC), 0, 0, true);
    fw.neighbors.learn4(2, num4('10.0.3.2'), mac(C_MAC), 0, 0, true);
    const a6 = ipv6ToWords(addr('2001:db8:1::10'));
    fw.neighbors.learn6(0, a6[0], a6[1], a6[2], a6[3], mac(A_MAC), 0, 0, true);
    const b6 = ipv6ToWords(addr('2001:db8:2::2'));
    fw.neighbors.learn6(1, b6[0], b6[1], b6[2], b6[3], mac(B_MAC), 0, 0, true);
  }
  /** Feed one frame received on `ifIndex` (a unicast frame to the router unless pktType says otherwise). */
  const rx = (ifIndex: number, frame: Uint8Array, o: { pktType?: number; flags?: number; csumStart?: number; csumOffset?: number; now?: number } = {}) =>
    fw.process(ifIndex, frame, 0, frame.length, o.pktType ?? 0, o.flags ?? 0, o.csumStart ?? -1, o.csumOffset ?? -1, o.now ?? 1000);
  return { fw, sink, routes, rx };
}
