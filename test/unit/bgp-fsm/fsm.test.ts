/**
 * The RFC 4271 §8 FSM: the path to Established, timers and their jitter,
 * hold and send-hold expiry, RFC 6608 FSM errors, ManualStop with a shutdown
 * communication, "never answer a NOTIFICATION", a drop reason for every way
 * out of Established, and collision resolution between two speakers that
 * connect to each other at the same instant (through the real codec).
 */
import { describe, expect, it } from 'vitest';
import { ALL_TIMERS, initialState, step, eventForMessage, type FsmAction, type FsmConfig, type FsmEnv, type FsmEvent, type FsmState, type BgpStateName } from '../../../src/bgp/fsm.js';
import { collisionWinner, detectCollision } from '../../../src/bgp/fsm-collision.js';
import { buildOpen, type LocalSessionConfig } from '../../../src/bgp/wire/open-checks.js';
import { decodeMessage, encodeMessage } from '../../../src/bgp/wire/message.js';
import { decodeUpdate } from '../../../src/bgp/wire/update.js';
import { shutdownCommunication } from '../../../src/bgp/wire/notification.js';
import type { BgpMessage, NotificationMessage } from '../../../src/bgp/wire/types.js';
import { attr, update, MANDATORY, NLRI_TWO } from '../bgp-wire/build.js';

const localA: LocalSessionConfig = { localAsn: 65001, bgpId: 0x0a000001, holdTime: 9, peerAsn: 65002, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };
const localB: LocalSessionConfig = { localAsn: 65002, bgpId: 0x0a000002, holdTime: 9, peerAsn: 65001, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };
const configA: FsmConfig = { local: localA };
const env = (now = 0, r = 0.5, config: FsmConfig = configA): FsmEnv => ({ now, random: () => r, config });

function run(s: FsmState, events: FsmEvent[], e: FsmEnv = env()): { state: FsmState; actions: FsmAction[] } {
  let state = s;
  const actions: FsmAction[] = [];
  for (const ev of events) {
    const r = step(state, ev, e);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

const peerOpen = buildOpen(localB);
const toEstablished: FsmEvent[] = [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed' }, { type: 'BGPOpen', open: peerOpen }, { type: 'KeepAliveMsg' }];

function established(): FsmState {
  const s = run(initialState(configA), toEstablished).state;
  expect(s.name).toBe('Established');
  return s;
}

function sent(actions: readonly FsmAction[]): BgpMessage[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.message] : []));
}
function notifications(actions: readonly FsmAction[]): [number, number][] {
  return sent(actions).filter((m): m is NotificationMessage => m.type === 'notification').map((m) => [m.code, m.subcode]);
}
function timers(actions: readonly FsmAction[]): [string, number][] {
  return actions.flatMap((a) => (a.type === 'start-timer' ? [[a.timer, a.ms] as [string, number]] : []));
}

