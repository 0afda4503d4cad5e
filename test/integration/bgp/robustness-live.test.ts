/**
 * The BGP rows of /work/shared/reference/robustness.md through a live TCP
 * session: a raw peer (a plain socket driven by hand) sends the bytes; the
 * test asserts the NOTIFICATION on the wire (code, subcode, data) and that
 * the connection closes, or the RFC 7606 outcome in the RIB
 * (treat-as-withdraw, attribute discard) and that the session stays up.
 * Byte layouts come from the codec tests' builders (test/unit/bgp-wire/build.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { parsePrefix, type IpPrefix } from '../../../src/lib/prefix.js';
import { attr, message, update, MANDATORY, NLRI_TWO, ORIGIN_IGP, AS_PATH_65001, NEXT_HOP_10_0_0_1 } from '../../unit/bgp-wire/build.js';
import { KEEPALIVE_BYTES, makeSpeaker, neighbor, ourOpen, RawPeer, testPort, waitFor, type SpeakerLog } from './harness.js';

const SPEAKER = '127.0.0.20';
const PEER = '127.0.0.21';
const PEER_AS = 65001;
const PEER_ID = 0x0a000002;
const port = testPort();

let current: { speaker: BgpSpeaker; rec: SpeakerLog } | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await current?.speaker.stop();
  current = undefined;
});

async function speaker(): Promise<{ speaker: BgpSpeaker; rec: SpeakerLog }> {
  current = makeSpeaker(SPEAKER, 65020, port, [neighbor(PEER, SPEAKER, PEER_AS, { passive: true })]);
  await current.speaker.start();
  return current;
}

/** A raw peer connected to a fresh speaker; not yet past OPEN. */
async function connected(): Promise<{ s: BgpSpeaker; rec: SpeakerLog; peer: RawPeer }> {
  const { speaker: s, rec } = await speaker();
  const peer = await RawPeer.connect(SPEAKER, port, PEER);
  peers.push(peer);
  return { s, rec, peer };
}

/** A raw peer with an Established session. */
async function established(): Promise<{ s: BgpSpeaker; rec: SpeakerLog; peer: RawPeer }> {
  const c = await connected();
  await c.peer.establish(PEER_AS, PEER_ID);
  await waitFor('Established', () => c.s.status().established === 1 || undefined);
  return c;
}

async function expectReset(peer: RawPeer, s: BgpSpeaker, code: number, subcode: number, dataHex = ''): Promise<void> {
  expect(await peer.notification()).toEqual([code, subcode, dataHex.replace(/\s+/g, '')]);
  await peer.waitClosed();
  expect(s.neighbors()[0].state).not.toBe('Established');
}

/** The session survived: a KEEPALIVE round later it is still Established and no NOTIFICATION came. */
async function expectStillUp(peer: RawPeer, s: BgpSpeaker): Promise<void> {
  peer.send(KEEPALIVE_BYTES);
  await new Promise((r) => setTimeout(r, 100));
  expect(peer.received.filter((m) => m.type === 3)).toEqual([]);
  expect(peer.closed).toBe(false);
  expect(s.neighbors()[0].state).toBe('Established');
}

function parse(text: string): IpPrefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const has = (s: BgpSpeaker, p: string) => s.rib(p).length > 0;

/** Announce NLRI_TWO cleanly and wait until both prefixes are in the RIB. */
async function announceTwo(peer: RawPeer, s: BgpSpeaker): Promise<void> {
  peer.send(update(MANDATORY, NLRI_TWO));
  await waitFor('announced', () => (has(s, '198.51.100.0/24') && has(s, '203.0.113.0/25')) || undefined);
}

async function expectWithdrawnTwo(peer: RawPeer, s: BgpSpeaker): Promise<void> {
  await waitFor('treat-as-withdraw', () => (!has(s, '198.51.100.0/24') && !has(s, '203.0.113.0/25')) || undefined);
  await expectStillUp(peer, s);
}

/** An OPEN body: version, AS, hold, id, capabilities (multiprotocol IPv4, 4-octet AS 65001). */
function openBody(version = '04', myAs = 'fde9', hold = '0009', id = '0a000002', as4 = '0000fde9'): string {
  const caps = `02 0c 01040001 0001 4104${as4}`.replace(/\s+/g, '');
  return version + myAs + hold + id + (caps.length / 2).toString(16).padStart(2, '0') + caps;
}

