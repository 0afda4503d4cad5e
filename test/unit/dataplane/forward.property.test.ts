/**
 * Property: no bytes make the pipeline throw, and every frame ends in
 * exactly one place — forwarded (or queued), handed to the kernel, or
 * counted under exactly one drop reason.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Verdict } from '../../../src/dataplane/forward.js';
import { IfCounter } from '../../../src/dataplane/counters.js';
import { udp4, udp6, icmp4, arp, na } from './helpers.js';
import { router, R_MAC, B_MAC } from './setup.js';

const seeds: Uint8Array[] = [
  udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7' }),
  udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '198.51.100.9', df: true, payload: 1450 }),
  udp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '203.0.113.1', ttl: 1 }),
  icmp4({ dstMac: R_MAC[0], src: '10.0.1.10', dst: '192.0.2.7', ttl: 1 }),
  udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5' }),
  udp6({ dstMac: R_MAC[0], src: '2001:db8:1::10', dst: '2001:db8:99::5', payload: 1400 }),
  arp({ op: 'reply', senderMac: B_MAC, senderIp: '10.0.2.2', targetMac: R_MAC[1], targetIp: '10.0.2.1' }),
  na({ srcMac: B_MAC, dstMac: R_MAC[1], src: '2001:db8:2::2', dst: '2001:db8:2::1', target: '2001:db8:2::2', targetMac: B_MAC }),
];

/** A seed frame with some bytes overwritten and maybe cut short. */
const mutated = fc.record({
  seed: fc.nat(seeds.length - 1),
  edits: fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.option(fc.nat(1600), { nil: undefined }),
}).map(({ seed, edits, cut }) => {
  const f = seeds[seed].slice(0, cut);
  for (const [at, v] of edits) if (at < f.length) f[at] = v;
  return f;
});

const frame = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated);

const meta = fc.record({
  ifIndex: fc.integer({ min: 0, max: 2 }),
  pktType: fc.constantFrom(0, 0, 0, 1, 2, 3, 4),
  flags: fc.constantFrom(0, 0, 0, 1, 4, 8, 16),
  csumStart: fc.integer({ min: -1, max: 120 }),
  csumOffset: fc.integer({ min: -1, max: 40 }),
});

describe('pipeline property', () => {
  it('never throws; each frame is forwarded, queued, the kernel\'s, or exactly one drop', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(frame, meta), { minLength: 1, maxLength: 20 }), fc.boolean(), (frames, learn) => {
        const { fw } = router({ learn, icmpRateLimit: { enabled: true, perSecond: 100, burst: 10 } });
        let t = 0;
        for (const [f, m] of frames) {
          const dropsBefore = fw.counters.totalDrops();
          const kernelBefore = fw.counters.get(m.ifIndex, IfCounter.toKernel);
          fw.lastDrop = -1;
          const v = fw.process(m.ifIndex, f, 0, f.length, m.pktType, m.flags, m.csumStart, m.csumOffset, (t += 7));
          const dropped = fw.counters.totalDrops() - dropsBefore;
          const toKernel = fw.counters.get(m.ifIndex, IfCounter.toKernel) - kernelBefore;
          if (v === Verdict.dropped) {
            expect(dropped).toBe(1);
            expect(fw.lastDrop).toBeGreaterThanOrEqual(0);
            expect(fw.counters.dropCount(fw.lastDrop)).toBeGreaterThan(0);
            expect(toKernel).toBe(0);
          } else if (v === Verdict.kernel) {
            expect(dropped).toBe(0);
            expect(toKernel).toBe(1);
          } else {
            expect([Verdict.forwarded, Verdict.queued]).toContain(v);
            expect(dropped).toBe(0);
            expect(toKernel).toBe(0);
          }
        }
        fw.tick(t + 10_000); // give-ups and ageing never throw either
      }),
      { numRuns: 300 },
    );
  });
});
