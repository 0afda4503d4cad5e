/**
 * The BGP speaker of one router: the composition of sessions (./session.ts),
 * the listener (./listener.ts) and the RIB (./rib), plus the views the
 * control channel shows.
 *
 * API (the router process calls exactly this):
 *
 *   const speaker = new BgpSpeaker({
 *     asn: 65001, routerId: '10.0.0.1', neighbors,   // BgpNeighbor[] (src/router/config.ts)
 *     multipath: false,
 *     port: 179,                 // optional; tests use a high port
 *     listenAddresses: ['::'],   // optional; default one dual-stack server
 *   }, hooks);
 *   await speaker.start();                 // listen, then connect to every neighbour
 *   speaker.originate(prefixes, nextHop?); // local routes (ORIGIN IGP, empty AS_PATH)
 *   speaker.withdrawOriginated(prefixes);
 *   speaker.interfaceDown('r1-eth0');      // drop its sessions now (fast external fallover)
 *   speaker.interfaceUp('r1-eth0');        // and start them again
 *   speaker.neighbors();                   // NeighborInfo[] (src/control/protocol.ts)
 *   speaker.rib(prefix?);                  // RibEntryInfo[]: every candidate, best marked, losers' lostBy
 *   speaker.explain(prefix);               // { entry, notes (rejected / not advertised and why), detail }
 *   speaker.status();                      // BgpStatus (convergence)
 *   speaker.nextHopsChanged();             // the FIB changed: re-check next-hop reachability
 *   await speaker.stop('maintenance');     // Cease 6/2 with RFC 8203 text to each peer, then close
 *
 * hooks: onBestPathChanges(changes) for the FIB and the event stream;
 * onSessionChange(peerAddress, from, to, reason); onUpdateActivity(direction)
 * for convergence detection; log(level, text). All optional.
 *
 * Flow: a received UPDATE goes to `rib.enqueueUpdate` (RFC 7606
 * treat-as-withdraw: `rib.enqueueWithdraw` of every prefix it mentions;
 * End-of-RIB is recorded). A work loop calls `rib.processSome(chunk)` for at
 * most ~10 ms, drains every Established neighbour's pending Adj-RIB-Out
 * changes into UPDATEs (one attribute set per message, packed to 4096 bytes,
 * End-of-RIB when the initial dump is out) for at most ~20 ms in all while
 * its socket accepts data (a full socket waits for 'drain'), then yields with
 * setImmediate, so keepalives, timers and control requests are served during
 * a 1,000,000-prefix burst. Received frames are decoded in time slices too
 * (session.ts). While the RIB's input queue is long, sessions stop reading
 * (TCP pushes back on the peers). Max-prefix: Cease 6/1, then the session
 * restarts after its IdleHold back-off. Session down: `rib.peerDown`.
 *
 * Options beyond the router's: on a neighbour `localAddress6` (our IPv6 next
 * hop when IPv6 routes cross an IPv4 session), `advertiseNextHop` (a NEXT_HOP
 * other than the session's local address), `passive`; on the speaker
 * `nextHopReachable` (asks the FIB), `fsm` (timer overrides for tests),
 * `chunk` (prefixes per RIB call).
 * Keepalive: the negotiated hold time / 3 (RFC 4271 §10); the neighbour's
 * `keepalive` field is informational.
 * `rib()` without a prefix explains every Loc-RIB prefix: meant for lab-sized
 * tables, not for a million routes.
 * Not supported: route reflection, graceful restart, ADD-PATH, TCP MD5,
 * GTSM / TTL 1 for eBGP (Node cannot set IP_TTL on a TCP socket), dynamic
 * neighbours, changing the neighbour list after construction.
 */
import type net from 'node:net';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, type Family, type IpAddress, type IpPrefix } from '../lib/prefix.js';
import type { BgpNeighbor } from '../router/config.js';
import type { BgpStatus, NeighborInfo, PathInfo, RibEntryInfo } from '../control/protocol.js';
import { BgpListener } from './listener.js';
import { BgpSession } from './session.js';
import type { BgpStateName, FsmConfig } from './fsm.js';
import { compilePolicy, formatCommunity, type CompiledPolicy } from './policy.js';
import { Rib } from './rib/rib.js';
import { DECISION_STEPS } from './rib/decision.js';
import type { BestPathChange, BestPathExplanation, PeerRef } from './rib/types.js';
import { performance } from 'node:perf_hooks';
import { appendIpv4Announcements, buildAnnouncements, buildWithdrawals, endOfRib, endOfRibFamily, ipv4AttributeBlock } from './wire/update-builder.js';
import { ByteWriter } from './wire/bytes.js';
import type { Negotiated } from './wire/open-checks.js';
import { Afi, CeaseSubcode, type BgpError } from './wire/types.js';
import type { UpdateDecodeResult } from './wire/update.js';

