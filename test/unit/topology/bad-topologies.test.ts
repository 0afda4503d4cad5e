/**
 * Every file in test/fixtures/topologies/bad/ is a topology with mistakes.
 * Each mistake is marked on its own line with a trailing comment
 *   # ERROR <field> /<message regex>/
 * and the loader must report exactly those errors: this file name, that
 * line, that field, a message matching the regex — and nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile, loadTopologyText } from '../../../lab/topology/load.js';
import { TopologyValidationError, type TopologyError } from '../../../lab/topology/types.js';

const dir = join(import.meta.dirname, '../../fixtures/topologies/bad');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Expected { line: number; field: string; pattern: RegExp }

function expectations(text: string): Expected[] {
  const out: Expected[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /#\s*ERROR\s+(\S+)\s+\/(.*)\/\s*$/.exec(l);
    if (m) out.push({ line: i + 1, field: m[1], pattern: new RegExp(m[2]) });
  });
  return out;
}

async function errorsOf(path: string): Promise<readonly TopologyError[]> {
  try {
    await loadTopologyFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyValidationError);
    return (e as TopologyValidationError).errors;
  }
  throw new Error(`${path} loaded without errors`);
}

describe('bad topologies', () => {
  it('has at least 20 cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const f of files) {
    it(f, async () => {
      const path = join(dir, f);
      const want = expectations(readFileSync(path, 'utf8'));
      expect(want.length, 'fixture marks its errors').toBeGreaterThan(0);
      const got = await errorsOf(path);
      for (const w of want) {
        const match = got.find((g) => g.line === w.line && g.field === w.field && w.pattern.test(g.message));
        expect(match, `expected ${w.field} at line ${w.line} matching ${w.pattern}; got:\n${got.map((g) => `${g.line} ${g.field}: ${g.message}`).join('\n')}`).toBeDefined();
        expect(match!.file).toBe(path);
      }
      expect(got.length, `unexpected extra errors:\n${got.map((g) => `${g.line} ${g.field}: ${g.message}`).join('\n')}`).toBe(want.length);
    });
  }
});

describe('error reporting', () => {
  it('formats every error as file:line: field: message', () => {
    try {
      loadTopologyText('name: t\nnodes:\n  r1: {kind: router, asn: 0}\n', 'inline.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/^inline\.yaml:3: nodes\.r1\.asn: AS number 0 out of range/);
    }
  });

  it('reports an unreadable file with its path', async () => {
    const got = await errorsOf('/nonexistent/topology.yaml');
    expect(got[0].file).toBe('/nonexistent/topology.yaml');
    expect(got[0].field).toBe('(file)');
  });

  it('sorts errors by line', async () => {
    const got = await errorsOf(join(dir, 'many-errors.yaml'));
    const lines = got.map((g) => g.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});
