/**
 * The RIB of one BGP speaker (RFC 4271 §3.2, §9): Adj-RIB-In per neighbour
 * (after import policy, plus the routes import policy or loop detection kept
 * out, with the reason), the Loc-RIB with the decision process of
 * ./decision.ts, and Adj-RIB-Out per neighbour with the export rules of
 * ./export.ts and export policy.
 *
 * Pure: no sockets, no timers. Work arrives through a FIFO input queue
 * (`enqueueUpdate`, `originate`, `peerDown`, `nextHopsChanged`) and is done by
 * `processSome(maxPrefixes)` in bounded chunks, so a 10,000-prefix UPDATE or a
 * lost 1,000,000-prefix session never blocks the router's event loop; the
 * result says whether more work remains and lists best-path changes for the
 * FIB, the event stream and the Adj-RIB-Out. Output to a neighbour is pulled
 * with `pendingUpdates(peer, max)`: changes since the last call, grouped by
 * interned attribute set (one UPDATE per set), withdrawals, and End-of-RIB
 * (RFC 4724 §2) once the initial dump after `peerUp` is out. Pending output is
 * coalesced: a prefix that changed twice is sent once, with its latest state.
 *
 * Storage: prefixes are small integer ids (./prefix-table.ts); each table is a
 * column indexed by id (plain arrays of interned attribute objects, typed
 * arrays for the Loc-RIB), so a route costs a few machine words per table.
 * The Adj-RIB-Out of a neighbour holds, per prefix, the Loc-RIB attribute set
 * it was sent with and a (source, export term) key, not a rewritten set: the
 * rewritten sets (prepend, next-hop-self, …) are interned only while one
 * `pendingUpdates` result is built, so neighbours cost no attribute memory.
 *
 * Import rules: a route whose AS_PATH holds our AS is rejected (§9.1.2, loop);
 * LOCAL_PREF from eBGP neighbours is ignored (§5.1.5); import policy is then
 * applied (an import prepend uses the neighbour's AS). Max-prefix counts routes
 * accepted into the Adj-RIB-In; when exceeded the RIB reports it once and
 * ignores further announcements from that session; the session sends Cease
 * 6/1 (RFC 4486) and calls `peerDown`.
 *
 * Not supported: graceful restart (End-of-RIB received is only recorded),
 * add-path, route reflection, changing import policy without the neighbour
 * re-sending its routes (ROUTE-REFRESH), RIB persistence.
 */
import { addressByteLength, formatPrefix, type Family, type IpAddress, type IpPrefix } from '../../lib/prefix.js';
import type { PathAttributes, UpdateMessage } from '../wire/types.js';
import { AttrCache, asPathContains, type RouteAttrs } from '../attr-intern.js';
import { policyReason, type CompiledPolicy } from '../policy.js';
import { DECISION_STEPS, eliminationPhrase, selectBest, type Candidate, type DecisionContext } from './decision.js';
import { exportAttrs, exportBlock } from './export.js';
import { PrefixTable } from './prefix-table.js';
import type {
  AdjRibOutEntry, BestPathChange, BestPathExplanation, CandidateVerdict, MaxPrefixExceeded, OutBatch,
  OutUpdates, PeerRef, ProcessResult, Route,
} from './types.js';

export interface RibOptions {
  readonly localAs: number;
  /** Our BGP identifier, unsigned 32-bit. */
  readonly routerId: number;
  /** Form ECMP sets of paths equal up to the router-id step. */
  readonly multipath?: boolean;
  /**
   * Whether a next hop can be reached (the router asks its FIB). Results are
   * cached per attribute set until `nextHopsChanged()`. Default: always.
   */
  readonly nextHopReachable?: (nextHop: Uint8Array, family: Family) => boolean;
}

export interface PeerConfig {
  readonly name?: string;
  readonly address: IpAddress;
  readonly asn: number;
  readonly kind: 'ebgp' | 'ibgp';
  /** Our address on this session: the NEXT_HOP we advertise (next-hop-self). */
  readonly localAddress: IpAddress;
  /** Our IPv6 next hop when `localAddress` is IPv4 (16 bytes, or 32 with a link-local). */
  readonly localAddress6?: IpAddress | Uint8Array;
  readonly importPolicy?: CompiledPolicy;
  readonly exportPolicy?: CompiledPolicy;
  readonly maxPrefixes?: number;
}

/** Why this router originates a prefix (several may at once). */
export type OriginSource = 'connected' | 'network' | 'static' | 'anycast' | (string & {});

export interface OriginateOptions {
  /** Default 'network'. */
  readonly source?: OriginSource;
  /** Default: all zeroes, meaning this router. */
  readonly nextHop?: Uint8Array;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: readonly number[];
}

export interface PeerUpOptions {
  /** The neighbour's BGP identifier from its OPEN. */
  readonly routerId: number;
  /** Negotiated address families (default: those we have a local address for). */
  readonly families?: readonly Family[];
}

interface OutState {
  advertised: (RouteAttrs | undefined)[];
  count: number;
  dirty: Uint8Array;
  queue: number[];
  head: number;
  eorPending: boolean;
  initialDone: boolean;
  readonly families: ReadonlySet<Family>;
  /** After ROUTE-REFRESH: per prefix id, send again even if unchanged. */
  resend: Uint8Array | undefined;
  /** Per prefix id: the source peer and export-policy term it went out under (`advKey`). */
  advKey: Int32Array;
  /** One-entry memo of the export rules: consecutive prefixes usually share source attributes. */
  memoIn: RouteAttrs | undefined;
  memoSrc: number;
  memoBlocked: boolean;
}

interface Rejection { readonly attrs: RouteAttrs; readonly reason: string }

