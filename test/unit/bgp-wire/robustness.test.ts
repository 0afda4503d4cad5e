/**
 * One test per BGP row of /work/shared/reference/robustness.md (rows 1-24;
 * row 25 is in test/unit/bgp-fsm), at the codec level: code, subcode, data
 * bytes and RFC 7606 action.
 */
import { describe, expect, it } from 'vitest';
import { MessageSplitter } from '../../../src/bgp/wire/stream-splitter.js';
import { decodeUpdate } from '../../../src/bgp/wire/update.js';
import { decodeOpen } from '../../../src/bgp/wire/open.js';
import { checkOpen, type LocalSessionConfig } from '../../../src/bgp/wire/open-checks.js';
import { decodeMessage } from '../../../src/bgp/wire/message.js';
import { formatPrefix } from '../../../src/lib/prefix.js';
import type { BgpError } from '../../../src/bgp/wire/types.js';
import { attr, message, update, toHex, MANDATORY, NLRI_TWO, ORIGIN_IGP, AS_PATH_65001, NEXT_HOP_10_0_0_1 } from './build.js';
import { hexToBytes, vector } from './vectors.js';

const ctx = { fourOctetAs: true };

function splitError(bytes: Uint8Array): BgpError {
  const items = new MessageSplitter().push(bytes);
  const last = items[items.length - 1];
  if (!last || last.kind !== 'error') throw new Error('expected a header error');
  return last.error;
}

function expectError(e: BgpError | undefined, code: number, subcode: number, dataHex: string, action: string): void {
  expect(e).toBeDefined();
  expect([e!.code, e!.subcode, toHex(e!.data), e!.action]).toEqual([code, subcode, dataHex.replace(/\s+/g, ''), action]);
}

/** An OPEN body: version 4, AS 65002, hold 9, id 10.0.0.2, then the given parameters. */
function openBody(params: string, version = '04', myAs = 'fdea', hold = '0009', id = '0a000002'): string {
  const p = params.replace(/\s+/g, '');
  return version + myAs + hold + id + (p.length / 2).toString(16).padStart(2, '0') + p;
}
const CAPS_AS65002 = '02 0c 01040001 0001 41040000fdea';
const local: LocalSessionConfig = { localAsn: 4200000001, bgpId: 0x0a000001, holdTime: 9, peerAsn: 65002, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };

function openCheck(body: string): BgpError | undefined {
  const d = decodeOpen(message(1, body));
  if (!d.ok) return d.error;
  const c = checkOpen(d.open, local);
  return c.ok ? undefined : c.error;
}

