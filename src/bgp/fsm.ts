/**
 * The BGP-4 finite state machine (RFC 4271 §8) as a pure, exhaustive
 * transition function: `step(state, event, env)` returns the next state and
 * a list of actions as data (send a message, start/stop a timer, connect,
 * close, deliver an UPDATE, report the session up or down). Time and the
 * jitter source come in through `env`; nothing here touches a socket or a clock.
 *
 * One FSM per TCP connection; collisions between two connections to the same
 * peer are decided by fsm-collision.ts and reported back as OpenCollisionDump.
 *
 * RFC 4271 §8.2.2 (per-state handling, simplified as listed below), §10
 * (timers, jitter), §6.8 (collision), RFC 6608 (FSM error subcodes: UPDATE or
 * KEEPALIVE where they do not belong), RFC 9687 (send hold timer), RFC 8203
 * (shutdown text on ManualStop), RFC 4486 (Cease subcodes).
 *
 * Lab choices: ConnectRetry 1-2 s jittered (not 120 s); hold 0 or >= 3 s
 * (default 9, keepalive a third); after an error the FSM waits in Idle for
 * the IdleHold timer, doubling per consecutive failure (damping), then
 * restarts by itself; ManualStop disables that.
 * Not supported: DelayOpen, passive TCP establishment flags beyond `passive`,
 * graceful restart, BFD, the optional "CollisionDetectEstablishedState".
 */
import type { BgpError, BgpMessage, NotificationMessage, OpenMessage, RouteRefreshMessage } from './wire/types.js';
import { CeaseSubcode, ErrorCode, FsmSubcode, MessageType } from './wire/types.js';
import type { UpdateDecodeResult } from './wire/update.js';
import type { DecodedMessage } from './wire/message.js';
import { buildOpen, checkOpen, type LocalSessionConfig, type Negotiated } from './wire/open-checks.js';
import { ceaseNotification, shutdownCommunication } from './wire/notification.js';
import { KEEPALIVE } from './wire/route-refresh.js';

export type BgpStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export type TimerName = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'SendHold' | 'IdleHold';

export type FsmEvent =
  | { readonly type: 'ManualStart'; readonly passive?: boolean }
  | { readonly type: 'ManualStop'; /** RFC 8203 shutdown communication */ readonly text?: string }
  | { readonly type: 'AutomaticStart' }
  /** Stop by the speaker itself, e.g. max-prefix (Cease 6/1) or deconfiguration. */
  | { readonly type: 'AutomaticStop'; readonly subcode: number; readonly text?: string }
  | { readonly type: 'ConnectRetryTimerExpires' }
  | { readonly type: 'HoldTimerExpires' }
  | { readonly type: 'KeepaliveTimerExpires' }
  | { readonly type: 'SendHoldTimerExpires' }
  | { readonly type: 'IdleHoldTimerExpires' }
  /** TCP is up (Tcp_CR_Acked or TcpConnectionConfirmed, §8.1.3). */
  | { readonly type: 'TcpConnectionConfirmed' }
  | { readonly type: 'TcpConnectionFails' }
  | { readonly type: 'BGPOpen'; readonly open: OpenMessage }
  /** A message that could not be decoded (BGPHeaderErr, BGPOpenMsgErr, ROUTE-REFRESH errors). */
  | { readonly type: 'MessageError'; readonly error: BgpError; readonly messageType?: number }
  | { readonly type: 'OpenCollisionDump' }
  | { readonly type: 'NotifMsg'; readonly notification: NotificationMessage }
  | { readonly type: 'KeepAliveMsg' }
  /** UpdateMsg or UpdateMsgErr: the decode result decides. */
  | { readonly type: 'UpdateMsg'; readonly result: UpdateDecodeResult }
  | { readonly type: 'RouteRefreshMsg'; readonly message: RouteRefreshMessage }
  /** The socket accepted queued bytes (RFC 9687: restarts the send hold timer). */
  | { readonly type: 'SendProgress' };

export type DropReason =
  | 'manual-stop' | 'automatic-stop' | 'hold-timer-expired' | 'send-hold-timer-expired' | 'notification-received'
  | 'tcp-connection-failed' | 'message-error' | 'update-error' | 'open-rejected' | 'fsm-error' | 'collision';

