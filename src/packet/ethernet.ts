/**
 * Ethernet II frames (IEEE 802.3 / RFC 894), with one IEEE 802.1Q tag recognised.
 *
 * Owns: the field table, `EthernetView` (in-place MAC rewrite on the hot path),
 * and the plain `EthernetHeader` with `parseEthernet` / `emitEthernet` /
 * `ethernetLen`.
 *
 * A frame whose type field is 0x8100 (C-tag) or 0x88a8 (S-tag) carries one tag
 * (PCP, DEI, VID) and the real EtherType after it; only the outermost tag is
 * parsed (a QinQ frame's inner tag is reported as its EtherType 0x8100).
 *
 * Not supported: 802.3 length/LLC/SNAP frames (a type field below 0x0600 is
 * kept as a number and the rest is payload), the FCS (never present on an
 * AF_PACKET socket), jumbo-frame policy (the caller knows its MTU).
 */
import { getU16, setU16 } from '../lib/bytes.js';
import { type Result, type Decoded, ok, fail, EMPTY, copyBytes } from './result.js';

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

/** Byte offsets from the start of the frame. */
export const EthernetField = {
  DST: 0, SRC: 6, TYPE: 12,
  /** In a tagged frame: the tag control information and the inner type. */
  TCI: 14, INNER_TYPE: 16,
  HEADER_LEN: 14, TAGGED_HEADER_LEN: 18,
} as const;

export const EthernetError = { TRUNCATED: 'ethernet.truncated', TAG_TRUNCATED: 'ethernet.tag-truncated' } as const;
export type EthernetErrorCode = (typeof EthernetError)[keyof typeof EthernetError];

export interface VlanTag {
  /** The TPID the tag was found under (0x8100 or 0x88a8). */
  readonly tpid: number;
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
}

export interface EthernetHeader {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly vlan?: VlanTag;
  /** The EtherType of the payload (after the tag when there is one). */
  readonly ethertype: number;
}

/** Six-byte copy, unrolled: the MAC rewrite is on the forwarding hot path. */
export function copy6(from: Uint8Array, fromOff: number, to: Uint8Array, toOff: number): void {
  to[toOff] = from[fromOff];
  to[toOff + 1] = from[fromOff + 1];
  to[toOff + 2] = from[fromOff + 2];
  to[toOff + 3] = from[fromOff + 3];
  to[toOff + 4] = from[fromOff + 4];
  to[toOff + 5] = from[fromOff + 5];
}

function isTagType(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ;
}

/**
 * A reusable view over one frame: point it at a buffer with `at()`; no
 * allocation per frame. Callers check `frameLength >= headerLength` (or use
 * `isValid`) before reading fields past the first 14 bytes.
 */
export class EthernetView {
  buf: Uint8Array = EMPTY;
  off = 0;

  at(buf: Uint8Array, off = 0): this {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** True when `length` bytes hold the whole header (tag included). */
  isValid(length: number): boolean {
    if (length < EthernetField.HEADER_LEN) return false;
    return !this.tagged || length >= EthernetField.TAGGED_HEADER_LEN;
  }

  get tagged(): boolean {
    return isTagType(getU16(this.buf, this.off + EthernetField.TYPE));
  }

  /** The payload's EtherType (the inner one for tagged frames). */
  get ethertype(): number {
    const t = getU16(this.buf, this.off + EthernetField.TYPE);
    return isTagType(t) ? getU16(this.buf, this.off + EthernetField.INNER_TYPE) : t;
  }

  set ethertype(v: number) {
    const t = getU16(this.buf, this.off + EthernetField.TYPE);
    setU16(this.buf, this.off + (isTagType(t) ? EthernetField.INNER_TYPE : EthernetField.TYPE), v);
  }

  /** VLAN id of a tagged frame, -1 when untagged. */
  get vid(): number {
    return this.tagged ? getU16(this.buf, this.off + EthernetField.TCI) & 0x0fff : -1;
  }

  get headerLength(): number {
    return this.tagged ? EthernetField.TAGGED_HEADER_LEN : EthernetField.HEADER_LEN;
  }

  /** Absolute offset of the payload in `buf`. */
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  setDst(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.buf, this.off + EthernetField.DST);
  }

  setSrc(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.buf, this.off + EthernetField.SRC);
  }

  /** Copy the destination MAC into `out` (no allocation). */
  copyDst(out: Uint8Array, outOff = 0): void {
    copy6(this.buf, this.off + EthernetField.DST, out, outOff);
  }

  copySrc(out: Uint8Array, outOff = 0): void {
    copy6(this.buf, this.off + EthernetField.SRC, out, outOff);
  }

  /** I/G bit of the destination: multicast or broadcast. */
  get dstIsGroup(): boolean {
    return (this.buf[this.off + EthernetField.DST] & 1) === 1;
  }
}

export function parseEthernet(bytes: Uint8Array): Result<Decoded<EthernetHeader>, EthernetErrorCode> {
  if (bytes.length < EthernetField.HEADER_LEN) {
    return fail(EthernetError.TRUNCATED, `frame of ${bytes.length} bytes is shorter than the 14-byte Ethernet header`);
  }
  const dst = copyBytes(bytes, EthernetField.DST, 6);
  const src = copyBytes(bytes, EthernetField.SRC, 6);
  const type = getU16(bytes, EthernetField.TYPE);
  if (!isTagType(type)) {
    return ok({ header: { dst, src, ethertype: type }, payload: bytes.subarray(EthernetField.HEADER_LEN) });
  }
  if (bytes.length < EthernetField.TAGGED_HEADER_LEN) {
    return fail(EthernetError.TAG_TRUNCATED, `tagged frame of ${bytes.length} bytes is shorter than the 18-byte 802.1Q header`);
  }
  const tci = getU16(bytes, EthernetField.TCI);
  const vlan: VlanTag = { tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  return ok({ header: { dst, src, vlan, ethertype: getU16(bytes, EthernetField.INNER_TYPE) }, payload: bytes.subarray(EthernetField.TAGGED_HEADER_LEN) });
}

export function ethernetHeaderLen(h: EthernetHeader): number {
  return h.vlan ? EthernetField.TAGGED_HEADER_LEN : EthernetField.HEADER_LEN;
}

/** Total bytes `emitEthernet(h, payload)` produces for a payload of `payloadLength` bytes. */
export function ethernetLen(h: EthernetHeader, payloadLength = 0): number {
  return ethernetHeaderLen(h) + payloadLength;
}

/** Write the header at `buf[off]`; returns its length. */
export function emitEthernetHeader(h: EthernetHeader, buf: Uint8Array, off = 0): number {
  buf.set(h.dst.subarray(0, 6), off + EthernetField.DST);
  buf.set(h.src.subarray(0, 6), off + EthernetField.SRC);
  if (!h.vlan) {
    setU16(buf, off + EthernetField.TYPE, h.ethertype);
    return EthernetField.HEADER_LEN;
  }
  const v = h.vlan;
  setU16(buf, off + EthernetField.TYPE, v.tpid);
  setU16(buf, off + EthernetField.TCI, ((v.pcp & 7) << 13) | (v.dei ? 0x1000 : 0) | (v.vid & 0x0fff));
  setU16(buf, off + EthernetField.INNER_TYPE, h.ethertype);
  return EthernetField.TAGGED_HEADER_LEN;
}

export function emitEthernet(h: EthernetHeader, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(ethernetLen(h, payload.length));
  const n = emitEthernetHeader(h, out, 0);
  out.set(payload, n);
  return out;
}
