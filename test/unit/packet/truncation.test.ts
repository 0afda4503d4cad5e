// Every truncation of every captured frame (test/unit/packet/vectors.ts) must
// decode to an error value, never throw, and the whole frame must decode.
import { describe, expect, it } from 'vitest';
import { allFrames } from './vectors.js';
import { decodeFrame } from './decode-frame.js';
import { Ipv4View } from '../../../src/packet/ipv4.js';
import { Ipv6View } from '../../../src/packet/ipv6.js';
import { EthernetView } from '../../../src/packet/ethernet.js';

describe('truncated frames', () => {
  for (const [name, frame] of Object.entries(allFrames)) {
    it(`${name}: whole frame decodes; each of its ${frame.length} truncations is an error`, () => {
      const whole = decodeFrame(frame);
      if (!whole.ok) throw new Error(`${name}: ${whole.error.code} ${whole.error.message}`);
      const failures = new Set<string>();
      for (let n = 0; n < frame.length; n++) {
        const r = decodeFrame(frame.subarray(0, n));
        expect(r.ok, `${name} cut to ${n} bytes decoded`).toBe(false);
        if (!r.ok) failures.add(r.error.code);
      }
      expect(failures.size).toBeGreaterThan(0);
    });
  }

  it('views validate truncated IP headers without throwing', () => {
    const e = new EthernetView(), v4 = new Ipv4View(), v6 = new Ipv6View();
    for (const frame of Object.values(allFrames)) {
      for (let n = 0; n < frame.length; n++) {
        const f = frame.subarray(0, n);
        e.at(f);
        if (!e.isValid(n)) continue;
        const l3 = n - e.headerLength;
        if (e.ethertype === 0x0800) expect(v4.at(f, e.payloadOffset).validate(l3)).not.toBeNull();
        if (e.ethertype === 0x86dd) {
          v6.at(f, e.payloadOffset);
          expect(v6.validate(l3)).not.toBeNull();
        }
      }
    }
  });
});
