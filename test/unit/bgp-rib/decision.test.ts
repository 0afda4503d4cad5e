/**
 * The decision process, one step at a time: two candidates that differ only
 * at the step under test (everything later favours the loser, so only that
 * step can pick the winner), asserting the winner and the reason phrase.
 */
import { describe, expect, it } from 'vitest';
import { DECISION_STEPS } from '../../../src/bgp/rib/index.js';
import { LOCAL_AS, addUpPeer, announce, attrs, mkRib, pfx } from './helpers.js';

const P = '203.0.113.0/24';

function winnerOf(rib: ReturnType<typeof mkRib>): { peer: number | undefined; loserStep?: string; loserDetail?: string } {
  const ex = rib.explain(pfx(P));
  const loser = ex.candidates.find((c) => c.outcome === 'lost');
  return { peer: ex.best?.peer.id, loserStep: loser?.step, loserDetail: loser?.detail };
}

describe('decision steps (RFC 4271 §9.1.2.2), each in isolation', () => {
  it('lists the steps in the documented order', () => {
    expect(DECISION_STEPS.map((s) => s.reason)).toEqual([
      'next-hop-reachable', 'local-pref', 'as-path-length', 'origin', 'med', 'ebgp-over-ibgp', 'router-id', 'peer-address',
    ]);
  });

  it('next hop reachable: a path whose next hop cannot be resolved loses even when better later', () => {
    const rib = mkRib({ nextHopReachable: (nh) => nh[2] !== 1 });
    const a = addUpPeer(rib, 1, 65002, { routerId: '1.1.1.1' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '2.2.2.2' });
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65003, 65010]));
    const r = rib.processAll();
    const w = winnerOf(rib);
    expect(w.peer).toBe(b);
    expect(w.loserStep).toBe('next-hop-reachable');
    expect(w.loserDetail).toBe('next hop 10.0.1.2 unreachable');
    expect(r.changes.at(-1)?.newBest?.peer.id).toBe(b);
  });

  it('no best path when the only next hop is unreachable', () => {
    const rib = mkRib({ nextHopReachable: () => false });
    const a = addUpPeer(rib, 1, 65002);
    announce(rib, a, [P], attrs([65002]));
    const r = rib.processAll();
    expect(r.changes).toHaveLength(0);
    expect(rib.bestPath(pfx(P))).toBeUndefined();
    expect(rib.explain(pfx(P)).candidates[0].step).toBe('next-hop-reachable');
  });

  it('highest LOCAL_PREF wins (iBGP candidates)', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, LOCAL_AS, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, LOCAL_AS, { routerId: '1.1.1.1' });
    announce(rib, b, [P], attrs([65010]));
    announce(rib, a, [P], attrs([65010], { localPref: 200 }));
    const r = rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'local-pref', loserDetail: 'LOCAL_PREF 200 > 100' });
    expect(r.changes.at(-1)?.reason).toBe('LOCAL_PREF 200 > 100');
    expect(r.changes.at(-1)?.step).toBe('local-pref');
  });

  it('LOCAL_PREF received from an eBGP neighbour is ignored (RFC 4271 §5.1.5)', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002], { localPref: 500 }));
    announce(rib, b, [P], attrs([65003]));
    rib.processAll();
    expect(winnerOf(rib).peer).toBe(b);
    expect(rib.bestPath(pfx(P))?.attrs.localPref).toBeUndefined();
  });

  it('shortest AS_PATH wins', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002, 65010]));
    announce(rib, b, [P], attrs([65003, 65020, 65010]));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'as-path-length', loserDetail: 'AS_PATH 2 < 3' });
  });

  it('an AS_SET counts as one AS', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([], { asPath: [{ type: 2, asns: [65002] }, { type: 1, asns: [1, 2, 3, 4] }] }));
    announce(rib, b, [P], attrs([65003, 65020, 65010]));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'as-path-length', loserDetail: 'AS_PATH 2 < 3' });
  });

  it('lowest ORIGIN wins', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002], { origin: 0 }));
    announce(rib, b, [P], attrs([65003], { origin: 2 }));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'origin', loserDetail: 'ORIGIN IGP < INCOMPLETE' });
  });

  it('lowest MED wins between paths from the same neighbouring AS', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65002, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002], { med: 10 }));
    announce(rib, b, [P], attrs([65002], { med: 20 }));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'med', loserDetail: 'MED 10 < 20 (both from AS 65002)' });
  });

  it('a missing MED counts as 0', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65002, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65002], { med: 5 }));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'med', loserDetail: 'MED 0 < 5 (both from AS 65002)' });
  });

  it('MED is not compared between different neighbouring ASes', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002], { med: 0 }));
    announce(rib, b, [P], attrs([65003], { med: 100 }));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: b, loserStep: 'router-id', loserDetail: 'router id 1.1.1.1 < 2.2.2.2' });
  });

  it('MED elimination is per neighbouring AS (three paths, order independent)', () => {
    // x: AS 65002 MED 50 rid 1; y: AS 65002 MED 10 rid 3; z: AS 65003 MED 0 rid 2.
    // MED removes x (beaten by y); y and z are not MED-comparable; z wins on router id.
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const rib = mkRib();
      const x = addUpPeer(rib, 1, 65002, { routerId: '1.1.1.1' });
      const y = addUpPeer(rib, 2, 65002, { routerId: '3.3.3.3' });
      const z = addUpPeer(rib, 3, 65003, { routerId: '2.2.2.2' });
      const ann = [
        () => announce(rib, x, [P], attrs([65002], { med: 50 })),
        () => announce(rib, y, [P], attrs([65002], { med: 10 })),
        () => announce(rib, z, [P], attrs([65003], { med: 0 })),
      ];
      for (const i of order) { ann[i](); rib.processAll(); }
      const ex = rib.explain(pfx(P));
      expect(ex.best?.peer.id).toBe(z);
      const vx = ex.candidates.find((c) => c.route.peer.id === x);
      expect(vx?.step).toBe('med');
      expect(vx?.detail).toBe('MED 10 < 50 (both from AS 65002)');
      expect(vx?.beatenBy?.peer.id).toBe(y);
      expect(ex.candidates.find((c) => c.route.peer.id === y)?.step).toBe('router-id');
    }
  });

  it('eBGP over iBGP', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '2.2.2.2' });
    const b = addUpPeer(rib, 2, LOCAL_AS, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65002]));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'ebgp-over-ibgp', loserDetail: 'eBGP over iBGP' });
  });

  it('lowest router id', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '9.9.9.9' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.2.3.4' });
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65003]));
    const r = rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: b, loserStep: 'router-id', loserDetail: 'router id 1.2.3.4 < 9.9.9.9' });
    expect(r.changes.at(-1)?.reason).toBe('router id 1.2.3.4 < 9.9.9.9');
  });

  it('lowest peer address', () => {
    const rib = mkRib();
    const b = addUpPeer(rib, 2, 65002, { routerId: '7.7.7.7' });
    const a = addUpPeer(rib, 1, 65002, { routerId: '7.7.7.7' });
    announce(rib, b, [P], attrs([65002]));
    announce(rib, a, [P], attrs([65002]));
    rib.processAll();
    expect(winnerOf(rib)).toEqual({ peer: a, loserStep: 'peer-address', loserDetail: 'peer address 10.0.1.2 < 10.0.2.2' });
  });

  it('a locally originated route beats learned ones (empty AS_PATH)', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002);
    announce(rib, a, [P], attrs([65002]));
    rib.originate(pfx(P));
    rib.processAll();
    const best = rib.bestPath(pfx(P));
    expect(best?.peer.kind).toBe('local');
    expect(best?.attrs.asPath).toEqual([]);
    expect(best?.attrs.origin).toBe(0);
  });
});

