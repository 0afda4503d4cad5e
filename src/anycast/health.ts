/**
 * The health checker's verdict: a pure rise/fall state machine, as
 * operators configure HAProxy, keepalived or ExaBGP's healthcheck: `rise`
 * consecutive successes make a down service up, `fall` consecutive failures
 * make an up service down. A service starts down (nothing is announced
 * before it has proven itself). Time is passed in; no timers, no I/O.
 *
 * `drained` pins the verdict down whatever the probes say (operator drain),
 * until undrained.
 */

export interface HealthConfig {
  /** Milliseconds between probes. */
  readonly intervalMs: number;
  readonly rise: number;
  readonly fall: number;
}

export const DEFAULT_HEALTH: HealthConfig = { intervalMs: 500, rise: 2, fall: 3 };

export type Verdict = 'up' | 'down';

export interface HealthState {
  readonly verdict: Verdict;
  readonly okInARow: number;
  readonly failInARow: number;
  /** When the last probe result was recorded (ms), or undefined before the first. */
  readonly lastProbeAt?: number;
  /** When the verdict last changed (ms). */
  readonly since: number;
  readonly drained: boolean;
  readonly probes: number;
  readonly failures: number;
}

export interface HealthStep {
  readonly state: HealthState;
  /** Set when this probe changed the verdict. */
  readonly changed?: { readonly from: Verdict; readonly to: Verdict; readonly reason: string };
}

export function checkHealthConfig(c: HealthConfig): string | undefined {
  if (!(c.intervalMs > 0)) return `interval must be positive (got ${c.intervalMs})`;
  if (!Number.isInteger(c.rise) || c.rise < 1) return `rise must be an integer >= 1 (got ${c.rise})`;
  if (!Number.isInteger(c.fall) || c.fall < 1) return `fall must be an integer >= 1 (got ${c.fall})`;
  return undefined;
}

export function initialHealth(now: number): HealthState {
  return { verdict: 'down', okInARow: 0, failInARow: 0, since: now, drained: false, probes: 0, failures: 0 };
}

/** Is a probe due at `now`? */
export function probeDue(cfg: HealthConfig, s: HealthState, now: number): boolean {
  return s.lastProbeAt === undefined || now - s.lastProbeAt >= cfg.intervalMs;
}

/** Milliseconds until the next probe is due (0 when due). */
export function msUntilProbe(cfg: HealthConfig, s: HealthState, now: number): number {
  return s.lastProbeAt === undefined ? 0 : Math.max(0, s.lastProbeAt + cfg.intervalMs - now);
}

function change(s: HealthState, to: Verdict, reason: string, now: number): HealthStep {
  if (s.verdict === to) return { state: s };
  return { state: { ...s, verdict: to, since: now }, changed: { from: s.verdict, to, reason } };
}

/** Records one probe result. */
export function recordProbe(cfg: HealthConfig, s: HealthState, ok: boolean, now: number): HealthStep {
  const next: HealthState = {
    ...s,
    lastProbeAt: now,
    probes: s.probes + 1,
    failures: s.failures + (ok ? 0 : 1),
    okInARow: ok ? s.okInARow + 1 : 0,
    failInARow: ok ? 0 : s.failInARow + 1,
  };
  if (next.drained) return { state: next };
  if (next.verdict === 'down' && next.okInARow >= cfg.rise) return change(next, 'up', `${next.okInARow} probes in a row answered (rise ${cfg.rise})`, now);
  if (next.verdict === 'up' && next.failInARow >= cfg.fall) return change(next, 'down', `${next.failInARow} probes in a row unanswered (fall ${cfg.fall})`, now);
  return { state: next };
}

/** Operator drain: the verdict goes down at once and stays down until undrain. */
export function drain(s: HealthState, now: number): HealthStep {
  return change({ ...s, drained: true }, 'down', 'drained by the operator', now);
}

/** Ends a drain: the service must rise again from zero. */
export function undrain(s: HealthState): HealthState {
  return { ...s, drained: false, okInARow: 0, failInARow: 0 };
}

/** Worst-case time from a failure to a `down` verdict: fall probes, each up to one interval late, plus a probe timeout. */
export function detectionBoundMs(cfg: HealthConfig, probeTimeoutMs: number): number {
  return cfg.fall * cfg.intervalMs + probeTimeoutMs;
}
