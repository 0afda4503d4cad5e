/**
 * The health checker's rise/fall state machine, time passed in: a service
 * starts down, goes up after `rise` answered probes in a row, down after
 * `fall` unanswered ones, and a drain pins it down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHealthConfig, DEFAULT_HEALTH, detectionBoundMs, drain, initialHealth, msUntilProbe, probeDue, recordProbe, undrain, type HealthConfig, type HealthState } from '../../../src/anycast/health.js';

const cfg: HealthConfig = { intervalMs: 500, rise: 2, fall: 3 };

/** Feeds results one interval apart from t=0; returns each step's verdict and changes. */
function run(c: HealthConfig, results: readonly boolean[], start: HealthState = initialHealth(0)) {
  let s = start;
  const verdicts: string[] = [];
  const changes: { at: number; to: string }[] = [];
  results.forEach((ok, i) => {
    const now = i * c.intervalMs;
    const step = recordProbe(c, s, ok, now);
    s = step.state;
    verdicts.push(s.verdict);
    if (step.changed) changes.push({ at: now, to: step.changed.to });
  });
  return { state: s, verdicts, changes };
}

describe('health rise/fall', () => {
  it('defaults: interval 0.5 s, rise 2, fall 3', () => {
    expect(DEFAULT_HEALTH).toEqual({ intervalMs: 500, rise: 2, fall: 3 });
  });

  it('starts down and rises after exactly `rise` good probes', () => {
    const r = run(cfg, [true, true, true]);
    expect(r.verdicts).toEqual(['down', 'up', 'up']);
    expect(r.changes).toEqual([{ at: 500, to: 'up' }]);
  });

  it('falls after exactly `fall` failures in a row; a success in between resets the count', () => {
    const r = run(cfg, [true, true, false, false, true, false, false, false]);
    expect(r.verdicts).toEqual(['down', 'up', 'up', 'up', 'up', 'up', 'up', 'down']);
    expect(r.changes.map((c) => c.to)).toEqual(['up', 'down']);
    expect(r.changes[1].at).toBe(7 * 500);
    expect(r.state.failures).toBe(5);
    expect(r.state.probes).toBe(8);
  });

  it('one failure during rise restarts the rise', () => {
    const r = run({ ...cfg, rise: 3 }, [true, true, false, true, true, true]);
    expect(r.verdicts).toEqual(['down', 'down', 'down', 'down', 'down', 'up']);
  });

  it('the verdict changes once per transition (property): up only after rise in a row, down only after fall in a row', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (results, rise, fall) => {
        const c = { intervalMs: 100, rise, fall };
        const r = run(c, results);
        for (let i = 0; i < results.length; i++) {
          const prev = i === 0 ? 'down' : r.verdicts[i - 1];
          if (prev === 'down' && r.verdicts[i] === 'up') expect(results.slice(i + 1 - rise, i + 1)).toEqual(new Array(rise).fill(true));
          if (prev === 'up' && r.verdicts[i] === 'down') expect(results.slice(i + 1 - fall, i + 1)).toEqual(new Array(fall).fill(false));
          if (prev === r.verdicts[i]) expect(r.changes.some((x) => x.at === i * 100)).toBe(false);
        }
      }),
    );
  });

  it('probes are due one interval after the last', () => {
    let s = initialHealth(1000);
    expect(probeDue(cfg, s, 1000)).toBe(true);
    s = recordProbe(cfg, s, true, 1000).state;
    expect(probeDue(cfg, s, 1499)).toBe(false);
    expect(msUntilProbe(cfg, s, 1200)).toBe(300);
    expect(probeDue(cfg, s, 1500)).toBe(true);
    expect(msUntilProbe(cfg, s, 1700)).toBe(0);
  });

  it('drain goes down at once and stays down whatever the probes say; undrain must rise again', () => {
    const up = run(cfg, [true, true]).state;
    const d = drain(up, 2000);
    expect(d.changed).toMatchObject({ from: 'up', to: 'down' });
    const after = run(cfg, [true, true, true, true], d.state);
    expect(after.verdicts).toEqual(['down', 'down', 'down', 'down']);
    const u = undrain(after.state);
    expect(run(cfg, [true, true], u).verdicts).toEqual(['down', 'up']);
  });

  it('rejects nonsense configurations', () => {
    expect(checkHealthConfig(cfg)).toBeUndefined();
    expect(checkHealthConfig({ ...cfg, intervalMs: 0 })).toMatch(/interval/);
    expect(checkHealthConfig({ ...cfg, rise: 0 })).toMatch(/rise/);
    expect(checkHealthConfig({ ...cfg, fall: 1.5 })).toMatch(/fall/);
  });

  it('detection bound: fall intervals plus one probe timeout', () => {
    expect(detectionBoundMs(cfg, 300)).toBe(1800);
  });
});
