/**
 * The socket edge of one BGP neighbour: TCP connections, framing, timers and
 * the execution of the pure FSM's actions (src/bgp/fsm.ts).
 *
 * Owns:
 * - one FSM per TCP connection (RFC 4271 §8): the connection we initiate
 *   (from the configured local address to peer:port) and any connection the
 *   listener accepted from the peer's address;
 * - collision detection (§6.8, src/bgp/fsm-collision.ts) when a connection
 *   receives a valid OPEN while another connection to the peer exists: the
 *   loser gets OpenCollisionDump (Cease 6/7) *before* its KEEPALIVE is sent,
 *   so the peer never sees the losing connection reach Established;
 * - framing through `MessageSplitter`, every frame decoded and turned into an
 *   FSM event (`eventForMessage`), header errors into MessageError;
 * - FSM actions: send (encoded with the negotiated 4-octet-AS flag), timers
 *   with setTimeout, connect/close, session up/down, UPDATE delivery;
 * - socket backpressure: `send` reports whether the socket wants more, the
 *   'drain' event calls `handlers.writable`; write completions feed the FSM's
 *   SendProgress event (RFC 9687 send hold timer);
 * - input flow control: `pauseInput`/`resumeInput` stop reading while the RIB
 *   catches up; a Hold timer that expires while input is paused is re-armed
 *   (the peer's bytes are waiting in our own receive buffer);
 * - restart after a drop: when the last connection falls to Idle the session
 *   waits an IdleHold time that doubles per consecutive failure (a failure
 *   counts unless the session had been Established for a minute), refusing
 *   the peer's connections meanwhile, then starts a new outgoing connection
 *   (passive sessions: accepts again); ManualStop disables it;
 * - fast external fallover: `disable(reason)` drops every connection at once
 *   without waiting for timers; `enable()` starts again.
 *
 * The session state shown to users is that of its most advanced connection.
 * Not supported: TCP MD5 / TCP-AO, GTSM (TTL security), passive-only peers
 * beyond `passive`, link-local IPv6 peers with a scope id, DelayOpen.
 */
import net from 'node:net';
import { formatAddress, type IpAddress } from '../lib/prefix.js';
import {
  ALL_TIMERS, eventForMessage, initialState, LAB_DEFAULTS, step,
  type BgpStateName, type DropRecord, type FsmAction, type FsmConfig, type FsmEnv, type FsmEvent, type FsmState, type TimerName,
} from './fsm.js';
import { detectCollision, type ConnectionView } from './fsm-collision.js';
import { performance } from 'node:perf_hooks';
import { MessageSplitter, type SplitItem } from './wire/stream-splitter.js';
import { decodeMessage, encodeMessage } from './wire/message.js';
import { DEFAULT_FAMILIES, type AddressFamily, type Negotiated } from './wire/open-checks.js';
import type { UpdateDecodeResult } from './wire/update.js';
import type { BgpError, RouteRefreshMessage } from './wire/types.js';

export interface SessionOptions {
  readonly localAsn: number;
  /** Our BGP identifier, unsigned 32-bit. */
  readonly routerId: number;
  readonly peerAddress: IpAddress;
  readonly peerAsn: number;
  /** Source address of outgoing connections (undefined: the kernel chooses). */
  readonly localAddress?: string;
  /** TCP port of the peer (179). */
  readonly port: number;
  /** Proposed hold time in seconds: 0 or >= 3. */
  readonly holdTime: number;
  /** Only wait for the peer to connect. */
  readonly passive?: boolean;
  readonly families?: readonly AddressFamily[];
  /** Overrides of the FSM timers (tests; defaults are the lab's). */
  readonly fsm?: Omit<FsmConfig, 'local' | 'passive'>;
}

export interface SessionHandlers {
  /** The session reached Established. */
  up(negotiated: Negotiated): void;
  /** The session left Established (with the reason). */
  down(drop: DropRecord): void;
  /** An UPDATE (clean or with RFC 7606 errors short of a reset) arrived on the Established connection. */
  update(result: UpdateDecodeResult): void;
  routeRefresh(message: RouteRefreshMessage): void;
  /** The session-level state changed (the most advanced connection's state). */
  stateChange(from: BgpStateName, to: BgpStateName, reason?: string): void;
  /** The Established connection's socket drained: more output may be sent. */
  writable(): void;
  log(level: 'info' | 'warn' | 'error', text: string, errors?: readonly BgpError[]): void;
}