interface PeerState {
  ref: PeerRef;
  readonly config: PeerConfig | undefined;
  adjIn: (RouteAttrs | undefined)[];
  count: number;
  rejected: Map<number, Rejection>;
  session: number;
  limitHit: boolean;
  eorReceived: boolean;
  out: OutState | undefined;
  readonly nh4: Uint8Array | undefined;
  readonly nh6: Uint8Array | undefined;
}

interface AnnounceJob {
  readonly kind: 'announce';
  readonly peer: number;
  readonly session: number;
  readonly raw: PathAttributes;
  readonly nextHop: Uint8Array | undefined;
  readonly prefixes: readonly IpPrefix[];
  pos: number;
  prepared?: RouteAttrs;
  problem?: string;
  applied?: Map<number, RouteAttrs>;
}
interface WithdrawJob { readonly kind: 'withdraw'; readonly peer: number; readonly session: number; readonly prefixes: readonly IpPrefix[]; pos: number }
interface FlushJob { readonly kind: 'flush'; readonly peer: number; pos: number }
interface RescanJob { readonly kind: 'rescan'; pos: number }
type Job = AnnounceJob | WithdrawJob | FlushJob | RescanJob;

const LOCAL = 0;
/** Scanning this many empty slots costs one unit of work. */
const SCAN_PER_UNIT = 64;
const NO_PREFIX: IpPrefix = { family: 4, bytes: new Uint8Array(4), len: 0 };

export class Rib {
  readonly attrs = new AttrCache();
  readonly prefixes = new PrefixTable();
  private readonly ctx: DecisionContext;
  private readonly peerStates: PeerState[] = [];
  /** Loc-RIB: per prefix id, the index of the best path's peer, or -1. */
  private best = new Int32Array(1024).fill(-1);
  private bestCount = 0;
  /** With multipath: prefix id → peer indices of the ECMP set, when it has more than one path. */
  private readonly ecmp = new Map<number, readonly number[]>();
  private jobs: Job[] = [];
  private jobHead = 0;
  private nhGen = 0;
  private changes: BestPathChange[] = [];
  /** Side results of exportSource (avoids an allocation per prefix). */
  private expTerm = -1;
  private expSrc = -1;
  private expFam: Family = 4;
  /** Locally originated prefixes (text form) → source → options, in insertion order. */
  private readonly origins = new Map<string, Map<OriginSource, OriginateOptions>>();
  private notices: MaxPrefixExceeded[] = [];

  constructor(readonly options: RibOptions) {
    this.ctx = { localAs: options.localAs };
    this.prefixes.onGrow = (cap) => {
      const b = new Int32Array(cap).fill(-1);
      b.set(this.best);
      this.best = b;
    };
    const rid = options.routerId >>> 0;
    this.peerStates.push(this.newPeerState({
      id: LOCAL, kind: 'local', asn: options.localAs, routerId: rid, name: 'local',
      address: { family: 4, bytes: Uint8Array.of(rid >>> 24, (rid >>> 16) & 0xff, (rid >>> 8) & 0xff, rid & 0xff) },
    }, undefined));
  }

  // ------------------------------------------------------------------ peers

  /** Registers a neighbour; returns its id (stable for the RIB's life). */
  addPeer(config: PeerConfig): PeerRef {
    const id = this.peerStates.length;
    const ref: PeerRef = { id, address: config.address, asn: config.asn, routerId: 0, kind: config.kind, name: config.name };
    this.peerStates.push(this.newPeerState(ref, config));
    return ref;
  }

  /** The router itself (peer 0, kind 'local'). */
  get localPeer(): PeerRef { return this.peerStates[LOCAL].ref; }

  peer(id: number): PeerRef { return this.state(id).ref; }
  peers(): readonly PeerRef[] { return this.peerStates.map((p) => p.ref); }

  /**
   * The session reached Established: start this neighbour's Adj-RIB-Out with
   * the whole Loc-RIB queued (the initial dump).
   */
  peerUp(id: number, opts: PeerUpOptions): void {
    const p = this.state(id);
    if (p.out !== undefined) this.dropOut(p);
    p.ref = { ...p.ref, routerId: opts.routerId >>> 0 };
    p.limitHit = false;
    p.eorReceived = false;
    const fams = opts.families ?? ([4, 6] as Family[]).filter((f) => (f === 4 ? p.nh4 : p.nh6) !== undefined);
    const out: OutState = {
      advertised: [], count: 0, dirty: new Uint8Array(this.prefixes.capacity), queue: [], head: 0,
      eorPending: true, initialDone: false, families: new Set(fams),
      resend: undefined, advKey: new Int32Array(0), memoIn: undefined, memoSrc: -1, memoBlocked: false,
    };
    p.out = out;
    const top = this.prefixes.highWater;
    for (let i = 0; i < top; i++) if (this.best[i] >= 0) this.markDirty(out, i);
  }

  /**
   * The session left Established: its Adj-RIB-Out is dropped now; its
   * Adj-RIB-In is withdrawn through the queue (chunked), after anything
   * already queued. Queued UPDATEs of the old session are discarded.
   */
  peerDown(id: number): void {
    const p = this.state(id);
    if (id === LOCAL) throw new Error('peerDown: the local peer never goes down');
    p.session++;
    this.dropOut(p);
    this.jobs.push({ kind: 'flush', peer: id, pos: 0 });
  }

  /** The neighbour sent End-of-RIB (recorded for displays; no graceful restart). */
  endOfRibReceived(id: number): void { this.state(id).eorReceived = true; }

  /** True once the initial dump after `peerUp` has been handed out (End-of-RIB sent). */
  initialDumpDone(id: number): boolean { return this.state(id).out?.initialDone ?? false; }