export interface SpeakerNeighbor extends BgpNeighbor {
  /** Our IPv6 next hop for IPv6 routes sent over an IPv4 session (MP_REACH_NLRI). */
  readonly localAddress6?: string;
  /**
   * The NEXT_HOP we advertise to this neighbour when it is not `localAddress`
   * (e.g. a service address; loopback tests, where 127/8 is no valid next hop).
   */
  readonly advertiseNextHop?: string;
  /** Only accept the peer's connection; never connect out. */
  readonly passive?: boolean;
}

export interface BgpSpeakerOptions {
  readonly asn: number;
  /** Dotted quad. */
  readonly routerId: string;
  readonly neighbors: readonly SpeakerNeighbor[];
  readonly multipath: boolean;
  /** TCP port to listen on and to connect to (default 179). */
  readonly port?: number;
  /** Addresses to listen on (default ['::'], dual stack). */
  readonly listenAddresses?: readonly string[];
  /** Whether a next hop is reachable (the router's FIB); default: always. */
  readonly nextHopReachable?: (nextHop: Uint8Array, family: Family) => boolean;
  /** FSM timer overrides (tests). */
  readonly fsm?: Omit<FsmConfig, 'local' | 'passive'>;
  /** Prefixes per RIB call inside a time-bounded work slice (default 512). */
  readonly chunk?: number;
}