const STATE_RANK: Readonly<Record<BgpStateName, number>> = { Idle: 0, Connect: 1, Active: 1, OpenSent: 2, OpenConfirm: 3, Established: 4 };

/** Time budget for decoding received frames before yielding to other I/O. */
const DECODE_SLICE_MS = 10;

/** A session up this long has recovered: its back-off starts again from the base. */
const STABLE_MS = 60_000;

/** How long a closing socket may take to flush its last NOTIFICATION. */
const CLOSE_GRACE_MS = 1000;

/** "::ffff:10.0.0.1" → "10.0.0.1"; other texts unchanged. */
export function normalizeRemoteAddress(a: string | undefined): string {
  if (a === undefined) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a.toLowerCase();
}

class Connection {
  fsm: FsmState;
  socket: net.Socket | undefined;
  splitter = new MessageSplitter();
  readonly timers = new Map<TimerName, NodeJS.Timeout>();
  /** The period each running timer was started with (a restart with the same period re-arms it in place). */
  readonly timerMs = new Map<TimerName, number>();
  /** Removed from the session: ignore anything it still reports. */
  gone = false;
  /** Received frames not yet dispatched (see drainBacklog). */
  backlog: SplitItem[] = [];
  backlogHead = 0;
  draining = false;
  /** When it reached Established (damping: a session that flaps keeps its back-off). */
  upSince: number | undefined;
  /** The IdleHold time the FSM asked for when it fell to Idle. */
  idleHoldMs: number | undefined;
  constructor(readonly id: number, readonly initiatedLocally: boolean, fsm: FsmState) {
    this.fsm = fsm;
  }
}

export class BgpSession {
  readonly peerText: string;
  private readonly fsmConfig: FsmConfig;
  private conns: Connection[] = [];
  private nextConnId = 1;
  private enabled = false;
  /** False after a ManualStop: no restart. */
  private autoRestart = true;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Consecutive failures carried from one connection to the next (damping). */
  private failures = 0;
  private shownState: BgpStateName = 'Idle';
  private stateSinceMs = Date.now();
  private inputPaused = false;
  private closing = new Set<net.Socket>();
  /** Counters for displays. */
  updatesIn = 0;
  updatesOut = 0;
  lastDrop: DropRecord | undefined;
  lastError: string | undefined;
  /** Why the latest connection ended (shown with a downward state change). */
  private recentReason: string | undefined;

  constructor(readonly options: SessionOptions, private readonly handlers: SessionHandlers) {
    this.peerText = formatAddress(options.peerAddress);
    this.fsmConfig = {
      ...(options.fsm ?? {}),
      passive: options.passive ?? false,
      local: {
        localAsn: options.localAsn, bgpId: options.routerId >>> 0, holdTime: options.holdTime, peerAsn: options.peerAsn,
        families: options.families ?? DEFAULT_FAMILIES, routeRefresh: true,
      },
    };
  }

  // ------------------------------------------------------------------ public

  get state(): BgpStateName { return this.shownState; }
  /** Milliseconds since the shown state last changed. */
  get stateAgeMs(): number { return Date.now() - this.stateSinceMs; }
  get isEnabled(): boolean { return this.enabled; }

  /** The Established connection's negotiated parameters, if any. */
  get negotiated(): Negotiated | undefined {
    const c = this.established();
    return c?.fsm.negotiated;
  }

  /** Start connecting (and accepting). */
  start(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.autoRestart = true;
    this.failures = 0;
    this.startConnection();
    this.refreshState();
  }

  /**
   * Administrative stop (ManualStop): Cease 6/2 with the RFC 8203 text on
   * every connection past TCP setup, then close; no restart. Resolves when the
   * sockets are closed (or after a short grace period).
   */
  async stop(text?: string): Promise<void> {
    this.enabled = false;
    this.autoRestart = false;
    this.clearRestart();
    for (const c of [...this.conns]) this.dispatch(c, { type: 'ManualStop', ...(text !== undefined ? { text } : {}) });
    await this.waitClosed();
  }