/** Why a session (or an attempt) ended. */
export interface DropRecord {
  readonly at: number;
  readonly from: BgpStateName;
  readonly reason: DropReason;
  readonly detail: string;
  readonly sent?: { readonly code: number; readonly subcode: number };
  readonly received?: { readonly code: number; readonly subcode: number; readonly text?: string };
}

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'close-connection' }
  | { readonly type: 'send'; readonly message: BgpMessage }
  | { readonly type: 'start-timer'; readonly timer: TimerName; readonly ms: number }
  | { readonly type: 'stop-timer'; readonly timer: TimerName }
  | { readonly type: 'session-up'; readonly negotiated: Negotiated }
  /** Left Established: the RIB drops this peer's routes. */
  | { readonly type: 'session-down'; readonly drop: DropRecord }
  | { readonly type: 'deliver-update'; readonly result: UpdateDecodeResult }
  | { readonly type: 'route-refresh-requested'; readonly message: RouteRefreshMessage }
  /** Errors to log with the peer (UPDATE errors that did not reset the session, stale events). */
  | { readonly type: 'log'; readonly text: string; readonly errors?: readonly BgpError[] };

export interface FsmConfig {
  readonly local: LocalSessionConfig;
  readonly passive?: boolean;
  readonly connectRetryMinMs?: number;
  readonly connectRetryMaxMs?: number;
  /** Hold timer while waiting for the peer's OPEN (§8: "a large value", 4 minutes). */
  readonly openHoldTimeMs?: number;
  /** RFC 9687 send hold time; 0 disables. Default max(8 min, 2 x hold). */
  readonly sendHoldTimeMs?: number;
  /** IdleHold backoff after errors: base doubles per consecutive failure up to max. */
  readonly idleHoldBaseMs?: number;
  readonly idleHoldMaxMs?: number;
}

export interface FsmState {
  readonly name: BgpStateName;
  readonly connectRetryCounter: number;
  readonly passive: boolean;
  /** False after ManualStop: no automatic restart from Idle. */
  readonly autoRestart: boolean;
  readonly negotiated?: Negotiated;
  readonly establishedAt?: number;
  readonly lastDrop?: DropRecord;
}

/** Inputs from outside: the time (ms, any epoch) and a random source in [0, 1). */
export interface FsmEnv {
  readonly now: number;
  readonly random: () => number;
  readonly config: FsmConfig;
}

export interface FsmStep {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

export const LAB_DEFAULTS = {
  connectRetryMinMs: 1000, connectRetryMaxMs: 2000, openHoldTimeMs: 240_000, idleHoldBaseMs: 1000, idleHoldMaxMs: 60_000,
} as const;

export const ALL_TIMERS: readonly TimerName[] = ['ConnectRetry', 'Hold', 'Keepalive', 'SendHold', 'IdleHold'];

export function initialState(config: FsmConfig): FsmState {
  return { name: 'Idle', connectRetryCounter: 0, passive: config.passive ?? false, autoRestart: true };
}

export function assertNever(x: never): never {
  throw new Error(`unhandled FSM case: ${JSON.stringify(x)}`);
}

// ---- timer durations -------------------------------------------------------

function connectRetryMs(env: FsmEnv): number {
  const min = env.config.connectRetryMinMs ?? LAB_DEFAULTS.connectRetryMinMs;
  const max = env.config.connectRetryMaxMs ?? LAB_DEFAULTS.connectRetryMaxMs;
  return Math.round(min + env.random() * (max - min));
}

/** Keepalive interval with the §10 jitter (75-100 %). */
function keepaliveMs(n: Negotiated, env: FsmEnv): number {
  return Math.round(n.keepaliveTime * 1000 * (0.75 + 0.25 * env.random()));
}

function sendHoldMs(n: Negotiated | undefined, env: FsmEnv): number {
  if (env.config.sendHoldTimeMs !== undefined) return env.config.sendHoldTimeMs;
  return Math.max(480_000, 2 * (n?.holdTime ?? 0) * 1000);
}

function idleHoldMs(counter: number, env: FsmEnv): number {
  const base = env.config.idleHoldBaseMs ?? LAB_DEFAULTS.idleHoldBaseMs;
  const max = env.config.idleHoldMaxMs ?? LAB_DEFAULTS.idleHoldMaxMs;
  const raw = Math.min(max, base * 2 ** Math.min(Math.max(counter - 1, 0), 16));
  return Math.round(raw * (0.75 + 0.25 * env.random()));
}

// ---- building blocks -------------------------------------------------------

function notification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}

