/**
 * The probe client's command line (run inside a client's namespace):
 *
 *   probe-main.js ADDRESS [--count N] [--interval MS] [--timeout MS] [--port P] [--id ID] [--json]
 *       N probes (default 3) INTERVAL apart (default 100 ms): per probe, the
 *       server that answered and the RTT.
 *   probe-main.js ADDRESS --rate R [--duration S] [--port P] [--id ID] [--json] [--results]
 *       streaming: R probes a second until S seconds pass or SIGTERM/SIGINT;
 *       each change of answering server is printed as it happens
 *       ({"event":"change",...} with --json), then a summary
 *       ({"event":"summary",...}): server before/after, outage, probes lost.
 *
 * Exit status: 0 when at least one probe was answered, 1 otherwise, 2 on usage errors.
 */
import { isIP } from 'node:net';
import { probeSeries, probeStream } from './probe.js';
import { summarizeProbes, type ProbeResult } from './probe-analysis.js';

const VALUE_FLAGS = new Set(['count', 'interval', 'timeout', 'port', 'id', 'rate', 'duration', 'source']);

interface Args {
  readonly address: string;
  readonly flags: Map<string, string | true>;
}

function parse(argv: readonly string[]): Args | string {
  const flags = new Map<string, string | true>();
  let address: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      if (VALUE_FLAGS.has(key)) {
        if (i + 1 >= argv.length) return `--${key} needs a value`;
        flags.set(key, argv[++i]);
      } else flags.set(key, true);
    } else if (!address) address = a;
    else return `unexpected argument '${a}'`;
  }
  if (!address || !isIP(address)) return 'usage: probe-main.js ADDRESS [--count N --interval MS --json] | [--rate R --duration S --json]';
  return { address, flags };
}

function num(a: Args, key: string, dflt: number): number {
  const v = a.flags.get(key);
  if (v === undefined || v === true) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a non-negative number`);
  return n;
}

function str(a: Args, key: string): string | undefined {
  const v = a.flags.get(key);
  return typeof v === 'string' ? v : undefined;
}

const write = (s: string) => process.stdout.write(s + '\n');

function describe(r: ProbeResult): string {
  return r.server === undefined ? `seq ${r.seq}: no reply` : `seq ${r.seq}: ${r.server} ${r.rttMs!.toFixed(3)} ms (it saw ${r.seen})`;
}

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  if (typeof a === 'string') {
    process.stderr.write(a + '\n');
    return 2;
  }
  const json = a.flags.has('json');
  const opts = { port: num(a, 'port', 7777), id: str(a, 'id'), timeoutMs: num(a, 'timeout', 1000), source: str(a, 'source') };
  if (a.flags.has('rate')) {
    const rate = num(a, 'rate', 200);
    const durationS = num(a, 'duration', 0);
    const stream = await probeStream(a.address, rate, {
      ...opts,
      timeoutMs: num(a, 'timeout', 300),
      onChange: (from, to, at) => write(json ? JSON.stringify({ event: 'change', from: from ?? null, to, at: Math.round(at * 1000) / 1000 }) : `${at.toFixed(1)} ms: ${from ?? '(start)'} -> ${to}`),
    });
    if (json) write(JSON.stringify({ event: 'start', address: a.address, rate, startEpochMs: Math.round(stream.startEpochMs * 1000) / 1000 }));
    await new Promise<void>((resolve) => {
      if (durationS > 0) setTimeout(resolve, durationS * 1000);
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    const results = await stream.stop();
    const summary = summarizeProbes(results);
    if (json) write(JSON.stringify({ event: 'summary', address: a.address, rate, startEpochMs: Math.round(stream.startEpochMs * 1000) / 1000, ...summary, ...(a.flags.has('results') ? { results } : {}) }));
    else write(`sent ${summary.sent}, received ${summary.received}, lost ${summary.lost}; before ${summary.before ?? '-'}, after ${summary.after ?? '-'}${summary.outageMs !== undefined ? `, outage ${summary.outageMs.toFixed(1)} ms` : ''}`);
    return summary.received > 0 ? 0 : 1;
  }
  const results = await probeSeries(a.address, num(a, 'count', 3), num(a, 'interval', 100), opts);
  const summary = summarizeProbes(results);
  if (json) write(JSON.stringify({ address: a.address, results, summary }));
  else for (const r of results) write(describe(r));
  return summary.received > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`probe: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