  /** Replaces export policy; every prefix is re-evaluated for this neighbour. */
  setExportPolicy(id: number, policy: CompiledPolicy | undefined): void {
    const p = this.state(id);
    (p as { config: PeerConfig | undefined }).config = p.config && { ...p.config, exportPolicy: policy };
    if (p.out === undefined) return;
    const out = p.out;
    out.memoIn = undefined;
    // Term numbers may now mean other actions: send again whatever stays advertised.
    out.resend = new Uint8Array(Math.max(out.advertised.length, this.prefixes.capacity));
    const top = this.prefixes.highWater;
    for (let i = 0; i < top; i++) {
      if (out.advertised[i] !== undefined) out.resend[i] = 1;
      if (this.best[i] >= 0 || out.advertised[i] !== undefined) this.markDirty(out, i);
    }
  }

  /** Replaces import policy for routes received from now on (ask the neighbour for a ROUTE-REFRESH). */
  setImportPolicy(id: number, policy: CompiledPolicy | undefined): void {
    const p = this.state(id);
    (p as { config: PeerConfig | undefined }).config = p.config && { ...p.config, importPolicy: policy };
  }

  // ------------------------------------------------------------------ input

  /** Queues one decoded UPDATE from neighbour `id` (IPv4 fields and MP_REACH/MP_UNREACH). */
  enqueueUpdate(id: number, u: UpdateMessage): void {
    const a = u.attributes;
    if (u.withdrawn.length > 0) this.enqueueWithdraw(id, u.withdrawn);
    if (a.mpUnreach !== undefined && a.mpUnreach.withdrawn.length > 0) this.enqueueWithdraw(id, a.mpUnreach.withdrawn);
    if (u.nlri.length > 0) this.enqueueAnnounce(id, a, u.nlri, a.nextHop);
    if (a.mpReach !== undefined && a.mpReach.nlri.length > 0) this.enqueueAnnounce(id, a, a.mpReach.nlri, a.mpReach.nextHop);
  }

  /** Queues announcements sharing one attribute set; `nextHop` is that family's next hop. */
  enqueueAnnounce(id: number, attrs: PathAttributes, prefixes: readonly IpPrefix[], nextHop = attrs.nextHop): void {
    const p = this.state(id);
    this.jobs.push({ kind: 'announce', peer: id, session: p.session, raw: attrs, nextHop, prefixes, pos: 0 });
  }

  /** Queues withdrawals (also for RFC 7606 treat-as-withdraw). */
  enqueueWithdraw(id: number, prefixes: readonly IpPrefix[]): void {
    const p = this.state(id);
    this.jobs.push({ kind: 'withdraw', peer: id, session: p.session, prefixes, pos: 0 });
  }

  /**
   * Queues locally originated routes: ORIGIN IGP, empty AS_PATH, next hop
   * this router. Each prefix remembers which sources originate it (connected,
   * `networks:`, static, anycast); the route stays while any source remains,
   * with the options of the earliest remaining source.
   */
  originate(prefix: IpPrefix | readonly IpPrefix[], opts: OriginateOptions = {}): void {
    const source = opts.source ?? 'network';
    const changed: [IpPrefix, OriginateOptions][] = [];
    for (const p of asList(prefix)) {
      const key = formatPrefix(p);
      let sources = this.origins.get(key);
      if (sources === undefined) { sources = new Map(); this.origins.set(key, sources); }
      const before = first(sources);
      sources.set(source, opts);
      const after = first(sources) as OriginateOptions;
      if (after !== before || before === opts) changed.push([p, after]);
    }
    this.announceLocal(changed);
  }

  /** Removes `source`'s origination of `prefix` (default source 'network'); withdrawn when no source remains. */
  withdrawOriginated(prefix: IpPrefix | readonly IpPrefix[], source: OriginSource = 'network'): void {
    const gone: IpPrefix[] = [];
    const changed: [IpPrefix, OriginateOptions][] = [];
    for (const p of asList(prefix)) {
      const key = formatPrefix(p);
      const sources = this.origins.get(key);
      if (sources === undefined || !sources.has(source)) continue;
      const before = first(sources);
      sources.delete(source);
      const after = first(sources);
      if (after === undefined) { this.origins.delete(key); gone.push(p); }
      else if (after !== before) changed.push([p, after]);
    }
    if (gone.length > 0) this.enqueueWithdraw(LOCAL, gone);
    this.announceLocal(changed);
  }

  /** The sources originating `prefix` here, in priority order. */
  originSources(prefix: IpPrefix): OriginSource[] {
    return [...(this.origins.get(formatPrefix(prefix))?.keys() ?? [])];
  }

  private announceLocal(list: readonly [IpPrefix, OriginateOptions][]): void {
    const groups = new Map<OriginateOptions, IpPrefix[]>();
    for (const [p, o] of list) {
      let g = groups.get(o);
      if (g === undefined) { g = []; groups.set(o, g); }
      g.push(p);
    }
    for (const [opts, ps] of groups) {
      for (const fam of [4, 6] as const) {
        const mine = ps.filter((q) => q.family === fam);
        if (mine.length === 0) continue;
        const nextHop = opts.nextHop ?? new Uint8Array(addressByteLength(fam));
        const attrs: PathAttributes = {
          origin: 0, asPath: [], nextHop, med: opts.med, localPref: opts.localPref,
          communities: opts.communities !== undefined && opts.communities.length > 0 ? opts.communities : undefined,
        };
        this.enqueueAnnounce(LOCAL, attrs, mine, nextHop);
      }
    }
  }

  /** Next-hop reachability may have changed (FIB change): every prefix is re-decided through the queue. */
  nextHopsChanged(): void {
    this.nhGen++;
    this.jobs.push({ kind: 'rescan', pos: 0 });
  }

