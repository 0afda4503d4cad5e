/**
 * Catchments in real namespaces against the oracle: three clients in three
 * ASes split over three sites (test/unit/anycast/fixtures/regions.yaml), and
 * after site c prepends twice toward r2, client2 leaves c for a or b (an
 * AS-path tie the oracle reports as a tie; the router's tie-break picks one).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
let iso: { dir: string; cleanup: () => void };
const fixture = (f: string) => join(ROOT, 'test/unit/anycast/fixtures', f);

interface Row { client: string; observed?: string; predicted: string[]; tie: boolean; match: boolean }

interface Ddos { sent: number; received: number; spoofed: boolean; servers: { name: string; received: number; byClient: Record<string, number> }[] }

/** One regions lab serves both flood tests. */
let regions: ReturnType<typeof catchmentOf> | undefined;
const regionsWithFloods = () => (regions ??= catchmentOf(fixture('regions.yaml'), true));

async function catchmentOf(file: string, flood = false): Promise<{ rows: Row[]; ddos?: Ddos; spoofed?: Ddos }> {
  const name = uniqueLabName('cm');
  await lab(['up', file, '--name', name]);
  try {
    await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
    const r = await lab(['catchment', '--json', '--lab', name], { reject: false });
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    if (!flood) return { rows };
    const d = await lab(['ddos', '--rate', '1000', '--duration', '1', '--json', '--lab', name]);
    const sp = await lab(['ddos', '--rate', '1000', '--duration', '1', '--spoof', '--json', '--lab', name]);
    return { rows, ddos: JSON.parse(d.stdout) as Ddos, spoofed: JSON.parse(sp.stdout) as Ddos };
  } finally {
    await lab(['down', name]);
  }
}

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
});

afterAll(async () => {
  if (!root) return;
  await lab(['clean'], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('anycast catchments (root)', () => {
  it('regions: client1 -> a, client2 -> c, client3 -> b, as the oracle predicts; a flood from all three is diluted over the three sites', async () => {
    const { rows, ddos } = await regionsWithFloods();
    expect(Object.fromEntries(rows.map((r) => [r.client, r.observed]))).toEqual({ client1: 'a', client2: 'c', client3: 'b' });
    expect(rows.every((r) => r.match && !r.tie)).toBe(true);
    expect(ddos!.sent).toBe(3000);
    expect(Math.abs(ddos!.received - ddos!.sent)).toBeLessThanOrEqual(ddos!.sent * 0.01);
    for (const s of ddos!.servers) expect(Math.abs(s.received - 1000)).toBeLessThanOrEqual(10);
  });

  it('regions, spoofed flood: frames from 198.18.0.0/15 (one /24 per attacker) reach the same sites, counted per spoofed source', async () => {
    const { spoofed } = await regionsWithFloods();
    expect(spoofed!.spoofed).toBe(true);
    expect(spoofed!.sent).toBe(3000);
    expect(Math.abs(spoofed!.received - spoofed!.sent)).toBeLessThanOrEqual(spoofed!.sent * 0.01);
    // client1 -> a, client2 -> c, client3 -> b: each site sees only its own attacker's spoofed block, 254 sources.
    const blockOf: Record<string, string> = { a: '198.18.0.', c: '198.18.1.', b: '198.18.2.' };
    for (const s of spoofed!.servers) {
      const sources = Object.keys(s.byClient);
      expect(sources.length).toBe(254);
      expect(sources.every((a) => a.startsWith(blockOf[s.name]))).toBe(true);
      expect(Math.abs(s.received - 1000)).toBeLessThanOrEqual(10);
    }
  });

  it('regions with c prepending: client2 moves off c to one of the tied a/b; the others stay', async () => {
    const { rows } = await catchmentOf(fixture('regions-prepend.yaml'));
    const by = Object.fromEntries(rows.map((r) => [r.client, r]));
    expect(by.client1.observed).toBe('a');
    expect(by.client3.observed).toBe('b');
    expect(by.client2.predicted).toEqual(['a', 'b']);
    expect(by.client2.tie).toBe(true);
    expect(['a', 'b']).toContain(by.client2.observed);
    expect(rows.every((r) => r.match)).toBe(true);
  });
});
