/**
 * docs/topology.md is the schema reference: every key the loader accepts and
 * every node kind must appear in it (as `key`), and every topology shipped in
 * topologies/ must load and open with a comment block (what it teaches, what
 * to try).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADDRESSING_KEYS, ANYCAST_KEYS, DEFAULTS_KEYS, KIND_KEYS, LINK_KEYS, loadTopologyFile, NEIGHBOR_KEYS, NODE_KINDS, STATIC_KEYS, TOP_KEYS,
} from '../../../lab/topology/load.js';
import { MATCH_KEYS, POLICY_KEYS, SET_KEYS, TERM_KEYS } from '../../../lab/topology/policy.js';

const root = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(root, 'docs/topology.md'), 'utf8');

describe('docs/topology.md', () => {
  const keys = new Set([
    ...TOP_KEYS, ...ADDRESSING_KEYS.map((k) => `addressing.${k}`), ...DEFAULTS_KEYS.map((k) => `defaults.${k}`),
    ...Object.values(KIND_KEYS).flat(), ...NODE_KINDS, ...LINK_KEYS, ...NEIGHBOR_KEYS, ...ANYCAST_KEYS.map((k) => `anycast.${k}`),
    ...STATIC_KEYS, ...POLICY_KEYS, ...TERM_KEYS, ...MATCH_KEYS, ...SET_KEYS,
  ]);
  for (const k of keys) {
    it(`documents ${k}`, () => {
      const mentioned = doc.includes(`\`${k}\``) || new RegExp(`(^|[\\s{,-])${k.split('.').pop()}:`, 'm').test(doc);
      expect(mentioned, `${k} is accepted by the loader but not in docs/topology.md`).toBe(true);
    });
  }
});

describe('shipped topologies', () => {
  const files = readdirSync(join(root, 'topologies')).filter((f) => f.endsWith('.yaml'));
  it('include anycast-basic, chain and lan', () => {
    expect(files).toEqual(expect.arrayContaining(['anycast-basic.yaml', 'chain.yaml', 'lan.yaml']));
  });
  for (const f of files) {
    it(`${f} loads and explains itself`, async () => {
      const path = join(root, 'topologies', f);
      const t = await loadTopologyFile(path);
      expect(t.nodes.length).toBeGreaterThan(0);
      if (['anycast-basic.yaml', 'chain.yaml', 'lan.yaml'].includes(f)) expect(t.name).toBe(f.replace(/\.yaml$/, ''));
      const header = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n');
      expect(header).toMatch(/What it teaches/i);
      expect(header).toMatch(/What to try/i);
    });
  }
});
