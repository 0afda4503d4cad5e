/**
 * What `lab up` ends with and what `lab graph` draws, on a real
 * topologies/anycast-basic.yaml lab: the up output shows progress through
 * BGP convergence and ends with the map, whose last line is the client's
 * measured site (b); `lab graph --format dot` colours the client like b and
 * joins them; after `lab fail b` the oracle leaves b out, so predicted and
 * measured agree on a (also in the graph); after recovering b and cutting
 * its link with `lab link r1 b down` (a prompt command from the shell) they
 * agree on a again. Also from the shell: `show r1 arp`, `iperfudp`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, uniqueLabName } from './helpers.js';

const root = isRoot();
const name = uniqueLabName('map');
let iso: { dir: string; cleanup: () => void };
let up: { stdout: string; stderr: string };

interface CatchmentJson {
  oracleLeftOut: string[];
  rows: { client: string; observed?: string; predicted: string[]; match: boolean }[];
}

async function catchmentJson(): Promise<CatchmentJson> {
  const r = await lab(['catchment', '--json', '--lab', name], { reject: false });
  return JSON.parse(r.stdout) as CatchmentJson;
}

/** Polls `lab catchment` until the client is measured on `site` (BGP and the health check take their time). */
async function measuredOn(site: string, timeoutMs = 20_000): Promise<CatchmentJson> {
  const t0 = Date.now();
  for (;;) {
    const c = await catchmentJson();
    // The live state the oracle reads and the probes are two looks a moment apart: wait until both agree.
    if (c.rows[0]?.observed === site && c.rows[0]?.match) return c;
    if (Date.now() - t0 > timeoutMs) throw new Error(`client still measured on ${c.rows[0]?.observed ?? 'nothing'}, not ${site}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
  up = await lab(['up', 'topologies/anycast-basic.yaml', '--name', name]);
});

afterAll(async () => {
  if (!root) return;
  await lab(['clean'], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('lab up map and lab graph catchment (root)', () => {
  it('lab up shows progress through convergence and ends with the map: nodes, links, anycast address, client -> b measured', () => {
    for (const stage of ['namespaces 7/7', 'links 6/6', 'routers 6/6', 'anycast services 3/3', 'BGP sessions established 10/10']) expect(up.stderr).toContain(`*** ${stage}`);
    expect(up.stdout).toMatch(/^\*\*\* converged in [\d.]+ s \(10\/10 sessions established/m);
    expect(up.stdout).toContain(`*** map of lab ${name}`);
    expect(up.stdout).toContain('nodes      7: hosts client; routers r1 (AS65001), r2 (AS65002), r3 (AS65003); anycast servers a b c (AS64500)');
    expect(up.stdout).toContain('anycast    192.0.2.53, 2001:db8::53 at a b c');
    expect(up.stdout).toMatch(/^catchment  of 192\.0\.2\.53, measured: a UDP whoami probe from each client; the oracle agrees$/m);
    expect(up.stdout.trimEnd().split('\n').pop()).toMatch(/^ {2}client -> b +via r1, AS path 64500$/);
  });

  it('lab graph --format dot draws the measured catchment: the client filled like b, a catchment edge client -- b, a legend', async () => {
    const dot = (await lab(['graph', '--format', 'dot', '--lab', name])).stdout;
    const fill = (node: string) => new RegExp(`^ {2}"${node}" \\[[^\\n]*fillcolor="(#[0-9a-f]{6})"`, 'm').exec(dot)?.[1];
    expect(dot).toContain('label="catchment of 192.0.2.53: measured by probes from each client"');
    expect(fill('client')).toBe(fill('b'));
    expect(fill('client')).not.toBe(fill('a'));
    expect(dot).toMatch(/^ {2}"client" -- "b" \[style=dashed.*label="catchment"/m);
    expect(dot).toMatch(/"legend" .*>b<\/TD><TD ALIGN="LEFT">client</);
    const svg = (await lab(['graph', '--format', 'svg', '--lab', name])).stdout;
    expect(svg).toMatch(/<svg[\s\S]*catchment of 192\.0\.2\.53/);
  });

  it('after lab fail b the oracle leaves b out: predicted = measured = a; the graph joins the client to a and greys b', async () => {
    await lab(['fail', 'b', '--how', 'service', '--lab', name]);
    const c = await measuredOn('a');
    expect(c.oracleLeftOut).toEqual(['b (failed: service)']);
    expect(c.rows).toEqual([expect.objectContaining({ client: 'client', observed: 'a', predicted: ['a'], match: true })]);
    const text = (await lab(['catchment', '--lab', name])).stdout;
    expect(text).toContain('the oracle leaves out: b (failed: service)');
    expect(text).not.toContain('<- differs');
    const dot = (await lab(['graph', '--lab', name])).stdout;
    expect(dot).toMatch(/^ {2}"client" -- "a" \[style=dashed/m);
    expect(dot).toMatch(/^ {2}"b" \[[^\n]*\(unavailable\)", style="filled,dashed"/m);
    const predicted = (await lab(['graph', '--predicted', '--lab', name])).stdout;
    expect(predicted).toContain('predicted by the oracle (no packet sent)');
    expect(predicted).toMatch(/^ {2}"client" -- "a" /m);
    await lab(['recover', 'b', '--lab', name]);
    const back = await measuredOn('b');
    expect(back.oracleLeftOut).toEqual([]);
    expect(back.rows[0]).toMatchObject({ predicted: ['b'], match: true });
  });

  it('lab link r1 b down (the prompt command, from the shell): the oracle leaves the link out, predicted = measured = a; up again: b', async () => {
    const down = await lab(['link', 'r1', 'b', 'down', '--lab', name]);
    expect(down.exitCode).toBe(0);
    const c = await measuredOn('a');
    expect(c.oracleLeftOut).toEqual(['interfaces down: b-eth0 r1-eth2']);
    expect(c.rows[0]).toMatchObject({ observed: 'a', predicted: ['a'], match: true });
    await lab(['link', 'r1', 'b', 'up', '--lab', name]);
    expect((await measuredOn('b', 30_000)).rows[0]).toMatchObject({ predicted: ['b'], match: true });
    const bad = await lab(['link', 'r1', 'c', 'down', '--lab', name], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('lab: no link between r1 and c');
  });

  it('lab show r1 arp lists b\'s link address with a MAC; lab iperfudp 5M client b carries the rate', async () => {
    const dump = JSON.parse((await lab(['dump', '--json', '--lab', name])).stdout) as { name: string; interfaces: { ipv4?: string }[] }[];
    const bAddr = dump.find((n) => n.name === 'b')!.interfaces[0].ipv4!.split('/')[0];
    await lab(['probe', 'client', '--lab', name]);
    const arp = (await lab(['show', 'r1', 'arp', '--lab', name])).stdout;
    expect(arp).toMatch(new RegExp(`^${bAddr.replace(/\./g, '\\.')} +[0-9a-f]{2}(:[0-9a-f]{2}){5} +\\S+ +r1-eth2$`, 'm'));
    const r = JSON.parse((await lab(['iperfudp', '5M', 'client', 'b', '--duration', '1', '--json', '--lab', name])).stdout) as { protocol: string; receivedBps: number; lostPercent: number };
    expect(r.protocol).toBe('udp');
    expect(r.receivedBps).toBeGreaterThan(4e6);
    expect(r.lostPercent).toBeLessThan(5);
  });
});
