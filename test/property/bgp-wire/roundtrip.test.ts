/**
 * Properties of the BGP wire codec (fast-check): any UpdateMessage encodes
 * and decodes back to itself on 4-octet and 2-octet sessions; the builder
 * keeps every prefix and every message within 4096 bytes; the splitter is
 * chunking-independent; and 20,000 mutated messages (bench/bgp-fuzz.ts at a
 * CI-sized count) raise no exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeUpdate, encodeUpdate } from '../../../src/bgp/wire/update.js';
import { appendIpv4Announcements, buildAnnouncements, ipv4AttributeBlock } from '../../../src/bgp/wire/update-builder.js';
import { ByteWriter } from '../../../src/bgp/wire/bytes.js';
import { PrefixTable } from '../../../src/bgp/rib/prefix-table.js';
import { MessageSplitter } from '../../../src/bgp/wire/stream-splitter.js';
import { AS_TRANS } from '../../../src/bgp/wire/as-path.js';
import { maskBytes, formatPrefix, type IpPrefix } from '../../../src/lib/prefix.js';
import type { AsPathSegment, PathAttributes, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { fuzz } from '../../../bench/bgp-fuzz.js';

const prefix4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
  .map(([b, len]): IpPrefix => ({ family: 4, bytes: maskBytes(b, len), len }));
const prefix6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, len]): IpPrefix => ({ family: 6, bytes: maskBytes(b, len), len }));
const asn = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 0xffffffff }));
const segment: fc.Arbitrary<AsPathSegment> = fc.record({ type: fc.constantFrom(1 as const, 2 as const), asns: fc.array(asn, { minLength: 1, maxLength: 8 }) });
const nextHop = fc.tuple(fc.integer({ min: 1, max: 223 }).filter((x) => x !== 127), fc.uint8Array({ minLength: 3, maxLength: 3 }))
  .map(([a, rest]) => Uint8Array.of(a, ...rest));
const UNKNOWN_CODES = [16, 20, 23, 32, 35, 40, 99, 128, 200, 255];

const attributes: fc.Arbitrary<PathAttributes> = fc.record({
  origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
  asPath: fc.array(segment, { maxLength: 4 }),
  nextHop,
  med: fc.nat({ max: 0xffffffff }),
  localPref: fc.nat({ max: 0xffffffff }),
  atomicAggregate: fc.constant(true),
  aggregator: fc.record({ asn, address: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
  communities: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 80 }),
  mpReach: fc.oneof(
    fc.record({ afi: fc.constant(2), safi: fc.constant(1), nextHop: fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 })), nlri: fc.array(prefix6, { maxLength: 20 }) }),
    fc.record({ afi: fc.constant(1), safi: fc.constant(1), nextHop, nlri: fc.array(prefix4, { maxLength: 20 }) }),
  ),
  mpUnreach: fc.oneof(
    fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.array(prefix6, { maxLength: 20 }) }),
    fc.record({ afi: fc.constant(1), safi: fc.constant(1), withdrawn: fc.array(prefix4, { maxLength: 20 }) }),
  ),
  unknown: fc.uniqueArray(
    fc.record({ flags: fc.constant(0xe0), code: fc.constantFrom(...UNKNOWN_CODES), value: fc.uint8Array({ maxLength: 300 }) }),
    { selector: (u) => u.code, maxLength: 3 },
  ).map((list) => [...list].sort((a, b) => a.code - b.code)),
}, { requiredKeys: [] });

const updateMessage: fc.Arbitrary<UpdateMessage> = fc.record({
  type: fc.constant('update' as const),
  withdrawn: fc.array(prefix4, { maxLength: 30 }),
  attributes,
  nlri: fc.array(prefix4, { maxLength: 30 }),
}).map((u) => (u.attributes.unknown?.length === 0 ? { ...u, attributes: { ...u.attributes, unknown: undefined } } : u))
  .map((u) => ({ ...u, attributes: Object.fromEntries(Object.entries(u.attributes).filter(([, v]) => v !== undefined)) as PathAttributes }));

function encodeOrSkip(u: UpdateMessage, ctx: { fourOctetAs: boolean }): Uint8Array | undefined {
  try {
    return encodeUpdate(u, ctx);
  } catch (e) {
    if (e instanceof RangeError) return undefined; // over 4096 bytes: the builder's job
    throw e;
  }
}

/** Only errors a well-formed message may get: a mandatory attribute it does not carry. */
function onlyMissingAttributes(errors: readonly { code: number; subcode: number }[]): boolean {
  return errors.every((e) => e.code === 3 && e.subcode === 3);
}