  /** The speaker stops the session itself, e.g. max-prefix (Cease 6/1); it restarts after IdleHold. */
  automaticStop(subcode: number, text?: string): void {
    const c = this.established() ?? this.conns[0];
    if (c === undefined) return;
    this.dispatch(c, { type: 'AutomaticStop', subcode, ...(text !== undefined ? { text } : {}) });
  }

  /** Fast external fallover: drop every connection now (no NOTIFICATION can cross a dead link); no restart until `enable`. */
  disable(reason: string): void {
    if (!this.enabled && this.conns.length === 0) return;
    this.enabled = false;
    this.clearRestart();
    this.lastError = reason;
    for (const c of [...this.conns]) {
      const sock = c.socket;
      c.socket = undefined;
      sock?.destroy();
      this.dispatch(c, { type: 'TcpConnectionFails' });
      if (!c.gone) this.remove(c);
    }
    this.refreshState(reason);
  }

  enable(): void {
    if (this.enabled) return;
    this.start();
  }

  /** An accepted TCP connection from the peer's address. */
  accept(socket: net.Socket): void {
    // Refused while disabled, and while waiting out the IdleHold back-off
    // after an error (a peer that keeps sending bad messages backs off too).
    if (!this.enabled || this.restartTimer !== undefined) {
      socket.destroy();
      return;
    }
    const c = new Connection(this.nextConnId++, false, { ...initialState(this.fsmConfig), connectRetryCounter: this.failures });
    this.conns.push(c);
    this.attach(c, socket);
    this.dispatch(c, { type: 'ManualStart', passive: true });
    this.dispatch(c, { type: 'TcpConnectionConfirmed' });
  }

  /** Whether the Established connection can take more bytes now. */
  canSend(): boolean {
    const c = this.established();
    return c !== undefined && c.socket !== undefined && !c.socket.writableNeedDrain;
  }

  /**
   * Send already-encoded messages (concatenated) on the Established connection.
   * Returns false when the socket's buffer is full (wait for `writable`).
   */
  sendRaw(bytes: Uint8Array, updates: number): boolean {
    const c = this.established();
    if (c === undefined || c.socket === undefined || c.socket.destroyed) return false;
    this.updatesOut += updates;
    return this.write(c, bytes);
  }

  pauseInput(): void {
    if (this.inputPaused) return;
    this.inputPaused = true;
    for (const c of this.conns) c.socket?.pause();
  }

  resumeInput(): void {
    if (!this.inputPaused) return;
    this.inputPaused = false;
    for (const c of this.conns) {
      if (c.draining) continue;
      const sock = c.socket;
      if (sock === undefined) continue;
      if (c.backlogHead < c.backlog.length) this.drainLater(c, sock);
      else sock.resume();
    }
  }

  get isInputPaused(): boolean { return this.inputPaused; }

  /** Number of TCP connections (tests: a collision leaves one). */
  get connectionCount(): number { return this.conns.length; }

  // ------------------------------------------------------------------ connections

  private established(): Connection | undefined {
    for (const c of this.conns) if (c.fsm.name === 'Established') return c;
    return undefined;
  }

  private startConnection(): void {
    this.clearRestart();
    // A passive session only waits for the peer (accept()).
    if (!this.enabled || this.fsmConfig.passive === true) return;
    const c = new Connection(this.nextConnId++, true, { ...initialState(this.fsmConfig), connectRetryCounter: this.failures });
    this.conns.push(c);
    this.dispatch(c, { type: 'ManualStart', passive: this.fsmConfig.passive });
  }