describe('withdrawal and fallback', () => {
  it('withdrawing the best path falls back to the next one, with events', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002);
    const b = addUpPeer(rib, 2, 65003);
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65003, 65010]));
    rib.processAll();
    expect(rib.bestPath(pfx(P))?.peer.id).toBe(a);
    rib.enqueueWithdraw(a, [pfx(P)]);
    const r = rib.processAll();
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0].oldBest?.peer.id).toBe(a);
    expect(r.changes[0].newBest?.peer.id).toBe(b);
    expect(r.changes[0].reason).toBe('only path');
    rib.enqueueWithdraw(b, [pfx(P)]);
    const r2 = rib.processAll();
    expect(r2.changes[0].newBest).toBeUndefined();
    expect(r2.changes[0].reason).toBe('withdrawn');
    // Pending output still refers to the prefix until each neighbour has been told.
    rib.pendingUpdates(a);
    expect(rib.stats().prefixes).toBe(1);
    rib.pendingUpdates(b);
    expect(rib.stats().prefixes).toBe(0);
    expect(rib.stats().attrSets).toBe(0);
  });

  it('a session going down withdraws its routes and the next path takes over', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002);
    const b = addUpPeer(rib, 2, 65003);
    announce(rib, a, [P, '198.51.100.0/24'], attrs([65002]));
    announce(rib, b, [P], attrs([65003, 65010]));
    rib.processAll();
    rib.peerDown(a);
    const r = rib.processAll();
    expect(rib.bestPath(pfx(P))?.peer.id).toBe(b);
    expect(rib.bestPath(pfx('198.51.100.0/24'))).toBeUndefined();
    expect(r.changes.map((c) => c.newBest?.peer.id)).toEqual(expect.arrayContaining([b, undefined]));
    expect(rib.acceptedCount(a)).toBe(0);
  });

  it('UPDATEs queued before a session went down are discarded', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002);
    announce(rib, a, [P], attrs([65002]));
    rib.peerDown(a);
    rib.processAll();
    expect(rib.bestPath(pfx(P))).toBeUndefined();
  });
});