function fsmErrorSubcode(state: BgpStateName): number {
  if (state === 'OpenSent') return FsmSubcode.OPEN_SENT;
  if (state === 'OpenConfirm') return FsmSubcode.OPEN_CONFIRM;
  if (state === 'Established') return FsmSubcode.ESTABLISHED;
  return FsmSubcode.UNSPECIFIED;
}

interface DropSpec {
  readonly reason: DropReason;
  readonly detail: string;
  /** NOTIFICATION to send before closing (never in answer to a NOTIFICATION). */
  readonly send?: NotificationMessage;
  readonly received?: DropRecord['received'];
  /** ManualStop: reset the counter and stay in Idle. */
  readonly manual?: boolean;
}

/** Leave for Idle: optional NOTIFICATION, close, stop timers, record the drop, maybe schedule a restart. */
function toIdle(s: FsmState, env: FsmEnv, d: DropSpec): FsmStep {
  const actions: FsmAction[] = [];
  if (d.send) actions.push({ type: 'send', message: d.send });
  actions.push({ type: 'close-connection' });
  for (const t of ALL_TIMERS) actions.push({ type: 'stop-timer', timer: t });
  const drop: DropRecord = {
    at: env.now, from: s.name, reason: d.reason, detail: d.detail,
    ...(d.send ? { sent: { code: d.send.code, subcode: d.send.subcode } } : {}),
    ...(d.received ? { received: d.received } : {}),
  };
  if (s.name === 'Established') actions.push({ type: 'session-down', drop });
  const counter = d.manual ? 0 : s.connectRetryCounter + 1;
  const autoRestart = d.manual ? false : s.autoRestart;
  if (autoRestart) actions.push({ type: 'start-timer', timer: 'IdleHold', ms: idleHoldMs(counter, env) });
  return {
    state: { name: 'Idle', connectRetryCounter: counter, passive: s.passive, autoRestart, lastDrop: drop },
    actions,
  };
}

function stay(s: FsmState, actions: FsmAction[] = []): FsmStep {
  return { state: s, actions };
}

function notificationReceived(s: FsmState, env: FsmEnv, n: NotificationMessage): FsmStep {
  const text = shutdownCommunication(n);
  return toIdle(s, env, {
    reason: 'notification-received', detail: `peer sent NOTIFICATION ${n.code}/${n.subcode}${text ? `: ${text}` : ''}`,
    received: { code: n.code, subcode: n.subcode, ...(text !== undefined ? { text } : {}) },
  });
}

function messageError(s: FsmState, env: FsmEnv, e: BgpError, messageType: number | undefined): FsmStep {
  // RFC 4271 §6.4: an error in a NOTIFICATION is never answered with a NOTIFICATION.
  const answer = messageType !== MessageType.NOTIFICATION;
  return toIdle(s, env, {
    reason: 'message-error', detail: `${e.code}/${e.subcode} ${e.reason}`,
    ...(answer ? { send: notification(e.code, e.subcode, e.data) } : {}),
  });
}

function fsmError(s: FsmState, env: FsmEnv, what: string): FsmStep {
  return toIdle(s, env, { reason: 'fsm-error', detail: `${what} in ${s.name}`, send: notification(ErrorCode.FSM, fsmErrorSubcode(s.name)) });
}

function manualStop(s: FsmState, env: FsmEnv, text: string | undefined, sendCease: boolean): FsmStep {
  return toIdle(s, env, {
    reason: 'manual-stop', detail: text ? `manual stop: ${text}` : 'manual stop', manual: true,
    ...(sendCease ? { send: ceaseNotification(CeaseSubcode.ADMIN_SHUTDOWN, text) } : {}),
  });
}

function start(s: FsmState, env: FsmEnv, passive: boolean): FsmStep {
  const actions: FsmAction[] = [{ type: 'stop-timer', timer: 'IdleHold' }];
  // Passive: only listen (no ConnectRetry, never initiate); the session edge hands over an accepted connection.
  if (passive) return { state: { ...s, name: 'Active', passive, autoRestart: true }, actions };
  actions.push({ type: 'start-timer', timer: 'ConnectRetry', ms: connectRetryMs(env) }, { type: 'connect' });
  return { state: { ...s, name: 'Connect', passive, autoRestart: true }, actions };
}

