/**
 * ARP for IPv4 over Ethernet (RFC 826).
 *
 * Owns: the field table, `ArpView` (reads a request and turns it into a reply
 * in place), and the plain `ArpPacket` with `parseArp` / `emitArp` / `arpLen`.
 *
 * Operation codes other than request (1) and reply (2) are kept as numbers.
 * Trailing bytes (Ethernet pads ARP to 60 bytes) are ignored.
 *
 * Not supported: hardware types other than Ethernet (1), protocol types other
 * than IPv4 (0x0800), or other address lengths — such packets parse to
 * `arp.unsupported-format`; RARP and InARP.
 */
import { getU16, getU32, setU16, setU32 } from '../lib/bytes.js';
import { type Result, ok, fail, EMPTY, copyBytes } from './result.js';
import { copy6 } from './ethernet.js';

export const ArpOp = { REQUEST: 1, REPLY: 2 } as const;

export const ArpField = {
  HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8, SPA: 14, THA: 18, TPA: 24, LEN: 28,
} as const;

const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;

export const ArpError = { TRUNCATED: 'arp.truncated', UNSUPPORTED_FORMAT: 'arp.unsupported-format' } as const;
export type ArpErrorCode = (typeof ArpError)[keyof typeof ArpError];

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: Uint8Array;
  readonly targetMac: Uint8Array;
  readonly targetIp: Uint8Array;
}

/** A reusable view over one ARP packet; no allocation per packet. */
export class ArpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** True when `length` bytes hold an Ethernet/IPv4 ARP packet. */
  isValid(length: number): boolean {
    const b = this.buf, o = this.off;
    return length >= ArpField.LEN && getU16(b, o) === HTYPE_ETHERNET && getU16(b, o + 2) === PTYPE_IPV4 && b[o + 4] === 6 && b[o + 5] === 4;
  }

  get op(): number { return getU16(this.buf, this.off + ArpField.OPER); }
  set op(v: number) { setU16(this.buf, this.off + ArpField.OPER, v); }
  get senderIp(): number { return getU32(this.buf, this.off + ArpField.SPA); }
  set senderIp(v: number) { setU32(this.buf, this.off + ArpField.SPA, v); }
  get targetIp(): number { return getU32(this.buf, this.off + ArpField.TPA); }
  set targetIp(v: number) { setU32(this.buf, this.off + ArpField.TPA, v); }

  copySenderMac(out: Uint8Array, outOff = 0): void {
    copy6(this.buf, this.off + ArpField.SHA, out, outOff);
  }

  setSenderMac(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.buf, this.off + ArpField.SHA);
  }

  setTargetMac(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.buf, this.off + ArpField.THA);
  }

  /** Turn a request into the reply "`targetIp` is at `myMac`" in place (RFC 826 "swap fields"). */
  makeReply(myMac: Uint8Array, myMacOff = 0): void {
    const b = this.buf, o = this.off;
    const spa = this.senderIp;
    const tpa = this.targetIp;
    copy6(b, o + ArpField.SHA, b, o + ArpField.THA);
    this.setSenderMac(myMac, myMacOff);
    this.senderIp = tpa;
    this.targetIp = spa;
    this.op = ArpOp.REPLY;
  }
}

export function parseArp(bytes: Uint8Array): Result<ArpPacket, ArpErrorCode> {
  if (bytes.length < 8) return fail(ArpError.TRUNCATED, `ARP packet of ${bytes.length} bytes is shorter than its 8-byte fixed part`);
  const htype = getU16(bytes, ArpField.HTYPE), ptype = getU16(bytes, ArpField.PTYPE);
  const hlen = bytes[ArpField.HLEN], plen = bytes[ArpField.PLEN];
  if (htype !== HTYPE_ETHERNET || ptype !== PTYPE_IPV4 || hlen !== 6 || plen !== 4) {
    return fail(ArpError.UNSUPPORTED_FORMAT, `ARP hardware type ${htype}/protocol 0x${ptype.toString(16)} (lengths ${hlen}/${plen}) is not IPv4 over Ethernet`);
  }
  if (bytes.length < ArpField.LEN) return fail(ArpError.TRUNCATED, `ARP packet of ${bytes.length} bytes is shorter than 28`);
  return ok({
    op: getU16(bytes, ArpField.OPER),
    senderMac: copyBytes(bytes, ArpField.SHA, 6),
    senderIp: copyBytes(bytes, ArpField.SPA, 4),
    targetMac: copyBytes(bytes, ArpField.THA, 6),
    targetIp: copyBytes(bytes, ArpField.TPA, 4),
  });
}

export function arpLen(): number {
  return ArpField.LEN;
}

export function emitArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(ArpField.LEN);
  setU16(out, ArpField.HTYPE, HTYPE_ETHERNET);
  setU16(out, ArpField.PTYPE, PTYPE_IPV4);
  out[ArpField.HLEN] = 6;
  out[ArpField.PLEN] = 4;
  setU16(out, ArpField.OPER, p.op);
  out.set(p.senderMac.subarray(0, 6), ArpField.SHA);
  out.set(p.senderIp.subarray(0, 4), ArpField.SPA);
  out.set(p.targetMac.subarray(0, 6), ArpField.THA);
  out.set(p.targetIp.subarray(0, 4), ArpField.TPA);
  return out;
}
