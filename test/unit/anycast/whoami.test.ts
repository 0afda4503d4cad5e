/**
 * The whoami probe codec: round trips, and parsers that return undefined
 * (never throw) on anything that is not a well-formed message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitWhoamiReply, emitWhoamiRequest, parseWhoamiReply, parseWhoamiRequest } from '../../../src/anycast/whoami.js';

describe('whoami codec', () => {
  it('round-trips requests and replies', () => {
    const q = { t: 'whoami' as const, seq: 17, id: 'client' };
    expect(parseWhoamiRequest(emitWhoamiRequest(q))).toEqual(q);
    const f = { t: 'flood' as const, seq: 0, id: 'atk1' };
    expect(parseWhoamiRequest(emitWhoamiRequest(f))).toEqual(f);
    const r = { t: 'whoami' as const, seq: 17, id: 'client', server: 'b', seen: '10.0.0.0', port: 40000 };
    expect(parseWhoamiReply(emitWhoamiReply(r))).toEqual(r);
  });

  it('the wire form is the documented JSON', () => {
    expect(emitWhoamiRequest({ t: 'whoami', seq: 3, id: 'c' }).toString()).toBe('{"t":"whoami","seq":3,"id":"c"}');
  });

  it('rejects wrong shapes', () => {
    const bad = ['', 'hello', '[]', 'null', '{"t":"whoami"}', '{"t":"whoami","seq":-1}', '{"t":"whoami","seq":1.5}', '{"t":"other","seq":1}', '{"t":"whoami","seq":1', `{"t":"whoami","seq":1,"id":"${'x'.repeat(600)}"}`];
    for (const b of bad) expect(parseWhoamiRequest(Buffer.from(b))).toBeUndefined();
    expect(parseWhoamiReply(Buffer.from('{"t":"whoami","seq":1,"server":"b"}'))).toBeUndefined();
    // A request is not a reply.
    expect(parseWhoamiReply(emitWhoamiRequest({ t: 'whoami', seq: 1, id: 'x' }))).toBeUndefined();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        parseWhoamiRequest(bytes);
        parseWhoamiReply(bytes);
      }),
    );
  });
});