/** TCP is up: send OPEN, wait for the peer's with the large hold timer (§8.2.2 Connect, event 16/17). */
function tcpUp(s: FsmState, env: FsmEnv): FsmStep {
  return {
    state: { ...s, name: 'OpenSent' },
    actions: [
      { type: 'stop-timer', timer: 'ConnectRetry' },
      { type: 'send', message: buildOpen(env.config.local) },
      { type: 'start-timer', timer: 'Hold', ms: env.config.openHoldTimeMs ?? LAB_DEFAULTS.openHoldTimeMs },
    ],
  };
}

function restartHold(s: FsmState): FsmAction[] {
  const hold = s.negotiated?.holdTime ?? 0;
  return hold > 0 ? [{ type: 'start-timer', timer: 'Hold', ms: hold * 1000 }] : [];
}

// ---- per-state handlers ----------------------------------------------------

function idle(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (e.type) {
    case 'ManualStart': return start({ ...s, connectRetryCounter: 0 }, env, e.passive ?? s.passive);
    case 'AutomaticStart': return start(s, env, s.passive);
    case 'IdleHoldTimerExpires': return s.autoRestart ? start(s, env, s.passive) : stay(s);
    case 'TcpConnectionConfirmed': return stay(s, [{ type: 'close-connection' }]);
    case 'ManualStop': return stay({ ...s, autoRestart: false }, [{ type: 'stop-timer', timer: 'IdleHold' }]);
    case 'AutomaticStop':
    case 'ConnectRetryTimerExpires':
    case 'HoldTimerExpires':
    case 'KeepaliveTimerExpires':
    case 'SendHoldTimerExpires':
    case 'TcpConnectionFails':
    case 'BGPOpen':
    case 'MessageError':
    case 'OpenCollisionDump':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'RouteRefreshMsg':
    case 'SendProgress':
      return stay(s); // §8.2.2 Idle: other events are ignored.
    default: return assertNever(e);
  }
}

/** Connect and Active differ only in what a retry or a failed TCP attempt does. */
function connecting(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimerExpires':
    case 'SendProgress':
      return stay(s);
    case 'ManualStop': return manualStop(s, env, e.text, false);
    case 'AutomaticStop': return toIdle(s, env, { reason: 'automatic-stop', detail: `automatic stop (Cease ${e.subcode})` });
    case 'ConnectRetryTimerExpires':
      if (s.passive) return stay(s);
      return {
        state: { ...s, name: 'Connect' },
        actions: [
          ...(s.name === 'Connect' ? [{ type: 'close-connection' } as const] : []),
          { type: 'start-timer', timer: 'ConnectRetry', ms: connectRetryMs(env) },
          { type: 'connect' },
        ],
      };
    case 'TcpConnectionConfirmed': return tcpUp(s, env);
    case 'TcpConnectionFails':
      if (s.name === 'Connect') {
        // §8.2.2 Connect, event 18: restart ConnectRetry, listen (Active).
        return { state: { ...s, name: 'Active' }, actions: [{ type: 'start-timer', timer: 'ConnectRetry', ms: connectRetryMs(env) }] };
      }
      return toIdle(s, env, { reason: 'tcp-connection-failed', detail: 'TCP connection failed' });
    case 'NotifMsg': return notificationReceived(s, env, e.notification);
    case 'MessageError': return messageError(s, env, e.error, e.messageType);
    case 'HoldTimerExpires':
    case 'KeepaliveTimerExpires':
    case 'SendHoldTimerExpires':
    case 'BGPOpen':
    case 'OpenCollisionDump':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'RouteRefreshMsg':
      return toIdle(s, env, { reason: 'fsm-error', detail: `${e.type} in ${s.name}` });
    default: return assertNever(e);
  }
}