  /** True when queued input remains. */
  get busy(): boolean { return this.jobHead < this.jobs.length; }

  /** Does up to about `maxPrefixes` units of queued work (one per prefix). */
  processSome(maxPrefixes: number): ProcessResult {
    this.changes = [];
    this.notices = [];
    let budget = Math.max(1, maxPrefixes);
    let processed = 0;
    while (budget > 0 && this.jobHead < this.jobs.length) {
      const job = this.jobs[this.jobHead];
      const used = this.runJob(job, budget);
      budget -= used.work;
      processed += used.work;
      if (used.done) {
        this.finishJob(job);
        this.jobs[this.jobHead++] = undefined as unknown as Job;
      }
    }
    if (this.jobHead > 1024 && this.jobHead * 2 > this.jobs.length) {
      this.jobs = this.jobs.slice(this.jobHead);
      this.jobHead = 0;
    }
    const r: ProcessResult = { more: this.busy, changes: this.changes, maxPrefixExceeded: this.notices, processed };
    this.changes = [];
    this.notices = [];
    return r;
  }

  /** Runs the whole queue (tests, small labs). */
  processAll(): ProcessResult {
    const changes: BestPathChange[] = [];
    const notices: MaxPrefixExceeded[] = [];
    let processed = 0;
    do {
      const r = this.processSome(65536);
      for (const c of r.changes) changes.push(c);
      notices.push(...r.maxPrefixExceeded);
      processed += r.processed;
    } while (this.busy);
    return { more: false, changes, maxPrefixExceeded: notices, processed };
  }

  private runJob(job: Job, budget: number): { work: number; done: boolean } {
    switch (job.kind) {
      case 'announce': return this.runAnnounce(job, budget);
      case 'withdraw': {
        const p = this.peerStates[job.peer];
        if (job.session !== p.session) return { work: 1, done: true };
        let work = 0;
        while (job.pos < job.prefixes.length && work < budget) {
          const prefix = job.prefixes[job.pos++];
          const id = this.prefixes.lookup(prefix);
          work++;
          if (id < 0) continue;
          if (p.rejected.size > 0) this.clearRejected(p, id);
          this.removeIn(p, id, prefix);
        }
        return { work, done: job.pos >= job.prefixes.length };
      }
      case 'flush': {
        const p = this.peerStates[job.peer];
        let work = 0, scanned = 0;
        const top = Math.max(p.adjIn.length, this.prefixes.highWater);
        while (job.pos < top && work < budget) {
          const id = job.pos++;
          if (++scanned === SCAN_PER_UNIT) { scanned = 0; work++; }
          if (id < p.adjIn.length && p.adjIn[id] !== undefined) { this.removeIn(p, id); work++; }
          if (p.rejected.size > 0) this.clearRejected(p, id);
        }
        const done = job.pos >= top;
        if (done) { p.adjIn = []; p.count = 0; }
        return { work: Math.max(1, work), done };
      }
      case 'rescan': {
        let work = 0;
        const top = this.prefixes.highWater;
        while (job.pos < top && work < budget) {
          const id = job.pos++;
          if (!this.prefixes.isLive(id)) continue;
          work++;
          const ob = this.best[id];
          this.decide(id, ob, ob >= 0 ? this.peerStates[ob].adjIn[id] : undefined);
        }
        return { work: Math.max(1, work), done: job.pos >= top };
      }
    }
  }

  private runAnnounce(job: AnnounceJob, budget: number): { work: number; done: boolean } {
    const p = this.peerStates[job.peer];
    if (job.session !== p.session || p.limitHit) return { work: 1, done: true };
    if (job.prepared === undefined) this.prepare(job, p);
    const attrs = job.prepared as RouteAttrs;
    const policy = p.config?.importPolicy;
    let work = 0;
    while (job.pos < job.prefixes.length && work < budget && !p.limitHit) {
      const prefix = job.prefixes[job.pos++];
      work++;
      const id = this.prefixes.intern(prefix);
      let reason = job.problem;
      let final = attrs;
      if (reason === undefined && policy !== undefined) {
        const term = policy.match(prefix, attrs);
        if (!policy.accepts(term)) reason = policyReason('import', term);
        else if (policy.hasActions(term)) final = this.applyImport(job, p, policy, term);
      }
      if (reason !== undefined) {
        this.setRejected(p, id, attrs, reason);
        this.removeIn(p, id, prefix);
      } else {
        this.setIn(p, id, final, prefix);
        if (p.rejected.size > 0) this.clearRejected(p, id);
      }
      this.prefixes.dropIfUnused(id);
    }
    return { work, done: job.pos >= job.prefixes.length || p.limitHit };
  }

  private prepare(job: AnnounceJob, p: PeerState): void {
    const raw = job.raw;
    job.prepared = this.attrs.internWith(raw, job.nextHop, p.ref.kind === 'ebgp' ? undefined : raw.localPref);
    if (p.ref.kind === 'local') return;
    if (job.nextHop === undefined || job.nextHop.length === 0) job.problem = 'no NEXT_HOP';
    else if (asPathContains(raw.asPath, this.options.localAs)) job.problem = `AS_PATH contains our AS ${this.options.localAs} (loop)`;
  }

  private applyImport(job: AnnounceJob, p: PeerState, policy: CompiledPolicy, term: number): RouteAttrs {
    job.applied ??= new Map();
    let a = job.applied.get(term);
    if (a === undefined) {
      a = this.attrs.intern(policy.apply(job.prepared as RouteAttrs, term, p.ref.asn));
      job.applied.set(term, a);
    }
    return a;
  }

