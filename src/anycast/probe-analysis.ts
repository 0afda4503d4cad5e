/**
 * What a stream of whoami probes says about a failover: pure functions over
 * probe results (time in milliseconds from the start of the stream).
 *
 * Outage (as the issue defines it): from the last reply received from the
 * server answering before the change to the first reply received from the
 * next server. Probes lost: sent and never answered. A stream that never
 * changes server reports no outage but still its largest gap.
 */

export interface ProbeResult {
  readonly seq: number;
  /** When the probe was sent, ms from the start. */
  readonly sentAt: number;
  /** Which site answered (absent: no reply). */
  readonly server?: string;
  readonly rttMs?: number;
  /** The client address the site saw. */
  readonly seen?: string;
}

export interface ServerChange {
  readonly from: string;
  readonly to: string;
  /** Last reply from `from`, first reply from `to` (ms from start). */
  readonly lastOldAt: number;
  readonly firstNewAt: number;
  readonly outageMs: number;
  /** Probes sent between the two replies that got no answer. */
  readonly lost: number;
}

export interface StreamSummary {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly before?: string;
  readonly after?: string;
  readonly changes: readonly ServerChange[];
  /** Outage of the first change (the failover), if any. */
  readonly outageMs?: number;
  /** Largest time between two consecutive replies. */
  readonly maxGapMs: number;
  readonly byServer: Readonly<Record<string, number>>;
  readonly rttMs?: { readonly min: number; readonly median: number; readonly max: number };
}

function receivedAt(r: ProbeResult): number {
  return r.sentAt + (r.rttMs ?? 0);
}

export function summarizeProbes(results: readonly ProbeResult[]): StreamSummary {
  const bySeq = [...results].sort((a, b) => a.seq - b.seq);
  const answered = bySeq.filter((r) => r.server !== undefined).sort((a, b) => receivedAt(a) - receivedAt(b));
  const byServer: Record<string, number> = {};
  for (const r of answered) byServer[r.server!] = (byServer[r.server!] ?? 0) + 1;
  const changes: ServerChange[] = [];
  let maxGapMs = 0;
  for (let i = 1; i < answered.length; i++) {
    const prev = answered[i - 1];
    const cur = answered[i];
    maxGapMs = Math.max(maxGapMs, receivedAt(cur) - receivedAt(prev));
    if (cur.server !== prev.server) {
      const lastOldAt = receivedAt(prev);
      const firstNewAt = receivedAt(cur);
      const lost = bySeq.filter((r) => r.server === undefined && r.sentAt >= prev.sentAt && r.sentAt <= cur.sentAt).length;
      changes.push({ from: prev.server!, to: cur.server!, lastOldAt, firstNewAt, outageMs: firstNewAt - lastOldAt, lost });
    }
  }
  const rtts = answered.map((r) => r.rttMs ?? 0).sort((a, b) => a - b);
  return {
    sent: bySeq.length,
    received: answered.length,
    lost: bySeq.length - answered.length,
    before: answered[0]?.server,
    after: answered[answered.length - 1]?.server,
    changes,
    outageMs: changes[0]?.outageMs,
    maxGapMs,
    byServer,
    rttMs: rtts.length ? { min: rtts[0], median: rtts[Math.floor(rtts.length / 2)], max: rtts[rtts.length - 1] } : undefined,
  };
}