  private clearRestart(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private env(): FsmEnv {
    return { now: Date.now(), random: Math.random, config: this.fsmConfig };
  }

  /** Step connection `c` with `e` and execute the actions; handles collisions on OPEN. */
  private dispatch(c: Connection, e: FsmEvent): void {
    if (c.gone) return;
    const before = c.fsm.name;
    let r = step(c.fsm, e, this.env());
    if (e.type === 'BGPOpen' && before === 'OpenSent' && r.state.name === 'OpenConfirm') {
      const n = r.state.negotiated!;
      const self: ConnectionView = { state: 'OpenConfirm', initiatedLocally: c.initiatedLocally };
      for (const o of this.conns) {
        if (o === c || o.gone) continue;
        const out = detectCollision(self, { state: o.fsm.name, initiatedLocally: o.initiatedLocally }, {
          localId: this.fsmConfig.local.bgpId, remoteId: n.peerBgpId, localAsn: this.fsmConfig.local.localAsn, remoteAsn: n.peerAsn,
        });
        if (out.kind !== 'dump') continue;
        if (out.which === 'this') {
          // Lose before the KEEPALIVE of the accepted OPEN goes out.
          this.handlers.log('info', `connection collision with ${this.peerText}: closing the ${c.initiatedLocally ? 'outgoing' : 'incoming'} connection`);
          r = step(r.state, { type: 'OpenCollisionDump' }, this.env());
          break;
        }
        this.handlers.log('info', `connection collision with ${this.peerText}: closing the ${o.initiatedLocally ? 'outgoing' : 'incoming'} connection`);
        this.dispatch(o, { type: 'OpenCollisionDump' });
      }
    }
    c.fsm = r.state;
    for (const a of r.actions) {
      if (c.gone) break;
      this.execute(c, a);
    }
    if (c.fsm.name === 'Idle' && !c.gone) this.remove(c);
    else if (c.fsm.name === 'Established' && before !== 'Established') this.onEstablished(c);
    this.refreshState();
  }

  private onEstablished(c: Connection): void {
    c.upSince = Date.now();
    // Other attempts still connecting are pointless now.
    for (const o of [...this.conns]) {
      if (o !== c && (o.fsm.name === 'Connect' || o.fsm.name === 'Active')) this.dispatch(o, { type: 'ManualStop' });
    }
  }

  private execute(c: Connection, a: FsmAction): void {
    switch (a.type) {
      case 'connect': this.connect(c); break;
      case 'close-connection': this.closeSocket(c); break;
      case 'send': {
        if (c.socket === undefined || c.socket.destroyed) break;
        const ctx = { fourOctetAs: c.fsm.negotiated?.fourOctetAs ?? true };
        if (a.message.type === 'notification') this.handlers.log('warn', `${this.peerText}: sending NOTIFICATION ${a.message.code}/${a.message.subcode}`);
        this.write(c, encodeMessage(a.message, ctx));
        break;
      }
      case 'start-timer': this.startTimer(c, a.timer, a.ms); break;
      case 'stop-timer': this.stopTimer(c, a.timer); break;
      case 'session-up':
        this.handlers.up(a.negotiated);
        break;
      case 'session-down':
        this.lastDrop = a.drop;
        this.handlers.down(a.drop);
        break;
      case 'deliver-update':
        this.updatesIn++;
        this.handlers.update(a.result);
        break;
      case 'route-refresh-requested': this.handlers.routeRefresh(a.message); break;
      case 'log': this.handlers.log(a.errors !== undefined ? 'warn' : 'info', `${this.peerText}: ${a.text}`, a.errors); break;
    }
  }

  private write(c: Connection, bytes: Uint8Array): boolean {
    const sock = c.socket;
    if (sock === undefined || sock.destroyed || sock.writableEnded) return false;
    return sock.write(bytes, (err) => {
      if (err === undefined || err === null) {
        if (c.socket === sock && !c.gone && c.fsm.name === 'Established') this.dispatch(c, { type: 'SendProgress' });
      }
    });
  }

  private connect(c: Connection): void {
    this.closeSocket(c);
    const { port, localAddress } = this.options;
    const sock = new net.Socket();
    c.socket = sock;
    sock.once('connect', () => {
      if (c.socket !== sock || c.gone) return;
      this.wire(c, sock);
      this.dispatch(c, { type: 'TcpConnectionConfirmed' });
    });
    sock.on('error', () => {
      // Closing follows; 'close' reports the failure.
    });
    sock.once('close', () => {
      if (c.socket !== sock || c.gone) return;
      c.socket = undefined;
      this.dispatch(c, { type: 'TcpConnectionFails' });
    });
    sock.connect({ port, host: this.peerText, ...(localAddress !== undefined ? { localAddress } : {}) });
  }

  /** Take over an accepted socket. */
  private attach(c: Connection, sock: net.Socket): void {
    c.socket = sock;
    sock.on('error', () => { /* 'close' follows */ });
    sock.once('close', () => {
      if (c.socket !== sock || c.gone) return;
      c.socket = undefined;
      this.dispatch(c, { type: 'TcpConnectionFails' });
    });
    this.wire(c, sock);
  }

  private wire(c: Connection, sock: net.Socket): void {
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => this.onData(c, sock, chunk));
    sock.on('drain', () => {
      if (c.socket === sock && !c.gone && c.fsm.name === 'Established') this.handlers.writable();
    });
    if (this.inputPaused) sock.pause();
  }

