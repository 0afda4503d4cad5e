/**
 * Link shaping in userspace: delay, jitter, loss and rate for one direction
 * of an emulated wire, as tc netem does (this machine's kernel has no
 * sch_netem, so the lab shapes links with its own process; see
 * shaper-main.ts). Pure: time is passed in (milliseconds, fractional), the
 * random source too.
 *
 * Semantics (netem's, simplified): a frame admitted at `now` is lost with
 * probability loss; otherwise it is serialised at `rate` behind the frames
 * already queued, then delayed by `delay ± jitter` (uniform). Departures keep
 * FIFO order (no reordering, as netem with a rate). At most `limit` frames
 * wait (netem's default limit, 1000); more are dropped.
 *
 * Not supported: correlation, loss models (Gilbert-Elliott), duplication,
 * corruption, reordering.
 */

export interface ShapingParams {
  readonly delayMs?: number;
  readonly jitterMs?: number;
  readonly lossPercent?: number;
  readonly rateMbit?: number;
  readonly limit?: number;
}

export class DirectionShaper {
  private busyUntil = 0;
  private lastDeparture = 0;
  private queued = 0;
  lost = 0;
  overLimit = 0;

  constructor(private readonly p: ShapingParams, private readonly random: () => number = Math.random) {}

  /** Departure time for a frame of `bytes` admitted at `now`, or -1 when it is dropped. */
  admit(now: number, bytes: number): number {
    if ((this.p.lossPercent ?? 0) > 0 && this.random() * 100 < this.p.lossPercent!) {
      this.lost++;
      return -1;
    }
    if (this.queued >= (this.p.limit ?? 1000)) {
      this.overLimit++;
      return -1;
    }
    let t = now;
    if (this.p.rateMbit) {
      const start = Math.max(now, this.busyUntil);
      this.busyUntil = start + (bytes * 8) / (this.p.rateMbit * 1000); // ms
      t = this.busyUntil;
    }
    const jitter = this.p.jitterMs ? (this.random() * 2 - 1) * this.p.jitterMs : 0;
    t += Math.max(0, (this.p.delayMs ?? 0) + jitter);
    t = Math.max(t, this.lastDeparture);
    this.lastDeparture = t;
    this.queued++;
    return t;
  }

  /** Call when a frame admitted earlier has left. */
  departed(): void {
    this.queued--;
  }
}
