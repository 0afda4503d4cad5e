/**
 * Anycast end to end, as root, in real namespaces: topologies/anycast-basic.yaml
 * (client behind r1; b at 1 AS hop, a at 2, c at 3). The client's UDP to
 * 192.0.2.53 and 2001:db8::53 reaches b and no other site (each site's own
 * counters say so); `dig id.server CH TXT` answers b; every failure kind moves
 * the client to a within its bounds, and recovering b brings it back.
 *
 * Health check: interval 500 ms, rise 2, fall 3 (the lab defaults); BGP
 * hold 9 s, keepalive 3 s (the topology's).
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { ensureBuilt, isolateRunDir, isRoot, lab, uniqueLabName } from './helpers.js';

const root = isRoot();
const name = uniqueLabName('ac');
let iso: { dir: string; cleanup: () => void };
const HEALTH = { intervalMs: 500, rise: 2, fall: 3 };
const HOLD_MS = 9000;
const KEEPALIVE_MS = 3000;
const ns = (node: string) => `${name}-${node}`;

async function service(node: string, method: 'anycast.status' | 'anycast.control', params: Record<string, unknown> = {}) {
  const c = await ControlClient.connect(`${iso.dir}/${name}/${node}-service.sock`);
  try {
    return (await c.request(method, params as never)) as { byClient: Record<string, { whoami: number; dns: number }>; sinceReset: number };
  } finally {
    c.close();
  }
}

async function resetAll(): Promise<void> {
  for (const s of ['a', 'b', 'c']) await service(s, 'anycast.control', { action: 'reset-counters' });
}

/** The probes each site received from `client` since the last reset. */
async function received(clientAddr: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of ['a', 'b', 'c']) out[s] = (await service(s, 'anycast.status')).byClient[clientAddr]?.whoami ?? 0;
  return out;
}

async function probe(address = '192.0.2.53', count = 5) {
  const r = await lab(['probe', 'client', address, '--count', String(count), '--json', '--lab', name], { reject: false });
  return JSON.parse(r.stdout) as { server?: string; results: { server?: string; seen?: string }[]; asPath?: number[] };
}

