/**
 * Optional per-session UPDATE checks (iBGP LOCAL_PREF, eBGP first AS) and
 * ROUTE-REFRESH length errors (RFC 7313 §5).
 */
import { describe, expect, it } from 'vitest';
import { decodeUpdate } from '../../../src/bgp/wire/update.js';
import { decodeMessage } from '../../../src/bgp/wire/message.js';
import { attr, message, toHex, update, MANDATORY, NLRI_TWO } from './build.js';

describe('session-context UPDATE checks', () => {
  it('iBGP: LOCAL_PREF missing with NLRI is treat-as-withdraw 3/3 with data 05', () => {
    const r = decodeUpdate(update(MANDATORY, NLRI_TWO), { fourOctetAs: true, ibgp: true });
    expect(r.action).toBe('treat-as-withdraw');
    expect([r.errors[0].code, r.errors[0].subcode, toHex(r.errors[0].data)]).toEqual([3, 3, '05']);
    expect(decodeUpdate(update(MANDATORY + attr(0x40, 5, '00000064'), NLRI_TWO), { fourOctetAs: true, ibgp: true }).action).toBeUndefined();
  });

  it('eBGP: a received LOCAL_PREF is ignored (RFC 4271 §5.1.5)', () => {
    const r = decodeUpdate(update(MANDATORY + attr(0x40, 5, '00000064'), NLRI_TWO), { fourOctetAs: true, ibgp: false });
    expect(r.errors).toEqual([]);
    expect(r.update.attributes.localPref).toBeUndefined();
  });

  it('eBGP with enforceFirstAs: a path not starting with the peer AS is treat-as-withdraw 3/11', () => {
    const ok = decodeUpdate(update(MANDATORY, NLRI_TWO), { fourOctetAs: true, enforceFirstAs: 65001 });
    expect(ok.action).toBeUndefined();
    const bad = decodeUpdate(update(MANDATORY, NLRI_TWO), { fourOctetAs: true, enforceFirstAs: 65002 });
    expect(bad.action).toBe('treat-as-withdraw');
    expect([bad.errors[0].code, bad.errors[0].subcode]).toEqual([3, 11]);
    expect(bad.withdraw).toHaveLength(2);
  });
});

describe('ROUTE-REFRESH length', () => {
  it('a plain request of the wrong length is 1/2; an RFC 7313 BoRR/EoRR is 7/1 with the whole message', () => {
    const plain = decodeMessage(message(5, '0001 00 01 00'), { fourOctetAs: true });
    expect(plain.kind === 'error' && [plain.error.code, plain.error.subcode, toHex(plain.error.data)]).toEqual([1, 2, '0018']);
    const borr = message(5, '0001 01 01 00');
    const d = decodeMessage(borr, { fourOctetAs: true });
    expect(d.kind === 'error' && [d.error.code, d.error.subcode, toHex(d.error.data)]).toEqual([7, 1, toHex(borr)]);
  });
});
