import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirectionShaper } from '../../../src/dataplane/link-shaper.js';

describe('DirectionShaper', () => {
  it('delays every frame by the configured delay', () => {
    const s = new DirectionShaper({ delayMs: 20 });
    expect(s.admit(100, 64)).toBe(120);
    expect(s.admit(101, 64)).toBe(121);
  });

  it('serialises at the rate: 1500 bytes at 12 Mbit/s take 1 ms each, queued back to back', () => {
    const s = new DirectionShaper({ rateMbit: 12 });
    expect(s.admit(0, 1500)).toBeCloseTo(1);
    expect(s.admit(0, 1500)).toBeCloseTo(2);
    expect(s.admit(10, 1500)).toBeCloseTo(11);
  });

  it('loses about the configured share', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const s = new DirectionShaper({ lossPercent: 10 }, rnd);
    let lost = 0;
    for (let i = 0; i < 10_000; i++) {
      if (s.admit(i, 100) < 0) lost++;
      else s.departed();
    }
    expect(lost).toBeGreaterThan(800);
    expect(lost).toBeLessThan(1200);
    expect(s.lost).toBe(lost);
  });

  it('drops beyond the queue limit until frames depart', () => {
    const s = new DirectionShaper({ delayMs: 10, limit: 2 });
    expect(s.admit(0, 60)).toBe(10);
    expect(s.admit(0, 60)).toBe(10);
    expect(s.admit(0, 60)).toBe(-1);
    s.departed();
    expect(s.admit(0, 60)).toBe(10);
    expect(s.overLimit).toBe(1);
  });

  it('keeps FIFO order under jitter, within delay ± jitter of arrival', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: 1, maxLength: 50 }), (gaps) => {
        const s = new DirectionShaper({ delayMs: 20, jitterMs: 5 });
        let t = 0, last = -Infinity;
        for (const g of gaps) {
          t += g;
          const d = s.admit(t, 100);
          expect(d).toBeGreaterThanOrEqual(last);
          expect(d).toBeGreaterThanOrEqual(t + 15 - 1e-9);
          last = d;
        }
      }),
    );
  });
});