export interface BgpSpeakerHooks {
  onBestPathChanges?(changes: readonly BestPathChange[]): void;
  onSessionChange?(peer: string, from: BgpStateName, to: BgpStateName, reason?: string): void;
  /** An UPDATE was received or sent (convergence detection). */
  onUpdateActivity?(direction: 'in' | 'out'): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

/** What `explain(prefix)` returns: the RIB entry and notes on rejected and unexported routes. */
export interface BgpExplanation {
  readonly prefix: string;
  readonly entry?: RibEntryInfo;
  readonly notes: string[];
  readonly detail: BestPathExplanation;
}

interface Neighbour {
  readonly cfg: SpeakerNeighbor;
  readonly address: IpAddress;
  readonly peer: PeerRef;
  readonly session: BgpSession;
  readonly exportPolicy: CompiledPolicy;
}

const DEFAULT_CHUNK = 512;
/** Prefixes handed out per pendingUpdates call. */
const OUT_SLICE = 1024;
/** Time budget of one work slice (RIB input, then output) before yielding to I/O. */
const SLICE_MS = 20;
/**
 * Stop reading from peers above this many queued prefixes; resume below the
 * low mark. Decoded prefixes that wait long enough to survive a scavenge are
 * promoted and then grow the old generation: in the propagation benchmark
 * (100k prefixes) peak RSS went 131 -> 117 MB from 8192/2048 to 1024/256,
 * at the same CPU time.
 */
const INPUT_HIGH = 1_024;
const INPUT_LOW = 256;
const ORIGIN_NAMES = ['igp', 'egp', 'incomplete'] as const;

function parseRouterId(text: string): number {
  const a = parseAddress(text);
  if (!a.ok || a.value.family !== 4) throw new Error(`router id must be a dotted quad, not '${text}'`);
  const b = a.value.bytes;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

function mustAddress(text: string, what: string): IpAddress {
  const a = parseAddress(text);
  if (!a.ok) throw new Error(`${what}: ${a.error}`);
  return a.value;
}

function mustPolicy(spec: BgpNeighbor['import'], what: string): CompiledPolicy {
  const r = compilePolicy(spec);
  if (!r.ok) throw new Error(`${what}: ${r.errors.join('; ')}`);
  return r.value;
}

function familyOf(afi: number): Family | undefined {
  return afi === Afi.IPV4 ? 4 : afi === Afi.IPV6 ? 6 : undefined;
}

function toPrefix(p: IpPrefix | string): IpPrefix | undefined {
  if (typeof p !== 'string') return p;
  const r = parsePrefix(p);
  return r.ok ? r.value : undefined;
}

function nextHopText(nh: Uint8Array | undefined): string {
  if (nh === undefined) return '';
  const main = nh.length === 32 ? nh.subarray(0, 16) : nh;
  if (main.every((b) => b === 0)) return 'self';
  return formatAddress(main);
}

export class BgpSpeaker {
  readonly routerId: number;
  private readonly core: Rib;
  private readonly nbrs: Neighbour[] = [];
  private readonly byAddress = new Map<string, Neighbour>();
  private listener: BgpListener | undefined;
  private scheduled = false;
  private running = false;
  private queued = 0;
  /** Output of one flush round (reused; its bytes are copied out per send). */
  private readonly outWriter = new ByteWriter(8192);
  private lastUpdateAt: number | undefined;
  private readonly chunk: number;

  constructor(readonly options: BgpSpeakerOptions, private readonly hooks: BgpSpeakerHooks = {}) {
    this.routerId = parseRouterId(options.routerId);
    this.chunk = options.chunk ?? DEFAULT_CHUNK;
    this.core = new Rib({
      localAs: options.asn, routerId: this.routerId, multipath: options.multipath,
      ...(options.nextHopReachable !== undefined ? { nextHopReachable: options.nextHopReachable } : {}),
    });
    for (const cfg of options.neighbors) this.addNeighbour(cfg);
  }

  private addNeighbour(cfg: SpeakerNeighbor): void {
    const what = `neighbour ${cfg.address}`;
    const address = mustAddress(cfg.address, what);
    const localAddress = mustAddress(cfg.advertiseNextHop ?? cfg.localAddress, `${what} local address`);
    const importPolicy = mustPolicy(cfg.import, `${what} import policy`);
    const exportPolicy = mustPolicy(cfg.export, `${what} export policy`);
    const key = formatAddress(address);
    if (this.byAddress.has(key)) throw new Error(`${what}: configured twice`);
    const peer = this.core.addPeer({
      address, asn: cfg.remoteAs, kind: cfg.kind, localAddress, importPolicy, exportPolicy,
      ...(cfg.node !== undefined ? { name: cfg.node } : {}),
      ...(cfg.localAddress6 !== undefined ? { localAddress6: mustAddress(cfg.localAddress6, `${what} localAddress6`) } : {}),
      ...(cfg.maxPrefixes !== undefined ? { maxPrefixes: cfg.maxPrefixes } : {}),
    });
    const nb: { -readonly [K in keyof Neighbour]: Neighbour[K] } = { cfg, address, peer, exportPolicy, session: undefined as unknown as BgpSession };
    nb.session = new BgpSession({
      localAsn: this.options.asn, routerId: this.routerId, peerAddress: address, peerAsn: cfg.remoteAs,
      localAddress: cfg.localAddress, port: this.options.port ?? 179, holdTime: cfg.holdTime,
      ...(cfg.passive !== undefined ? { passive: cfg.passive } : {}),
      ...(this.options.fsm !== undefined ? { fsm: this.options.fsm } : {}),
    }, {
      up: (n) => this.onUp(nb, n),
      down: () => this.onDown(nb),
      update: (r) => this.onUpdate(nb, r),
      routeRefresh: () => {
        this.core.setExportPolicy(peer.id, nb.exportPolicy);
        this.schedule();
      },
      stateChange: (from, to, reason) => this.hooks.onSessionChange?.(key, from, to, reason),
      writable: () => this.schedule(),
      log: (level, text, errors) => this.log(level, errors !== undefined && errors.length > 0 ? `${text}: ${formatErrors(errors)}` : text),
    });
    this.nbrs.push(nb);
    this.byAddress.set(key, nb);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Start listening, then connect to every neighbour. Rejects when the port cannot be bound. */
  async start(): Promise<void> {
    if (this.running) return;
    this.listener = new BgpListener(this.options.listenAddresses ?? ['::'], this.options.port ?? 179, (s, remote) => this.accept(s, remote), (t) => this.log('info', t));
    await this.listener.start();
    this.running = true;
    for (const nb of this.nbrs) nb.session.start();
    this.schedule();
  }

  /** Administrative shutdown: Cease 6/2 with `text` (RFC 8203) to every peer, close, stop listening. */
  async stop(text?: string): Promise<void> {
    this.running = false;
    await Promise.all(this.nbrs.map((nb) => nb.session.stop(text)));
    await this.listener?.stop();
    this.listener = undefined;
    for (const nb of this.nbrs) nb.session.destroy();
  }

  /** The port actually listened on (tests with port 0). */
  get port(): number { return this.listener?.boundPort ?? this.options.port ?? 179; }

  private accept(socket: net.Socket, remote: string): boolean {
    const a = parseAddress(remote);
    if (!a.ok) return false;
    const nb = this.byAddress.get(formatAddress(a.value));
    if (nb === undefined || !nb.session.isEnabled) return false;
    nb.session.accept(socket);
    return true;
  }

  // ------------------------------------------------------------------ routes

  /** Originate local prefixes (ORIGIN IGP, empty AS_PATH); `nextHop` defaults to this router. */
  originate(prefixes: readonly (IpPrefix | string)[], nextHop?: IpAddress | string): void {
    const list = prefixes.map((p) => {
      const q = toPrefix(p);
      if (q === undefined) throw new Error(`not a prefix: ${String(p)}`);
      return q;
    });
    const nh = nextHop === undefined ? undefined : typeof nextHop === 'string' ? mustAddress(nextHop, 'next hop') : nextHop;
    for (const fam of [4, 6] as const) {
      const ps = list.filter((p) => p.family === fam);
      if (ps.length === 0) continue;
      this.core.originate(ps, nh !== undefined && nh.family === fam ? { nextHop: nh.bytes } : {});
      this.queued += ps.length;
    }
    this.schedule();
  }

  withdrawOriginated(prefixes: readonly (IpPrefix | string)[]): void {
    const list = prefixes.map(toPrefix).filter((p): p is IpPrefix => p !== undefined);
    this.core.withdrawOriginated(list);
    this.queued += list.length;
    this.schedule();
  }

  /** The FIB changed: next-hop reachability is re-evaluated for every prefix. */
  nextHopsChanged(): void {
    this.core.nextHopsChanged();
    this.schedule();
  }

  /** Fast external fallover: every session over `name` drops now and stays down until interfaceUp. */
  interfaceDown(name: string): void {
    for (const nb of this.nbrs) {
      if (nb.cfg.interface === name) nb.session.disable(`interface ${name} down`);
    }
  }

  interfaceUp(name: string): void {
    if (!this.running) return;
    for (const nb of this.nbrs) if (nb.cfg.interface === name) nb.session.enable();
  }

  // ------------------------------------------------------------------ session events

  private onUp(nb: Neighbour, n: Negotiated): void {
    const families = n.families.map((f) => familyOf(f.afi)).filter((f): f is Family => f !== undefined);
    this.core.peerUp(nb.peer.id, { routerId: n.peerBgpId, families });
    this.log('info', `session with ${formatAddress(nb.address)} (AS ${nb.cfg.remoteAs}) Established, hold ${n.holdTime} s`);
    this.schedule();
  }

  private onDown(nb: Neighbour): void {
    this.core.peerDown(nb.peer.id);
    this.queued += this.core.acceptedCount(nb.peer.id);
    this.schedule();
  }

  private onUpdate(nb: Neighbour, r: UpdateDecodeResult): void {
    this.lastUpdateAt = Date.now();
    this.hooks.onUpdateActivity?.('in');
    const id = nb.peer.id;
    if (r.action === 'treat-as-withdraw' || r.action === 'afi-safi-disable') {
      if (r.withdraw.length > 0) {
        this.core.enqueueWithdraw(id, r.withdraw);
        this.queued += r.withdraw.length;
      }
    } else {
      const u = r.update;
      if (endOfRibFamily(u) !== undefined) {
        this.core.endOfRibReceived(id);
        return;
      }
      this.core.enqueueUpdate(id, u);
      this.queued += u.nlri.length + u.withdrawn.length + (u.attributes.mpReach?.nlri.length ?? 0) + (u.attributes.mpUnreach?.withdrawn.length ?? 0);
    }
    if (this.queued > INPUT_HIGH) for (const o of this.nbrs) o.session.pauseInput();
    this.schedule();
  }

  // ------------------------------------------------------------------ work loop

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.work();
      } catch (err) {
        this.log('error', `work loop: ${(err as Error).stack ?? String(err)}`);
      }
    });
  }

  /**
   * One slice of work, bounded in time (SLICE_MS): RIB input in small
   * chunks, then output to every Established neighbour, then yield.
   */
  private work(): void {
    const t0 = performance.now();
    let more = false;
    const changes: BestPathChange[] = [];
    do {
      const r = this.core.processSome(this.chunk);
      this.queued = this.core.busy ? Math.max(0, this.queued - r.processed) : 0;
      for (const c of r.changes) changes.push(c);
      for (const m of r.maxPrefixExceeded) {
        const nb = this.nbrs.find((n) => n.peer.id === m.peer.id);
        if (nb === undefined) continue;
        this.log('warn', `${formatAddress(nb.address)} sent ${m.count} prefixes, limit ${m.limit}: Cease 6/1`);
        nb.session.automaticStop(CeaseSubcode.MAX_PREFIXES);
      }
      more = r.more;
    } while (more && performance.now() - t0 < SLICE_MS / 2);
    if (this.queued < INPUT_LOW) for (const nb of this.nbrs) nb.session.resumeInput();
    if (changes.length > 0) this.hooks.onBestPathChanges?.(changes);
    const outStart = performance.now();
    for (const nb of this.nbrs) if (this.flush(nb, outStart)) more = true;
    if (more) this.schedule();
  }

  /** Drain pending output to one neighbour within the slice; true when more remains and the socket can take it. */
  private flush(nb: Neighbour, t0: number): boolean {
    const s = nb.session;
    const n = s.negotiated;
    const id = nb.peer.id;
    if (n === undefined || s.state !== 'Established') return false;
    const ctx = { fourOctetAs: n.fourOctetAs };
    // Every message of one round is written into one reused writer and sent as one copy.
    const w = this.outWriter.reset();
    while (s.canSend() && this.core.hasPendingOutput(id)) {
      const out = this.core.pendingUpdates(id, OUT_SLICE);
      let count = 0;
      const put = (m: Uint8Array) => {
        w.bytes(m);
        count++;
      };
      if (out.withdrawals.length > 0) for (const m of buildWithdrawals(out.withdrawals, ctx)) put(m);
      for (const b of out.batches) {
        // IPv4: written straight from the RIB's prefix table (no IpPrefix per prefix).
        if (b.family === 4) count += appendIpv4Announcements(w, ipv4AttributeBlock(b.attrs, ctx), b.ids, this.core.prefixes);
        else for (const m of buildAnnouncements({ attributes: b.attrs, prefixes: b.prefixes, ...(b.attrs.nextHop !== undefined ? { ipv6NextHop: b.attrs.nextHop } : {}) }, ctx)) put(m);
      }
      for (const f of out.endOfRib) put(endOfRib(f === 4 ? Afi.IPV4 : Afi.IPV6));
      if (count > 0) {
        this.lastUpdateAt = Date.now();
        this.hooks.onUpdateActivity?.('out');
        s.sendRaw(w.finish(), count);
        w.reset();
      }
      if (performance.now() - t0 > SLICE_MS) break;
    }
    return this.core.hasPendingOutput(id) && s.canSend();
  }

  // ------------------------------------------------------------------ views

  neighbors(): NeighborInfo[] {
    const stats = this.core.stats();
    return this.nbrs.map((nb) => {
      const id = nb.peer.id;
      const accepted = stats.adjIn[id] ?? 0;
      const s = nb.session;
      return {
        address: formatAddress(nb.address),
        ...(nb.cfg.node !== undefined ? { node: nb.cfg.node } : {}),
        remoteAs: nb.cfg.remoteAs,
        kind: nb.cfg.kind,
        state: s.state,
        uptime: Math.floor(s.stateAgeMs / 1000),
        prefixesReceived: accepted + this.core.rejectedRoutes(id).length,
        prefixesAccepted: accepted,
        prefixesAdvertised: stats.adjOut[id] ?? 0,
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
        updatesIn: s.updatesIn,
        updatesOut: s.updatesOut,
      };
    });
  }

  /** Every candidate path per prefix (one prefix, or every prefix with a best path). */
  rib(prefix?: IpPrefix | string): RibEntryInfo[] {
    if (prefix !== undefined) {
      const p = toPrefix(prefix);
      const e = p === undefined ? undefined : this.entry(this.core.explain(p));
      return e === undefined ? [] : [e];
    }
    const prefixes: IpPrefix[] = [];
    for (const r of this.core.locRib()) prefixes.push(r.prefix);
    prefixes.sort(comparePrefixes);
    const out: RibEntryInfo[] = [];
    for (const p of prefixes) {
      const e = this.entry(this.core.explain(p));
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** Why `prefix` has (or lacks) its best path, and where it is and is not advertised. */
  explain(prefix: IpPrefix | string): BgpExplanation {
    const p = toPrefix(prefix);
    if (p === undefined) throw new Error(`not a prefix: ${String(prefix)}`);
    const detail = this.core.explain(p);
    const entry = this.entry(detail);
    const notes: string[] = [];
    for (const r of detail.rejected) notes.push(`from ${peerText(r.peer)}: not accepted: ${r.reason}`);
    if (detail.candidates.length === 0 && detail.rejected.length === 0) notes.push('no path in the RIB');
    if (detail.best !== undefined) {
      for (const nb of this.nbrs) {
        if (nb.session.state !== 'Established') continue;
        const v = this.core.exportVerdict(nb.peer.id, p);
        notes.push(v === undefined ? `advertised to ${peerText(nb.peer)}` : `not advertised to ${peerText(nb.peer)}: ${v}`);
      }
    }
    return { prefix: formatPrefix(p), ...(entry !== undefined ? { entry } : {}), notes, detail };
  }

  status(): BgpStatus {
    return {
      sessions: this.nbrs.length,
      established: this.nbrs.filter((nb) => nb.session.state === 'Established').length,
      msSinceLastUpdate: this.lastUpdateAt === undefined ? -1 : Date.now() - this.lastUpdateAt,
    };
  }

  /** The underlying RIB (read-only use: tests, the router's FIB sync). */
  get table(): Rib { return this.core; }

  /** The session of neighbour `address` (tests, displays). */
  session(address: string): BgpSession | undefined {
    const a = parseAddress(address);
    return a.ok ? this.byAddress.get(formatAddress(a.value))?.session : undefined;
  }

  private entry(x: BestPathExplanation): RibEntryInfo | undefined {
    if (x.candidates.length === 0) return undefined;
    const paths: PathInfo[] = x.candidates.map((c) => {
      const a = c.route.attrs;
      const from = peerText(c.route.peer);
      return {
        from,
        ...(c.route.peer.name !== undefined && c.route.peer.kind !== 'local' ? { fromNode: c.route.peer.name } : {}),
        asPath: (a.asPath ?? []).flatMap((s) => [...s.asns]),
        nextHop: nextHopText(a.nextHop),
        localPref: a.localPref ?? 100,
        ...(a.med !== undefined ? { med: a.med } : {}),
        origin: ORIGIN_NAMES[a.origin ?? 2],
        communities: (a.communities ?? []).map(formatCommunity),
        best: c.outcome === 'best',
        ...(c.outcome === 'lost' ? { lostBy: c.detail ?? 'not selected' } : {}),
        ...(c.outcome === 'ecmp' || (c.outcome === 'best' && x.ecmp.length > 1) ? { multipath: true } : {}),
      };
    });
    return { prefix: formatPrefix(x.prefix), paths, reason: decidingReason(x) };
  }

  private log(level: 'info' | 'warn' | 'error', text: string): void {
    this.hooks.log?.(level, text);
  }
}

function peerText(p: PeerRef): string {
  return p.kind === 'local' ? 'local' : formatAddress(p.address);
}

/** The step that separated the best path from its closest competitor. */
function decidingReason(x: BestPathExplanation): string {
  if (x.best === undefined) return x.candidates.length > 0 ? 'no usable path (next hop unreachable)' : 'no path';
  let bestIdx = -1;
  let text = '';
  for (const c of x.candidates) {
    if (c.outcome !== 'lost' || c.step === undefined) continue;
    const i = DECISION_STEPS.findIndex((s) => s.reason === c.step);
    if (i > bestIdx) { bestIdx = i; text = `${c.step}: ${c.detail ?? ''}`; }
  }
  if (bestIdx < 0) return x.ecmp.length > 1 ? 'multipath: equal up to router id' : 'only path';
  return text;
}

function comparePrefixes(a: IpPrefix, b: IpPrefix): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i] - b.bytes[i];
  return a.len - b.len;
}

function formatErrors(errors: readonly BgpError[]): string {
  return errors.map((e) => `${e.code}/${e.subcode} ${e.action} (${e.reason})`).join('; ');
}