describe('multipath', () => {
  it('paths equal up to the router-id step form an ECMP set', () => {
    const rib = mkRib({ multipath: true });
    const a = addUpPeer(rib, 1, 65002, { routerId: '3.3.3.3' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    const c = addUpPeer(rib, 3, 65004, { routerId: '2.2.2.2' });
    const d = addUpPeer(rib, 4, 65005, { routerId: '0.0.0.1' });
    announce(rib, a, [P], attrs([65002, 65010]));
    announce(rib, b, [P], attrs([65003, 65010]));
    announce(rib, c, [P], attrs([65004, 65010]));
    announce(rib, d, [P], attrs([65005, 65020, 65010]));
    const r = rib.processAll();
    expect(rib.ecmpPaths(pfx(P)).map((x) => x.peer.id)).toEqual([b, a, c]);
    expect(r.changes.at(-1)?.ecmp?.map((x) => x.peer.id)).toEqual([b, a, c]);
    const ex = rib.explain(pfx(P));
    expect(ex.candidates.find((x) => x.route.peer.id === d)?.step).toBe('as-path-length');
    expect(ex.candidates.filter((x) => x.outcome === 'ecmp')).toHaveLength(2);
    // A member leaving shrinks the set and is reported even though the best is unchanged.
    rib.enqueueWithdraw(c, [pfx(P)]);
    const r2 = rib.processAll();
    expect(r2.changes).toHaveLength(1);
    expect(r2.changes[0].oldBest?.peer.id).toBe(b);
    expect(r2.changes[0].newBest?.peer.id).toBe(b);
    expect(r2.changes[0].ecmp?.map((x) => x.peer.id)).toEqual([b, a]);
  });

  it('without multipath the set is just the best path', () => {
    const rib = mkRib();
    const a = addUpPeer(rib, 1, 65002, { routerId: '3.3.3.3' });
    const b = addUpPeer(rib, 2, 65003, { routerId: '1.1.1.1' });
    announce(rib, a, [P], attrs([65002]));
    announce(rib, b, [P], attrs([65003]));
    rib.processAll();
    expect(rib.ecmpPaths(pfx(P)).map((x) => x.peer.id)).toEqual([b]);
  });
});