  private finishJob(job: Job): void {
    if (job.kind !== 'announce') return;
    if (job.prepared !== undefined) this.attrs.release(job.prepared);
    if (job.applied !== undefined) for (const a of job.applied.values()) this.attrs.release(a);
    job.prepared = undefined;
    job.applied = undefined;
  }

  // ------------------------------------------------------------------ Adj-RIB-In

  private setIn(p: PeerState, id: number, attrs: RouteAttrs, prefix?: IpPrefix): void {
    const arr = p.adjIn;
    while (arr.length <= id) arr.push(undefined);
    const old = arr[id];
    if (old === attrs) return;
    const ob = this.best[id];
    const oa = ob >= 0 ? this.peerStates[ob].adjIn[id] : undefined;
    this.attrs.retain(attrs);
    arr[id] = attrs;
    if (old === undefined) {
      p.count++;
      this.prefixes.ref(id);
    }
    this.decide(id, ob, oa, p.ref.id, prefix);
    if (old !== undefined) this.attrs.release(old);
    const limit = p.config?.maxPrefixes;
    if (limit !== undefined && p.count > limit && !p.limitHit) {
      p.limitHit = true;
      this.notices.push({ peer: p.ref, limit, count: p.count });
    }
  }

  private removeIn(p: PeerState, id: number, prefix?: IpPrefix): void {
    const arr = p.adjIn;
    if (id >= arr.length) return;
    const old = arr[id];
    if (old === undefined) return;
    const ob = this.best[id];
    const oa = ob >= 0 ? this.peerStates[ob].adjIn[id] : undefined;
    arr[id] = undefined;
    p.count--;
    this.decide(id, ob, oa, p.ref.id, prefix);
    this.attrs.release(old);
    this.prefixes.unref(id);
  }

  private setRejected(p: PeerState, id: number, attrs: RouteAttrs, reason: string): void {
    const old = p.rejected.get(id);
    if (old !== undefined && old.attrs === attrs && old.reason === reason) return;
    this.attrs.retain(attrs);
    p.rejected.set(id, { attrs, reason });
    if (old !== undefined) this.attrs.release(old.attrs);
    else this.prefixes.ref(id);
  }

  private clearRejected(p: PeerState, id: number): void {
    const old = p.rejected.get(id);
    if (old === undefined) return;
    p.rejected.delete(id);
    this.attrs.release(old.attrs);
    this.prefixes.unref(id);
  }

  // ------------------------------------------------------------------ Loc-RIB

  private reachable(p: PeerState, a: RouteAttrs): boolean {
    const resolve = this.options.nextHopReachable;
    if (resolve === undefined || p.ref.kind === 'local') return true;
    const known = this.attrs.reachability(a, this.nhGen);
    if (known >= 0) return known === 1;
    const nh = a.nextHop;
    const ok = nh !== undefined && (nh.length === 4 ? resolve(nh, 4) : resolve(nh.length > 16 ? nh.subarray(0, 16) : nh, 6));
    this.attrs.setReachability(a, this.nhGen, ok);
    return ok;
  }

  private candidates(id: number): { peers: number[]; cands: Candidate[] } {
    const peers: number[] = [];
    const cands: Candidate[] = [];
    for (let i = 0; i < this.peerStates.length; i++) {
      const p = this.peerStates[i];
      const a = id < p.adjIn.length ? p.adjIn[id] : undefined;
      if (a === undefined) continue;
      peers.push(i);
      cands.push({ peer: p.ref, attrs: a, reachable: this.reachable(p, a) });
    }
    return { peers, cands };
  }

  /** Re-runs selection for `id` after a change; `ob`/`oa` are the best before it. */
  private decide(id: number, ob: number, oa: RouteAttrs | undefined, touched = -1, known?: IpPrefix): void {
    const states = this.peerStates;
    let nb = -1;
    let only = -1;
    let count = 0;
    for (let i = 0; i < states.length; i++) {
      const p = states[i];
      if (id < p.adjIn.length && p.adjIn[id] !== undefined) { count++; only = i; }
    }
    let step: BestPathChange['step'] = 'no-path';
    let reason = 'withdrawn';
    let newEcmp: readonly number[] | undefined;
    if (count === 1) {
      const p = states[only];
      if (this.reachable(p, p.adjIn[id] as RouteAttrs)) { nb = only; step = 'only-path'; reason = 'only path'; }
      else reason = DECISION_STEPS[0].phrase(this.cand(only, id), this.cand(only, id), this.ctx);
    } else if (count > 1) {
      const { peers, cands } = this.candidates(id);
      const sel = selectBest(cands, this.ctx, this.options.multipath === true);
      if (sel.best >= 0) {
        nb = peers[sel.best];
        if (sel.decidingStep >= 0) {
          step = DECISION_STEPS[sel.decidingStep].reason;
          const loser = sel.eliminated.findIndex((e) => e !== undefined && e.step === sel.decidingStep);
          reason = eliminationPhrase(cands, loser, sel.eliminated[loser] as NonNullable<(typeof sel.eliminated)[number]>, this.ctx);
        }
        if (sel.ecmp.length > 1) newEcmp = sel.ecmp.map((i) => peers[i]);
      } else reason = 'no path with a reachable next hop';
    }
    const na = nb >= 0 ? states[nb].adjIn[id] : undefined;
    const oldEcmp = this.ecmp.get(id);
    // A member of the set whose attributes changed changes the set (its next hop may differ).
    const ecmpChanged = !sameList(oldEcmp, newEcmp) || (touched >= 0 && newEcmp !== undefined && newEcmp.includes(touched));
    if (nb === ob && na === oa && !ecmpChanged) return;
    this.best[id] = nb;
    if (ob < 0 && nb >= 0) this.bestCount++;
    else if (ob >= 0 && nb < 0) this.bestCount--;
    if (ecmpChanged) {
      if (newEcmp === undefined) this.ecmp.delete(id); else this.ecmp.set(id, newEcmp);
    }
    const prefix = known ?? this.prefixes.prefix(id);
    let ecmpRoutes: Route[] | undefined;
    if (newEcmp !== undefined) {
      ecmpRoutes = [];
      for (const i of newEcmp) ecmpRoutes.push({ prefix, attrs: states[i].adjIn[id] as RouteAttrs, peer: states[i].ref });
    }
    this.changes.push({
      prefix,
      oldBest: ob >= 0 && oa !== undefined ? { prefix, attrs: oa, peer: states[ob].ref } : undefined,
      newBest: nb >= 0 && na !== undefined ? { prefix, attrs: na, peer: states[nb].ref } : undefined,
      ecmp: ecmpRoutes,
      step,
      reason,
    });
    if (nb !== ob || na !== oa) {
      for (let i = 1; i < states.length; i++) {
        const out = states[i].out;
        if (out !== undefined) this.markDirty(out, id);
      }
    }
  }

