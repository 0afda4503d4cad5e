/**
 * Live-session fuzz: a few thousand mutated messages (seeded, reproducible)
 * sent by a raw peer into an Established session. Whatever the speaker does
 * with each (ignore, discard, treat-as-withdraw, reset), it must not throw,
 * must not stop serving, and must accept a clean session afterwards.
 * Seeds are valid messages built with the codec tests' builders; mutations
 * keep the header valid most of the time so the bytes reach the UPDATE parser.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { attr, message, update, MANDATORY, NLRI_TWO, ORIGIN_IGP, AS_PATH_65001 } from '../../unit/bgp-wire/build.js';
import { KEEPALIVE_BYTES, makeSpeaker, neighbor, RawPeer, testPort, waitFor } from './harness.js';

const SPEAKER = '127.0.0.30';
const PEER = '127.0.0.31';
const port = testPort();
const MESSAGES = Number(process.env.BGP_LIVE_FUZZ ?? 3000);

/** mulberry32: a small seeded PRNG so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS: Uint8Array[] = [
  update(MANDATORY, NLRI_TWO),
  update(MANDATORY + attr(0xc0, 8, 'fde90064 ffffff01') + attr(0x80, 4, '00000010'), NLRI_TWO, '10 0a01'),
  update(attr(0x90, 14, '0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 30 20010db80001 40 20010db800020000') + ORIGIN_IGP + AS_PATH_65001),
  update(attr(0x80, 15, '0002 01 30 20010db80001')),
  update(MANDATORY + attr(0xe0, 99, '01020304') + attr(0x40, 6) + attr(0xc0, 7, '0000fde90a000001'), '20 c0000201'),
  update('', '', NLRI_TWO),
  message(5, '00010001'),
  KEEPALIVE_BYTES,
];

function mutate(r: () => number): Uint8Array {
  const seed = SEEDS[Math.floor(r() * SEEDS.length)];
  const body = Array.from(seed.subarray(19));
  const type = seed[18];
  const op = Math.floor(r() * 6);
  const n = 1 + Math.floor(r() * 4);
  switch (op) {
    case 0: // flip bytes
      for (let i = 0; i < n && body.length > 0; i++) body[Math.floor(r() * body.length)] ^= 1 << Math.floor(r() * 8);
      break;
    case 1: // random bytes
      for (let i = 0; i < n && body.length > 0; i++) body[Math.floor(r() * body.length)] = Math.floor(r() * 256);
      break;
    case 2: // truncate
      body.length = Math.floor(r() * body.length);
      break;
    case 3: // append junk
      for (let i = 0; i < n * 3; i++) body.push(Math.floor(r() * 256));
      break;
    case 4: // a length field (withdrawn or attribute total) set at random
      if (body.length >= 4) { const at = r() < 0.5 ? 0 : 2 + (body[0] << 8 | body[1]); if (at + 1 < body.length) { body[at] = Math.floor(r() * 3); body[at + 1] = Math.floor(r() * 256); } }
      break;
    default: { // the whole message random, header valid or not
      const len = Math.floor(r() * 60);
      const out = new Uint8Array(19 + len);
      out.fill(0xff, 0, 16);
      if (r() < 0.1) out[Math.floor(r() * 16)] = 0;
      out[16] = (out.length >> 8) & 0xff;
      out[17] = out.length & 0xff;
      out[18] = r() < 0.9 ? 2 : Math.floor(r() * 8);
      for (let i = 19; i < out.length; i++) out[i] = Math.floor(r() * 256);
      return out;
    }
  }
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  const len = Math.min(out.length, 0xffff);
  out[16] = len >> 8;
  out[17] = len & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}

const made = makeSpeaker(SPEAKER, 65030, port, [neighbor(PEER, SPEAKER, 65001, { passive: true })], {
  fsm: { idleHoldBaseMs: 1, idleHoldMaxMs: 5 },
});
const open: RawPeer[] = [];
afterAll(async () => {
  for (const p of open) p.close();
  await made.speaker.stop();
});

async function session(): Promise<RawPeer> {
  for (;;) {
    let peer: RawPeer;
    try {
      peer = await RawPeer.connect(SPEAKER, port, PEER);
    } catch {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    open.push(peer);
    try {
      await peer.establish(65001, 0x0a000002);
      return peer;
    } catch {
      peer.close(); // refused during the IdleHold back-off: try again
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

describe('live-session fuzz', () => {
  it(`${MESSAGES} mutated messages: no exception, the speaker keeps serving`, async () => {
    const { speaker, rec } = made;
    await speaker.start();
    const r = rng(Number(process.env.BGP_LIVE_FUZZ_SEED ?? 0x5eed));
    let sent = 0;
    let sessions = 0;
    let peer = await session();
    sessions++;
    while (sent < MESSAGES) {
      if (peer.closed) {
        peer = await session();
        sessions++;
      }
      const batch: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) batch.push(mutate(r));
      sent += batch.length;
      peer.send(Buffer.concat(batch));
      await new Promise((res) => setTimeout(res, 2));
    }
    // Still serving: a clean session comes up and its route is installed.
    peer.close();
    const fresh = await session();
    fresh.send(update(MANDATORY, '18 c0a8c8'));
    await waitFor('clean route installed', () => speaker.rib('192.168.200.0/24').length > 0 || undefined, 5000);
    expect(speaker.neighbors()[0].state).toBe('Established');
    expect(rec.logs.filter((l) => l.startsWith('error'))).toEqual([]);
    // The mutations reached several outcomes: resets and RFC 7606 recoveries.
    expect(sessions).toBeGreaterThan(10);
    expect(rec.logs.some((l) => /treat-as-withdraw/.test(l))).toBe(true);
    expect(rec.logs.some((l) => /attribute-discard/.test(l))).toBe(true);
  }, 60_000);
});
