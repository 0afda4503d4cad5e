/**
 * The loader never crashes: any text, any YAML value in any position, gives
 * either a Topology or a TopologyValidationError whose every entry has a
 * file, a positive line and a field.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyText } from '../../../lab/topology/load.js';
import { TopologyValidationError } from '../../../lab/topology/types.js';

function outcome(text: string): 'ok' | 'invalid' {
  try {
    loadTopologyText(text, 'fuzz.yaml');
    return 'ok';
  } catch (e) {
    if (!(e instanceof TopologyValidationError)) throw e;
    expect(e.errors.length).toBeGreaterThan(0);
    for (const x of e.errors) {
      expect(x.file).toBe('fuzz.yaml');
      expect(x.line).toBeGreaterThanOrEqual(1);
      expect(x.field.length).toBeGreaterThan(0);
    }
    return 'invalid';
  }
}

const scalar = fc.oneof(
  fc.constantFrom('host', 'router', 'switch', 'anycast-server', 'r1', 'h1', '10.0.0.1/31', '192.0.2.0/24 le 32', '20ms', '1%', '10mbit', 'accept-all', null, true),
  fc.integer({ min: -5, max: 70000 }),
  fc.string({ maxLength: 6 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('kind', 'asn', 'endpoints', 'r1', 'h1', 'delay', 'neighbors', 'node', 'anycast', 'addresses', 'ipv4', 'import', 'terms', 'match', 'x'), tie('v'), { maxKeys: 4 })),
})).v;

describe('loader robustness', () => {
  it('handles edge-case documents', () => {
    for (const text of ['', '---', '[]', '42', 'nodes:', 'nodes: []', 'nodes: {}\nlinks:', 'nodes:\n  1: host', 'nodes:\n  ? [a, b]\n  : host',
      'nodes: {h1: host}\nlinks: [[h1]]', 'nodes: {h1: {kind: [host]}}', '\t\tbad', 'a: &x [*x]', 'nodes: {h1: *nope}']) {
      expect(['ok', 'invalid']).toContain(outcome(text));
    }
    expect(outcome('nodes: {h1: host}')).toBe('ok');
  });

  it('never throws anything but TopologyValidationError on random documents', () => {
    fc.assert(
      fc.property(
        fc.record({ nodes: fc.dictionary(fc.constantFrom('r1', 'r2', 'h1', 's1', 'a'), value, { maxKeys: 4 }), links: fc.array(value, { maxLength: 3 }) }, { requiredKeys: [] }),
        (doc) => { outcome(stringify(doc)); },
      ),
      { numRuns: 100 },
    );
  });

  it('survives random edits of a real topology', () => {
    const lines = readFileSync(join(import.meta.dirname, '../../../topologies/anycast-basic.yaml'), 'utf8').split('\n');
    const edit = fc.oneof(
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(lines.length - 1) }),
      fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(lines.length - 1) }),
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(lines.length - 1), word: fc.constantFrom('r1', 'r9', 'R1', '0', '23456', 'host', 'switch', '10.0.0.0/8', '[]', '{}', '-', ':') }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const out = [...lines];
        for (const e of edits) {
          const at = e.at % out.length;
          if (e.op === 'delete') out.splice(at, 1);
          else if (e.op === 'duplicate') out.splice(at, 0, out[at]);
          else out[at] = out[at].replace(/[\w.:/-]+\s*$/, e.word);
        }
        outcome(out.join('\n'));
      }),
      { numRuns: 100 },
    );
  });

  it('never throws anything but TopologyValidationError on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => { outcome(text); }), { numRuns: 100 });
  });
});
