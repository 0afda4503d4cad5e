/**
 * DataplaneThread: the router process's handle on its data plane running
 * in a worker thread (worker-main.ts). The asynchronous counterpart of
 * Dataplane's API, plus the RouteSink that feeds the thread's FIB copy.
 *
 * Usage (src/router/main.ts):
 *
 *   const dp = await DataplaneThread.start({
 *     interfaces: [{ name: 'r1-eth0', ipv4: ['10.0.0.1/31'] }],
 *     onTrace: (record) => events.emit('trace', record),
 *     onFailure: (err) => { log(err); process.exit(1); },   // the thread died
 *   });
 *   dp.apply(change);                    // RouteSink: queued, posted once per microtask
 *   await dp.counters(); await dp.neighbors(); await dp.setTraceFilter(f);
 *   dp.setInterfaceUp('r1-eth0', false); await dp.close();
 *
 * `start` resolves once every port is open and rejects with the thread's
 * error otherwise (an interface that cannot be opened names itself). After
 * that, the thread dying (an exception, an exit not asked for) is reported
 * once to `onFailure` and every pending request is rejected: forwarding is
 * never lost silently.
 *
 * Route changes are packed by route-batch.ts: all the changes applied in one
 * synchronous run of the router leave as one message with one transferred
 * buffer. Requests and changes are handled by the thread in the order sent;
 * `settled()` resolves when the thread has applied every change sent before it.
 *
 * Not here: the forwarding itself (worker-main.ts, dataplane.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RouteChange } from '../router/route-table.js';
import type { RouteSink } from '../router/router.js';
import type { DataplaneCountersSnapshot, IcmpRateLimit, NeighborInfo, TraceFilter, TraceRecord } from './dataplane.js';
import { packageRoot } from './linux-frame-io.js';
import { RouteBatchEncoder } from './route-batch.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerReplies, WorkerRequest } from './worker-main.js';

export interface DataplaneThreadOptions extends WorkerConfig {
  readonly onTrace?: (record: TraceRecord) => void;
  /** The thread died after start (not called for close()). */
  readonly onFailure: (err: Error) => void;
  /** The worker's entry; default worker-main.js beside this module, or dist's when run from src/. */
  readonly workerPath?: string;
}

/** worker-main.js beside this module (dist/), else the built one under dist/ (tests run src/ directly). */
export function workerEntry(): string {
  const here = fileURLToPath(new URL('./worker-main.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(packageRoot(), 'dist', 'src', 'dataplane', 'worker-main.js');
  if (existsSync(built)) return built;
  throw new Error(`data plane: worker entry not built (${built} missing): run \`npm run build\``);
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

export class DataplaneThread implements RouteSink {
  private readonly encoder = new RouteBatchEncoder();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private flushScheduled = false;
  private closing = false;
  private dead: Error | undefined;
  /** The thread's nice value (worker-main.ts lowers it below the process's when allowed). */
  nice: number | undefined;
  /** What the thread reported at start that did not stop it (e.g. a port without AF_XDP). */
  warnings: readonly string[] = [];

  private constructor(
    private readonly worker: Worker,
    private readonly opts: DataplaneThreadOptions,
  ) {}

  /** Starts the thread and waits until its ports are open. */
  static start(opts: DataplaneThreadOptions): Promise<DataplaneThread> {
    const { onTrace: _t, onFailure: _f, workerPath, ...config } = opts;
    const workerData: WorkerConfig = config;
    // The process's flags (the default), unless one is --input-type (for --eval
    // input only: a worker refuses it); then none. Given explicitly, per-process
    // V8 flags such as --max-semi-space-size are refused, so never pass a filtered list.
    const execArgv = process.execArgv.some((a) => a.startsWith('--input-type')) ? [] : undefined;
    const worker = new Worker(workerPath ?? workerEntry(), { workerData, name: 'dataplane', execArgv });
    const thread = new DataplaneThread(worker, opts);
    return new Promise<DataplaneThread>((resolve, reject) => {
      let state: 'starting' | 'running' | 'refused' = 'starting';
      const fail = (err: Error) => {
        if (state === 'running') {
          thread.died(err);
        } else if (state === 'starting') {
          state = 'refused';
          void worker.terminate();
          reject(err);
        }
      };
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          state = 'running';
          thread.nice = m.nice;
          thread.warnings = m.warnings;
          resolve(thread);
        } else if (m.type === 'failed') {
          fail(new Error(`data plane: ${m.error}`));
        } else {
          thread.onMessage(m);
        }
      });
      worker.on('error', (e) => fail(new Error(`data plane thread failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)));
      worker.on('exit', (code) => {
        if (thread.closing) return;
        fail(new Error(`data plane thread exited (code ${code}) ${state === 'running' ? 'while forwarding' : 'before its ports were open'}`));
      });
    });
  }

  /** RouteSink: queued, posted with the others of this synchronous run. */
  apply(change: RouteChange): void {
    if (this.dead || this.closing) return;
    this.encoder.add(change);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.encoder.pending === 0 || this.dead) return;
    const batch = this.encoder.take();
    this.post({ type: 'routes', batch }, [batch.buffer]);
  };

  counters(): Promise<DataplaneCountersSnapshot> {
    return this.request({ what: 'counters' });
  }

  neighbors(): Promise<NeighborInfo[]> {
    return this.request({ what: 'neighbors' });
  }

  setTraceFilter(filter: TraceFilter | null): Promise<{ ok: true } | { ok: false; error: string }> {
    return this.request({ what: 'trace-filter', filter });
  }

  setIcmpRateLimit(limit: IcmpRateLimit): void {
    this.post({ type: 'icmp-rate-limit', limit });
  }

  /** Link state from the router's link monitor. */
  setInterfaceUp(name: string, up: boolean): void {
    this.post({ type: 'interface', name, up });
  }

  /** Resolves when the thread has applied every route change sent so far; the count applied since start. */
  settled(): Promise<{ applied: number }> {
    this.flush();
    return this.request({ what: 'settled' });
  }

  /** Closes the ports and ends the thread. */
  async close(): Promise<void> {
    if (this.closing || this.dead) return;
    this.flush();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const done = this.request({ what: 'close' });
    this.closing = true;
    try {
      await done;
      await exited;
    } catch {
      await this.worker.terminate();
    }
  }

  private request<K extends WorkerRequest['what']>(request: Extract<WorkerRequest, { what: K }>): Promise<WorkerReplies[K]> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing) return Promise.reject(new Error('data plane: closed'));
    const id = this.nextId++;
    return new Promise<WorkerReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ type: 'request', id, request });
    });
  }

  private post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.dead) return;
    this.worker.postMessage(m, transfer);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'reply') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m.value);
    } else if (m.type === 'trace') {
      this.opts.onTrace?.(m.record);
    }
  }

  private died(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.opts.onFailure(err);
  }
}
