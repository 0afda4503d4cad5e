/**
 * The coursework pack end to end (root): for every exercise, `lab check`
 * on the starting topology fails with messages that name what is wrong,
 * and passes on the reference solution. One lab at a time, each with a
 * unique name in this file's own run directory, taken down in `finally`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
let iso: { dir: string; cleanup: () => void };

interface Result { name: string; ok: boolean; expected: string; found: string; message: string }
interface Report { ok: boolean; passed: number; failed: number; results: Result[] }

/** Per exercise: what the failures of the starting state must say. */
const BROKEN: Record<string, readonly RegExp[]> = {
  '01-longest-prefix': [/r1 should have a forwarding entry for 203\.0\.113\.128\/25 via r3, but it has none; packets to it follow the covering 203\.0\.113\.0\/24 .*\(r2\)/, /Destination Net Unreachable/],
  '02-no-route': [/h1 should reach h2 \(10\.2\.0\.10\), but ping got no reply \(From 10\.1\.0\.1 \(r1\) Destination Net Unreachable\)/, /r2 should have a forwarding entry for 10\.1\.0\.0\/24/],
  '03-bgp-session': [/r1's session with r2 should be Established, but it is \w+ \(r1 expects AS 65020 at 10\.12\.0\.2\)/, /r2 has no BGP session with r3 at all/],
  '04-origination': [/r3 should have a route to 198\.51\.100\.0\/24 AS path \(empty\), but its BGP table has no route to it/],
  '05-local-pref': [/r1 should reach 10\.4\.0\.0\/24 via r3.*but its best path is via r2 .*lost: LOCAL_PREF 100 = 100, AS_PATH 2 = 2, ORIGIN IGP = IGP, then router id/, /hop 2 is r2 instead of r3/],
  '06-prepend-inbound': [/r4 should reach 10\.1\.0\.0\/24 via r3, AS path 65003 65001, but its best path is via r2/],
  '07-no-transit': [/r3 should have no route to 10\.2\.0\.0\/24, but it has one: via r1 \(AS path 65001 65002\)/, /h2 should not be able to reach h3/],
  '08-route-leak': [/r2 should reach 10\.1\.0\.0\/24 via r1, AS path 65001, but its best path is via r3 \(AS path 65003 65001\): the path via r1 \(AS path 65001\) lost: LOCAL_PREF 200 > 100/],
  '09-hijack': [/its best path is via r4 \(AS path 65666\)/, /r1 should have no route to 198\.51\.100\.0\/25, but it has one: via r4/],
  '10-anycast-catchment': [/c2's probes to 192\.0\.2\.53 should be answered by a, but b answers them/],
  '11-failover-timers': [/after a failed \(blackhole\): c1 was not answered by another server within 10 s/],
  '12-ecmp': [/r1's forwarding entry for 10\.4\.0\.0\/24 is wrong: it has 1 next hop\(s\) .*not 2/],
  '13-med': [/its best path is via r1 \(AS path 65001, next hop 10\.12\.0\.1\): the path via r1 \(AS path 65001, next hop 10\.12\.1\.1\) lost: .*MED 0 = 0, then peer address 10\.12\.0\.1 < 10\.12\.1\.1/],
  '14-ttl-loop': [/it goes r1 -> r2 -> r1 -> r2.* a forwarding loop/, /From 10\.12\.0\.2 \(r2\) Time to live exceeded/],
  '15-update-withdraw': [/r2 should reach 10\.1\.0\.0\/24 via r1, AS path 65001, communities 65001:100, but .*communities are no-export, missing 65001:100/, /r3 should have a route to 10\.1\.0\.0\/24 .*but its BGP table has no route to it/],
  '16-gao-rexford': [/r1 should have no route to 10\.6\.0\.0\/24, but it has one: via r3 \(AS path 65003 65006\)/, /r1 should reach 10\.4\.0\.0\/24 via r2, .*but its best path is via r3 \(AS path 65003 65004\): the path via r2 \(AS path 65002 65004\) lost: LOCAL_PREF 200 > 150/, /communities are none, missing 65003:100/],
  '17-ddos-withdraw': [/while a failed \(drain\): client moved to c, not b; bot1 moved to c, not b; bot2 moved to c, not b/],
  '18-tcp-flip': [/r1's forwarding entry for 192\.0\.2\.0\/24 is wrong: it has 3 next hop\(s\) .*not 1/],
  '19-break-fix': [/From 10\.12\.0\.2 \(r2\) Time to live exceeded/, /a forwarding loop/, /r2's session with r3 should be Established, but it is \w+/, /it comes from static, not bgp/],
};

async function checkOn(topology: string, spec: string): Promise<{ exitCode: number; report: Report }> {
  const name = uniqueLabName('ex');
  await lab(['up', topology, '--name', name]);
  try {
    const r = await lab(['check', spec, '--json', '--lab', name], { reject: false, timeout: 120_000 });
    return { exitCode: r.exitCode ?? -1, report: JSON.parse(String(r.stdout)) as Report };
  } finally {
    await lab(['down', name], { reject: false });
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

describe('lab check without a lab', () => {
  it('a bad spec is refused with file, line and field before any lab is looked for (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-spec-'));
    const spec = join(dir, 'bad.yaml');
    writeFileSync(spec, 'description: two mistakes\nchecks:\n  - route: {router: r1, prefix: 192.0.2.0/24, in: ram}\n    hint: fine\n  - reach: {from: h1}\n');
    try {
      await ensureBuilt();
      const r = await lab(['check', spec], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toContain(`${spec}:3: checks[0].route.in: expected rib or fib, got 'ram'`);
      expect(String(r.stderr)).toContain(`${spec}:5: checks[1].reach: a reach check needs 'to'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** EXERCISE=15 or EXERCISE=15,17 runs only the exercises whose names start with those numbers. */
const only = (process.env.EXERCISE ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const selected = Object.entries(BROKEN).filter(([ex]) => !only.length || only.some((n) => ex.startsWith(n.padStart(2, '0'))));

describe.runIf(root)('exercises (root)', () => {
  for (const [ex, patterns] of selected) {
    it(`${ex}: the starting state fails with messages naming the problem; the solution passes`, async () => {
      const spec = join(ROOT, 'exercises', ex, 'check.yaml');
      const start = await checkOn(join(ROOT, 'exercises', ex, 'topology.yaml'), spec);
      expect(start.exitCode).toBe(1);
      expect(start.report.ok).toBe(false);
      const failures = start.report.results.filter((x) => !x.ok);
      expect(failures.length).toBe(start.report.failed);
      for (const f of failures) expect(f.message.length, f.name).toBeGreaterThan(20);
      const messages = failures.map((f) => f.message).join('\n');
      for (const p of patterns) expect(messages).toMatch(p);

      const solved = await checkOn(join(ROOT, 'solutions', ex, 'topology.yaml'), spec);
      expect(solved.report.results.filter((x) => !x.ok).map((x) => x.message)).toEqual([]);
      expect(solved.exitCode).toBe(0);
      expect(solved.report.passed).toBe(solved.report.results.length);
    }, 240_000); // two labs, each up and checked; a failover check alone can take 20 s
  }
});