/** Polls until the client's probes land on `server` (after a recovery the site must rise and BGP re-advertise). */
async function waitForServer(server: string, timeoutMs = 15_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const p = await probe('192.0.2.53', 1);
    if (p.server === server) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`client still reaches ${p.server ?? 'nothing'}, not ${server}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface FailoverJson {
  failedAtEpochMs: number;
  rows: { client: string; before?: string; after?: string; outageMs?: number; failureToNewMs?: number; firstNewEpochMs?: number; lost: number; sent: number }[];
}

/** Each failure starts from a healthy b, even when an earlier test failed half-way. */
async function healthyB(): Promise<void> {
  const undo = await lab(['recover', 'b', '--lab', name], { reject: false });
  if (undo.exitCode === 0) await waitForServer('b', 20_000);
}

async function failover(how: string): Promise<FailoverJson['rows'][number]> {
  await healthyB();
  const r = await lab(['failover', 'b', '--how', how, '--json', '--lab', name], { timeout: 60_000 });
  const rep = JSON.parse(r.stdout) as FailoverJson;
  expect(rep.rows).toHaveLength(1);
  return rep.rows[0];
}

let clientAddr = '';
let clientAddr6 = '';

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
  await lab(['up', 'topologies/anycast-basic.yaml', '--name', name]);
  const w = await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
  expect(w.stdout).toMatch(/converged/);
  const addrs = JSON.parse(String((await execa('ip', ['-n', ns('client'), '-json', 'addr', 'show', 'dev', 'client-eth0'])).stdout)) as { addr_info: { family: string; local: string; scope: string }[] }[];
  clientAddr = addrs[0].addr_info.find((a) => a.family === 'inet')!.local;
  clientAddr6 = addrs[0].addr_info.find((a) => a.family === 'inet6' && a.scope === 'global')!.local;
});

afterAll(async () => {
  if (!root) return;
  await lab(['clean'], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('anycast-basic (root)', () => {
  it('the client\'s UDP to 192.0.2.53 is received by b and by no other site; r1 holds AS path [64500]', async () => {
    await resetAll();
    const p = await probe('192.0.2.53', 10);
    expect(p.results.map((r) => r.server)).toEqual(new Array(10).fill('b'));
    expect(p.results.every((r) => r.seen === clientAddr)).toBe(true);
    expect(p.asPath).toEqual([64500]);
    expect(await received(clientAddr)).toEqual({ a: 0, b: 10, c: 0 });
    // b's own log shows the client's probes; the other sites' logs do not.
    const log = (site: string) => readFileSync(`${iso.dir}/${name}/logs/${site}-service.log`, 'utf8');
    expect(log('b')).toMatch(new RegExp(`whoami seq=9 id=client from ${clientAddr.replace(/\./g, '\\.')}:\\d+`));
    expect(log('a')).not.toContain(`from ${clientAddr}:`);
    expect(log('c')).not.toContain(`from ${clientAddr}:`);
  });

  it('the same over IPv6 (2001:db8::53)', async () => {
    await resetAll();
    const p = await probe('2001:db8::53', 10);
    expect(p.results.map((r) => r.server)).toEqual(new Array(10).fill('b'));
    expect(await received(clientAddr6)).toEqual({ a: 0, b: 10, c: 0 });
  });

  it('dig @192.0.2.53 and @2001:db8::53 id.server CH TXT answer b, with NSID b', async () => {
    for (const server of ['192.0.2.53', '2001:db8::53']) {
      const short = await execa('ip', ['netns', 'exec', ns('client'), 'dig', '+short', '+time=2', '+tries=2', `@${server}`, 'id.server', 'CH', 'TXT']);
      expect(short.stdout.trim()).toBe('"b"');
      const full = await execa('ip', ['netns', 'exec', ns('client'), 'dig', '+nsid', '+time=2', `@${server}`, 'hostname.bind', 'CH', 'TXT']);
      expect(full.stdout).toMatch(/status: NOERROR/);
      expect(full.stdout).toMatch(/NSID: 62 \("b"\)/);
    }
    const a = await execa('ip', ['netns', 'exec', ns('client'), 'dig', '+short', '+time=2', '@192.0.2.53', 'www.anycast.example', 'AAAA']);
    expect(a.stdout.trim()).toBe('2001:db8::53');
  });

  it('catchment agrees with the oracle', async () => {
    const r = JSON.parse((await lab(['catchment', '--json', '--lab', name])).stdout) as { rows: { client: string; observed: string; predicted: string[]; match: boolean }[] };
    expect(r.rows).toEqual([expect.objectContaining({ client: 'client', observed: 'b', predicted: ['b'], match: true })]);
  });

  it(`service failure: the health check withdraws after fall × interval; outage ≤ ${HEALTH.fall} × ${HEALTH.intervalMs} ms + 300 ms, under 100 ms after the verdict; recover brings b back`, async () => {
    const row = await failover('service');
    expect(row).toMatchObject({ before: 'b', after: 'a' });
    expect(row.failureToNewMs!).toBeLessThanOrEqual(HEALTH.fall * HEALTH.intervalMs + 300);
    expect(row.failureToNewMs!).toBeGreaterThanOrEqual((HEALTH.fall - 1) * HEALTH.intervalMs);
    const c = await ControlClient.connect(`${iso.dir}/${name}/b-health.sock`);
    const hs = (await c.request('anycast.status', {})) as { verdict: string; verdictAt: number };
    c.close();
    expect(hs.verdict).toBe('down');
    expect(readFileSync(`${iso.dir}/${name}/logs/b-health.log`, 'utf8')).toMatch(/verdict up -> down: 3 probes in a row unanswered \(fall 3\)/);
    expect(row.firstNewEpochMs! - hs.verdictAt).toBeLessThan(100);
    expect(row.firstNewEpochMs! - hs.verdictAt).toBeGreaterThan(-5);
    await resetAll();
    await probe('192.0.2.53', 5);
    expect(await received(clientAddr)).toEqual({ a: 5, b: 0, c: 0 });
    await lab(['recover', 'b', '--lab', name]);
    await waitForServer('b');
    await resetAll();
    await probe('192.0.2.53', 5);
    expect(await received(clientAddr)).toEqual({ a: 0, b: 5, c: 0 });
  });

  it('a capture on b\'s link decodes the withdrawal UPDATE (192.0.2.0/24 and, in MP_UNREACH_NLRI, 2001:db8::/48) when b\'s health check fails', async () => {
    await healthyB();
    const pcap = `${iso.dir}/${name}/b-withdraw.pcap`;
    const dump = execa('ip', ['netns', 'exec', ns('r1'), 'tcpdump', '-n', '-U', '-i', 'r1-eth2', '-w', pcap, 'tcp', 'port', '179'], { reject: false, buffer: false });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
      dump.stderr?.on('data', (d: Buffer) => {
        if (String(d).includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    try {
      await lab(['fail', 'b', '--how', 'service', '--lab', name]);
      await waitForServer('a');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      dump.kill('SIGINT');
      await dump;
    }
    const fields = await execa('tshark', ['-r', pcap, '-Y', 'bgp.type == 2', '-T', 'fields', '-e', 'bgp.withdrawn_prefix', '-e', 'bgp.mp_unreach_nlri_ipv6_prefix']);
    const text = fields.stdout;
    expect(text).toContain('192.0.2.0');
    expect(text).toContain('2001:db8::');
    await lab(['recover', 'b', '--lab', name]);
    await waitForServer('b');
  });

  it('kill of b\'s BGP speaker: TCP closes, the client is on a in under 300 ms; recover restarts it', async () => {
    const row = await failover('kill');
    expect(row).toMatchObject({ before: 'b', after: 'a' });
    expect(row.failureToNewMs!).toBeLessThan(300);
    expect(row.failureToNewMs!).toBeGreaterThanOrEqual(0);
    await lab(['recover', 'b', '--lab', name]);
    await waitForServer('b');
  });

  it('link cut: the client is on a under 100 ms after the cut; recover brings b back', async () => {
    const row = await failover('link');
    expect(row).toMatchObject({ before: 'b', after: 'a' });
    // The outage (last reply from b to the first from a) brackets the cut: the network's own reaction.
    expect(row.outageMs!).toBeLessThan(100);
    // From issuing `ip link set down` (a process start included) to the first reply from a.
    expect(row.failureToNewMs!).toBeLessThan(300);
    expect(row.failureToNewMs!).toBeGreaterThanOrEqual(0);
    await lab(['recover', 'b', '--lab', name]);
    await waitForServer('b');
    await resetAll();
    await probe('2001:db8::53', 3);
    expect(await received(clientAddr6)).toEqual({ a: 0, b: 3, c: 0 });
  });

  it('drain: withdraw, wait, stop — the client moves to a without losing a probe; recover brings b back', async () => {
    const row = await failover('drain');
    expect(row).toMatchObject({ before: 'b', after: 'a', lost: 0 });
    expect(row.failureToNewMs!).toBeLessThan(300);
    await lab(['recover', 'b', '--lab', name]);
    await waitForServer('b');
  });

  for (const how of ['freeze', 'blackhole']) {
    it(`${how}: only the hold timer notices — between hold − keepalive and hold + 0.5 s; recover brings b back`, async () => {
      const row = await failover(how);
      expect(row).toMatchObject({ before: 'b', after: 'a' });
      expect(row.failureToNewMs!).toBeGreaterThanOrEqual(HOLD_MS - KEEPALIVE_MS);
      expect(row.failureToNewMs!).toBeLessThanOrEqual(HOLD_MS + 500);
      await lab(['recover', 'b', '--lab', name]);
      await waitForServer('b', 20_000);
    });
  }

  it('ddos: every flood datagram is counted at b (the only site in the client\'s catchment)', async () => {
    const r = JSON.parse((await lab(['ddos', '--rate', '2000', '--duration', '1', '--json', '--lab', name])).stdout) as { sent: number; received: number; servers: { name: string; received: number }[] };
    expect(r.sent).toBe(2000);
    expect(Math.abs(r.received - r.sent)).toBeLessThanOrEqual(r.sent * 0.01);
    expect(Object.fromEntries(r.servers.map((s) => [s.name, s.received]))).toMatchObject({ a: 0, c: 0 });
  });
});