describe('robustness.md BGP rows through a live session', () => {
  it('row 1: marker not all ones -> 1/1, closed', async () => {
    const { s, peer } = await established();
    const bad = KEEPALIVE_BYTES.slice();
    bad[3] = 0xfe;
    peer.send(bad);
    await expectReset(peer, s, 1, 1);
  });

  it('row 2: length < 19 -> 1/2 with the length field', async () => {
    const { s, peer } = await established();
    peer.send(Uint8Array.from([...new Array(16).fill(0xff), 0x00, 0x12, 0x04]));
    await expectReset(peer, s, 1, 2, '0012');
  });

  it('row 2: length > 4096 -> 1/2', async () => {
    const { s, peer } = await established();
    peer.send(Uint8Array.from([...new Array(16).fill(0xff), 0x10, 0x01, 0x02]));
    await expectReset(peer, s, 1, 2, '1001');
  });

  it('row 2: KEEPALIVE of 20 bytes -> 1/2', async () => {
    const { s, peer } = await established();
    peer.send(Uint8Array.from([...new Array(16).fill(0xff), 0x00, 0x14, 0x04, 0x00]));
    await expectReset(peer, s, 1, 2, '0014');
  });

  it('row 3: unknown message type -> 1/3 with the type', async () => {
    const { s, peer } = await established();
    peer.send(message(7, '00'));
    await expectReset(peer, s, 1, 3, '07');
  });

  it('row 4: OPEN version 3 -> 2/1 with the supported version', async () => {
    const { s, peer } = await connected();
    peer.send(message(1, openBody('03')));
    await expectReset(peer, s, 2, 1, '0004');
  });

  it('row 5: OPEN hold time 1 or 2 -> 2/6', async () => {
    for (const hold of ['0001', '0002']) {
      const { s, peer } = await connected();
      peer.send(message(1, openBody('04', 'fde9', hold)));
      await expectReset(peer, s, 2, 6);
      await s.stop();
      current = undefined;
    }
  });

  it('row 6: OPEN peer AS not the configured one, or AS 0 -> 2/2', async () => {
    for (const [myAs, as4] of [['fdea', '0000fdea'], ['0000', '00000000']]) {
      const { s, peer } = await connected();
      peer.send(message(1, openBody('04', myAs, '0009', '0a000002', as4)));
      await expectReset(peer, s, 2, 2);
      await s.stop();
      current = undefined;
    }
  });

  it('row 7: OPEN BGP identifier 0 -> 2/3', async () => {
    const { s, peer } = await connected();
    peer.send(message(1, openBody('04', 'fde9', '0009', '00000000')));
    await expectReset(peer, s, 2, 3);
  });

  it('row 8: optional parameters overrunning -> 2/0; RFC 9072 extended form -> 2/4', async () => {
    const { s, peer } = await connected();
    // The parameter says 14 bytes of capabilities inside a 12-byte parameter block.
    peer.send(message(1, '04fde900090a0000020c' + '020e01040001000141040000fde9'));
    await expectReset(peer, s, 2, 0);
    await s.stop();
    const c = await connected();
    c.peer.send(message(1, '04fde900090a000002ff' + 'ff000c' + '02000a' + '01040001000141040000fde9'));
    await expectReset(c.peer, c.s, 2, 4);
  });

  it('row 9: unknown capability -> ignored, the session comes up', async () => {
    const { s, peer } = await connected();
    const caps = '02 12 01040001 0001 4104 0000fde9 4504 00010101'.replace(/\s+/g, ''); // + capability 69 (ADD-PATH)
    peer.send(message(1, '04 fde9 0009 0a000002'.replace(/\s+/g, '') + (caps.length / 2).toString(16).padStart(2, '0') + caps));
    await peer.next(1);
    peer.send(KEEPALIVE_BYTES);
    await waitFor('Established', () => s.status().established === 1 || undefined);
  });

  it('row 10: withdrawn length + attribute length + 23 > message length -> 3/1, closed', async () => {
    const { s, peer } = await established();
    peer.send(message(2, '0005 0000'));
    await expectReset(peer, s, 3, 1);
  });

  it('row 11: an attribute overrunning the block -> treat-as-withdraw, session stays up', async () => {
    const { s, peer } = await established();
    await announceTwo(peer, s);
    peer.send(update(ORIGIN_IGP + AS_PATH_65001 + '400309 0a000001', NLRI_TWO));
    await expectWithdrawnTwo(peer, s);
  });

  it('row 12: the same overrun with no NLRI -> 3/1, closed', async () => {
    const { s, peer } = await established();
    peer.send(update(ORIGIN_IGP + AS_PATH_65001 + '400309 0a000001'));
    await expectReset(peer, s, 3, 1);
  });

  it('row 13: ORIGIN value 3 -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    await announceTwo(peer, s);
    peer.send(update(attr(0x40, 1, '03') + AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO));
    await expectWithdrawnTwo(peer, s);
  });

  it('row 14: well-known ORIGIN flagged optional -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    await announceTwo(peer, s);
    peer.send(update(attr(0xc0, 1, '00') + AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO));
    await expectWithdrawnTwo(peer, s);
  });

  it('row 15: AS_PATH bad segment type, or AS 0 inside -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    for (const value of ['05 01 0000fde9', '02 01 00000000']) {
      await announceTwo(peer, s);
      peer.send(update(ORIGIN_IGP + attr(0x40, 2, value) + NEXT_HOP_10_0_0_1, NLRI_TWO));
      await expectWithdrawnTwo(peer, s);
    }
  });

  it('row 16: NEXT_HOP missing, or no attributes at all, with NLRI -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    for (const attrs of [ORIGIN_IGP + AS_PATH_65001, '']) {
      await announceTwo(peer, s);
      peer.send(update(attrs, NLRI_TWO));
      await expectWithdrawnTwo(peer, s);
    }
  });

  it('row 17: MED of 3 bytes -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    await announceTwo(peer, s);
    peer.send(update(MANDATORY + attr(0x80, 4, '000064'), NLRI_TWO));
    await expectWithdrawnTwo(peer, s);
  });

  it('row 18: ATOMIC_AGGREGATE of 1 byte -> attribute discarded, route installed without it', async () => {
    const { s, peer } = await established();
    peer.send(update(MANDATORY + attr(0x40, 6, '01'), NLRI_TWO));
    await waitFor('installed', () => has(s, '198.51.100.0/24') || undefined);
    expect(s.table.bestPath(parse('198.51.100.0/24'))?.attrs.atomicAggregate).toBeUndefined();
    await expectStillUp(peer, s);
  });

  it('row 19: COMMUNITIES of 3 bytes -> treat-as-withdraw', async () => {
    const { s, peer } = await established();
    await announceTwo(peer, s);
    peer.send(update(MANDATORY + attr(0xc0, 8, 'fde900'), NLRI_TWO));
    await expectWithdrawnTwo(peer, s);
  });

  it('row 20: an attribute twice -> the first kept, the route installed, session up', async () => {
    const { s, peer } = await established();
    peer.send(update(MANDATORY + attr(0x80, 4, '00000064') + attr(0x80, 4, '000000c8'), NLRI_TWO));
    const e = await waitFor('installed', () => s.rib('198.51.100.0/24')[0]);
    expect(e.paths[0].med).toBe(100);
    await expectStillUp(peer, s);
  });

  it('row 21: MP_REACH_NLRI twice -> 3/1, closed', async () => {
    const { s, peer } = await established();
    const reach = attr(0x80, 14, '0002 01 10 20010db8000000000000000000000001 00 30 20010db80001');
    peer.send(update(reach + ORIGIN_IGP + AS_PATH_65001 + reach));
    await expectReset(peer, s, 3, 1);
  });

  it('row 22: IPv4 prefix length 33 -> 3/10, closed', async () => {
    const { s, peer } = await established();
    peer.send(update(MANDATORY, '21 c6336400 00'));
    await expectReset(peer, s, 3, 10);
  });

  it('row 22: withdrawn routes overrun -> 3/10, closed', async () => {
    const { s, peer } = await established();
    peer.send(update('', '', '20 0a0000'));
    await expectReset(peer, s, 3, 10);
  });

  it('row 23: MP_REACH IPv6 next hop of 8 bytes -> 3/9 with the attribute, closed', async () => {
    const { s, peer } = await established();
    const nh8 = attr(0x80, 14, '0002 01 08 20010db800000001 00 30 20010db80001');
    peer.send(update(nh8 + ORIGIN_IGP + AS_PATH_65001));
    await expectReset(peer, s, 3, 9, nh8);
  });

  it('row 24: malformed attributes this speaker does not implement (23, 35) -> no reset, route installed', async () => {
    const { s, peer } = await established();
    peer.send(update(MANDATORY + attr(0xc0, 23, 'ff') + attr(0xc0, 35, '0000fd'), NLRI_TWO));
    await waitFor('installed', () => has(s, '203.0.113.0/25') || undefined);
    await expectStillUp(peer, s);
  });

  it('row 25: UPDATE in OpenSent -> 5/1', async () => {
    const { s, peer } = await connected();
    await peer.next(1); // the speaker's OPEN: it is in OpenSent
    peer.send(update(MANDATORY, NLRI_TWO));
    await expectReset(peer, s, 5, 1);
  });

  it('row 25: UPDATE in OpenConfirm -> 5/2', async () => {
    const { s, peer } = await connected();
    peer.send(ourOpen(PEER_AS, PEER_ID));
    await peer.next(4); // its KEEPALIVE: it accepted our OPEN and waits in OpenConfirm
    peer.send(update(MANDATORY, NLRI_TWO));
    await expectReset(peer, s, 5, 2);
  });

  it('row 25: a silent peer -> 4/0 Hold Timer Expired after the negotiated 3 s, routes withdrawn', async () => {
    const { s, peer, rec } = await connected();
    peer.send(ourOpen(PEER_AS, PEER_ID, 3));
    await peer.next(1);
    peer.send(KEEPALIVE_BYTES);
    await waitFor('Established', () => s.status().established === 1 || undefined);
    peer.send(update(MANDATORY, NLRI_TWO));
    await waitFor('installed', () => has(s, '198.51.100.0/24') || undefined);
    const t0 = Date.now();
    // Keep reading (the speaker's keepalives arrive) but never send again.
    expect(await peer.notification(6000)).toEqual([4, 0, '']);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThan(2500);
    expect(waited).toBeLessThan(4500);
    await waitFor('withdrawn', () => !has(s, '198.51.100.0/24') || undefined);
    expect(rec.sessions.find((x) => x.from === 'Established')?.reason).toMatch(/nothing from the peer for 3 s/);
  }, 15_000);

  it('cross-cutting: a NOTIFICATION is never answered with a NOTIFICATION, even a broken one', async () => {
    const { s, peer } = await established();
    peer.send(Uint8Array.from([...new Array(16).fill(0xff), 0x00, 0x13, 0x03])); // NOTIFICATION of 19 bytes: 1/2 error
    await peer.waitClosed();
    expect(peer.received.filter((m) => m.type === 3)).toEqual([]);
    expect(s.neighbors()[0].state).not.toBe('Established');
  });

  it('cross-cutting: a peer that keeps sending malformed UPDATEs is refused for growing intervals (back-off)', async () => {
    const { speaker: s } = await speaker();
    const gaps: number[] = [];
    let resetAt = 0;
    for (let round = 0; round < 4; round++) {
      // Reconnect as soon as the speaker accepts again.
      let peer: RawPeer | undefined;
      while (peer === undefined) {
        const p = await RawPeer.connect(SPEAKER, port, PEER).catch(() => undefined);
        if (p === undefined) continue;
        peers.push(p);
        const ok = await p.establish(PEER_AS, PEER_ID).then(() => true, () => false);
        if (ok) peer = p;
        else await new Promise((r) => setTimeout(r, 10));
      }
      if (round > 0) gaps.push(Date.now() - resetAt);
      peer.send(update(MANDATORY, '21 c6336400 00'));
      expect(await peer.notification()).toEqual([3, 10, '']);
      resetAt = Date.now();
    }
    // Base 200 ms doubling (75-100 % jitter): about 200, 400, 800 ms.
    expect(gaps[1]).toBeGreaterThan(gaps[0] * 1.3);
    expect(gaps[2]).toBeGreaterThan(gaps[0] * 2.5);
    expect(s.neighbors()[0].lastError).toMatch(/3\/10/);
  }, 20_000);
});
