/**
 * The probe client: real UDP whoami probes (whoami.ts) from wherever it
 * runs (the lab runs it inside a client's namespace with `ip netns exec`).
 * Each probe carries a sequence number; replies are matched by it, so
 * late and reordered replies are attributed to the right probe.
 *
 * `probeSeries` sends N probes at an interval and waits for the stragglers;
 * `probeStream` sends at a rate (200/s and more) until stopped and reports
 * every change of answering server as it happens (failover measurement).
 * Times are from `performance.now()`, relative to the first probe.
 *
 * With `connect: true` the socket is connected to the target, so an ICMP
 * port unreachable (the service's socket closed) comes back as
 * ECONNREFUSED at once and is reported through `onRefused` (the health
 * checker counts it as a failed probe without waiting for its timeout).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { emitWhoamiRequest, parseWhoamiReply, WHOAMI_PORT } from './whoami.js';
import type { ProbeResult } from './probe-analysis.js';

export interface ProbeOptions {
  readonly port?: number;
  /** Sent in each probe; sites log it. */
  readonly id?: string;
  /** How long to wait for a reply after the last probe (ms). */
  readonly timeoutMs?: number;
  /** Bind the client socket to this source address. */
  readonly source?: string;
  /** Connect the socket to the target, so that a refusal (ICMP port unreachable) is reported (`onRefused`). */
  readonly connect?: boolean;
}

interface Pending {
  readonly seq: number;
  readonly sentAt: number;
  server?: string;
  rttMs?: number;
  seen?: string;
}

/** One client socket with its probes by sequence number. */
export class ProbeSocket {
  private readonly sock: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly t0 = performance.now();
  private nextSeq = 0;
  sendErrors = 0;
  /** Refusals seen (connected sockets only). */
  refusals = 0;
  private connected = false;
  onReply?: (r: ProbeResult) => void;
  /** The target refused (ICMP port unreachable), connected sockets only. */
  onRefused?: () => void;

  private constructor(private readonly address: string, private readonly port: number, private readonly id: string) {
    this.sock = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    this.sock.on('message', (msg) => this.onMessage(msg));
    this.sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        this.refusals++;
        this.onRefused?.();
      } else this.sendErrors++;
    });
  }

  static async open(address: string, opts: ProbeOptions = {}): Promise<ProbeSocket> {
    const p = new ProbeSocket(address, opts.port ?? WHOAMI_PORT, opts.id ?? `probe-${process.pid}`);
    await new Promise<void>((resolve, reject) => {
      p.sock.once('error', reject);
      p.sock.bind({ address: opts.source, port: 0 }, () => {
        if (!opts.connect) {
          p.sock.off('error', reject);
          resolve();
          return;
        }
        p.sock.connect(p.port, address, () => {
          p.sock.off('error', reject);
          p.connected = true;
          resolve();
        });
      });
    });
    return p;
  }

  now(): number {
    return performance.now() - this.t0;
  }

  /** Wall-clock time (ms since the epoch) of this socket's time zero. */
  get startEpochMs(): number {
    return performance.timeOrigin + this.t0;
  }

  send(): number {
    const seq = this.nextSeq++;
    this.pending.set(seq, { seq, sentAt: this.now() });
    const done = (err: Error | null) => {
      if (err) this.sendErrors++;
    };
    const msg = emitWhoamiRequest({ t: 'whoami', seq, id: this.id });
    if (this.connected) this.sock.send(msg, done);
    else this.sock.send(msg, this.port, this.address, done);
    return seq;
  }

  results(): ProbeResult[] {
    return [...this.pending.values()].map((p) => ({ seq: p.seq, sentAt: round(p.sentAt), server: p.server, rttMs: p.rttMs === undefined ? undefined : round(p.rttMs), seen: p.seen }));
  }

  /** Drops a probe's record (long-running callers such as the health checker). */
  forget(seq: number): void {
    this.pending.delete(seq);
  }

  outstanding(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.server === undefined) n++;
    return n;
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }

  private onMessage(msg: Buffer): void {
    const r = parseWhoamiReply(msg);
    if (!r) return;
    const p = this.pending.get(r.seq);
    if (!p || p.server !== undefined) return;
    p.server = r.server;
    p.rttMs = this.now() - p.sentAt;
    p.seen = r.seen;
    this.onReply?.({ seq: p.seq, sentAt: p.sentAt, server: p.server, rttMs: p.rttMs, seen: p.seen });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `count` probes `intervalMs` apart; returns once all are answered or `timeoutMs` after the last. */
export async function probeSeries(address: string, count: number, intervalMs: number, opts: ProbeOptions = {}): Promise<ProbeResult[]> {
  const s = await ProbeSocket.open(address, opts);
  try {
    for (let i = 0; i < count; i++) {
      s.send();
      if (i < count - 1) await sleep(intervalMs);
    }
    const deadline = s.now() + (opts.timeoutMs ?? 1000);
    while (s.outstanding() > 0 && s.now() < deadline) await sleep(2);
    return s.results();
  } finally {
    s.close();
  }
}

export interface StreamHandle {
  /** Wall-clock time (ms since the epoch) of the stream's time zero. */
  readonly startEpochMs: number;
  /** Stops sending, waits `timeoutMs` for stragglers, returns every probe. */
  stop(): Promise<ProbeResult[]>;
}

/**
 * Sends probes at `ratePerSecond` until stopped. `onChange` fires on the
 * first reply and whenever the answering server differs from the previous
 * reply's.
 */
export async function probeStream(
  address: string,
  ratePerSecond: number,
  opts: ProbeOptions & { onChange?: (from: string | undefined, to: string, atMs: number) => void } = {},
): Promise<StreamHandle> {
  const s = await ProbeSocket.open(address, opts);
  let last: { server: string; at: number } | undefined;
  s.onReply = (r) => {
    const at = r.sentAt + (r.rttMs ?? 0);
    if (last && at < last.at) return; // a late reply does not undo a change
    if (!last || last.server !== r.server) opts.onChange?.(last?.server, r.server!, at);
    last = { server: r.server!, at };
  };
  const periodMs = 1000 / ratePerSecond;
  let sent = 0;
  let running = true;
  // Timers are too coarse for 200/s and more: send however many are due each tick.
  const timer = setInterval(() => {
    if (!running) return;
    const due = Math.floor(s.now() / periodMs) + 1;
    while (sent < due) {
      s.send();
      sent++;
    }
  }, Math.max(1, Math.min(5, periodMs)));
  return {
    startEpochMs: s.startEpochMs,
    async stop() {
      running = false;
      clearInterval(timer);
      const deadline = s.now() + (opts.timeoutMs ?? 500);
      while (s.outstanding() > 0 && s.now() < deadline) await sleep(2);
      s.close();
      return s.results();
    },
  };
}
