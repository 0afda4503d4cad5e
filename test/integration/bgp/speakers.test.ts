/**
 * Our speakers talking to each other over loopback TCP: session set-up,
 * route exchange (AS_PATH, NEXT_HOP), withdrawal, Cease on close, a chain
 * of three ASes, simultaneous start (collision, §6.8), fast fallover.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { makeSpeaker, neighbor, testPort, waitFor, type SpeakerLog } from './harness.js';

const running: BgpSpeaker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('test over')));
});

function spawn(...args: Parameters<typeof makeSpeaker>): { speaker: BgpSpeaker; rec: SpeakerLog } {
  const r = makeSpeaker(...args);
  running.push(r.speaker);
  return r;
}

const established = (s: BgpSpeaker, n = 1) => s.status().established === n || undefined;

describe('two speakers', () => {
  it('establish, exchange routes with AS_PATH and NEXT_HOP, withdraw, and Cease on stop', async () => {
    const port = testPort();
    const a = spawn('127.0.0.1', 65001, port, [neighbor('127.0.0.2', '127.0.0.1', 65002, { node: 'b' })]);
    const b = spawn('127.0.0.2', 65002, port, [neighbor('127.0.0.1', '127.0.0.2', 65001, { node: 'a' })]);
    await Promise.all([a.speaker.start(), b.speaker.start()]);
    await waitFor('both Established', () => established(a.speaker) && established(b.speaker));

    a.speaker.originate(['198.51.100.0/24', '2001:db8:a::/48']);
    b.speaker.originate(['203.0.113.0/24']);
    const got = await waitFor('route at b', () => b.speaker.rib('198.51.100.0/24')[0]);
    expect(got.paths).toHaveLength(1);
    expect(got.paths[0]).toMatchObject({ from: '127.0.0.1', fromNode: 'a', asPath: [65001], nextHop: '10.255.0.1', origin: 'igp', best: true });
    const back = await waitFor('route at a', () => a.speaker.rib('203.0.113.0/24')[0]);
    expect(back.paths[0]).toMatchObject({ asPath: [65002], nextHop: '10.255.0.2' });
    // The IPv6 prefix crossed too but has no IPv6 next hop on this IPv4-only session: not exported.
    expect(b.speaker.rib('2001:db8:a::/48')).toEqual([]);
    expect(a.speaker.explain('2001:db8:a::/48').notes.join('\n')).toMatch(/not advertised to 127\.0\.0\.2: no local IPv6 address/);

    const nb = a.speaker.neighbors()[0];
    expect(nb).toMatchObject({ address: '127.0.0.2', node: 'b', state: 'Established', prefixesAccepted: 1, prefixesAdvertised: 1 });
    expect(nb.updatesIn).toBeGreaterThanOrEqual(1);

    a.speaker.withdrawOriginated(['198.51.100.0/24']);
    await waitFor('withdrawn at b', () => b.speaker.rib('198.51.100.0/24').length === 0 || undefined);
    expect(b.rec.changes.some((c) => c.newBest === undefined && c.prefix.len === 24)).toBe(true);

    await a.speaker.stop('maintenance window');
    running.splice(running.indexOf(a.speaker), 1);
    const down = await waitFor('b saw the Cease', () => b.rec.sessions.find((s) => s.from === 'Established'));
    expect(down.reason).toMatch(/NOTIFICATION 6\/2: maintenance window/);
    await waitFor('a\'s routes gone at b', () => b.speaker.rib('203.0.113.0/24')[0]?.paths.length === 1 || undefined);
    expect(b.speaker.rib().map((e) => e.prefix)).toEqual(['203.0.113.0/24']);
  });

  it('started at the same instant establish exactly one session (collision, §6.8)', async () => {
    for (let round = 0; round < 3; round++) {
      const port = testPort();
      const a = spawn('127.0.0.3', 65003, port, [neighbor('127.0.0.4', '127.0.0.3', 65004)], { fsm: { connectRetryMinMs: 0, connectRetryMaxMs: 0 } });
      const b = spawn('127.0.0.4', 65004, port, [neighbor('127.0.0.3', '127.0.0.4', 65003)], { fsm: { connectRetryMinMs: 0, connectRetryMaxMs: 0 } });
      await Promise.all([a.speaker.start(), b.speaker.start()]);
      await waitFor('both Established', () => established(a.speaker) && established(b.speaker));
      // Let any collision resolution finish, then check nothing flapped.
      await new Promise((r) => setTimeout(r, 300));
      for (const s of [a, b]) {
        expect(s.rec.sessions.filter((x) => x.to === 'Established')).toHaveLength(1);
        expect(s.rec.sessions.filter((x) => x.from === 'Established')).toHaveLength(0);
        expect(s.speaker.session(s === a ? '127.0.0.4' : '127.0.0.3')!.connectionCount).toBe(1);
      }
      await Promise.all(running.splice(0).map((s) => s.stop()));
    }
  });

  it('a chain of three ASes prepends each AS and rewrites the next hop', async () => {
    const port = testPort();
    const a = spawn('127.0.0.5', 65005, port, [neighbor('127.0.0.6', '127.0.0.5', 65006)]);
    const b = spawn('127.0.0.6', 65006, port, [neighbor('127.0.0.5', '127.0.0.6', 65005), neighbor('127.0.0.7', '127.0.0.6', 65007)]);
    const c = spawn('127.0.0.7', 65007, port, [neighbor('127.0.0.6', '127.0.0.7', 65006)]);
    await Promise.all([a.speaker.start(), b.speaker.start(), c.speaker.start()]);
    await waitFor('chain Established', () => established(a.speaker) && established(b.speaker, 2) && established(c.speaker));
    a.speaker.originate(['192.0.2.0/24']);
    c.speaker.originate(['198.18.0.0/15']);
    const atC = await waitFor('route at c', () => c.speaker.rib('192.0.2.0/24')[0]);
    expect(atC.paths[0]).toMatchObject({ asPath: [65006, 65005], nextHop: '10.255.0.6' });
    const atA = await waitFor('route at a', () => a.speaker.rib('198.18.0.0/15')[0]);
    expect(atA.paths[0]).toMatchObject({ asPath: [65006, 65007], nextHop: '10.255.0.6' });
    // b never sends a route back to the AS it came from.
    expect(b.speaker.explain('192.0.2.0/24').notes).toContain('not advertised to 127.0.0.5: learned from this neighbour');

    // Fast fallover: b's interface toward c goes down; c's routes leave a at once.
    b.speaker.interfaceDown('lo');
    await waitFor('a lost c\'s route', () => a.speaker.rib('198.18.0.0/15').length === 0 || undefined, 2000);
    expect(b.speaker.neighbors().map((n) => n.state)).toEqual(['Idle', 'Idle']);
    b.speaker.interfaceUp('lo');
    await waitFor('route back at a', () => a.speaker.rib('198.18.0.0/15')[0], 8000);
  });
});

describe('control views', () => {
  it('rib() lists every candidate with the best marked and the loser\'s lostBy; explain() and status() agree', async () => {
    const port = testPort();
    const C = '127.0.0.10';
    const a = spawn('127.0.0.8', 65008, port, [neighbor(C, '127.0.0.8', 65010)]);
    // b prepends its AS twice toward c: its path is longer.
    const b = spawn('127.0.0.9', 65009, port, [neighbor(C, '127.0.0.9', 65010, {
      export: { terms: [{ match: {}, action: 'accept', set: { prepend: 2 } }], default: 'accept' },
    })]);
    const c = spawn(C, 65010, port, [neighbor('127.0.0.8', C, 65008, { node: 'a' }), neighbor('127.0.0.9', C, 65009, { node: 'b' })]);
    await Promise.all([a.speaker.start(), b.speaker.start(), c.speaker.start()]);
    await waitFor('Established', () => established(c.speaker, 2));
    a.speaker.originate(['192.0.2.0/24']);
    b.speaker.originate(['192.0.2.0/24']);
    const [e] = await waitFor('two paths at c', () => { const r = c.speaker.rib('192.0.2.0/24'); return r[0]?.paths.length === 2 ? r : undefined; });
    const best = e.paths.find((p) => p.best)!;
    const lost = e.paths.find((p) => !p.best)!;
    expect(best).toMatchObject({ fromNode: 'a', asPath: [65008] });
    expect(lost).toMatchObject({ fromNode: 'b', asPath: [65009, 65009, 65009], lostBy: 'AS_PATH 1 < 3' });
    expect(e.reason).toBe('as-path-length: AS_PATH 1 < 3');
    const x = c.speaker.explain('192.0.2.0/24');
    expect(x.entry).toEqual(e);
    expect(x.detail.best?.peer.asn).toBe(65008);
    // c sends the best (from a) to b but not back to a.
    expect(x.notes).toEqual(expect.arrayContaining(['not advertised to 127.0.0.8: learned from this neighbour', 'advertised to 127.0.0.9']));
    expect(c.speaker.status()).toMatchObject({ sessions: 2, established: 2 });
    expect(c.speaker.status().msSinceLastUpdate).toBeGreaterThanOrEqual(0);

    // a withdraws: b's longer path takes over, and the change is reported.
    a.speaker.withdrawOriginated(['192.0.2.0/24']);
    await waitFor('b\'s path best', () => c.speaker.rib('192.0.2.0/24')[0]?.paths.length === 1 || undefined);
    expect(c.speaker.rib('192.0.2.0/24')[0]).toMatchObject({ reason: 'only path', paths: [{ fromNode: 'b', best: true }] });
    const last = c.rec.changes.filter((ch) => ch.prefix.len === 24).at(-1)!;
    expect(last.newBest?.peer.asn).toBe(65009);
  });
});