  private onData(c: Connection, sock: net.Socket, chunk: Buffer): void {
    if (c.socket !== sock || c.gone) return;
    for (const item of c.splitter.push(chunk)) c.backlog.push(item);
    this.drainBacklog(c, sock);
  }

  /**
   * Decode and dispatch received frames for at most DECODE_SLICE_MS, then
   * yield (reading paused) so a 64 KB read of large UPDATEs never holds the
   * event loop for long. While input is paused (pauseInput) frames wait
   * undecoded (raw bytes cost far less memory than decoded UPDATEs);
   * resumeInput decodes them.
   */
  private drainBacklog(c: Connection, sock: net.Socket): void {
    const t0 = performance.now();
    while (c.backlogHead < c.backlog.length) {
      if (c.gone || c.socket !== sock) return;
      if (this.inputPaused) return;
      const item = c.backlog[c.backlogHead];
      c.backlog[c.backlogHead++] = undefined as unknown as SplitItem;
      if (item.kind === 'error') {
        this.dispatch(c, item.type === undefined
          ? { type: 'MessageError', error: item.error }
          : { type: 'MessageError', error: item.error, messageType: item.type });
      } else {
        const d = decodeMessage(item.frame, { fourOctetAs: c.fsm.negotiated?.fourOctetAs ?? true });
        this.dispatch(c, eventForMessage(d));
      }
      if (performance.now() - t0 > DECODE_SLICE_MS) break;
    }
    if (c.backlogHead < c.backlog.length) {
      this.drainLater(c, sock);
      return;
    }
    c.backlog = [];
    c.backlogHead = 0;
    if (!this.inputPaused && !sock.destroyed) sock.resume();
  }

  /** Continue decoding `c`'s backlog in a later turn, reading paused meanwhile. */
  private drainLater(c: Connection, sock: net.Socket): void {
    if (c.draining) return;
    c.draining = true;
    sock.pause();
    setImmediate(() => {
      c.draining = false;
      if (c.gone || c.socket !== sock) return;
      this.drainBacklog(c, sock);
    });
  }

  private closeSocket(c: Connection): void {
    const sock = c.socket;
    c.socket = undefined;
    if (sock === undefined || sock.destroyed) return;
    if (sock.connecting) {
      sock.destroy();
      return;
    }
    // Keep draining what the peer still sends: closing with unread bytes in
    // the receive queue makes Linux send RST and drop our queued NOTIFICATION.
    sock.removeAllListeners('data');
    sock.on('data', () => undefined);
    sock.resume();
    this.closing.add(sock);
    const t = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
    sock.once('close', () => { this.closing.delete(sock); clearTimeout(t); });
    // Flush what was written (the NOTIFICATION), send FIN; the socket closes
    // when the peer closes its side too, or at the end of the grace period.
    sock.end();
  }

