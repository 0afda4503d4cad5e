/**
 * Test helpers: build BGP messages from hex pieces so each robustness case
 * shows exactly which bytes are wrong. Lengths are computed, not typed.
 */
import { hexToBytes } from './vectors.js';

const hex = (s: string) => s.replace(/\s+/g, '');
const h2 = (n: number) => n.toString(16).padStart(4, '0');
const h1 = (n: number) => n.toString(16).padStart(2, '0');

/** A path attribute: flags, code and value hex; extended length when the flag asks for it. */
export function attr(flags: number, code: number, value = ''): string {
  const v = hex(value);
  const len = v.length / 2;
  return (flags & 0x10) !== 0 ? h1(flags) + h1(code) + h2(len) + v : h1(flags) + h1(code) + h1(len) + v;
}

/** A whole message with a correct header. */
export function message(type: number, bodyHex: string): Uint8Array {
  const body = hex(bodyHex);
  return hexToBytes('ff'.repeat(16) + h2(19 + body.length / 2) + h1(type) + body);
}

/** An UPDATE from its three parts (hex), lengths computed. */
export function update(attrsHex: string, nlriHex = '', withdrawnHex = ''): Uint8Array {
  const w = hex(withdrawnHex);
  const a = hex(attrsHex);
  return message(2, h2(w.length / 2) + w + h2(a.length / 2) + a + hex(nlriHex));
}

/** The mandatory attributes of a valid eBGP IPv4 UPDATE on a 4-octet session (AS 65001, next hop 10.0.0.1). */
export const ORIGIN_IGP = attr(0x40, 1, '00');
export const AS_PATH_65001 = attr(0x40, 2, '02 01 0000fde9');
export const NEXT_HOP_10_0_0_1 = attr(0x40, 3, '0a000001');
export const MANDATORY = ORIGIN_IGP + AS_PATH_65001 + NEXT_HOP_10_0_0_1;
/** 198.51.100.0/24 and 203.0.113.0/25. */
export const NLRI_TWO = '18 c63364 19 cb007100';

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