  private cand(peer: number, id: number): Candidate {
    const p = this.peerStates[peer];
    const a = p.adjIn[id] as RouteAttrs;
    return { peer: p.ref, attrs: a, reachable: this.reachable(p, a) };
  }

  // ------------------------------------------------------------------ Adj-RIB-Out

  private markDirty(out: OutState, id: number): void {
    if (id >= out.dirty.length) {
      const d = new Uint8Array(Math.max(this.prefixes.capacity, id + 1));
      d.set(out.dirty);
      out.dirty = d;
    }
    if (out.dirty[id] !== 0) return;
    out.dirty[id] = 1;
    out.queue.push(id);
    this.prefixes.ref(id);
  }

  private dropOut(p: PeerState): void {
    const out = p.out;
    if (out === undefined) return;
    p.out = undefined;
    for (let i = 0; i < out.advertised.length; i++) {
      const a = out.advertised[i];
      if (a !== undefined) { this.attrs.release(a); this.prefixes.unref(i); }
    }
    for (let q = out.head; q < out.queue.length; q++) this.prefixes.unref(out.queue[q]);
  }

  /**
   * Export decision for prefix `id` toward `dst`: the Loc-RIB attributes it
   * should get (its Adj-RIB-Out remembers these, not the rewritten ones), or
   * undefined. Leaves the export-policy term and source in `this.exp*`.
   */
  private exportSource(dst: PeerState, out: OutState, id: number): RouteAttrs | undefined {
    const b = this.best[id];
    if (b < 0) return undefined;
    const src = this.peerStates[b];
    const a = src.adjIn[id] as RouteAttrs;
    const fam = this.prefixes.family(id);
    if (!out.families.has(fam)) return undefined;
    if ((fam === 4 ? dst.nh4 : dst.nh6) === undefined) return undefined;
    if (out.memoIn !== a || out.memoSrc !== b) {
      out.memoIn = a;
      out.memoSrc = b;
      out.memoBlocked = exportBlock(src.ref, dst.ref, a) !== undefined;
    }
    if (out.memoBlocked) return undefined;
    const policy = dst.config?.exportPolicy;
    let term = -1;
    if (policy !== undefined && (policy.terms.length > 0 || !policy.defaultAccept)) {
      term = policy.match(policy.matchesPrefixes ? this.prefixes.prefix(id) : NO_PREFIX, a);
      if (!policy.accepts(term)) return undefined;
    }
    this.expTerm = term;
    this.expSrc = b;
    this.expFam = fam;
    return a;
  }

  /** The attributes `dst` receives for `a` from peer `srcId` (interned, one reference for the caller). */
  private exportSet(dst: PeerState, srcId: number, a: RouteAttrs, fam: Family, term: number): RouteAttrs {
    const src = this.peerStates[srcId];
    const nh = (fam === 4 ? dst.nh4 : dst.nh6) as Uint8Array;
    const policy = dst.config?.exportPolicy;
    let x = exportAttrs(a, src.ref, dst.ref, nh, this.options.localAs);
    if (policy !== undefined && policy.hasActions(term)) {
      x = policy.apply(x, term, this.options.localAs);
      if (dst.ref.kind === 'ebgp' && x.localPref !== undefined) x = { ...x, localPref: undefined };
    }
    return this.attrs.intern(x);
  }

