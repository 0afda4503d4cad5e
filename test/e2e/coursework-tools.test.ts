/**
 * The coursework tools end to end (root): `lab inject` announces a
 * more-specific prefix from the external node `inj` over real BGP (seen on
 * the wire with tcpdump + tshark, in r1's RIB and FIB, followed by traffic,
 * trace and explain), withdraws it and `--clear`s the peer; `lab reset`
 * undoes a link cut, an anycast failure, an injection and a changed router
 * config; `lab snapshot` / `lab restore` change a router's local-pref and
 * put it back. One lab (test/e2e/fixtures/coursework-tools.yaml) with a
 * unique name in this file's own run directory, taken down at the end.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
const TOPO = join(ROOT, 'test/e2e/fixtures/coursework-tools.yaml');
let iso: { dir: string; cleanup: () => void };
let name = '';
let tmp = '';

interface Path { from: string; fromNode?: string; asPath: number[]; nextHop: string; localPref: number; med?: number; communities: string[]; best: boolean }
interface RibEntry { prefix: string; paths: Path[]; reason: string }
interface FibEntry { prefix: string; source: string; nextHops: { via?: string; interface: string }[] }
interface Neighbor { address: string; node?: string; state: string }

const json = async <T>(args: string[]): Promise<T> => JSON.parse(String((await lab([...args, '--lab', name, '--json'])).stdout)) as T;
const rib = (router: string) => json<RibEntry[]>(['show', router, 'bgp']);
const fib = (router: string) => json<FibEntry[]>(['show', router, 'fib']);
const neighbors = (router: string) => json<Neighbor[]>(['show', router, 'neighbors']);
const converged = async () => expect((await lab(['wait', '--converged', '--timeout', '60', '--lab', name], { reject: false })).exitCode).toBe(0);
const ping = (from: string, to: string) => execIn(from, ['ping', '-c1', '-W1', '-n', '-q', to]);
/** client → the site that answered (exit 1 only says the oracle, which reads the topology, disagrees). */
const catchment = async () => {
  const r = await lab(['catchment', '--lab', name, '--json'], { reject: false });
  if (!String(r.stdout).trim()) throw new Error(`lab catchment printed nothing (exit ${r.exitCode}): ${r.stderr}`);
  return Object.fromEntries((JSON.parse(String(r.stdout)) as { rows: { client: string; observed?: string }[] }).rows.map((x) => [x.client, x.observed]));
};

/** `lab exec` takes the lab from --lab before the node; ping's own words follow. */
async function execIn(node: string, argv: string[]): Promise<number> {
  return (await lab(['exec', '--lab', name, node, ...argv], { reject: false })).exitCode ?? -1;
}

async function setLink(a: string, ai: string, b: string, bi: string, state: 'up' | 'down'): Promise<void> {
  expect(await execIn(a, ['ip', 'link', 'set', 'dev', ai, state])).toBe(0);
  expect(await execIn(b, ['ip', 'link', 'set', 'dev', bi, state])).toBe(0);
}

/** A snapshot of the lab in which r1 prefers r2's path to the anycast prefix (LOCAL_PREF 200): the edit a student would make. */
async function localPrefSnapshot(): Promise<string> {
  const orig = join(tmp, 'orig.json');
  await lab(['snapshot', orig, '--lab', name]);
  const snap = JSON.parse(readFileSync(orig, 'utf8')) as { configs: Record<string, { neighbors: { node?: string; import: unknown }[] }> };
  const toR2 = snap.configs.r1.neighbors.find((n) => n.node === 'r2')!;
  toR2.import = { terms: [{ match: { prefixes: ['192.0.2.0/24'] }, action: 'accept', set: { localPref: 200 } }], default: 'accept' };
  const changed = join(tmp, 'local-pref.json');
  writeFileSync(changed, JSON.stringify(snap));
  return changed;
}

let injAddress = '';
let h2Address = '';

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  tmp = mkdtempSync(join(tmpdir(), 'cw-'));
  await ensureBuilt();
  name = uniqueLabName('cw');
  await lab(['up', TOPO, '--name', name]);
  await converged();
  injAddress = (await neighbors('r1')).find((n) => n.node === 'inj')!.address;
  h2Address = /h2-eth0:([\d.]+)\//.exec(String((await lab(['dump', '--lab', name])).stdout))![1];
}, 180_000);

