/**
 * Packet trace: a filter makes the pipeline report its decision for each
 * matching packet, and nothing for the others.
 */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../src/dataplane/trace.js';
import { compileTraceFilter } from '../../../src/dataplane/trace.js';
import { udp4, udp6 } from './helpers.js';
import { router, R_MAC } from './setup.js';

function traced(learn = true) {
  const records: TraceRecord[] = [];
  const r = router({ onTrace: (t) => records.push(t), learn });
  return { ...r, records };
}

describe('packet trace', () => {
  it('records ingress, matched prefix, next hop, egress and TTL of a forwarded probe', () => {
    const { rx, fw, records } = traced();
    expect(fw.setTraceFilter({ protocol: 17, dstPort: 33434 }).ok).toBe(true);
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 7, sport: 5555 }), { now: 42 });
    expect(records).toEqual([{
      t: 42, ingress: 'eth0', family: 4, src: '10.0.1.10', dst: '192.0.2.7', protocol: 17, srcPort: 5555, dstPort: 33434, ttl: 7,
      action: 'forward', prefix: '192.0.2.0/24', nextHop: '10.0.2.2', egress: 'eth1',
    }]);
  });

  it('records drop reasons: TTL expired (with the error sent), no route, martian, MTU, neighbour unresolved', () => {
    const { rx, fw, records } = traced();
    fw.setTraceFilter({ dstPort: 33434 });
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }));
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '203.0.113.1' }));
    rx(0, udp4({ dstMac: R_MAC[0], src: '127.0.0.1', dst: '192.0.2.7' }));
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', df: true, payload: 1450 }));
    expect(records.map((r) => [r.action, r.reason, r.icmp])).toEqual([
      ['drop', 'ttl-exceeded', 'time-exceeded'],
      ['drop', 'no-route', 'net-unreachable'],
      ['drop', 'martian-source', undefined],
      ['drop', 'mtu', 'fragmentation-needed'],
    ]);
    expect(records[0]).toMatchObject({ prefix: '192.0.2.0/24', egress: 'eth1', ttl: 1 });
  });

  it('queued packets are reported as queued; a later give-up counts as neighbor-unresolved', () => {
    const { rx, fw, records } = traced(false);
    fw.setTraceFilter({ dst: '192.0.2.0/24' });
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }), { now: 0 });
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '10.0.3.99', dport: 53 }), { now: 0 }); // not traced
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: 'queued', nextHop: '10.0.2.2', egress: 'eth1' });
    for (let t = 1000; t <= 3000; t += 1000) fw.tick(t);
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ t: 3000, action: 'drop', reason: 'neighbor-unresolved', nextHop: '10.0.2.2', egress: 'eth1' });
  });

  it('IPv6 probes are traced by prefix; packets that do not match produce nothing', () => {
    const { rx, fw, records } = traced();
    fw.setTraceFilter({ src: '2001:db8:1::/64', dstPort: 33434 });
    rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', hop: 3 }));
    rx(0, udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', dport: 53 }));
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ family: 6, ttl: 3, prefix: '2001:db8:99::/48', nextHop: '2001:db8:2::2', action: 'forward' });
  });

  it('clearing the filter stops records; a malformed filter is refused with a reason', () => {
    const { rx, fw, records } = traced();
    fw.setTraceFilter({ dstPort: 33434 });
    fw.setTraceFilter(null);
    rx(0, udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }));
    expect(records).toHaveLength(0);
    const bad = compileTraceFilter({ dst: '10.0.0.0/99' });
    expect(bad.ok).toBe(false);
    expect(compileTraceFilter({ dstPort: 70000 }).ok).toBe(false);
    expect(compileTraceFilter({ src: '10.0.0.0/8', dst: '2001:db8::/32' }).ok).toBe(false);
  });
});
