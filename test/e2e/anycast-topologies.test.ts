/**
 * The teaching topologies with real packets, against the oracle
 * (src/anycast/oracle.ts, which runs the BGP decision process over the file):
 *
 *   anycast-regions   every client lands where the oracle predicts, the
 *                     catchment splits over all three sites, and client1's
 *                     site (a, 1 AS hop) is slower than c (2 AS hops): RTTs
 *                     to the sites' link addresses measured with ping.
 *   anycast-prepend   as shipped, with a prepending twice toward r1, and with
 *                     local-pref 200 at r3 on what r2 sends: every client
 *                     where the oracle predicts, and the documented moves
 *                     (client2 a -> b; client3 b -> a).
 *   anycast-ddos      per-site flood counts follow the catchment and sum to
 *                     what was sent; when a withdraws, its share moves to b.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
let iso: { dir: string; cleanup: () => void };
let variants: string;
const topo = (f: string) => join(ROOT, 'topologies', f);
const ANYCAST_PREFIXES = ['192.0.2.0/24', '2001:db8::/48'];

interface Row { client: string; observed?: string; predicted: string[]; tie: boolean; match: boolean; rttMs?: number }
interface Ddos { sent: number; received: number; servers: { name: string; received: number }[] }

/** Brings a lab up, waits for convergence, runs `fn`, always takes it down. */
async function withLab<T>(file: string, fn: (name: string) => Promise<T>): Promise<T> {
  const name = uniqueLabName('tp');
  await lab(['up', file, '--name', name]);
  try {
    await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
    return await fn(name);
  } finally {
    await lab(['down', name], { reject: false });
  }
}

async function catchmentRows(name: string): Promise<Row[]> {
  const r = await lab(['catchment', '--json', '--lab', name]);
  return (JSON.parse(r.stdout) as { rows: Row[] }).rows;
}

/** Every client answered, by the one site the oracle predicts (no ties in these files). */
function expectOracle(rows: readonly Row[]): Record<string, string | undefined> {
  for (const r of rows) {
    expect(r.tie, `${r.client}: oracle tie`).toBe(false);
    expect(r.predicted, `${r.client}: prediction`).toHaveLength(1);
    expect(r.observed, `${r.client}: observed vs predicted`).toBe(r.predicted[0]);
    expect(r.match).toBe(true);
  }
  return Object.fromEntries(rows.map((r) => [r.client, r.observed]));
}

async function linkAddress(lab: string, node: string): Promise<string> {
  const r = await execa('ip', ['-n', `${lab}-${node}`, '-4', '-o', 'addr', 'show', 'dev', `${node}-eth0`]);
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout);
  if (!m) throw new Error(`no IPv4 address on ${node}-eth0: ${r.stdout}`);
  return m[1];
}

/** Minimum RTT of 5 pings, ms. */
async function pingMin(lab: string, from: string, to: string): Promise<number> {
  const r = await execa('ip', ['netns', 'exec', `${lab}-${from}`, 'ping', '-n', '-q', '-c', '5', '-i', '0.2', '-W', '2', to]);
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`no rtt summary from ping ${to}: ${r.stdout}`);
  return Number(m[1]);
}

/** anycast-prepend.yaml with one node's `neighbors` set, written to a temp file (as the file's comment tells a student to edit it). */
function prependVariant(file: string, node: string, neighbors: unknown[]): string {
  const doc = parse(readFileSync(topo('anycast-prepend.yaml'), 'utf8')) as { name: string; nodes: Record<string, Record<string, unknown>> };
  doc.nodes[node].neighbors = neighbors;
  doc.name = `anycast-prepend-${node}`;
  const out = join(variants, file);
  writeFileSync(out, stringify(doc));
  return out;
}

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  variants = mkdtempSync(join(tmpdir(), 'anycast-variants-'));
  await ensureBuilt();
});

afterAll(async () => {
  if (!root) return;
  await lab(['clean'], { reject: false });
  iso.cleanup();
  rmSync(variants, { recursive: true, force: true });
});

