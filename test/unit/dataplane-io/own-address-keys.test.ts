// The XDP program's own-address keys (linux-frame-io.ts ownAddressKeys):
// what the program compares a destination with, byte for byte.
import { describe, expect, it } from 'vitest';
import { ownAddressKeys } from '../../../src/dataplane/linux-frame-io.js';

const hex = (b: Uint8Array) => Array.from({ length: b.length / 16 }, (_, i) => Buffer.from(b.subarray(i * 16, i * 16 + 16)).toString('hex'));

describe('ownAddressKeys', () => {
  it('IPv4 as ::ffff:a.b.c.d with the subnet broadcast; /31 and /32 have none; IPv6 as is', () => {
    const keys = hex(ownAddressKeys([
      { ipv4: ['10.1.0.1/24'], ipv6: ['2001:db8:1::1/64'] },
      { ipv4: ['10.0.0.0/31', '192.0.2.7/32'], ipv6: [] },
    ]));
    expect(keys).toEqual([
      '00000000000000000000ffff0a010001',
      '00000000000000000000ffff0a0100ff',
      '20010db8000100000000000000000001',
      '00000000000000000000ffff0a000000',
      '00000000000000000000ffffc0000207',
    ]);
  });

  it('an interface without addresses gives no key; a bad address is an error naming it', () => {
    expect(ownAddressKeys([{}]).length).toBe(0);
    expect(() => ownAddressKeys([{ ipv4: ['10.1.0.300/24'] }])).toThrow(/10\.1\.0\.300/);
  });
});