  private startTimer(c: Connection, timer: TimerName, ms: number): void {
    const running = c.timers.get(timer);
    if (running !== undefined && c.timerMs.get(timer) === ms) {
      // The Hold timer restarts on every message: re-arm it, no new timer.
      running.refresh();
      return;
    }
    this.stopTimer(c, timer);
    if (timer === 'IdleHold') {
      // The session, not the connection, restarts (see remove()).
      c.idleHoldMs = ms;
      return;
    }
    c.timerMs.set(timer, ms);
    c.timers.set(timer, setTimeout(() => {
      c.timers.delete(timer);
      if (c.gone) return;
      if (timer === 'Hold' && this.inputPaused && c.fsm.name === 'Established') {
        // Our own flow control stopped reading, not the peer: re-arm.
        this.startTimer(c, timer, ms);
        return;
      }
      this.dispatch(c, { type: `${timer}TimerExpires` } as FsmEvent);
    }, ms));
  }

  private stopTimer(c: Connection, timer: TimerName): void {
    const t = c.timers.get(timer);
    if (t !== undefined) clearTimeout(t);
    c.timers.delete(timer);
  }

  /** Connection `c` fell to Idle: forget it; restart when it was the last. */
  private remove(c: Connection): void {
    c.gone = true;
    for (const t of ALL_TIMERS) this.stopTimer(c, t);
    this.closeSocket(c);
    this.conns = this.conns.filter((o) => o !== c);
    const drop = c.fsm.lastDrop;
    let idleMs = c.idleHoldMs;
    if (drop !== undefined && drop.reason !== 'collision') {
      this.lastError = drop.detail;
      // Damping: failures count up until a session stays Established for
      // STABLE_MS, so a peer that connects and sends garbage backs off
      // exponentially even though each attempt briefly reaches Established.
      const stable = c.upSince !== undefined && Date.now() - c.upSince >= STABLE_MS;
      this.failures = stable ? 1 : this.failures + 1;
      idleMs = this.backoffMs(this.failures);
    }
    if (drop !== undefined) this.recentReason = drop.detail;
    if (this.conns.length === 0 && this.enabled && this.autoRestart && c.fsm.autoRestart && this.restartTimer === undefined) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.startConnection();
        this.refreshState();
      }, idleMs ?? 1000);
    }
  }

  /** IdleHold before restart number `n` (1-based): base doubling up to max, with 75-100 % jitter. */
  private backoffMs(n: number): number {
    const base = this.fsmConfig.idleHoldBaseMs ?? LAB_DEFAULTS.idleHoldBaseMs;
    const max = this.fsmConfig.idleHoldMaxMs ?? LAB_DEFAULTS.idleHoldMaxMs;
    return Math.round(Math.min(max, base * 2 ** Math.min(n - 1, 16)) * (0.75 + 0.25 * Math.random()));
  }

  private refreshState(reason?: string): void {
    // Passive and waiting for the peer: Active (§8.2.2).
    let best: BgpStateName = this.enabled && this.fsmConfig.passive === true && this.restartTimer === undefined ? 'Active' : 'Idle';
    for (const c of this.conns) if (STATE_RANK[c.fsm.name] > STATE_RANK[best]) best = c.fsm.name;
    if (best === this.shownState) return;
    const from = this.shownState;
    this.shownState = best;
    this.stateSinceMs = Date.now();
    const why = reason ?? (STATE_RANK[best] < STATE_RANK[from] ? this.recentReason : undefined);
    this.handlers.stateChange(from, best, why);
  }

  private waitClosed(): Promise<void> {
    const socks = [...this.closing];
    if (socks.length === 0) return Promise.resolve();
    return Promise.all(socks.map((s) => new Promise<void>((res) => {
      if (s.destroyed && s.closed) { res(); return; }
      s.once('close', () => res());
      setTimeout(res, CLOSE_GRACE_MS + 100);
    }))).then(() => undefined);
  }

  /** Stop every timer and socket at once (process exit, tests). */
  destroy(): void {
    this.enabled = false;
    this.autoRestart = false;
    this.clearRestart();
    for (const c of [...this.conns]) {
      c.gone = true;
      for (const t of ALL_TIMERS) this.stopTimer(c, t);
      c.socket?.destroy();
      c.socket = undefined;
    }
    this.conns = [];
    for (const s of this.closing) s.destroy();
    this.closing.clear();
  }
}