describe.runIf(root)('anycast teaching topologies (root)', () => {
  it('regions: every client where the oracle predicts, the load split over a, b and c; client1 lands on a although c answers pings faster', async () => {
    await withLab(topo('anycast-regions.yaml'), async (name) => {
      const rows = await catchmentRows(name);
      const by = expectOracle(rows);
      expect(rows.map((r) => r.client).sort()).toEqual(['client1', 'client2', 'client3', 'client4']);
      expect(new Set(Object.values(by))).toEqual(new Set(['a', 'b', 'c']));
      expect(by.client1).toBe('a');

      const [toA, toC] = [await pingMin(name, 'client1', await linkAddress(name, 'a')), await pingMin(name, 'client1', await linkAddress(name, 'c'))];
      expect(toA).toBeGreaterThanOrEqual(80); // 40 ms each way on a-r1
      expect(toA - toC).toBeGreaterThanOrEqual(60);
      expect(rows.find((r) => r.client === 'client1')!.rttMs!).toBeGreaterThanOrEqual(80); // the anycast probe paid it too
    });
  }, 120_000);

  it('prepend: as shipped, with a prepending twice toward r1, and with local-pref 200 at r3 from r2, every client where the oracle predicts; client2 and client3 move', async () => {
    const base = await withLab(topo('anycast-prepend.yaml'), async (name) => expectOracle(await catchmentRows(name)));
    expect(base).toEqual({ client1: 'a', client2: 'a', client3: 'b', client4: 'b' });

    const prepended = prependVariant('prepend.yaml', 'a', [
      { node: 'r1', export: { terms: [{ match: { prefixes: ANYCAST_PREFIXES }, action: 'accept', set: { prepend: 2 } }], default: 'reject' } },
    ]);
    const afterPrepend = await withLab(prepended, async (name) => expectOracle(await catchmentRows(name)));
    expect(afterPrepend).toEqual({ ...base, client2: 'b' });

    const localPref = prependVariant('local-pref.yaml', 'r3', [
      { node: 'r2', import: { terms: [{ action: 'accept', set: { 'local-pref': 200 } }], default: 'reject' } },
      { node: 'r4' },
    ]);
    const afterLocalPref = await withLab(localPref, async (name) => expectOracle(await catchmentRows(name)));
    expect(afterLocalPref).toEqual({ ...base, client3: 'a' });
  }, 240_000);

  it('ddos: per-site counts follow the catchment (a 1/4, b 1/4, c 2/4) and sum to what was sent; when a withdraws, its share moves to b', async () => {
    await withLab(topo('anycast-ddos.yaml'), async (name) => {
      const rate = 500;
      const flood = async () => JSON.parse((await lab(['ddos', '--rate', String(rate), '--duration', '1', '--json', '--lab', name])).stdout) as Ddos;
      const per = (d: Ddos) => Object.fromEntries(d.servers.map((s) => [s.name, s.received]));
      const near = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(5, want * 0.01));

      expectOracle(await catchmentRows(name));
      const before = await flood();
      expect(before.sent).toBe(4 * rate);
      near(before.received, before.sent);
      near(per(before).a, rate);
      near(per(before).b, rate);
      near(per(before).c, 2 * rate);

      await lab(['fail', 'a', '--how', 'service', '--lab', name]);
      try {
        const deadline = Date.now() + 15_000;
        // `lab probe` exits 1 when a probe goes unanswered (one may be lost during the move).
        while ((JSON.parse((await lab(['probe', 'client', '--count', '1', '--json', '--lab', name], { reject: false })).stdout) as { server?: string }).server !== 'b') {
          if (Date.now() > deadline) throw new Error('client did not move to b after a withdrew');
        }
        await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
        const after = await flood();
        near(after.received, after.sent);
        expect(per(after).a).toBe(0);
        near(per(after).b, 2 * rate);
        near(per(after).c, 2 * rate);
      } finally {
        await lab(['recover', 'a', '--lab', name], { reject: false });
      }
    });
  }, 120_000);
});