describe('robustness.md BGP rows at the codec', () => {
  it('row 1: marker not all ones -> 1/1', () => {
    const b = vector('keepalive-1');
    b[5] = 0xfe;
    expectError(splitError(b), 1, 1, '', 'session-reset');
  });

  it('row 2: length < 19, > 4096, and wrong for the type -> 1/2 with the length field as data', () => {
    const ka = vector('keepalive-1');
    const withLength = (b: Uint8Array, len: number) => { const c = b.slice(); c[16] = len >> 8; c[17] = len & 0xff; return c; };
    expectError(splitError(withLength(ka, 18)), 1, 2, '0012', 'session-reset');
    expectError(splitError(withLength(ka, 4097)), 1, 2, '1001', 'session-reset');
    expectError(splitError(withLength(ka, 20)), 1, 2, '0014', 'session-reset'); // KEEPALIVE != 19
    expectError(splitError(message(1, '04fdea0009')), 1, 2, '0018', 'session-reset'); // OPEN < 29
    expectError(splitError(message(3, '06')), 1, 2, '0014', 'session-reset'); // NOTIFICATION < 21
    expectError(splitError(message(2, '0000')), 1, 2, '0015', 'session-reset'); // UPDATE < 23
  });

  it('row 3: unknown message type -> 1/3 with the type byte', () => {
    expectError(splitError(message(6, '')), 1, 3, '06', 'session-reset');
    expectError(splitError(message(0, '')), 1, 3, '00', 'session-reset');
  });

  it('row 4: OPEN version != 4 -> 2/1 with the largest supported version', () => {
    expectError(openCheck(openBody(CAPS_AS65002, '03')), 2, 1, '0004', 'session-reset');
    expectError(openCheck(openBody(CAPS_AS65002, '05')), 2, 1, '0004', 'session-reset');
  });

  it('row 5: hold time 1 or 2 -> 2/6; 0 and 3 are accepted', () => {
    expectError(openCheck(openBody(CAPS_AS65002, '04', 'fdea', '0001')), 2, 6, '', 'session-reset');
    expectError(openCheck(openBody(CAPS_AS65002, '04', 'fdea', '0002')), 2, 6, '', 'session-reset');
    expect(openCheck(openBody(CAPS_AS65002, '04', 'fdea', '0000'))).toBeUndefined();
    expect(openCheck(openBody(CAPS_AS65002, '04', 'fdea', '0003'))).toBeUndefined();
  });

  it('row 6: peer AS not the configured one, or AS 0 -> 2/2', () => {
    expectError(openCheck(openBody('02 0c 01040001 0001 41040000fdeb', '04', 'fdeb')), 2, 2, '', 'session-reset');
    expectError(openCheck(openBody('', '04', '0000')), 2, 2, '', 'session-reset');
    expectError(openCheck(openBody('02 06 410400000000', '04', 'fdea')), 2, 2, '', 'session-reset');
  });

  it('row 7: BGP identifier 0 -> 2/3', () => {
    expectError(openCheck(openBody(CAPS_AS65002, '04', 'fdea', '0009', '00000000')), 2, 3, '', 'session-reset');
  });

  it('row 8: optional parameters truncated or overrunning -> 2/0; RFC 9072 form and unknown types -> 2/4', () => {
    // Optional parameters length says 12, only 10 bytes follow.
    const short = '04fdea00090a0000020c' + '020a01040001000141040000';
    expectError(openCheck(short.slice(0, short.length - 4)), 2, 0, '', 'session-reset');
    // The parameter says 14 bytes of capabilities inside a 12-byte parameter block.
    expectError(openCheck(openBody('02 0e 01040001 0001 41040000fdea')), 2, 0, '', 'session-reset');
    // A capability overrunning its parameter.
    expectError(openCheck(openBody('02 06 01080001 0001')), 2, 0, '', 'session-reset');
    // A parameter header cut in half.
    expectError(openCheck(openBody('02')), 2, 0, '', 'session-reset');
    // RFC 9072: length 255, first type 255, then a 2-byte length.
    const ext = '04fdea00090a000002ff' + 'ff000c' + '02000a' + '01040001000141040000fdea';
    expectError(openCheck(ext), 2, 4, '', 'session-reset');
    // Authentication information (type 1, deprecated by RFC 5492).
    expectError(openCheck(openBody('01 02 0000')), 2, 4, '', 'session-reset');
  });

  it('row 9: unknown capability code is ignored and the OPEN is accepted', () => {
    const body = openBody('02 10 01040001 0001 41040000fdea 7f02abcd');
    const d = decodeOpen(message(1, body));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.open.capabilities).toContainEqual({ kind: 'unknown', code: 0x7f, value: hexToBytes('abcd') });
    expect(checkOpen(d.open, local).ok).toBe(true);
  });

  it('row 10: withdrawn length + attribute length + 23 > message length -> 3/1 session reset', () => {
    // Withdrawn length 5 with only 2 bytes left.
    const a = message(2, '0005 0000');
    expectError(decodeUpdate(a, ctx).notification, 3, 1, '', 'session-reset');
    // Attribute length 0x20 with 4 bytes of attributes.
    const b = message(2, '0000 0020 40010100');
    const r = decodeUpdate(b, ctx);
    expect(r.action).toBe('session-reset');
    expectError(r.notification, 3, 1, '', 'session-reset');
  });

  it('row 11: an attribute overrunning the block -> treat-as-withdraw, NLRI found by the total attribute length', () => {
    // NEXT_HOP claims 9 bytes; the block ends after 4.
    const bad = ORIGIN_IGP + AS_PATH_65001 + '400309 0a000001';
    const r = decodeUpdate(update(bad, NLRI_TWO, '10 0a01'), ctx);
    expect(r.action).toBe('treat-as-withdraw');
    expectError(r.errors[0], 3, 1, '', 'treat-as-withdraw');
    expect(r.withdraw.map(formatPrefix)).toEqual(['10.1.0.0/16', '198.51.100.0/24', '203.0.113.0/25']);
  });

  it('row 12: the same overrun with no NLRI to withdraw -> session reset 3/1', () => {
    const bad = ORIGIN_IGP + AS_PATH_65001 + '400309 0a000001';
    const r = decodeUpdate(update(bad), ctx);
    expect(r.action).toBe('session-reset');
    expectError(r.notification, 3, 1, '', 'session-reset');
  });

  it('row 13: ORIGIN value > 2 or length != 1 -> treat-as-withdraw', () => {
    const v = attr(0x40, 1, '03');
    const r = decodeUpdate(update(v + AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx);
    expectError(r.errors[0], 3, 6, v, 'treat-as-withdraw');
    expect(r.action).toBe('treat-as-withdraw');
    expect(r.withdraw.map(formatPrefix)).toEqual(['198.51.100.0/24', '203.0.113.0/25']);
    const l = attr(0x40, 1, '0000');
    const r2 = decodeUpdate(update(l + AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx);
    expectError(r2.errors[0], 3, 5, l, 'treat-as-withdraw');
  });

  it('row 14: well-known attribute with wrong flags -> treat-as-withdraw 3/4 with the attribute', () => {
    const o = attr(0xc0, 1, '00'); // ORIGIN marked optional
    const r = decodeUpdate(update(o + AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx);
    expectError(r.errors[0], 3, 4, o, 'treat-as-withdraw');
    expect(r.action).toBe('treat-as-withdraw');
    const n = attr(0x00, 3, '0a000001'); // NEXT_HOP not transitive
    expectError(decodeUpdate(update(ORIGIN_IGP + AS_PATH_65001 + n, NLRI_TWO), ctx).errors[0], 3, 4, n, 'treat-as-withdraw');
  });

  it('row 15: AS_PATH bad segment type, bad segment length, or AS 0 -> treat-as-withdraw 3/11', () => {
    for (const value of ['05 01 0000fde9', '02 02 0000fde9', '02 01 00000000', '02 00', '02']) {
      const r = decodeUpdate(update(ORIGIN_IGP + attr(0x40, 2, value) + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx);
      expectError(r.errors[0], 3, 11, '', 'treat-as-withdraw');
      expect(r.action).toBe('treat-as-withdraw');
    }
  });

  it('row 16: ORIGIN, AS_PATH or NEXT_HOP missing while NLRI is present -> treat-as-withdraw 3/3 with the type', () => {
    expectError(decodeUpdate(update(AS_PATH_65001 + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx).errors[0], 3, 3, '01', 'treat-as-withdraw');
    expectError(decodeUpdate(update(ORIGIN_IGP + NEXT_HOP_10_0_0_1, NLRI_TWO), ctx).errors[0], 3, 3, '02', 'treat-as-withdraw');
    const r = decodeUpdate(update(ORIGIN_IGP + AS_PATH_65001, NLRI_TWO), ctx);
    expectError(r.errors[0], 3, 3, '03', 'treat-as-withdraw');
    expect(r.withdraw).toHaveLength(2);
    // Empty attribute list with NLRI (FRR CVE-2023-46753): three errors, TaW, no crash.
    const e = decodeUpdate(update('', NLRI_TWO), ctx);
    expect(e.errors.map((x) => toHex(x.data))).toEqual(['01', '02', '03']);
    expect(e.action).toBe('treat-as-withdraw');
    // IPv6 only (MP_REACH) needs ORIGIN and AS_PATH but no NEXT_HOP.
    const mp = attr(0x80, 14, '0002 01 10 20010db8000000000000000000000001 00 30 20010db80001');
    expectError(decodeUpdate(update(mp + ORIGIN_IGP), ctx).errors[0], 3, 3, '02', 'treat-as-withdraw');
    // No NLRI: nothing is mandatory.
    expect(decodeUpdate(update('', '', '18 c63364'), ctx).errors).toEqual([]);
  });

  it('row 17: NEXT_HOP, MED or LOCAL_PREF length != 4 -> treat-as-withdraw 3/5', () => {
    const nh = attr(0x40, 3, '0a00000101');
    expectError(decodeUpdate(update(ORIGIN_IGP + AS_PATH_65001 + nh, NLRI_TWO), ctx).errors[0], 3, 5, nh, 'treat-as-withdraw');
    const med = attr(0x80, 4, '000064');
    expectError(decodeUpdate(update(MANDATORY + med, NLRI_TWO), ctx).errors[0], 3, 5, med, 'treat-as-withdraw');
    const lp = attr(0x40, 5, '0064');
    expectError(decodeUpdate(update(MANDATORY + lp, NLRI_TWO), ctx).errors[0], 3, 5, lp, 'treat-as-withdraw');
    // A NEXT_HOP that cannot be a next hop (0.0.0.0): 3/8, treat-as-withdraw (RFC 7606 §7.3).
    const zero = attr(0x40, 3, '00000000');
    expectError(decodeUpdate(update(ORIGIN_IGP + AS_PATH_65001 + zero, NLRI_TWO), ctx).errors[0], 3, 8, zero, 'treat-as-withdraw');
  });

  it('row 18: ATOMIC_AGGREGATE length != 0, AGGREGATOR length != 8 (4-octet session) -> attribute discard', () => {
    const aa = attr(0x40, 6, '01');
    const ag = attr(0xc0, 7, '0000fde90a0000');
    const r = decodeUpdate(update(MANDATORY + aa + ag, NLRI_TWO), ctx);
    expectError(r.errors[0], 3, 5, aa, 'attribute-discard');
    expectError(r.errors[1], 3, 5, ag, 'attribute-discard');
    expect(r.action).toBe('attribute-discard');
    expect(r.update.attributes.atomicAggregate).toBeUndefined();
    expect(r.update.attributes.aggregator).toBeUndefined();
    expect(r.update.nlri).toHaveLength(2);
    expect(r.withdraw).toEqual([]);
    // On a 2-octet session the AGGREGATOR is 6 bytes, and 8 is wrong.
    const ag8 = attr(0xc0, 7, '0000fde90a000001');
    expectError(decodeUpdate(update(ORIGIN_IGP + attr(0x40, 2, '0201fde9') + NEXT_HOP_10_0_0_1 + ag8, NLRI_TWO), { fourOctetAs: false }).errors[0], 3, 5, ag8, 'attribute-discard');
  });

  it('row 19: COMMUNITIES length not a non-zero multiple of 4 -> treat-as-withdraw', () => {
    for (const v of ['', 'fde900', 'fde90064ff']) {
      const c = attr(0xc0, 8, v);
      expectError(decodeUpdate(update(MANDATORY + c, NLRI_TWO), ctx).errors[0], 3, 5, c, 'treat-as-withdraw');
    }
  });

  it('row 20: an attribute twice (not MP_*) -> the first is kept, the rest discarded', () => {
    const r = decodeUpdate(update(MANDATORY + attr(0x40, 1, '02') + attr(0xc0, 8, 'fde90064') + attr(0xc0, 8, 'fde900c8'), NLRI_TWO), ctx);
    expect(r.action).toBe('attribute-discard');
    expect(r.errors.map((e) => [e.code, e.subcode, e.action])).toEqual([[3, 1, 'attribute-discard'], [3, 1, 'attribute-discard']]);
    expect(r.update.attributes.origin).toBe(0);
    expect(r.update.attributes.communities).toEqual([0xfde90064]);
  });

  it('row 21: MP_REACH_NLRI or MP_UNREACH_NLRI twice -> 3/1 session reset', () => {
    const reach = attr(0x80, 14, '0002 01 10 20010db8000000000000000000000001 00 30 20010db80001');
    const r = decodeUpdate(update(reach + ORIGIN_IGP + AS_PATH_65001 + reach), ctx);
    expectError(r.notification, 3, 1, '', 'session-reset');
    const unreach = attr(0x80, 15, '0002 01 30 20010db80001');
    expectError(decodeUpdate(update(unreach + unreach), ctx).notification, 3, 1, '', 'session-reset');
  });

  it('row 22: IPv4 prefix length > 32, or NLRI / withdrawn routes overrun -> 3/10 session reset', () => {
    expectError(decodeUpdate(update(MANDATORY, '21 c6336400 00'), ctx).notification, 3, 10, '', 'session-reset');
    expectError(decodeUpdate(update(MANDATORY, '18 c633'), ctx).notification, 3, 10, '', 'session-reset');
    expectError(decodeUpdate(update('', '', '20 0a0000'), ctx).notification, 3, 10, '', 'session-reset');
    expectError(decodeUpdate(update('', '', '30 0a00000000'), ctx).notification, 3, 10, '', 'session-reset');
  });

  it('row 23: MP_REACH IPv6 next-hop length not 16/32, or its NLRI overruns -> 3/9 session reset', () => {
    const nh8 = attr(0x80, 14, '0002 01 08 20010db800000001 00 30 20010db80001');
    expectError(decodeUpdate(update(nh8 + ORIGIN_IGP + AS_PATH_65001), ctx).notification, 3, 9, nh8, 'session-reset');
    const overrun = attr(0x80, 14, '0002 01 10 20010db8000000000000000000000001 00 40 20010db80001');
    expectError(decodeUpdate(update(overrun + ORIGIN_IGP + AS_PATH_65001), ctx).notification, 3, 9, overrun, 'session-reset');
    const len129 = attr(0x80, 15, '0002 01 81 20010db80001000000000000000000000000');
    expectError(decodeUpdate(update(len129), ctx).notification, 3, 9, len129, 'session-reset');
    // Both legal next-hop lengths are accepted (captured 32-byte form: vector update-1).
    expect(decodeUpdate(vector('update-1'), ctx).action).toBeUndefined();
  });

  it('row 24: malformed attributes this speaker does not implement (23, 35) never reset', () => {
    const tunnel = attr(0xc0, 23, 'ff');
    const otc = attr(0xc0, 35, '0000fd'); // OTC must be 4 bytes (RFC 9234)
    const r = decodeUpdate(update(MANDATORY + tunnel + otc, NLRI_TWO), ctx);
    expect(r.action).toBeUndefined();
    expect(r.update.nlri).toHaveLength(2);
    expect(r.update.attributes.unknown?.map((u) => [u.code, u.flags, toHex(u.value)])).toEqual([[23, 0xc0, 'ff'], [35, 0xc0, '0000fd']]);
    // Unknown optional non-transitive: dropped quietly.
    const q = decodeUpdate(update(MANDATORY + attr(0x80, 99, '0102'), NLRI_TWO), ctx);
    expect(q.errors).toEqual([]);
    expect(q.update.attributes.unknown).toBeUndefined();
    // Unknown well-known is the one unknown case that resets (3/2 with the attribute).
    const wk = attr(0x40, 99, '0102');
    expectError(decodeUpdate(update(MANDATORY + wk, NLRI_TWO), ctx).notification, 3, 2, wk, 'session-reset');
  });

  it('cross-cutting: the strongest action wins and data never exceeds the bytes received', () => {
    const badOrigin = attr(0x40, 1, '07');
    const badAtomic = attr(0x40, 6, '01');
    const msg = update(badOrigin + AS_PATH_65001 + NEXT_HOP_10_0_0_1 + badAtomic, NLRI_TWO);
    const r = decodeUpdate(msg, ctx);
    expect(r.errors.map((e) => e.action)).toEqual(['treat-as-withdraw', 'attribute-discard']);
    expect(r.action).toBe('treat-as-withdraw');
    const badReach = attr(0x80, 14, '0002 01 05 2001');
    const msg2 = update(badReach + badOrigin + AS_PATH_65001 + NEXT_HOP_10_0_0_1 + badAtomic, NLRI_TWO);
    const r2 = decodeUpdate(msg2, ctx);
    expect(r2.action).toBe('session-reset');
    expectError(r2.notification, 3, 9, badReach, 'session-reset');
    for (const [m, res] of [[msg, r], [msg2, r2]] as const) {
      for (const e of res.errors) {
        expect(e.data.length).toBeLessThanOrEqual(m.length);
        // Attribute errors carry the attribute exactly as received.
        if (e.data.length > 1) expect(toHex(m)).toContain(toHex(e.data));
      }
    }
  });

  it('cross-cutting: a NOTIFICATION with a broken header is reported with its type so it is not answered', () => {
    const d = decodeMessage(message(3, '06'), ctx);
    expect(d.kind).toBe('error');
    if (d.kind === 'error') expect(d.type).toBe(3);
  });
});
