/**
 * anycast-stateful (topologies/anycast-stateful.yaml) with real packets:
 * a TCP connection to 192.0.2.53:7778 breaks with a RST from the new site
 * when its site's link is cut, while UDP whoami keeps being answered (by
 * the new site); and r1's ECMP hashes per flow: 32 UDP flows from one
 * client each stay on one site, and both sites serve some.
 */
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isolateRunDir, isRoot, lab, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
let iso: { dir: string; cleanup: () => void };
const name = uniqueLabName('st');
const ns = (node: string) => `${name}-${node}`;
const dist = (f: string) => join(ROOT, 'dist/src/anycast', f);

interface TcpEvent { event: string; text?: string; code?: string; t: number }

/** tcpdump in a namespace, text output; resolves once it is listening. */
async function capture(node: string, intf: string, filter: string[]): Promise<{ proc: ResultPromise; lines: () => string[] }> {
  const proc = execa('ip', ['netns', 'exec', ns(node), 'tcpdump', '-n', '-l', '--immediate-mode', '-i', intf, ...filter], { reject: false, buffer: false });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += String(d)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump on ${node}/${intf} did not start`)), 10_000);
    proc.stderr?.on('data', (d: Buffer) => {
      if (String(d).includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { proc, lines: () => out.split('\n').filter(Boolean) };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function probe(count = 5): Promise<{ server?: string; summary: { received: number; byServer: Record<string, number> } }> {
  // `lab probe` exits 1 when a probe goes unanswered (one may be lost while the route moves): read its JSON anyway.
  return JSON.parse((await lab(['probe', 'client', '--count', String(count), '--json', '--lab', name], { reject: false })).stdout);
}

/** 32 UDP sockets (32 source ports) in the client's namespace, 4 whoami requests each; the servers that answered each flow. */
const FLOWS_SCRIPT = `
import { createSocket } from 'node:dgram';
import { emitWhoamiRequest, parseWhoamiReply } from ${JSON.stringify(dist('whoami.js'))};
const flows = [];
for (let i = 0; i < 32; i++) {
  const s = createSocket('udp4');
  const f = { servers: [], port: 0 };
  s.on('message', (m) => { const r = parseWhoamiReply(m); if (r) f.servers.push(r.server); });
  await new Promise((r) => s.bind(0, r));
  f.port = s.address().port;
  flows.push({ s, f });
}
for (let k = 0; k < 4; k++) {
  for (const { s } of flows) s.send(emitWhoamiRequest({ t: 'whoami', seq: k, id: 'flows' }), 7777, '192.0.2.53');
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 400));
console.log(JSON.stringify(flows.map(({ f }) => f)));
process.exit(0);
`;

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
  await lab(['up', join(ROOT, 'topologies/anycast-stateful.yaml'), '--name', name]);
  await lab(['wait', '--converged', '--timeout', '30', '--lab', name]);
}, 120_000);

afterAll(async () => {
  if (!root) return;
  await lab(['down', name], { reject: false });
  await lab(['clean'], { reject: false });
  iso.cleanup();
}, 60_000);

describe.runIf(root)('anycast-stateful (root)', () => {
  it('ECMP at r1 hashes per flow: each of 32 UDP flows is answered by one site throughout, and both sites answer some', async () => {
    const r = await execa('ip', ['netns', 'exec', ns('client'), process.execPath, '--input-type=module', '-e', FLOWS_SCRIPT]);
    const flows = JSON.parse(r.stdout) as { servers: string[]; port: number }[];
    expect(flows).toHaveLength(32);
    expect(new Set(flows.map((f) => f.port)).size).toBe(32);
    for (const f of flows) {
      expect(f.servers.length).toBeGreaterThanOrEqual(3); // at most one of four lost
      expect(new Set(f.servers).size).toBe(1);
    }
    const per = (s: string) => flows.filter((f) => f.servers[0] === s).length;
    expect(per('a') + per('b')).toBe(32);
    expect(per('a')).toBeGreaterThan(0);
    expect(per('b')).toBeGreaterThan(0);
  }, 30_000);

  it('a TCP connection breaks with a RST from the new site when its site\'s link is cut; UDP goes on, answered by the new site', async () => {
    const client = execa('ip', ['netns', 'exec', ns('client'), process.execPath, dist('tcp-client-main.js'), '192.0.2.53'], { reject: false, buffer: false, stdin: 'pipe' });
    const events: TcpEvent[] = [];
    let buf = '';
    client.stdout?.on('data', (d: Buffer) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as TcpEvent);
        buf = buf.slice(nl + 1);
      }
    });
    const caps: { proc: ResultPromise }[] = [];
    let failed: string | undefined;
    try {
      await until('the TCP connection', () => events.some((e) => e.event === 'connected'));
      client.stdin!.write('hello 1\n');
      await until('the first echo', () => events.some((e) => e.event === 'line'));
      const site = events.find((e) => e.event === 'line')!.text!.split(' ')[0];
      expect(['a', 'b']).toContain(site);
      expect(events.find((e) => e.event === 'line')!.text).toBe(`${site} hello 1`);
      const other = site === 'a' ? 'b' : 'a';

      // The client's link sees the RST arrive; the new site's own link shows it leaving that site.
      const atClient = await capture('client', 'client-eth0', ['tcp', 'port', '7778']);
      const atOther = await capture(other, `${other}-eth0`, ['tcp', 'port', '7778']);
      caps.push(atClient, atOther);

      failed = site;
      await lab(['fail', site, '--how', 'link', '--lab', name]);
      await until(`UDP answered by ${other}`, async () => (await probe(1)).server === other, 15_000);

      client.stdin!.write('hello 2\n');
      await until('the connection to error', () => events.some((e) => e.event === 'error' || e.event === 'close'), 10_000);
      await new Promise((r) => setTimeout(r, 300));

      const err = events.find((e) => e.event === 'error');
      expect(err?.code).toBe('ECONNRESET');
      expect(events.filter((e) => e.event === 'line')).toHaveLength(1); // "hello 2" was never echoed

      const rst = (l: string) => /192\.0\.2\.53\.7778 > [\d.]+: Flags \[R/.test(l);
      expect(atClient.lines().some((l) => /> 192\.0\.2\.53\.7778: Flags \[P\./.test(l))).toBe(true);
      expect(atClient.lines().some(rst)).toBe(true);
      expect(atOther.lines().some(rst)).toBe(true);

      const after = await probe(5);
      expect(after.summary.received).toBe(5);
      expect(after.summary.byServer).toEqual({ [other]: 5 });
    } finally {
      client.stdin?.end();
      client.kill('SIGTERM');
      for (const c of caps) c.proc.kill('SIGTERM');
      await Promise.all([client, ...caps.map((c) => c.proc)]);
      if (failed) await lab(['recover', failed, '--lab', name], { reject: false });
    }
  }, 60_000);
});