describe('happy path', () => {
  it('Idle -> Connect -> OpenSent -> OpenConfirm -> Established with the right actions', () => {
    let s = initialState(configA);
    let r = step(s, { type: 'ManualStart' }, env());
    expect(r.state.name).toBe('Connect');
    expect(r.actions).toContainEqual({ type: 'connect' });
    expect(timers(r.actions)).toEqual([['ConnectRetry', 1500]]);
    s = r.state;
    r = step(s, { type: 'TcpConnectionConfirmed' }, env());
    expect(r.state.name).toBe('OpenSent');
    expect(sent(r.actions)).toEqual([buildOpen(localA)]);
    expect(r.actions).toContainEqual({ type: 'stop-timer', timer: 'ConnectRetry' });
    expect(timers(r.actions)).toEqual([['Hold', 240_000]]);
    s = r.state;
    r = step(s, { type: 'BGPOpen', open: peerOpen }, env());
    expect(r.state.name).toBe('OpenConfirm');
    expect(sent(r.actions)).toEqual([{ type: 'keepalive' }]);
    // Keepalive 3 s with 75-100 % jitter (random 0.5 -> 87.5 %), hold 9 s.
    expect(timers(r.actions)).toEqual([['Keepalive', 2625], ['Hold', 9000]]);
    s = r.state;
    r = step(s, { type: 'KeepAliveMsg' }, env(1234));
    expect(r.state.name).toBe('Established');
    expect(r.state.establishedAt).toBe(1234);
    expect(r.actions.find((a) => a.type === 'session-up')).toMatchObject({ negotiated: { peerAsn: 65002, holdTime: 9, keepaliveTime: 3, fourOctetAs: true } });
    expect(timers(r.actions)).toEqual([['Hold', 9000], ['SendHold', 480_000]]);
  });

  it('passive start waits in Active and goes to OpenSent when the peer connects', () => {
    const r = run(initialState(configA), [{ type: 'ManualStart', passive: true }]);
    expect(r.state.name).toBe('Active');
    expect(r.actions).not.toContainEqual({ type: 'connect' });
    expect(timers(r.actions)).toEqual([]);
    expect(step(r.state, { type: 'ConnectRetryTimerExpires' }, env()).state.name).toBe('Active');
    expect(step(r.state, { type: 'TcpConnectionConfirmed' }, env()).state.name).toBe('OpenSent');
  });

  it('ConnectRetry is 1-2 s, jittered by the random source passed in', () => {
    const lo = step(initialState(configA), { type: 'ManualStart' }, env(0, 0));
    const hi = step(initialState(configA), { type: 'ManualStart' }, env(0, 0.999));
    expect(timers(lo.actions)).toEqual([['ConnectRetry', 1000]]);
    expect(timers(hi.actions)).toEqual([['ConnectRetry', 1999]]);
    const retry = step(lo.state, { type: 'ConnectRetryTimerExpires' }, env(0, 0.25));
    expect(retry.state.name).toBe('Connect');
    expect(retry.actions).toEqual([{ type: 'close-connection' }, { type: 'start-timer', timer: 'ConnectRetry', ms: 1250 }, { type: 'connect' }]);
  });

  it('hold time is the smaller proposal; 0 on either side means no hold and no keepalive timer', () => {
    const r = run(initialState(configA), [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed' }, { type: 'BGPOpen', open: { ...peerOpen, holdTime: 30 } }]);
    expect(r.state.negotiated?.holdTime).toBe(9);
    const z = run(initialState(configA), [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed' }, { type: 'BGPOpen', open: { ...peerOpen, holdTime: 0 } }, { type: 'KeepAliveMsg' }]);
    expect(z.state.name).toBe('Established');
    expect(z.state.negotiated?.holdTime).toBe(0);
    expect(timers(z.actions).filter(([t]) => t === 'Hold' || t === 'Keepalive')).toEqual([['Hold', 240_000]]);
  });

  it('keepalive timer in Established sends a KEEPALIVE and restarts', () => {
    const r = step(established(), { type: 'KeepaliveTimerExpires' }, env(0, 1));
    expect(r.state.name).toBe('Established');
    expect(r.actions).toEqual([{ type: 'send', message: { type: 'keepalive' } }, { type: 'start-timer', timer: 'Keepalive', ms: 3000 }]);
  });

  it('UPDATEs are delivered and restart the hold timer; TaW results go through with their errors logged', () => {
    const ok = decodeUpdate(update(MANDATORY, NLRI_TWO), { fourOctetAs: true });
    const r = step(established(), { type: 'UpdateMsg', result: ok }, env());
    expect(r.actions).toEqual([{ type: 'start-timer', timer: 'Hold', ms: 9000 }, { type: 'deliver-update', result: ok }]);
    const taw = decodeUpdate(update(attr(0x40, 1, '09') + MANDATORY.slice(8), NLRI_TWO), { fourOctetAs: true });
    expect(taw.action).toBe('treat-as-withdraw');
    const r2 = step(established(), { type: 'UpdateMsg', result: taw }, env());
    expect(r2.state.name).toBe('Established');
    expect(r2.actions.map((a) => a.type)).toEqual(['start-timer', 'deliver-update', 'log']);
  });
});

describe('robustness row 25 and session drops', () => {
  it('UPDATE in OpenSent -> 5/1, in OpenConfirm -> 5/2 (RFC 6608); KEEPALIVE in OpenSent -> 5/1', () => {
    const upd: FsmEvent = { type: 'UpdateMsg', result: decodeUpdate(update(MANDATORY, NLRI_TWO), { fourOctetAs: true }) };
    const openSent = run(initialState(configA), toEstablished.slice(0, 2)).state;
    const openConfirm = run(initialState(configA), toEstablished.slice(0, 3)).state;
    expect(openSent.name).toBe('OpenSent');
    expect(openConfirm.name).toBe('OpenConfirm');
    const a = step(openSent, upd, env());
    expect([a.state.name, notifications(a.actions)]).toEqual(['Idle', [[5, 1]]]);
    const b = step(openConfirm, upd, env());
    expect([b.state.name, notifications(b.actions)]).toEqual(['Idle', [[5, 2]]]);
    const c = step(openSent, { type: 'KeepAliveMsg' }, env());
    expect(notifications(c.actions)).toEqual([[5, 1]]);
    expect(c.actions).toContainEqual({ type: 'close-connection' });
  });

  it('silent peer: hold timer expiry sends 4/0 and records the drop', () => {
    const r = step(established(), { type: 'HoldTimerExpires' }, env(5000));
    expect(r.state.name).toBe('Idle');
    expect(notifications(r.actions)).toEqual([[4, 0]]);
    expect(r.state.lastDrop).toMatchObject({ at: 5000, from: 'Established', reason: 'hold-timer-expired', sent: { code: 4, subcode: 0 } });
    expect(r.actions.find((a) => a.type === 'session-down')).toMatchObject({ drop: { reason: 'hold-timer-expired' } });
    // No OPEN from the peer: the large OpenSent hold timer ends in 4/0 too.
    const o = step(run(initialState(configA), toEstablished.slice(0, 2)).state, { type: 'HoldTimerExpires' }, env());
    expect(notifications(o.actions)).toEqual([[4, 0]]);
  });

  it('peer not reading: send hold timer expiry sends 8/0 (RFC 9687)', () => {
    const r = step(established(), { type: 'SendHoldTimerExpires' }, env());
    expect(notifications(r.actions)).toEqual([[8, 0]]);
    expect(r.state.lastDrop?.reason).toBe('send-hold-timer-expired');
    expect(step(established(), { type: 'SendProgress' }, env()).actions).toEqual([{ type: 'start-timer', timer: 'SendHold', ms: 480_000 }]);
  });

  it('ManualStop sends Cease 6/2 with the shutdown text and disables automatic restart', () => {
    const r = step(established(), { type: 'ManualStop', text: 'maintenance until 14:00' }, env());
    const n = sent(r.actions)[0] as NotificationMessage;
    expect([n.code, n.subcode, shutdownCommunication(n)]).toEqual([6, 2, 'maintenance until 14:00']);
    expect(r.state).toMatchObject({ name: 'Idle', autoRestart: false, connectRetryCounter: 0, lastDrop: { reason: 'manual-stop' } });
    expect(timers(r.actions)).toEqual([]);
    expect(step(r.state, { type: 'IdleHoldTimerExpires' }, env()).state.name).toBe('Idle');
  });

  it('a bad OPEN is answered with its OPEN error', () => {
    const r = run(initialState(configA), [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed' }, { type: 'BGPOpen', open: { ...peerOpen, capabilities: [{ kind: 'four-octet-as', asn: 65009 }], myAs: 65009 } }]);
    expect(notifications(r.actions)).toEqual([[2, 2]]);
    expect(r.state.lastDrop?.reason).toBe('open-rejected');
  });

  it('an UPDATE that needs a session reset sends its NOTIFICATION with the data', () => {
    const res = decodeUpdate(update(MANDATORY, '21 0a000000 00'), { fourOctetAs: true });
    const r = step(established(), { type: 'UpdateMsg', result: res }, env());
    expect(notifications(r.actions)).toEqual([[3, 10]]);
    expect(r.state.lastDrop?.reason).toBe('update-error');
  });

  it('never answers a NOTIFICATION with a NOTIFICATION, in any state', () => {
    const states = [run(initialState(configA), toEstablished.slice(0, 1)).state, run(initialState(configA), toEstablished.slice(0, 2)).state,
      run(initialState(configA), toEstablished.slice(0, 3)).state, established()];
    for (const s of states) {
      const r = step(s, { type: 'NotifMsg', notification: { type: 'notification', code: 6, subcode: 4, data: Uint8Array.of(2, 0x6f, 0x6b) } }, env());
      expect(r.state.name).toBe('Idle');
      expect(sent(r.actions)).toEqual([]);
      expect(r.state.lastDrop?.received).toEqual({ code: 6, subcode: 4, text: 'ok' });
      // A NOTIFICATION that fails header checks is not answered either.
      const d = decodeMessage(Uint8Array.from([...new Array(16).fill(0xff), 0, 20, 3, 6]), { fourOctetAs: true });
      const r2 = step(s, eventForMessage(d), env());
      expect(sent(r2.actions)).toEqual([]);
    }
    // Other header errors are answered with their code and data.
    const d = decodeMessage(Uint8Array.from([...new Array(16).fill(0xff), 0, 20, 4, 0]), { fourOctetAs: true });
    const r3 = step(established(), eventForMessage(d), env());
    expect(sent(r3.actions)).toEqual([{ type: 'notification', code: 1, subcode: 2, data: Uint8Array.of(0, 20) }]);
  });

  it('every way out of Established records a reason and reports session-down', () => {
    const all: FsmEvent[] = [
      { type: 'ManualStart' }, { type: 'ManualStop' }, { type: 'AutomaticStart' }, { type: 'AutomaticStop', subcode: 1 },
      { type: 'ConnectRetryTimerExpires' }, { type: 'HoldTimerExpires' }, { type: 'KeepaliveTimerExpires' }, { type: 'SendHoldTimerExpires' },
      { type: 'IdleHoldTimerExpires' }, { type: 'TcpConnectionConfirmed' }, { type: 'TcpConnectionFails' }, { type: 'BGPOpen', open: peerOpen },
      { type: 'MessageError', error: { code: 1, subcode: 1, data: new Uint8Array(0), action: 'session-reset', reason: 'x' } },
      { type: 'OpenCollisionDump' }, { type: 'NotifMsg', notification: { type: 'notification', code: 6, subcode: 3, data: new Uint8Array(0) } },
      { type: 'KeepAliveMsg' }, { type: 'UpdateMsg', result: decodeUpdate(update('', '', '21 00000000 00'), { fourOctetAs: true }) },
      { type: 'RouteRefreshMsg', message: { type: 'route-refresh', afi: 1, safi: 1 } }, { type: 'SendProgress' },
    ];
    let left = 0;
    for (const ev of all) {
      const r = step(established(), ev, env(77));
      if (r.state.name === 'Established') continue;
      left++;
      const down = r.actions.filter((a) => a.type === 'session-down');
      expect(down).toHaveLength(1);
      expect(r.state.lastDrop).toMatchObject({ at: 77, from: 'Established' });
      expect(r.state.lastDrop?.reason.length).toBeGreaterThan(0);
      expect(r.actions).toContainEqual({ type: 'close-connection' });
      for (const t of ALL_TIMERS.filter((x) => x !== 'IdleHold')) expect(r.actions).toContainEqual({ type: 'stop-timer', timer: t });
    }
    expect(left).toBe(11);
  });

  it('max-prefix (AutomaticStop) sends Cease 6/1', () => {
    expect(notifications(step(established(), { type: 'AutomaticStop', subcode: 1 }, env()).actions)).toEqual([[6, 1]]);
  });

  it('reconnects back off: IdleHold doubles per consecutive failure, capped', () => {
    let s = initialState(configA);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      s = run(s, [{ type: i === 0 ? 'ManualStart' : 'IdleHoldTimerExpires' }, { type: 'TcpConnectionConfirmed' }], env(0, 1)).state;
      const r = step(s, { type: 'HoldTimerExpires' }, env(0, 1));
      s = r.state;
      waits.push(timers(r.actions).find(([t]) => t === 'IdleHold')![1]);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    // Reaching Established resets the counter.
    expect(run(s, [{ type: 'IdleHoldTimerExpires' }, ...toEstablished.slice(1)], env(0, 1)).state.connectRetryCounter).toBe(0);
  });

  it('every state handles every event without throwing', () => {
    const states: FsmState[] = [initialState(configA), ...[1, 2, 3, 4].map((n) => run(initialState(configA), toEstablished.slice(0, n)).state),
      run(initialState(configA), [{ type: 'ManualStart', passive: true }]).state];
    expect(states.map((s) => s.name)).toEqual(['Idle', 'Connect', 'OpenSent', 'OpenConfirm', 'Established', 'Active']);
    const events: FsmEvent[] = [{ type: 'ManualStart' }, { type: 'ManualStop' }, { type: 'KeepAliveMsg' }, { type: 'TcpConnectionFails' }, { type: 'HoldTimerExpires' }, { type: 'ConnectRetryTimerExpires' }, { type: 'OpenCollisionDump' }, { type: 'BGPOpen', open: peerOpen }];
    for (const s of states) for (const e of events) expect(() => step(s, e, env())).not.toThrow();
  });
});

describe('collision detection (§6.8)', () => {
  it('keeps the connection initiated by the higher BGP identifier; equal ids: the larger AS (RFC 6286)', () => {
    expect(collisionWinner({ localId: 2, remoteId: 1, localAsn: 1, remoteAsn: 2 })).toBe('locally-initiated');
    expect(collisionWinner({ localId: 1, remoteId: 2, localAsn: 9, remoteAsn: 2 })).toBe('remotely-initiated');
    expect(collisionWinner({ localId: 0xf0000000, remoteId: 0x0a000001, localAsn: 1, remoteAsn: 2 })).toBe('locally-initiated'); // unsigned compare
    expect(collisionWinner({ localId: 5, remoteId: 5, localAsn: 65010, remoteAsn: 65001 })).toBe('locally-initiated');
    expect(collisionWinner({ localId: 5, remoteId: 5, localAsn: 65001, remoteAsn: 65010 })).toBe('remotely-initiated');
  });

  it('an Established connection wins; a connection with no OPEN yet is no collision', () => {
    const ids = { localId: 9, remoteId: 1, localAsn: 1, remoteAsn: 2 };
    expect(detectCollision({ state: 'OpenConfirm', initiatedLocally: true }, { state: 'Established', initiatedLocally: false }, ids)).toEqual({ kind: 'dump', which: 'this' });
    expect(detectCollision({ state: 'OpenConfirm', initiatedLocally: true }, { state: 'Connect', initiatedLocally: false }, ids)).toEqual({ kind: 'none' });
    expect(detectCollision({ state: 'OpenConfirm', initiatedLocally: false }, { state: 'OpenSent', initiatedLocally: true }, ids)).toEqual({ kind: 'dump', which: 'this' });
    expect(detectCollision({ state: 'OpenConfirm', initiatedLocally: true }, { state: 'OpenConfirm', initiatedLocally: false }, ids)).toEqual({ kind: 'dump', which: 'other' });
  });

  it('OpenCollisionDump sends Cease 6/7', () => {
    const s = run(initialState(configA), toEstablished.slice(0, 3)).state;
    const r = step(s, { type: 'OpenCollisionDump' }, env());
    expect([r.state.name, notifications(r.actions), r.state.lastDrop?.reason]).toEqual(['Idle', [[6, 7]], 'collision']);
  });

  it('two speakers started at the same instant end with exactly one session, the one the higher id initiated', () => {
    type Side = 'A' | 'B';
    const cfg: Record<Side, FsmConfig> = { A: { local: localA }, B: { local: localB } };
    // Connection 0 is initiated by A, connection 1 by B. fsm[conn][side].
    const fsm: Record<Side, FsmState>[] = [0, 1].map(() => ({ A: initialState(cfg.A), B: initialState(cfg.B) }));
    const initiator: Side[] = ['A', 'B'];
    const open = [true, true];
    const queue: { conn: number; to: Side; ev: FsmEvent }[] = [];
    const other = (s: Side): Side => (s === 'A' ? 'B' : 'A');
    const ctx = { fourOctetAs: true };

    function apply(conn: number, side: Side, ev: FsmEvent): void {
      const before = fsm[conn][side].name;
      const r = step(fsm[conn][side], ev, { now: 0, random: () => 0.5, config: cfg[side] });
      fsm[conn][side] = r.state;
      for (const a of r.actions) {
        if (a.type === 'send' && open[conn]) {
          // Through the real codec, as on the wire.
          queue.push({ conn, to: other(side), ev: eventForMessage(decodeMessage(encodeMessage(a.message, ctx), ctx)) });
        } else if (a.type === 'close-connection' && open[conn]) {
          open[conn] = false;
          queue.push({ conn, to: other(side), ev: { type: 'TcpConnectionFails' } });
        }
      }
      if (before !== 'OpenConfirm' && r.state.name === 'OpenConfirm') {
        const o = 1 - conn;
        const self = cfg[side].local;
        const peer = cfg[other(side)].local;
        const c = detectCollision(
          { state: 'OpenConfirm', initiatedLocally: initiator[conn] === side },
          { state: fsm[o][side].name, initiatedLocally: initiator[o] === side },
          { localId: self.bgpId, remoteId: peer.bgpId, localAsn: self.localAsn, remoteAsn: peer.localAsn });
        if (c.kind === 'dump') queue.push({ conn: c.which === 'this' ? conn : o, to: side, ev: { type: 'OpenCollisionDump' } });
      }
    }

    // Both start at once: each side's outgoing FSM connects, its incoming one listens.
    apply(0, 'A', { type: 'ManualStart' });
    apply(1, 'B', { type: 'ManualStart' });
    apply(0, 'B', { type: 'ManualStart', passive: true });
    apply(1, 'A', { type: 'ManualStart', passive: true });
    // Both TCP connections complete at the same instant.
    for (const conn of [0, 1]) for (const side of ['A', 'B'] as const) apply(conn, side, { type: 'TcpConnectionConfirmed' });
    for (let i = 0; queue.length > 0 && i < 1000; i++) {
      const q = queue.shift()!;
      apply(q.conn, q.to, q.ev);
    }
    const states = fsm.map((f) => [f.A.name, f.B.name] as [BgpStateName, BgpStateName]);
    expect(states).toEqual([['Idle', 'Idle'], ['Established', 'Established']]);
    // Both sides decide the same way: each dumps connection 0 itself (Cease 6/7) or is told to by the other.
    for (const side of ['A', 'B'] as const) {
      const d = fsm[0][side].lastDrop!;
      expect(d.reason === 'collision' || (d.received?.code === 6 && d.received.subcode === 7)).toBe(true);
    }
    expect(fsm[0].A.lastDrop?.reason).toBe('collision');
  });
});
