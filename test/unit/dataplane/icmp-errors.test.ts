/**
 * The ICMP error token bucket (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8) and the
 * counters' snapshot shape the control channel reports.
 */
import { describe, expect, it } from 'vitest';
import { TokenBucket, DEFAULT_ICMP_RATE_LIMIT } from '../../../src/dataplane/icmp-errors.js';
import { DataplaneCounters, DropReason, IfCounter, IcmpCounter, DROP_REASON_NAMES } from '../../../src/dataplane/counters.js';

function takes(b: TokenBucket, now: number, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (b.take(now)) ok++;
  return ok;
}

describe('TokenBucket', () => {
  it('starts full, refills at perSecond, never beyond the burst', () => {
    const b = new TokenBucket({ enabled: true, perSecond: 100, burst: 10 });
    expect(takes(b, 0, 50)).toBe(10);
    expect(takes(b, 50, 50)).toBe(5); // 50 ms at 100/s
    expect(takes(b, 10_000, 50)).toBe(10); // a long pause refills only to the burst
    expect(takes(b, 10_001, 50)).toBe(0); // 0.1 token
    expect(takes(b, 10_010, 50)).toBe(1);
  });

  it('time going backwards adds nothing', () => {
    const b = new TokenBucket({ enabled: true, perSecond: 1000, burst: 2 });
    expect(takes(b, 100, 5)).toBe(2);
    expect(takes(b, 50, 5)).toBe(0);
  });

  it('switched off: everything passes; lowering the burst caps what is saved', () => {
    const b = new TokenBucket({ enabled: false, perSecond: 1, burst: 1 });
    expect(takes(b, 0, 1000)).toBe(1000);
    const c = new TokenBucket({ enabled: true, perSecond: 1, burst: 100 });
    c.configure({ enabled: true, perSecond: 1, burst: 3 });
    expect(takes(c, 0, 10)).toBe(3);
  });

  it('the default allows a traceroute burst and 100 errors a second', () => {
    expect(DEFAULT_ICMP_RATE_LIMIT).toEqual({ enabled: true, perSecond: 100, burst: 50 });
    const b = new TokenBucket();
    expect(takes(b, 0, 1000)).toBe(50);
    expect(takes(b, 1000, 1000)).toBe(50); // capped at the burst again
  });
});

describe('DataplaneCounters', () => {
  it('counts per interface and per reason; the snapshot lists non-zero reasons per interface and all reasons in total', () => {
    const c = new DataplaneCounters(['eth0', 'eth1']);
    c.add(0, IfCounter.rxFrames, 3);
    c.drop(0, DropReason.noRoute);
    c.drop(1, DropReason.noRoute);
    c.drop(1, DropReason.mtu);
    c.countIcmp(IcmpCounter.sent4);
    const s = c.snapshot();
    expect(s.interfaces[0]).toMatchObject({ name: 'eth0', rxFrames: 3, dropped: 1, drops: { 'no-route': 1 } });
    expect(s.interfaces[1].drops).toEqual({ 'no-route': 1, mtu: 1 });
    expect(Object.keys(s.drops)).toEqual(DROP_REASON_NAMES);
    expect(s.drops['no-route']).toBe(2);
    expect(s.icmp.sent4).toBe(1);
    expect(c.totalDrops()).toBe(3);
    expect(c.dropCount(DropReason.mtu, 0)).toBe(0);
  });

  it('names every reason once', () => {
    expect(new Set(DROP_REASON_NAMES).size).toBe(DROP_REASON_NAMES.length);
    expect(DROP_REASON_NAMES.length).toBe(Object.keys(DropReason).length);
    for (const v of Object.values(DropReason)) expect(DROP_REASON_NAMES[v]).toBeDefined();
  });
});
