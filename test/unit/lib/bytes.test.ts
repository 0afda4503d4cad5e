import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter, getU32, setU32, toHex } from '../../../src/lib/bytes.js';
import { formatMac, parseMac, isMulticastMac, ipv6MulticastMac, solicitedNodeAddress } from '../../../src/lib/mac.js';

describe('ByteReader', () => {
  it('reads big-endian fields and stops at the end without throwing', () => {
    const r = new ByteReader(Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06));
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0203);
    expect(r.u32()).toBeUndefined(); // 3 bytes left: refused, cursor unmoved
    expect(r.offset).toBe(3);
    expect(r.remaining).toBe(3);
    expect(r.u16()).toBe(0x0405);
    expect(r.peekU8()).toBe(0x06);
    expect(r.u8()).toBe(0x06);
    expect(r.u8()).toBeUndefined();
    expect(r.u16()).toBeUndefined();
    expect(r.bytesView(1)).toBeUndefined();
    expect(r.skip(1)).toBe(false);
  });

  it('honours a sub-range and never reads past it', () => {
    const b = Uint8Array.of(0xff, 0xfe, 0x80, 0x00, 0x00, 0x01, 0xaa);
    const r = new ByteReader(b, 1, 5);
    expect(r.u32()).toBe(0xfe800000);
    expect(r.u8()).toBeUndefined();
    expect(r.rest().length).toBe(0);
  });

  it('returns views and copies of byte runs', () => {
    const b = Uint8Array.of(1, 2, 3, 4);
    const r = new ByteReader(b);
    const v = r.bytesView(2)!;
    const c = r.bytesCopy(2)!;
    b[0] = 9; b[2] = 9;
    expect([...v]).toEqual([9, 2]);
    expect([...c]).toEqual([3, 4]);
    expect(r.bytesView(-1)).toBeUndefined();
  });

  it('u32 is unsigned', () => {
    expect(new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xfe)).u32()).toBe(0xfffffffe);
  });
});

describe('ByteReader on untrusted input (property)', () => {
  it('any sequence of reads stays inside the range and never throws', () => {
    const op = fc.constantFrom('u8', 'u16', 'u32', 'view', 'copy', 'skip', 'peek') ;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(50), fc.nat(50), fc.array(fc.tuple(op, fc.integer({ min: -2, max: 12 })), { maxLength: 30 }), (b, s, e, ops) => {
      const r = new ByteReader(b, s, e);
      const end = r.end;
      expect(end).toBeLessThanOrEqual(b.length);
      for (const [o, n] of ops) {
        const before = r.offset;
        const got = o === 'u8' ? r.u8() : o === 'u16' ? r.u16() : o === 'u32' ? r.u32()
          : o === 'view' ? r.bytesView(n) : o === 'copy' ? r.bytesCopy(n) : o === 'skip' ? r.skip(n) : r.peekU8();
        const need = o === 'u8' ? 1 : o === 'u16' ? 2 : o === 'u32' ? 4 : o === 'peek' ? 0 : n;
        if (before + need > end || need < 0) {
          expect(got === undefined || got === false || (o === 'peek' && got === undefined)).toBe(true);
          expect(r.offset).toBe(before);
        }
        expect(r.offset).toBeLessThanOrEqual(end);
      }
    }), { numRuns: 300 });
  });
});

describe('ByteWriter', () => {
  it('grows and writes big-endian fields', () => {
    const w = new ByteWriter(1);
    w.u8(0xab).u16(0x1234).u32(0xdeadbeef).bytes(Uint8Array.of(7, 8)).zeros(3);
    for (let i = 0; i < 100; i++) w.u8(i);
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 4 + 2 + 3 + 100);
    expect(toHex(out.subarray(0, 12))).toBe('ab1234deadbeef0708000000');
    expect(out[111]).toBe(99);
  });

  it('patches a 16-bit field in place and refuses out-of-range patches', () => {
    const w = new ByteWriter();
    w.u16(0).u16(0xffff);
    w.setU16(0, 0xbeef);
    expect(toHex(w.finish())).toBe('beefffff');
    expect(() => w.setU16(3, 1)).toThrow(RangeError);
  });

  it('setU32/getU32 round-trip', () => {
    const b = new Uint8Array(6);
    setU32(b, 1, 0xc0000235);
    expect(getU32(b, 1)).toBe(0xc0000235);
    expect(toHex(b)).toBe('00c000023500');
  });
});

describe('MAC addresses', () => {
  it('parses and formats', () => {
    const m = parseMac('82:3D:fd:9f:35:4c')!;
    expect(formatMac(m)).toBe('82:3d:fd:9f:35:4c');
    expect(parseMac('82:3d:fd:9f:35')).toBeUndefined();
    expect(parseMac('zz:3d:fd:9f:35:4c')).toBeUndefined();
    expect(isMulticastMac(parseMac('33:33:00:00:00:16')!)).toBe(true);
    expect(isMulticastMac(m)).toBe(false);
  });

  it('maps IPv6 multicast and solicited-node addresses (RFC 2464 §7, RFC 4291 §2.7.1)', () => {
    // fd00:1::2 → ff02::1:ff00:2 → 33:33:ff:00:00:02 (seen in the NS capture).
    const a = new Uint8Array(16); a[0] = 0xfd; a[3] = 1; a[15] = 2;
    const sn = solicitedNodeAddress(a);
    expect(toHex(sn)).toBe('ff0200000000000000000001ff000002');
    expect(formatMac(ipv6MulticastMac(sn))).toBe('33:33:ff:00:00:02');
  });
});
