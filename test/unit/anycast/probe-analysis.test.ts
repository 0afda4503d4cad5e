/**
 * Failover arithmetic over probe results: server before/after, the outage
 * (last reply from the old site to the first from the new), probes lost.
 */
import { describe, expect, it } from 'vitest';
import { summarizeProbes, type ProbeResult } from '../../../src/anycast/probe-analysis.js';

/** Probes every 5 ms; `answer(i)` says which site answered probe i (undefined: lost), 1 ms RTT. */
function stream(n: number, answer: (i: number) => string | undefined): ProbeResult[] {
  return Array.from({ length: n }, (_, i) => {
    const server = answer(i);
    return server ? { seq: i, sentAt: i * 5, server, rttMs: 1, seen: '10.0.0.0' } : { seq: i, sentAt: i * 5 };
  });
}

describe('summarizeProbes', () => {
  it('a clean failover: b until probe 99, 40 lost, a from probe 140', () => {
    const s = summarizeProbes(stream(200, (i) => (i < 100 ? 'b' : i < 140 ? undefined : 'a')));
    expect(s.before).toBe('b');
    expect(s.after).toBe('a');
    expect(s.sent).toBe(200);
    expect(s.received).toBe(160);
    expect(s.lost).toBe(40);
    expect(s.changes).toHaveLength(1);
    // Last b reply at 99*5+1 = 496, first a reply at 140*5+1 = 701.
    expect(s.outageMs).toBe(205);
    expect(s.changes[0]).toMatchObject({ from: 'b', to: 'a', lastOldAt: 496, firstNewAt: 701, lost: 40 });
    expect(s.maxGapMs).toBe(205);
    expect(s.byServer).toEqual({ b: 100, a: 60 });
  });

  it('no change: no outage, but the largest gap is still reported', () => {
    const s = summarizeProbes(stream(50, (i) => (i >= 10 && i < 20 ? undefined : 'b')));
    expect(s.changes).toEqual([]);
    expect(s.outageMs).toBeUndefined();
    expect(s.maxGapMs).toBe(55);
    expect(s.lost).toBe(10);
  });

  it('order of results does not matter; replies are ordered by arrival', () => {
    const r = stream(20, (i) => (i < 10 ? 'b' : 'a'));
    const shuffled = [...r].reverse();
    expect(summarizeProbes(shuffled)).toEqual(summarizeProbes(r));
  });

  it('nothing answered', () => {
    const s = summarizeProbes(stream(5, () => undefined));
    expect(s).toMatchObject({ sent: 5, received: 0, lost: 5, changes: [], maxGapMs: 0 });
    expect(s.before).toBeUndefined();
    expect(s.rttMs).toBeUndefined();
  });

  it('flapping back and forth counts every change', () => {
    const s = summarizeProbes(stream(30, (i) => (Math.floor(i / 10) % 2 === 0 ? 'b' : 'a')));
    expect(s.changes.map((c) => `${c.from}>${c.to}`)).toEqual(['b>a', 'a>b']);
    expect(s.before).toBe('b');
    expect(s.after).toBe('b');
  });
});
