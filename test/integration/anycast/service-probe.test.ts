/**
 * The service and the probe client over loopback, no root: whoami replies
 * carry the site name, the address the site saw and the sequence number;
 * the site counts each probe per client; stop/start; a stream survives a
 * switch between two sites and measures the gap. Then the real processes
 * (dist/): service-main + health-main against a stand-in router control
 * socket: announce after `rise` probes, withdraw within fall × interval +
 * timeout of the service stopping, drain.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnycastService } from '../../../src/anycast/service.js';
import { defaultServiceConfig, type HealthCheckConfig, type ServiceConfig } from '../../../src/anycast/config.js';
import { ProbeSocket, probeSeries, probeStream } from '../../../src/anycast/probe.js';
import { summarizeProbes } from '../../../src/anycast/probe-analysis.js';
import { ControlServer } from '../../../src/control/server.js';
import { ControlClient } from '../../../src/control/client.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  s.close();
  return p;
}

describe('service + probe over loopback', () => {
  let svc: AnycastService;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    svc = new AnycastService({ ...defaultServiceConfig('site-a', ['127.0.0.1']), whoamiPort: port, dnsPort: 0 });
    await svc.start();
  });
  afterAll(() => svc.stop());

  it('each probe is answered by the site, with the client address it saw and the sequence number', async () => {
    svc.resetCounters();
    const results = await probeSeries('127.0.0.1', 5, 5, { port, id: 'tester' });
    expect(results.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const r of results) {
      expect(r.server).toBe('site-a');
      expect(r.seen).toBe('127.0.0.1');
      expect(r.rttMs).toBeGreaterThanOrEqual(0);
      expect(r.rttMs).toBeLessThan(1000);
    }
    const st = svc.status();
    expect(st.byClient['127.0.0.1'].whoami).toBe(5);
    expect(st.sinceReset).toBe(5);
    expect(st.total).toBeGreaterThanOrEqual(5);
  });

  it('malformed whoami datagrams are counted, not answered, and do not stop the service', async () => {
    const before = svc.status().malformed;
    const s = createSocket('udp4');
    for (const junk of ['', 'x', '{"t":"whoami"}', '\u0000\u0001']) await new Promise<void>((r) => s.send(Buffer.from(junk), port, '127.0.0.1', () => r()));
    s.close();
    const after = await probeSeries('127.0.0.1', 1, 0, { port });
    expect(after[0].server).toBe('site-a');
    expect(svc.status().malformed).toBe(before + 4);
  });

  it('a stopped service answers nothing; started again it answers', async () => {
    await svc.stop();
    expect(svc.status().up).toBe(false);
    const none = await probeSeries('127.0.0.1', 2, 5, { port, timeoutMs: 200 });
    expect(none.every((r) => r.server === undefined)).toBe(true);
    await svc.start();
    const back = await probeSeries('127.0.0.1', 1, 0, { port });
    expect(back[0].server).toBe('site-a');
  });

  it('a connected probe socket reports a closed port at once (ICMP port unreachable), not after a timeout', async () => {
    const closed = await freePort();
    const sock = await ProbeSocket.open('127.0.0.1', { port: closed, connect: true });
    try {
      const t0 = Date.now();
      const refused = new Promise<number>((r) => { sock.onRefused = () => r(Date.now() - t0); });
      sock.send();
      expect(await Promise.race([refused, sleep(1000).then(() => -1)])).toBeGreaterThanOrEqual(0);
      expect(sock.refusals).toBe(1);
      expect(sock.sendErrors).toBe(0);
    } finally {
      sock.close();
    }
    // An open port answers as before over the connected socket.
    const live = await ProbeSocket.open('127.0.0.1', { port, connect: true });
    try {
      const got = new Promise<string | undefined>((r) => { live.onReply = (x) => r(x.server); });
      live.send();
      expect(await got).toBe('site-a');
    } finally {
      live.close();
    }
  });

  it('a 500/s stream sees the switch to another site and measures the gap', async () => {
    const other = new AnycastService({ ...defaultServiceConfig('site-b', ['127.0.0.1']), whoamiPort: port, dnsPort: 0 });
    const changes: string[] = [];
    const stream = await probeStream('127.0.0.1', 500, { port, timeoutMs: 200, onChange: (from, to) => changes.push(`${from ?? '-'}>${to}`) });
    await sleep(200);
    await svc.stop();
    await sleep(100);
    await other.start(); // the same address and port: the "other site" now answers
    await sleep(200);
    const results = await stream.stop();
    await other.stop();
    await svc.start();
    const s = summarizeProbes(results);
    expect(changes).toEqual(['->site-a', 'site-a>site-b']);
    expect(s.before).toBe('site-a');
    expect(s.after).toBe('site-b');
    expect(s.sent).toBeGreaterThan(200);
    expect(s.lost).toBeGreaterThan(20); // about 50 probes fell into the 100 ms gap
    expect(s.outageMs).toBeGreaterThanOrEqual(90);
    expect(s.outageMs).toBeLessThan(1000);
  });
});

const distReady = existsSync(join(ROOT, 'dist/src/anycast/health-main.js')) && existsSync(join(ROOT, 'dist/src/anycast/service-main.js'));

describe.runIf(distReady)('service-main + health-main processes against a stand-in router', () => {
  let dir: string;
  const procs: ChildProcess[] = [];
  const router = new ControlServer('fake-router');
  const actions: { action: string; at: number }[] = [];
  let announced = false;
  let svcCfg: ServiceConfig;
  const health = { intervalMs: 100, rise: 2, fall: 3 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anycast-it-'));
    router.handle('anycast.control', (p) => {
      actions.push({ action: p.action, at: Date.now() });
      announced = p.action === 'announce';
      return { announced };
    });
    await router.listen(join(dir, 'router.sock'));
    const port = await freePort();
    svcCfg = { ...defaultServiceConfig('site-p', ['127.0.0.1']), whoamiPort: port, dnsPort: await freePort(), controlSocket: join(dir, 'svc.sock') };
    writeFileSync(join(dir, 'svc.json'), JSON.stringify(svcCfg));
    const hc: HealthCheckConfig = {
      version: 1, name: 'site-p', address: '127.0.0.1', whoamiPort: port, ...health,
      routerSocket: join(dir, 'router.sock'), serviceSocket: svcCfg.controlSocket, controlSocket: join(dir, 'health.sock'), drainMs: 200,
    };
    writeFileSync(join(dir, 'health.json'), JSON.stringify(hc));
    procs.push(spawn(process.execPath, [join(ROOT, 'dist/src/anycast/service-main.js'), join(dir, 'svc.json')], { stdio: 'ignore' }));
    const deadline = Date.now() + 5000;
    while (!existsSync(svcCfg.controlSocket!) && Date.now() < deadline) await sleep(10);
    procs.push(spawn(process.execPath, [join(ROOT, 'dist/src/anycast/health-main.js'), join(dir, 'health.json')], { stdio: 'ignore' }));
  });

  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(cond: () => boolean, ms: number): Promise<number> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await sleep(5);
    }
    return Date.now() - t0;
  }

  it('announces after rise answered probes', async () => {
    await until(() => announced, 5000);
    expect(actions.find((a) => a.action === 'announce')).toBeDefined();
  });

  it('withdraws within fall × interval + timeout of the service stopping, and announces again after start', async () => {
    const c = await ControlClient.connect(svcCfg.controlSocket!);
    try {
      await c.request('anycast.control', { action: 'stop' });
      const tookMs = await until(() => !announced, 3000);
      // fall 3 × 100 ms + 60 ms timeout, plus one interval of phase and scheduling slack.
      expect(tookMs).toBeLessThanOrEqual(3 * 100 + 60 + 100 + 150);
      expect(tookMs).toBeGreaterThanOrEqual(2 * 100);
      await c.request('anycast.control', { action: 'start' });
      await until(() => announced, 3000);
    } finally {
      c.close();
    }
  });

  it('drain withdraws first, then stops the service', async () => {
    const h = await ControlClient.connect(join(dir, 'health.sock'));
    const s = await ControlClient.connect(svcCfg.controlSocket!);
    try {
      const t0 = Date.now();
      await h.request('anycast.control', { action: 'drain' });
      const withdrawAt = actions.filter((a) => a.action === 'withdraw' && a.at >= t0)[0]?.at;
      expect(withdrawAt).toBeDefined();
      expect(announced).toBe(false);
      const st = await s.request('anycast.status', {});
      expect(st.up).toBe(false);
      expect(Date.now() - withdrawAt!).toBeGreaterThanOrEqual(190); // drainMs between the two
      const hs = await h.request('anycast.status', {});
      expect(hs).toMatchObject({ verdict: 'down', drained: true });
      await h.request('anycast.control', { action: 'undrain' });
      await until(() => announced, 3000);
    } finally {
      h.close();
      s.close();
    }
  });
});