afterAll(async () => {
  if (!root) return;
  await lab(['down', name], { reject: false });
  await lab(['clean'], { reject: false });
  iso.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!root)('lab inject', () => {
  it('announces a more-specific prefix over real BGP: on the wire, in the RIB and FIB, and traffic follows it', async () => {
    expect(await ping('h1', h2Address)).toBe(0);
    // Capture r1's side of the session from before the peer exists.
    const pcap = join(tmp, 'inject.pcap');
    const dump: ResultPromise = execa('ip', ['netns', 'exec', `${name}-inj`, 'tcpdump', '-U', '-n', '-i', 'inj-eth0', '-w', pcap, 'tcp', 'port', '179'], { reject: false });
    let stderr = '';
    dump.stderr?.on('data', (d: Buffer) => { stderr += String(d); });
    const t0 = Date.now();
    while (!/listening on/.test(stderr) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));

    const more = `${h2Address}/32`;
    const r = await lab(['inject', 'announce', more, '--as-path', '65020', '--med', '5', '--community', '65000:7', '--lab', name]);
    expect(String(r.stdout)).toMatch(/inject peer at inj started; sessions: r1 Established/);
    expect(String(r.stdout)).toContain(`${more} (AS path 65020, MED 5, communities 65000:7)`);
    await converged();

    const entry = (await rib('r1')).find((e) => e.prefix === more)!;
    expect(entry).toBeDefined();
    const best = entry.paths.find((p) => p.best)!;
    expect(best).toMatchObject({ fromNode: 'inj', asPath: [65099, 65020], nextHop: injAddress, med: 5, communities: ['65000:7'] });
    // r2 hears the hijack through r1, as the Internet would.
    expect((await rib('r2')).find((e) => e.prefix === more)?.paths.find((p) => p.best)?.asPath).toEqual([65001, 65099, 65020]);

    const f = (await fib('r1')).find((e) => e.prefix === more)!;
    expect(f).toMatchObject({ source: 'bgp', nextHops: [{ via: injAddress, interface: 'r1-eth3' }] });
    const ex = await json<{ chosen?: { prefix: string }; matches: { prefix: string }[] }>(['explain', 'r1', h2Address]);
    expect(ex.chosen?.prefix).toBe(more);
    expect(ex.matches.map((m) => m.prefix)).toContain('10.0.0.4/31');
    const tr = await json<{ hops: { router: string; nextHop?: string; egress?: string }[] }>(['trace', 'h1', h2Address]);
    expect(tr.hops[0]).toMatchObject({ router: 'r1', nextHop: injAddress, egress: 'r1-eth3' });
    // Hijacked: h1's packets to h2 end at inj, which routes nothing back.
    expect(await ping('h1', h2Address)).not.toBe(0);

    dump.kill('SIGINT');
    await dump;
    const decoded = await execa('tshark', ['-r', pcap, '-Y', 'bgp.type == 2', '-V'], { reject: false });
    const text = String(decoded.stdout);
    expect(text).toContain(more);
    expect(text).toMatch(/AS_PATH: 65099 65020/);
    expect(text).toMatch(/Multiple exit discriminator: 5/i);
    expect(text).toMatch(/65000:7/);
  }, 120_000);

  it('withdraws it: the RIB and FIB lose it and traffic takes the covering route again', async () => {
    const more = `${h2Address}/32`;
    const w = await lab(['inject', 'withdraw', more, '--lab', name]);
    expect(String(w.stdout)).toMatch(/announcing nothing/);
    await converged();
    expect((await rib('r1')).find((e) => e.prefix === more)).toBeUndefined();
    expect((await fib('r1')).find((e) => e.prefix === more)).toBeUndefined();
    expect(await ping('h1', h2Address)).toBe(0);
    // A prefix never announced: exit 1, said plainly.
    const again = await lab(['inject', 'withdraw', more, '--lab', name], { reject: false });
    expect(again.exitCode).toBe(1);
    expect(String(again.stdout)).toContain(`was not announced: ${more}`);
  }, 60_000);

  it('--clear withdraws everything and removes the peer; convergence no longer waits for it', async () => {
    await lab(['inject', 'announce', '198.51.100.0/24', '203.0.113.0/24', '2001:db8:99::/48', '--as-path', '65010 65020', '--lab', name]);
    await converged();
    const injected = (await rib('r1')).filter((e) => e.paths.some((p) => p.fromNode === 'inj'));
    expect(injected.map((e) => e.prefix)).toEqual(['198.51.100.0/24', '203.0.113.0/24', '2001:db8:99::/48']);
    // IPv6 over the IPv4 session (MP_REACH_NLRI): the next hop is inj's IPv6 address on the link.
    const v6 = injected[2].paths.find((p) => p.best)!;
    expect(v6.asPath).toEqual([65099, 65010, 65020]);
    expect(v6.nextHop).toMatch(/^fd8a:52c1:9e07:/);
    expect((await fib('r1')).find((e) => e.prefix === '2001:db8:99::/48')?.nextHops[0]).toMatchObject({ via: v6.nextHop, interface: 'r1-eth3' });
    const c = await lab(['inject', '--clear', '--lab', name]);
    expect(String(c.stdout)).toContain('inject peer at inj removed: 3 route(s) withdrawn');
    await converged();
    expect((await rib('r1')).some((e) => e.paths.some((p) => p.fromNode === 'inj'))).toBe(false);
    expect((await neighbors('r1')).find((n) => n.node === 'inj')?.state).not.toBe('Established');
    expect(String((await lab(['inject', 'status', '--lab', name])).stdout)).toContain('no inject peer runs at inj');
    expect(String((await lab(['inject', '--clear', '--lab', name])).stdout)).toContain('nothing was injected');
  }, 60_000);

  it('refuses a router as the peer and bad values, in one line, before touching the lab', async () => {
    const r = await lab(['inject', '--at', 'r1', 'announce', '10.9.0.0/24', '--lab', name], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toBe('lab: r1 is a router: the inject peer runs at an external node (this lab has: inj)');
    const v = await lab(['inject', 'announce', '10.9.0.0/24', '--local-pref', '200', '--lab', name], { reject: false });
    expect(v.exitCode).toBe(2);
    expect(String(v.stderr)).toBe('lab: 10.9.0.0/24 toward r1: LOCAL_PREF is only carried over iBGP (RFC 4271 §5.1.5)');
    // Nothing was started for it.
    expect(String((await lab(['inject', 'status', '--lab', name])).stdout)).toContain('no inject peer runs at inj');
    const bad = await lab(['inject', 'announce', '10.9.0.1/24', '--lab', name], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/^lab: 10\.9\.0\.1\/24: [^\n]+$/);
  }, 60_000);

  it('works at the lab> prompt through the command table', async () => {
    const { runPromptLine } = (await import(join(ROOT, 'dist/lab/prompt.js'))) as { runPromptLine: (ctx: unknown, line: string) => Promise<void> };
    const topo = JSON.parse(readFileSync(join(iso.dir, name, 'topology.json'), 'utf8')) as unknown;
    const written: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string | Uint8Array) => { written.push(String(s)); return true; }) as typeof process.stdout.write;
    try {
      await runPromptLine({ lab: name, topo, write: (s: string) => written.push(s) }, 'inject announce 192.0.2.128/25 --as-path 64500');
      await runPromptLine({ lab: name, topo, write: (s: string) => written.push(s) }, 'inject --clear');
    } finally {
      process.stdout.write = orig;
    }
    const text = written.join('');
    expect(text).toContain('192.0.2.128/25 (AS path 64500)');
    expect(text).toContain('inject peer at inj removed: 1 route(s) withdrawn');
  }, 60_000);
});

