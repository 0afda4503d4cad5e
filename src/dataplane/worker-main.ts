/**
 * The data-plane thread: a worker_threads entry (started by
 * dataplane-thread.ts in the router process) that owns the userspace data
 * plane — the AF_PACKET ports (LinuxFrameIo), the forwarding pipeline, the
 * neighbour timer — and its own copy of the FIB (thread-fib.ts), so that
 * BGP work, the routing table's work and the main thread's garbage
 * collection never hold a frame back.
 *
 * workerData: a WorkerConfig (interfaces, the namespace to open ports in,
 * options). Replies 'ready' once every port is open, or 'failed' with the
 * error (an interface that cannot be opened) and does nothing more.
 *
 * Messages in (ToWorker): route changes in batches (route-batch.ts),
 * interface state, the ICMP rate limit, and requests answered by id
 * (counters, neighbours, trace filter, settled, close). Messages out
 * (FromWorker): ready/failed, replies, trace records.
 *
 * The thread raises its own scheduling priority by NICE_BOOST (nice is per
 * thread on Linux; the router runs as root in a lab): on a busy machine its
 * frames are then served before the router's BGP work and the garbage
 * collector's helper threads, which otherwise share the cores with it at
 * equal weight (measured: 300 µs of run-queue wait per wakeup during a
 * 100,000-prefix burst). Without the privilege it keeps the process's.
 *
 * Route batches are applied in bounded chunks — at most CHUNK_CHANGES
 * changes or CHUNK_MS of work, then setImmediate — so the event loop polls
 * the ports between chunks: a burst of 100,000 changes never holds the
 * thread for more than about a millisecond at a time.
 *
 * Not here: the FIB shared in memory with the main thread (this thread keeps
 * its own copy, fed by messages), MemoryFrameIo (tests use Dataplane in
 * their own thread).
 */
import { getPriority, setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Dataplane, type DataplaneInterface, type DataplaneCountersSnapshot, type IcmpRateLimit, type NeighborInfo, type NeighborOptions, type TraceFilter, type TraceRecord } from './dataplane.js';
import { LinuxFrameIo, ownAddressKeys, type LinuxOpenOptions } from './linux-frame-io.js';
import { RouteBatchDecoder, type BatchMessage, type RawRouteChange } from './route-batch.js';
import { TapWatch } from './tap-watch.js';
import { ThreadFib } from './thread-fib.js';

/** Changes applied per turn of the event loop, at most. */
export const CHUNK_CHANGES = 256;
/** Work per turn, at most (checked every 16 changes). */
export const CHUNK_MS = 0.5;
/** How much lower this thread's nice value is than the process's. */
export const NICE_BOOST = 5;

export interface WorkerConfig {
  readonly interfaces: readonly DataplaneInterface[];
  /** Open the ports inside this namespace (a /run/netns path); default: the process's own. */
  readonly netns?: string;
  readonly openOptions?: LinuxOpenOptions;
  readonly icmpRateLimit?: IcmpRateLimit;
  readonly neighbor?: NeighborOptions;
  readonly tickMs?: number;
}

export type WorkerRequest =
  | { readonly what: 'counters' }
  | { readonly what: 'neighbors' }
  | { readonly what: 'trace-filter'; readonly filter: TraceFilter | null }
  /** Answered once every route change received before it has been applied. */
  | { readonly what: 'settled' }
  | { readonly what: 'close' };

export type ToWorker =
  | { readonly type: 'routes'; readonly batch: BatchMessage }
  | { readonly type: 'interface'; readonly name: string; readonly up: boolean }
  | { readonly type: 'icmp-rate-limit'; readonly limit: IcmpRateLimit }
  | { readonly type: 'request'; readonly id: number; readonly request: WorkerRequest };

export type FromWorker =
  /** `nice`: this thread's nice value (lower than the process's when the boost was allowed). */
  | { readonly type: 'ready'; readonly nice: number; readonly warnings: readonly string[] }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly type: 'trace'; readonly record: TraceRecord };

/** Reply values by request. */
export interface WorkerReplies {
  counters: DataplaneCountersSnapshot;
  neighbors: NeighborInfo[];
  'trace-filter': { ok: true } | { ok: false; error: string };
  settled: { applied: number };
  close: { closed: true };
}