describe('UPDATE round trip', () => {
  it('4-octet session: decode(encode(u)) equals u', () => {
    fc.assert(fc.property(updateMessage, (u) => {
      const bytes = encodeOrSkip(u, { fourOctetAs: true });
      if (!bytes) return;
      const r = decodeUpdate(bytes, { fourOctetAs: true });
      expect(onlyMissingAttributes(r.errors)).toBe(true);
      expect(r.update).toEqual(u);
    }), { numRuns: 200 });
  });

  it('2-octet session: AS_TRANS + AS4_PATH/AS4_AGGREGATOR rebuild the same path', () => {
    // RFC 6793 §4.2.3: an AGGREGATOR other than AS_TRANS means AS4_PATH is stale and ignored; avoid generating that case.
    const consistent = updateMessage.filter((u) => {
      const agg = u.attributes.aggregator;
      const big = (u.attributes.asPath ?? []).some((s) => s.asns.some((a) => a > 0xffff));
      return !(agg && agg.asn <= 0xffff && agg.asn !== AS_TRANS && big);
    });
    fc.assert(fc.property(consistent, (u) => {
      const bytes = encodeOrSkip(u, { fourOctetAs: false });
      if (!bytes) return;
      const r = decodeUpdate(bytes, { fourOctetAs: false });
      expect(onlyMissingAttributes(r.errors)).toBe(true);
      expect(r.update).toEqual(u);
    }), { numRuns: 200 });
  });
});

describe('builder and splitter', () => {
  it('the builder keeps every prefix, in order, in messages of at most 4096 bytes', () => {
    fc.assert(fc.property(fc.array(fc.oneof(prefix4, prefix6), { maxLength: 2500 }), attributes, (prefixes, attrs) => {
      const { mpReach: _r, mpUnreach: _u, ...base } = attrs;
      const a: PathAttributes = { ...base, nextHop: base.nextHop ?? Uint8Array.of(10, 0, 0, 1), origin: base.origin ?? 0, asPath: base.asPath ?? [] };
      const msgs = buildAnnouncements({ attributes: a, prefixes, ipv6NextHop: new Uint8Array(16).fill(1) }, { fourOctetAs: true });
      const got: IpPrefix[] = [];
      for (const m of msgs) {
        expect(m.length).toBeLessThanOrEqual(4096);
        const r = decodeUpdate(m, { fourOctetAs: true });
        expect(r.errors).toEqual([]);
        got.push(...r.update.nlri, ...(r.update.attributes.mpReach?.nlri ?? []));
      }
      const order = (p: IpPrefix[]) => [...p.filter((x) => x.family === 4), ...p.filter((x) => x.family === 6)].map(formatPrefix);
      expect(got.map(formatPrefix)).toEqual(order(prefixes));
    }), { numRuns: 40 });
  });

  it('IPv4 announcements written in place from a prefix table equal the builder\'s messages byte for byte', () => {
    fc.assert(fc.property(fc.array(prefix4, { maxLength: 2500 }), attributes, fc.boolean(), (prefixes, attrs, four) => {
      const { mpReach: _r, mpUnreach: _u, ...base } = attrs;
      const a: PathAttributes = { ...base, nextHop: base.nextHop ?? Uint8Array.of(10, 0, 0, 1), origin: base.origin ?? 0, asPath: base.asPath ?? [] };
      const ctx = { fourOctetAs: four };
      const table = new PrefixTable();
      const ids = prefixes.map((p) => table.intern(p));
      const expected = Buffer.concat(buildAnnouncements({ attributes: a, prefixes }, ctx));
      const w = new ByteWriter(16);
      w.u8(0x5a); // whatever the writer already holds stays in front
      const count = appendIpv4Announcements(w, ipv4AttributeBlock(a, ctx), ids, table);
      const got = w.finish();
      expect(got[0]).toBe(0x5a);
      expect(Buffer.from(got.subarray(1)).equals(expected)).toBe(true);
      expect(count).toBe(buildAnnouncements({ attributes: a, prefixes }, ctx).length);
    }), { numRuns: 60 });
  });

  it('the splitter yields the same frames for any chunking', () => {
    fc.assert(fc.property(fc.array(updateMessage, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }), (us, cuts) => {
      const frames = us.map((u) => encodeOrSkip(u, { fourOctetAs: true })).filter((b): b is Uint8Array => b !== undefined);
      const stream = Buffer.concat(frames);
      const s = new MessageSplitter();
      const got: Uint8Array[] = [];
      let o = 0;
      for (let i = 0; o < stream.length; i++) {
        const n = cuts[i % cuts.length];
        for (const item of s.push(stream.subarray(o, o + n))) if (item.kind === 'message') got.push(item.frame);
        o += n;
      }
      expect(got.map((b) => Buffer.from(b).toString('hex'))).toEqual(frames.map((b) => Buffer.from(b).toString('hex')));
    }), { numRuns: 100 });
  });
});

describe('fuzz (CI-sized run of bench/bgp-fuzz.ts)', () => {
  it('20,000 random and mutated messages through splitter, decoders and FSM raise no exception', () => {
    const r = fuzz(20_000, 20261125);
    expect(r.count).toBe(20_000);
    expect(r.exceptions).toBe(0);
    // The mutator reaches every outcome class, so the run exercises more than the header check.
    for (const k of ['header-error', 'update:ok', 'update:session-reset', 'update:treat-as-withdraw', 'update:attribute-discard', 'open', 'error']) {
      expect(r.kinds[k] ?? 0).toBeGreaterThan(0);
    }
  });
});