  /**
   * Pending changes for neighbour `id`, at most `maxPrefixes` prefixes looked
   * at: announcements grouped by attribute set (one UPDATE each), withdrawals,
   * and End-of-RIB once the initial dump is out. What is returned counts as
   * sent. The rewritten attribute sets are interned for the call (identity
   * groups them) and not kept afterwards: the Adj-RIB-Out stores which Loc-RIB
   * attributes each prefix was sent with, as BIRD does, so a neighbour costs
   * no attribute sets of its own.
   */
  pendingUpdates(id: number, maxPrefixes = Number.POSITIVE_INFINITY): OutUpdates {
    const p = this.state(id);
    const out = p.out;
    if (out === undefined) return { batches: [], withdrawals: [], endOfRib: [], more: false };
    const groups = new Map<RouteAttrs, number[]>();
    const withdrawals: IpPrefix[] = [];
    let mIn: RouteAttrs | undefined, mSrc = -1, mFam = 0, mTerm = -2;
    let mOut: number[] | undefined;
    let n = 0;
    while (out.head < out.queue.length && n < maxPrefixes) {
      const pid = out.queue[out.head++];
      n++;
      out.dirty[pid] = 0;
      const want = this.exportSource(p, out, pid);
      const old = pid < out.advertised.length ? out.advertised[pid] : undefined;
      const resend = out.resend !== undefined && pid < out.resend.length && out.resend[pid] === 1;
      if (resend) (out.resend as Uint8Array)[pid] = 0;
      if (want === undefined) {
        if (old !== undefined) {
          out.advertised[pid] = undefined;
          out.count--;
          this.attrs.release(old);
          withdrawals.push(this.prefixes.prefix(pid));
          this.prefixes.unref(pid);
        }
      } else {
        const term = this.expTerm;
        const key = advKey(this.expSrc, term);
        if (want !== old || key !== out.advKey[pid] || resend) {
          if (want !== old) {
            while (out.advertised.length <= pid) out.advertised.push(undefined);
            this.attrs.retain(want);
            out.advertised[pid] = want;
            if (old !== undefined) this.attrs.release(old);
            else { out.count++; this.prefixes.ref(pid); }
          }
          if (pid >= out.advKey.length) out.advKey = growInt32(out.advKey, this.prefixes.capacity);
          out.advKey[pid] = key;
          if (want !== mIn || this.expSrc !== mSrc || this.expFam !== mFam || term !== mTerm) {
            const set = this.exportSet(p, this.expSrc, want, this.expFam, term);
            mOut = groups.get(set);
            if (mOut === undefined) { mOut = []; groups.set(set, mOut); }
            else this.attrs.release(set);
            mIn = want; mSrc = this.expSrc; mFam = this.expFam; mTerm = term;
          }
          (mOut as number[]).push(pid);
        }
      }
      this.prefixes.unref(pid);
    }
    if (out.head === out.queue.length) { out.queue = []; out.head = 0; out.resend = undefined; }
    else if (out.head > 4096 && out.head * 2 > out.queue.length) { out.queue = out.queue.slice(out.head); out.head = 0; }
    const batches: OutBatch[] = [];
    for (const [attrs, ids] of groups) {
      batches.push(new IdBatch(this.prefixes, this.prefixes.family(ids[0]), attrs, ids));
      this.attrs.release(attrs);
    }
    let endOfRib: Family[] = [];
    if (out.eorPending && out.head >= out.queue.length) {
      out.eorPending = false;
      out.initialDone = true;
      endOfRib = [...out.families].sort();
    }
    return { batches, withdrawals, endOfRib, more: out.head < out.queue.length };
  }

  /**
   * The neighbour sent ROUTE-REFRESH (RFC 2918): everything it holds is sent
   * again (changes since are sent as usual), followed by End-of-RIB.
   */
  routeRefresh(id: number): void {
    const out = this.state(id).out;
    if (out === undefined) return;
    out.resend = new Uint8Array(Math.max(out.advertised.length, this.prefixes.capacity));
    for (let i = 0; i < out.advertised.length; i++) {
      if (out.advertised[i] === undefined) continue;
      out.resend[i] = 1;
      this.markDirty(out, i);
    }
    out.eorPending = true;
  }

  /** True when neighbour `id` has output waiting (including End-of-RIB). */
  hasPendingOutput(id: number): boolean {
    const out = this.state(id).out;
    return out !== undefined && (out.head < out.queue.length || out.eorPending);
  }

  // ------------------------------------------------------------------ queries

  /** The Loc-RIB's best path for `prefix`. */
  bestPath(prefix: IpPrefix): Route | undefined {
    const id = this.prefixes.lookup(prefix);
    if (id < 0 || this.best[id] < 0) return undefined;
    const p = this.peerStates[this.best[id]];
    return { prefix: this.prefixes.prefix(id), attrs: p.adjIn[id] as RouteAttrs, peer: p.ref };
  }

  /** With multipath: the ECMP set for `prefix` (best first); else [best]. */
  ecmpPaths(prefix: IpPrefix): readonly Route[] {
    const id = this.prefixes.lookup(prefix);
    if (id < 0 || this.best[id] < 0) return [];
    const set = this.ecmp.get(id) ?? [this.best[id]];
    return set.map((i) => ({ prefix: this.prefixes.prefix(id), attrs: this.peerStates[i].adjIn[id] as RouteAttrs, peer: this.peerStates[i].ref }));
  }

  /** Every best path (unordered). */
  *locRib(): Generator<Route> {
    const top = this.prefixes.highWater;
    for (let id = 0; id < top; id++) {
      const b = this.best[id];
      if (b < 0) continue;
      const p = this.peerStates[b];
      yield { prefix: this.prefixes.prefix(id), attrs: p.adjIn[id] as RouteAttrs, peer: p.ref };
    }
  }

  /** Routes accepted from neighbour `id` (after import policy). */
  *adjRibIn(id: number): Generator<Route> {
    const p = this.state(id);
    for (let i = 0; i < p.adjIn.length; i++) {
      const a = p.adjIn[i];
      if (a !== undefined) yield { prefix: this.prefixes.prefix(i), attrs: a, peer: p.ref };
    }
  }

  /** Routes from neighbour `id` kept out by loop detection or import policy. */
  rejectedRoutes(id: number): { route: Route; reason: string }[] {
    const p = this.state(id);
    return [...p.rejected].map(([i, r]) => ({ route: { prefix: this.prefixes.prefix(i), attrs: r.attrs, peer: p.ref }, reason: r.reason }));
  }

  /** What neighbour `id` has been sent and not withdrawn (attribute sets rebuilt for display). */
  *adjRibOut(id: number): Generator<AdjRibOutEntry> {
    const p = this.state(id);
    const out = p.out;
    if (out === undefined) return;
    for (let i = 0; i < out.advertised.length; i++) {
      const a = out.advertised[i];
      if (a === undefined) continue;
      const key = out.advKey[i];
      const src = Math.floor(key / 4096), term = (key % 4096) - 1;
      const attrs = this.exportSet(p, src, a, this.prefixes.family(i), term);
      this.attrs.release(attrs);
      yield { prefix: this.prefixes.prefix(i), attrs };
    }
  }