function openSent(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimerExpires':
    case 'SendProgress':
      return stay(s);
    case 'ManualStop': return manualStop(s, env, e.text, true);
    case 'AutomaticStop': return toIdle(s, env, { reason: 'automatic-stop', detail: `automatic stop (Cease ${e.subcode})`, send: ceaseNotification(e.subcode, e.text) });
    case 'HoldTimerExpires': return toIdle(s, env, { reason: 'hold-timer-expired', detail: 'no OPEN from the peer', send: notification(ErrorCode.HOLD_TIMER_EXPIRED, 0) });
    case 'TcpConnectionFails':
      return { state: { ...s, name: 'Active' }, actions: [{ type: 'close-connection' }, { type: 'stop-timer', timer: 'Hold' }, { type: 'start-timer', timer: 'ConnectRetry', ms: connectRetryMs(env) }] };
    case 'BGPOpen': {
      const r = checkOpen(e.open, env.config.local);
      if (!r.ok) {
        return toIdle(s, env, { reason: 'open-rejected', detail: `${r.error.code}/${r.error.subcode} ${r.error.reason}`, send: notification(r.error.code, r.error.subcode, r.error.data) });
      }
      const n = r.negotiated;
      const actions: FsmAction[] = [
        { type: 'stop-timer', timer: 'ConnectRetry' },
        { type: 'send', message: KEEPALIVE },
      ];
      if (n.holdTime > 0) {
        actions.push({ type: 'start-timer', timer: 'Keepalive', ms: keepaliveMs(n, env) });
        actions.push({ type: 'start-timer', timer: 'Hold', ms: n.holdTime * 1000 });
      } else {
        actions.push({ type: 'stop-timer', timer: 'Hold' });
      }
      return { state: { ...s, name: 'OpenConfirm', negotiated: n }, actions };
    }
    case 'MessageError': return messageError(s, env, e.error, e.messageType);
    case 'OpenCollisionDump':
      return toIdle(s, env, { reason: 'collision', detail: 'connection collision (§6.8)', send: ceaseNotification(CeaseSubcode.COLLISION_RESOLUTION) });
    case 'NotifMsg': return notificationReceived(s, env, e.notification);
    case 'KeepAliveMsg': return fsmError(s, env, 'KEEPALIVE');
    case 'UpdateMsg': return fsmError(s, env, 'UPDATE');
    case 'RouteRefreshMsg': return fsmError(s, env, 'ROUTE-REFRESH');
    case 'TcpConnectionConfirmed': return stay(s, [{ type: 'log', text: 'second TCP connection: tracked by the session edge (§6.8)' }]);
    case 'ConnectRetryTimerExpires':
    case 'KeepaliveTimerExpires':
    case 'SendHoldTimerExpires':
      return fsmError(s, env, e.type);
    default: return assertNever(e);
  }
}

function openConfirm(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimerExpires':
    case 'SendProgress':
      return stay(s);
    case 'ManualStop': return manualStop(s, env, e.text, true);
    case 'AutomaticStop': return toIdle(s, env, { reason: 'automatic-stop', detail: `automatic stop (Cease ${e.subcode})`, send: ceaseNotification(e.subcode, e.text) });
    case 'HoldTimerExpires': return toIdle(s, env, { reason: 'hold-timer-expired', detail: 'no KEEPALIVE after OPEN', send: notification(ErrorCode.HOLD_TIMER_EXPIRED, 0) });
    case 'KeepaliveTimerExpires':
      return stay(s, [{ type: 'send', message: KEEPALIVE }, { type: 'start-timer', timer: 'Keepalive', ms: keepaliveMs(s.negotiated!, env) }]);
    case 'TcpConnectionFails': return toIdle(s, env, { reason: 'tcp-connection-failed', detail: 'TCP connection failed' });
    case 'NotifMsg': return notificationReceived(s, env, e.notification);
    case 'MessageError': return messageError(s, env, e.error, e.messageType);
    case 'OpenCollisionDump':
      return toIdle(s, env, { reason: 'collision', detail: 'connection collision (§6.8)', send: ceaseNotification(CeaseSubcode.COLLISION_RESOLUTION) });
    case 'KeepAliveMsg': {
      const n = s.negotiated!;
      const actions: FsmAction[] = [...restartHold(s)];
      const sendHold = sendHoldMs(n, env);
      if (sendHold > 0) actions.push({ type: 'start-timer', timer: 'SendHold', ms: sendHold });
      actions.push({ type: 'session-up', negotiated: n });
      return { state: { ...s, name: 'Established', establishedAt: env.now, connectRetryCounter: 0 }, actions };
    }
    case 'BGPOpen': return fsmError(s, env, 'second OPEN');
    case 'UpdateMsg': return fsmError(s, env, 'UPDATE');
    case 'RouteRefreshMsg': return fsmError(s, env, 'ROUTE-REFRESH');
    case 'TcpConnectionConfirmed': return stay(s, [{ type: 'log', text: 'second TCP connection: tracked by the session edge (§6.8)' }]);
    case 'ConnectRetryTimerExpires':
    case 'SendHoldTimerExpires':
      return fsmError(s, env, e.type);
    default: return assertNever(e);
  }
}

