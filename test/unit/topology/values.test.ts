/** The text forms of topology values: durations, loss, rates, ranges, communities, ASNs. */
import { describe, expect, it } from 'vitest';
import {
  checkAsn, checkCommunity, checkHoldTime, formatPrefixRange, parseDuration, parseHostAddress, parseLoss, parsePrefixRange, parseRate,
} from '../../../lab/topology/values.js';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }) => (r.ok ? r.value : `error: ${r.error}`);

describe('topology values', () => {
  it('reads durations in tc units', () => {
    expect(['20ms', '1.5ms', '100us', '1s', ' 2 ms ', 7].map((v) => value(parseDuration(v)))).toEqual([20, 1.5, 0.1, 1000, 2, 7]);
    for (const bad of ['20', 'ms', '-1ms', '61s', '1h', null]) expect(parseDuration(bad).ok).toBe(false);
  });

  it('reads loss as percent', () => {
    expect(['1%', '0.5%', '100%', 0, 3].map((v) => value(parseLoss(v)))).toEqual([1, 0.5, 100, 0, 3]);
    for (const bad of ['1', '101%', -1, '%']) expect(parseLoss(bad).ok).toBe(false);
  });

  it('reads rates in Mbit/s', () => {
    expect(['10mbit', '500kbit', '1gbit', '1Gbit', 100, '1000000bit'].map((v) => value(parseRate(v)))).toEqual([10, 0.5, 1000, 1000, 100, 1]);
    for (const bad of ['10mbps', '10', 0, '0mbit', '200gbit']) expect(parseRate(bad).ok).toBe(false);
  });

  it('reads prefix ranges and prints them back', () => {
    for (const t of ['192.0.2.0/24', '192.0.2.0/24 le 32', '10.0.0.0/8 ge 16 le 24', '2001:db8::/32 le 48']) {
      const r = parsePrefixRange(t);
      expect(r.ok && formatPrefixRange(r.value)).toBe(t);
    }
    const open = parsePrefixRange('10.0.0.0/8 ge 16');
    expect(open.ok && formatPrefixRange(open.value)).toBe('10.0.0.0/8 ge 16 le 32');
    for (const bad of ['192.0.2.0/24 le 16', '192.0.2.0/24 ge 33', '192.0.2.0/24 le', '192.0.2.0/24 eq 24', '192.0.2.1/24', '10.0.0.0/8 le 20 le 24']) {
      expect(parsePrefixRange(bad).ok, bad).toBe(false);
    }
  });

  it('checks communities (RFC 1997 and well-known names)', () => {
    expect(value(checkCommunity('65000:100'))).toBe('65000:100');
    expect(value(checkCommunity('01:0100'))).toBe('1:100');
    expect(value(checkCommunity('no-export'))).toBe('no-export');
    for (const bad of ['65536:1', '1:65536', '100', 'NO_EXPORT', 65000]) expect(checkCommunity(bad).ok).toBe(false);
  });

  it('checks AS numbers and hold times', () => {
    expect([1, 65535, 65536, 4294967295].map((v) => value(checkAsn(v)))).toEqual([1, 65535, 65536, 4294967295]);
    for (const bad of [0, 23456, 4294967296, 1.5, '65001']) expect(checkAsn(bad).ok).toBe(false);
    expect([0, 3, 9, 65535].every((v) => checkHoldTime(v).ok)).toBe(true);
    expect([1, 2, -1, 65536].some((v) => checkHoldTime(v).ok)).toBe(false);
  });

  it('accepts host addresses with or without a full-length prefix', () => {
    expect(parseHostAddress('192.0.2.53/32').ok).toBe(true);
    expect(parseHostAddress('2001:db8::53/128').ok).toBe(true);
    expect(parseHostAddress('192.0.2.53/24').ok).toBe(false);
    expect(parseHostAddress('300.1.1.1').ok).toBe(false);
  });
});