  /** Why the best path for `prefix` is (or is not) exported to neighbour `id`; undefined when it is. */
  exportVerdict(id: number, prefix: IpPrefix): string | undefined {
    const dst = this.state(id);
    const pid = this.prefixes.lookup(prefix);
    if (pid < 0 || this.best[pid] < 0) return 'no best path';
    const src = this.peerStates[this.best[pid]];
    const a = src.adjIn[pid] as RouteAttrs;
    const rule = exportBlock(src.ref, dst.ref, a);
    if (rule !== undefined) return rule.text;
    if ((prefix.family === 4 ? dst.nh4 : dst.nh6) === undefined) return `no local IPv${prefix.family} address on this session`;
    const policy = dst.config?.exportPolicy;
    if (policy !== undefined) {
      const term = policy.match(prefix, a);
      if (!policy.accepts(term)) return policyReason('export', term);
    }
    return undefined;
  }

  /** Every candidate for `prefix`, the winner, and for each loser the step that beat it. */
  explain(prefix: IpPrefix): BestPathExplanation {
    const id = this.prefixes.lookup(prefix);
    if (id < 0) return { prefix, ecmp: [], candidates: [], rejected: [] };
    const rejected = this.peerStates
      .filter((p) => p.rejected.has(id))
      .map((p) => ({ peer: p.ref, attrs: (p.rejected.get(id) as Rejection).attrs, reason: (p.rejected.get(id) as Rejection).reason }));
    const { cands } = this.candidates(id);
    if (cands.length === 0) return { prefix, ecmp: [], candidates: [], rejected };
    const sel = selectBest(cands, this.ctx, this.options.multipath === true);
    const routes: Route[] = cands.map((c) => ({ prefix, attrs: c.attrs, peer: c.peer }));
    const ecmpSet = new Set(sel.ecmp);
    const candidates: CandidateVerdict[] = cands.map((_, i) => {
      if (i === sel.best) return { route: routes[i], outcome: 'best' };
      if (ecmpSet.has(i)) return { route: routes[i], outcome: 'ecmp' };
      const e = sel.eliminated[i];
      if (e === undefined) return { route: routes[i], outcome: 'lost' };
      return {
        route: routes[i], outcome: 'lost', step: DECISION_STEPS[e.step].reason,
        detail: eliminationPhrase(cands, i, e, this.ctx), beatenBy: e.by === i ? undefined : routes[e.by],
      };
    });
    return { prefix, best: sel.best >= 0 ? routes[sel.best] : undefined, ecmp: sel.ecmp.map((i) => routes[i]), candidates, rejected };
  }

  stats(): { prefixes: number; locRib: number; attrSets: number; adjIn: Record<number, number>; adjOut: Record<number, number>; queuedJobs: number } {
    const adjIn: Record<number, number> = {};
    const adjOut: Record<number, number> = {};
    for (const p of this.peerStates) {
      adjIn[p.ref.id] = p.count;
      if (p.out !== undefined) adjOut[p.ref.id] = p.out.count;
    }
    return { prefixes: this.prefixes.size, locRib: this.bestCount, attrSets: this.attrs.size, adjIn, adjOut, queuedJobs: this.jobs.length - this.jobHead };
  }

  /** Accepted-prefix count of neighbour `id` (what max-prefix is compared with). */
  acceptedCount(id: number): number { return this.state(id).count; }

  /** Routes from neighbour `id` kept out by loop detection or import policy. */
  rejectedCount(id: number): number { return this.state(id).rejected.size; }

  // ------------------------------------------------------------------ helpers

  private state(id: number): PeerState {
    const p = this.peerStates[id];
    if (p === undefined) throw new Error(`unknown peer id ${id}`);
    return p;
  }

  private newPeerState(ref: PeerRef, config: PeerConfig | undefined): PeerState {
    let nh4: Uint8Array | undefined, nh6: Uint8Array | undefined;
    if (config !== undefined) {
      if (config.localAddress.family === 4) nh4 = config.localAddress.bytes.slice();
      else nh6 = config.localAddress.bytes.slice();
      const l6 = config.localAddress6;
      if (l6 !== undefined) nh6 = (l6 instanceof Uint8Array ? l6 : l6.bytes).slice();
    }
    return {
      ref, config, adjIn: [], count: 0, rejected: new Map(), session: 0, limitHit: false, eorReceived: false,
      out: undefined, nh4, nh6,
    };
  }
}

/** Source peer and export term in one number (terms beyond 4094 share a key: they only cost a re-send check). */
function advKey(src: number, term: number): number {
  return src * 4096 + Math.min(term + 1, 4095);
}

function growInt32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(Math.max(cap, a.length * 2));
  b.set(a);
  return b;
}

function asList(p: IpPrefix | readonly IpPrefix[]): readonly IpPrefix[] {
  return Array.isArray(p) ? (p as readonly IpPrefix[]) : [p as IpPrefix];
}

function first<K, V>(m: Map<K, V>): V | undefined {
  for (const v of m.values()) return v;
  return undefined;
}

function sameList(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An OutBatch whose prefixes stay in the prefix table until read. */
class IdBatch implements OutBatch {
  private values?: IpPrefix[];

  constructor(private readonly table: PrefixTable, readonly family: Family, readonly attrs: RouteAttrs, readonly ids: readonly number[]) {}

  get prefixes(): readonly IpPrefix[] {
    this.values ??= this.ids.map((id) => this.table.prefix(id));
    return this.values;
  }
}