function established(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimerExpires':
      return stay(s);
    case 'SendProgress': {
      const ms = sendHoldMs(s.negotiated, env);
      return stay(s, ms > 0 ? [{ type: 'start-timer', timer: 'SendHold', ms }] : []);
    }
    case 'ManualStop': return manualStop(s, env, e.text, true);
    case 'AutomaticStop': return toIdle(s, env, { reason: 'automatic-stop', detail: `automatic stop (Cease ${e.subcode})`, send: ceaseNotification(e.subcode, e.text) });
    case 'HoldTimerExpires':
      return toIdle(s, env, { reason: 'hold-timer-expired', detail: `nothing from the peer for ${s.negotiated?.holdTime ?? 0} s`, send: notification(ErrorCode.HOLD_TIMER_EXPIRED, 0) });
    case 'SendHoldTimerExpires':
      return toIdle(s, env, { reason: 'send-hold-timer-expired', detail: 'the peer stopped reading (RFC 9687)', send: notification(ErrorCode.SEND_HOLD_TIMER_EXPIRED, 0) });
    case 'KeepaliveTimerExpires':
      return stay(s, [{ type: 'send', message: KEEPALIVE }, { type: 'start-timer', timer: 'Keepalive', ms: keepaliveMs(s.negotiated!, env) }]);
    case 'TcpConnectionConfirmed': return stay(s, [{ type: 'log', text: 'second TCP connection while Established' }]);
    case 'TcpConnectionFails': return toIdle(s, env, { reason: 'tcp-connection-failed', detail: 'TCP connection closed or failed' });
    case 'NotifMsg': return notificationReceived(s, env, e.notification);
    case 'MessageError': return messageError(s, env, e.error, e.messageType);
    case 'OpenCollisionDump':
      return toIdle(s, env, { reason: 'collision', detail: 'connection collision (§6.8)', send: ceaseNotification(CeaseSubcode.COLLISION_RESOLUTION) });
    case 'KeepAliveMsg': return stay(s, restartHold(s));
    case 'UpdateMsg': {
      const r = e.result;
      if (r.action === 'session-reset') {
        const n = r.notification!;
        return toIdle(s, env, { reason: 'update-error', detail: `${n.code}/${n.subcode} ${n.reason}`, send: notification(n.code, n.subcode, n.data) });
      }
      const actions: FsmAction[] = [...restartHold(s), { type: 'deliver-update', result: r }];
      if (r.errors.length > 0) actions.push({ type: 'log', text: `UPDATE errors, action ${r.action}`, errors: r.errors });
      return stay(s, actions);
    }
    case 'RouteRefreshMsg': return stay(s, [...restartHold(s), { type: 'route-refresh-requested', message: e.message }]);
    case 'BGPOpen': return fsmError(s, env, 'OPEN');
    case 'ConnectRetryTimerExpires': return fsmError(s, env, e.type);
    default: return assertNever(e);
  }
}

/** The transition function. Pure: same inputs (including env.random's values), same output. */
export function step(s: FsmState, e: FsmEvent, env: FsmEnv): FsmStep {
  switch (s.name) {
    case 'Idle': return idle(s, e, env);
    case 'Connect':
    case 'Active': return connecting(s, e, env);
    case 'OpenSent': return openSent(s, e, env);
    case 'OpenConfirm': return openConfirm(s, e, env);
    case 'Established': return established(s, e, env);
    default: return assertNever(s.name);
  }
}

/** The FSM event for a decoded message (the session edge calls this per frame). */
export function eventForMessage(d: DecodedMessage): FsmEvent {
  switch (d.kind) {
    case 'open': return { type: 'BGPOpen', open: d.message };
    case 'update': return { type: 'UpdateMsg', result: d.result };
    case 'notification': return { type: 'NotifMsg', notification: d.message };
    case 'keepalive': return { type: 'KeepAliveMsg' };
    case 'route-refresh': return { type: 'RouteRefreshMsg', message: d.message };
    case 'error': return d.type === undefined ? { type: 'MessageError', error: d.error } : { type: 'MessageError', error: d.error, messageType: d.type };
    default: return assertNever(d);
  }
}