function run(port: NonNullable<typeof parentPort>, cfg: WorkerConfig): void {
  const post = (m: FromWorker) => port.postMessage(m);
  const lookup = new ThreadFib();
  let dataplane: Dataplane;
  const io = new LinuxFrameIo({ netns: cfg.netns });
  try {
    dataplane = new Dataplane({
      io,
      interfaces: cfg.interfaces,
      routes: lookup,
      // AF_XDP: the program leaves the router's own addresses to the kernel.
      openOptions: cfg.openOptions?.xdp ? { ...cfg.openOptions, localAddresses: ownAddressKeys(cfg.interfaces) } : cfg.openOptions,
      icmpRateLimit: cfg.icmpRateLimit,
      neighbor: cfg.neighbor,
      tickMs: cfg.tickMs,
      onTrace: (record) => post({ type: 'trace', record }),
    });
  } catch (e) {
    post({ type: 'failed', error: e instanceof Error ? e.message : String(e) });
    port.close();
    return;
  }

  // AF_XDP ports: a tcpdump in this namespace takes the interface's XDP program
  // off while it runs (tap-watch.ts). Only where this thread is in the ports'
  // namespace (a router process), not with ports opened through setns.
  const taps = new TapWatch(() => io.ports());
  if (cfg.openOptions?.xdp && !cfg.netns) {
    taps.check();
    taps.start();
  }

  const decoder = new RouteBatchDecoder();
  const change: RawRouteChange = { remove: false, family: 4, len: 0, hopSet: 0, w0: 0, w1: 0, w2: 0, w3: 0 };
  let applied = 0;
  let scheduled = false;
  let settledWaiters: number[] = [];

  const answerSettled = () => {
    for (const id of settledWaiters) post({ type: 'reply', id, value: { applied } });
    settledWaiters = [];
  };

  const pump = () => {
    scheduled = false;
    const start = performance.now();
    for (let i = 1; i <= CHUNK_CHANGES; i++) {
      if (!decoder.read(change)) break;
      lookup.apply(change);
      applied += 1;
      if ((i & 15) === 0 && performance.now() - start > CHUNK_MS) break;
    }
    lookup.flush();
    if (decoder.pending > 0) schedule();
    else answerSettled();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };

  const answer = (id: number, r: WorkerRequest): void => {
    switch (r.what) {
      case 'counters':
        post({ type: 'reply', id, value: dataplane.counters() });
        return;
      case 'neighbors':
        post({ type: 'reply', id, value: dataplane.neighbors() });
        return;
      case 'trace-filter':
        post({ type: 'reply', id, value: dataplane.setTraceFilter(r.filter) });
        return;
      case 'settled':
        settledWaiters.push(id);
        if (decoder.pending === 0) answerSettled();
        return;
      case 'close':
        taps.stop();
        dataplane.close();
        post({ type: 'reply', id, value: { closed: true } });
        port.close();
        return;
    }
  };

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'routes':
        for (const [id, hops] of m.batch.hopSets) lookup.defineHopSet(id, hops);
        decoder.push(m.batch);
        schedule();
        return;
      case 'interface':
        dataplane.setInterfaceUp(m.name, m.up);
        return;
      case 'icmp-rate-limit':
        dataplane.setIcmpRateLimit(m.limit);
        return;
      case 'request':
        answer(m.id, m.request);
        return;
    }
  });
  const warnings = io.ports().flatMap((p) => (p.xdpError ? [`${p.name}: AF_XDP not set up, receiving by AF_PACKET (${p.xdpError})`] : []));
  post({ type: 'ready', nice: boostPriority(), warnings });
}

/** Lowers this thread's nice value (pid 0: the calling thread on Linux); returns the value it has. */
function boostPriority(): number {
  const nice = getPriority(0);
  try {
    setPriority(0, Math.max(-20, nice - NICE_BOOST));
  } catch {
    /* not permitted: keep the process's */
  }
  return getPriority(0);
}

if (!parentPort) {
  process.stderr.write('worker-main: a worker_threads entry (started by src/dataplane/dataplane-thread.ts), not a program\n');
  process.exit(2);
}
run(parentPort, workerData as WorkerConfig);
