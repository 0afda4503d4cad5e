/**
 * 48-bit MAC addresses (IEEE 802): text form, comparisons and the multicast
 * mappings the data plane needs (RFC 7042 §2.3.1 for IPv6: 33:33 + low 32 bits).
 *
 * Not here: Ethernet framing (src/packet/ethernet.ts).
 */

export const MAC_LEN = 6;
export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
export const ZERO_MAC: Uint8Array = new Uint8Array(6);

/** "aa:bb:cc:dd:ee:ff" (also accepts '-' separators). Never throws. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text.trim());
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

export function formatMac(b: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (b[off + i] < 16 ? '0' : '') + b[off + i].toString(16);
  return s;
}

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Group bit (I/G) set: multicast or broadcast. */
export function isMulticastMac(b: Uint8Array, off = 0): boolean {
  return (b[off] & 1) === 1;
}

export function isBroadcastMac(b: Uint8Array, off = 0): boolean {
  return macEquals(b, off, BROADCAST_MAC);
}

/** Ethernet destination for an IPv6 multicast address (RFC 2464 §7). */
export function ipv6MulticastMac(ipv6: Uint8Array, off = 0): Uint8Array {
  return Uint8Array.of(0x33, 0x33, ipv6[off + 12], ipv6[off + 13], ipv6[off + 14], ipv6[off + 15]);
}

/** Solicited-node multicast address ff02::1:ffXX:XXXX for a unicast IPv6 address (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(ipv6: Uint8Array, off = 0): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xff; out[1] = 0x02; out[11] = 0x01; out[12] = 0xff;
  out[13] = ipv6[off + 13]; out[14] = ipv6[off + 14]; out[15] = ipv6[off + 15];
  return out;
}