describe.skipIf(!root)('lab snapshot / restore', () => {
  it('saves the router configs, restores a changed local-pref, then the original', async () => {
    const orig = join(tmp, 'orig.json');
    const s = await json<{ file: string; nodes: string[] }>(['snapshot', orig]);
    expect(s.nodes.sort()).toEqual(['a', 'b', 'r1', 'r2']);
    expect(await catchment()).toEqual({ h1: 'a', h2: 'b' });
    const changed = await localPrefSnapshot();

    const r = await json<{ restarted: string[]; unchanged: string[]; convergence: { converged: boolean } }>(['restore', changed]);
    expect(r.restarted).toEqual(['r1']);
    expect(r.unchanged.sort()).toEqual(['a', 'b', 'r2']);
    expect(r.convergence.converged).toBe(true);
    const best = (await rib('r1')).find((e) => e.prefix === '192.0.2.0/24')!.paths.find((p) => p.best)!;
    expect(best).toMatchObject({ fromNode: 'r2', localPref: 200 });
    expect(await catchment()).toEqual({ h1: 'b', h2: 'b' });

    const back = await json<{ restarted: string[] }>(['restore', orig]);
    expect(back.restarted).toEqual(['r1']);
    const again = (await rib('r1')).find((e) => e.prefix === '192.0.2.0/24')!.paths.find((p) => p.best)!;
    expect(again).toMatchObject({ fromNode: 'a', localPref: 100 });
    expect(await catchment()).toEqual({ h1: 'a', h2: 'b' });

    // Restoring the same file again changes nothing.
    expect((await json<{ restarted: string[] }>(['restore', orig])).restarted).toEqual([]);
  }, 180_000);

  it('refuses a snapshot that does not fit the lab, naming the node', async () => {
    await lab(['snapshot', join(tmp, 'orig.json'), '--lab', name]);
    const snap = JSON.parse(readFileSync(join(tmp, 'orig.json'), 'utf8')) as { configs: Record<string, unknown> };
    snap.configs.r9 = snap.configs.r1;
    const f = join(tmp, 'bad.json');
    writeFileSync(f, JSON.stringify(snap));
    const r = await lab(['restore', f, '--lab', name], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(`cannot restore into lab ${name}:\n  r9: no such node in lab ${name}`);
    const none = await lab(['restore', '--lab', name], { reject: false });
    expect(String(none.stderr)).toBe('lab: usage: lab restore FILE [--lab LAB] [--timeout S] [--json]');
  }, 30_000);
});

describe.skipIf(!root)('lab reset', () => {
  it('undoes a link cut, a failed site, an injection and a changed config; sessions and catchment come back', async () => {
    await lab(['restore', await localPrefSnapshot(), '--lab', name]);
    await lab(['inject', 'announce', '198.51.100.0/24', '--lab', name]);
    await setLink('r1', 'r1-eth1', 'r2', 'r2-eth0', 'down');
    await lab(['fail', 'a', '--how', 'service', '--lab', name]);
    // Broken: h1 has no site (a failed, b behind the cut link), r1 has lost r2.
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000 && (await catchment()).h1 !== undefined) await new Promise((r) => setTimeout(r, 500));
    expect((await catchment()).h1).toBeUndefined();
    expect((await neighbors('r1')).find((n) => n.node === 'r2')?.state).not.toBe('Established');

    const r = await json<{
      injectCleared: { node: string; routes: number }[]; recovered: { server: string; how: string }[]; linksUp: string[]; restarted: string[];
      convergence: { converged: boolean; sessions: number; established: number }; seconds: number; stages: Record<string, number>;
    }>(['reset']);
    expect(r.injectCleared).toEqual([{ node: 'inj', routes: 1 }]);
    expect(r.recovered).toEqual([{ server: 'a', how: 'service' }]);
    expect(r.linksUp).toEqual(['r1/r1-eth1', 'r2/r2-eth0']);
    expect(r.restarted).toEqual(['r1']);
    expect(r.convergence.converged).toBe(true);
    console.log(`lab reset: ${r.seconds.toFixed(2)} s, ${r.convergence.established}/${r.convergence.sessions} sessions; ${JSON.stringify(r.stages)}`);

    for (const router of ['r1', 'r2']) {
      for (const n of await neighbors(router)) if (n.node !== 'inj') expect(n.state, `${router} - ${n.node}`).toBe('Established');
    }
    expect(await catchment()).toEqual({ h1: 'a', h2: 'b' });
    expect((await rib('r1')).find((e) => e.prefix === '198.51.100.0/24')).toBeUndefined();
    const best = (await rib('r1')).find((e) => e.prefix === '192.0.2.0/24')!.paths.find((p) => p.best)!;
    expect(best).toMatchObject({ fromNode: 'a', localPref: 100 });
    expect((await lab(['pingall', '--lab', name], { reject: false })).exitCode).toBe(0);

    // A reset of a lab in its start state changes nothing.
    const idle = await json<{ recovered: unknown[]; linksUp: unknown[]; restarted: unknown[]; injectCleared: unknown[] }>(['reset']);
    expect([idle.recovered, idle.linksUp, idle.restarted, idle.injectCleared]).toEqual([[], [], [], []]);
  }, 240_000);
});
