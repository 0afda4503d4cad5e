/**
 * Anycast failover on topologies/anycast-basic.yaml: for each failure kind
 * (service, kill, link, freeze, blackhole) `lab failover b --how K --json`
 * streams whoami probes from the client at 200/s across a failure of site b
 * and reports the outage (last reply from b to the first from a) and the
 * reaction (failure set off to the first reply from a). A frozen speaker's
 * site keeps answering until the hold timer fires, so for `freeze` the
 * outage is near zero and the reaction is the hold timer. Medians of several
 * runs, each from a healthy b (`lab recover b`, then the client back on b),
 * in a fresh lab per kind.
 *
 * Printed beside BIRD 2's dead-peer figures measured on this machine
 * (/work/shared/reference/peers.md, hold 3 s / keepalive 1 s): a silent
 * peer's routes withdrawn after 3.0 s, a killed peer's (TCP closed) after
 * 0.016 s. The lab runs hold 9 s / keepalive 3 s, so the silent-peer figure
 * is shown both as measured and scaled to hold 9 (9.0 s); ratios are ours
 * over BIRD's, taken on the reaction (lower is better for us). BIRD's figure
 * is failure to withdrawal at the neighbour; ours is end to end (probes
 * answered by the next site), so it also contains the best-path change, FIB
 * update and up to one probe interval (5 ms).
 * `service` and `link` have no BIRD counterpart in peers.md: service is
 * bounded by the health check (fall × interval), link by carrier loss.
 *
 *   node dist/bench/failover.js [--quick] [--runs N]      (root)
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { packageRoot } from '../lab/processes.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.find((a) => a.startsWith('--runs='))?.slice(7) ?? (args.includes('--runs') ? args[args.indexOf('--runs') + 1] : undefined);
const runs = Math.max(1, Number(runsArg ?? (quick ? 1 : 3)) || 1);
const KINDS = ['service', 'kill', 'link', 'freeze', 'blackhole'] as const;
type Kind = (typeof KINDS)[number];

const HOLD_S = 9;
const BIRD = { silentHold3: 3.0, killed: 0.016, hold: 3 } as const;
const BIRD_SILENT_SCALED = BIRD.silentHold3 * (HOLD_S / BIRD.hold);

const root = packageRoot();
const cli = join(root, 'dist/lab/cli.js');

interface Row { outageMs?: number; failureToNewMs?: number; lost: number; sent: number; before?: string; after?: string }

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('failover bench: needs root (network namespaces); skipped\n');
    return 0;
  }
  const runDir = mkdtempSync('/run/anycast-lab-bench-');
  chmodSync(runDir, 0o755);
  const env = { ANYCAST_LAB_RUN_DIR: runDir };
  const name = `fo${randomBytes(3).toString('hex')}`;
  const lab = (a: string[], reject = true) => execa(process.execPath, [cli, ...a], { env, reject, timeout: 120_000 });
  const probeServer = async (): Promise<string | undefined> => {
    const r = await lab(['probe', 'client', '--count', '1', '--json', '--lab', name], false);
    try {
      return (JSON.parse(r.stdout) as { server?: string }).server;
    } catch {
      return undefined;
    }
  };
  // After a hold-timer expiry the session restarts through the IdleHold timer, which doubles per
  // consecutive failure (src/bgp/fsm.ts): after several freezes the return can take tens of seconds.
  const backOnB = async (): Promise<number> => {
    const start = Date.now();
    while ((await probeServer()) !== 'b') {
      if (Date.now() - start > 150_000) throw new Error('the client did not come back to b within 150 s of recover');
      await new Promise((r) => setTimeout(r, 200));
    }
    await lab(['wait', '--converged', '--timeout', '60', '--lab', name]);
    return Date.now() - start;
  };

  const results = new Map<Kind, Row[]>();
  const t0 = Date.now();
  try {
    // A fresh lab per kind: the IdleHold damping of one kind's hold expiries does not slow the next.
    for (const kind of KINDS) {
      await lab(['up', join(root, 'topologies/anycast-basic.yaml'), '--name', name]);
      try {
        await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
        const rows: Row[] = [];
        for (let i = 0; i < runs; i++) {
          const r = await lab(['failover', 'b', '--how', kind, '--json', '--lab', name]);
          const rep = JSON.parse(r.stdout) as { rows: Row[] };
          const row = rep.rows.find((x) => x.before === 'b') ?? rep.rows[0];
          rows.push(row);
          process.stdout.write(`  ${kind.padEnd(9)} run ${i + 1}: outage ${row.outageMs?.toFixed(1) ?? '-'} ms, failure to first reply from ${row.after ?? '-'} ${row.failureToNewMs?.toFixed(1) ?? '-'} ms, lost ${row.lost}/${row.sent}\n`);
          if (i === runs - 1) break;
          await lab(['recover', 'b', '--lab', name]);
          process.stdout.write(`            back on b ${((await backOnB()) / 1000).toFixed(1)} s after recover\n`);
        }
        results.set(kind, rows);
      } finally {
        await lab(['down', name], false);
      }
    }
  } finally {
    await lab(['clean'], false);
    rmSync(runDir, { recursive: true, force: true });
  }

  const fmt = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(3));
  process.stdout.write(`\nanycast-basic, hold ${HOLD_S} s / keepalive 3 s, health check 500 ms × fall 3, probes 200/s; medians of ${runs} run(s), ${((Date.now() - t0) / 1000).toFixed(0)} s in all\n`);
  process.stdout.write('kind       outage s  reaction s  lost   BIRD s (peers.md)               ratio ours/BIRD (reaction)\n');
  let missing = 0;
  for (const kind of KINDS) {
    const rows = results.get(kind) ?? [];
    const out = rows.map((r) => r.outageMs).filter((x): x is number => x !== undefined);
    const rea = rows.map((r) => r.failureToNewMs).filter((x): x is number => x !== undefined);
    if (out.length < rows.length) missing++;
    const mo = out.length ? median(out) : undefined;
    const mr = rea.length ? median(rea) : undefined;
    const lost = rows.length ? median(rows.map((r) => r.lost)) : 0;
    let birdCol = '-';
    let ratio = '-';
    // The comparable figure is the reaction (failure set off -> traffic on the next site): BIRD's is
    // failure -> routes withdrawn at the neighbour. A frozen speaker's site keeps answering until the
    // hold timer fires, so its outage is near zero while its reaction is the hold timer.
    if (kind === 'kill' && mr !== undefined) {
      birdCol = `${BIRD.killed.toFixed(3)} (killed peer)`;
      ratio = `${(mr / 1000 / BIRD.killed).toFixed(1)}x`;
    } else if ((kind === 'freeze' || kind === 'blackhole') && mr !== undefined) {
      birdCol = `${BIRD.silentHold3.toFixed(1)} @hold 3 = ${BIRD_SILENT_SCALED.toFixed(1)} @hold 9`;
      ratio = `${(mr / 1000 / BIRD_SILENT_SCALED).toFixed(2)}x (scaled), ${(mr / 1000 / BIRD.silentHold3).toFixed(2)}x (as measured)`;
    } else if (kind === 'service') birdCol = 'n/a (fall x interval = 1.5)';
    else if (kind === 'link') birdCol = 'n/a (carrier loss)';
    process.stdout.write(`${kind.padEnd(10)} ${fmt(mo).padStart(8)}  ${fmt(mr).padStart(10)}  ${String(lost).padStart(4)}   ${birdCol.padEnd(31)} ${ratio}\n`);
  }
  if (missing) process.stdout.write(`(${missing} kind(s) had a run where the client never moved: see the per-run lines)\n`);
  return missing ? 1 : 0;
}

main().then((c) => process.exit(c), (err) => {
  process.stderr.write(`failover bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
