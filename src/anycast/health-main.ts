/**
 * The health checker process: `node dist/src/anycast/health-main.js CONFIG.json`,
 * run in a server node's namespace beside the service and the router (its
 * BGP speaker). Every interval it sends one whoami probe to the service's
 * anycast address (over lo) and feeds the answer, or its absence within
 * the timeout, or a refusal (ICMP port unreachable: the service's socket is
 * closed, counted at once), to the rise/fall state machine (health.ts). The verdict is
 * logged when it changes and asserted to the router over its control
 * socket every tick (`anycast.control` announce|withdraw: idempotent there),
 * so a restarted router is brought back in line within one interval.
 *
 * Own control socket:
 *   anycast.status   → verdict, counters, config, what the router last confirmed
 *   anycast.control  {action: 'drain'}   withdraw now, wait drainMs, stop the service
 *                    {action: 'undrain'} start the service; announce again after `rise` good probes
 */
import { readFileSync } from 'node:fs';
import { ControlClient } from '../control/client.js';
import { ControlServer } from '../control/server.js';
import { CONTROL_PROTOCOL_VERSION } from '../control/protocol.js';
import { parseConfigJson, probeTimeoutMs, type HealthCheckConfig } from './config.js';
import { checkHealthConfig, drain, initialHealth, msUntilProbe, recordProbe, undrain, type HealthState, type HealthStep } from './health.js';
import { logLine } from './log.js';
import { ProbeSocket } from './probe.js';

class RouterLink {
  private client?: ControlClient;
  private busy = false;
  private lastError = '';
  confirmed?: boolean;

  constructor(private readonly path: string, private readonly timeoutMs: number) {}

  /** Asserts announce/withdraw; skipped while the previous request is outstanding (a frozen router). */
  async assert(announce: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.client ??= await ControlClient.connect(this.path, this.timeoutMs);
      const r = await this.client.request('anycast.control', { action: announce ? 'announce' : 'withdraw' }, this.timeoutMs);
      const was = this.confirmed;
      this.confirmed = r.announced === true;
      if (was !== this.confirmed) logLine('info', `router confirms: prefixes ${this.confirmed ? 'announced' : 'withdrawn'}`);
      if (this.lastError) logLine('info', 'router reachable again');
      this.lastError = '';
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== this.lastError) logLine('warn', `router: ${msg}`);
      this.lastError = msg;
      this.confirmed = undefined;
      this.client?.close();
      this.client = undefined;
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    this.client?.close();
  }
}

async function serviceControl(path: string | undefined, action: 'stop' | 'start'): Promise<void> {
  if (!path) return;
  const c = await ControlClient.connect(path, 1000);
  try {
    await c.request('anycast.control', { action }, 2000);
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: health-main.js CONFIG.json');
  const cfg = parseConfigJson<HealthCheckConfig>(readFileSync(file, 'utf8'), file);
  const bad = checkHealthConfig(cfg);
  if (bad) throw new Error(`${file}: ${bad}`);
  const timeoutMs = probeTimeoutMs(cfg);
  const sock = await ProbeSocket.open(cfg.address, { port: cfg.whoamiPort, id: `health-${cfg.name}`, connect: true });
  const router = new RouterLink(cfg.routerSocket, Math.max(200, cfg.intervalMs));
  let state: HealthState = initialHealth(Date.now());
  let draining = false;
  /** Wall-clock time of the last verdict change (the decision, not the probe's start). */
  let verdictAt: number | null = null;

  const apply = (step: HealthStep) => {
    state = step.state;
    if (step.changed) {
      verdictAt = Date.now();
      logLine('info', `verdict ${step.changed.from} -> ${step.changed.to}: ${step.changed.reason}`);
      control.emit({ type: 'anycast', action: step.changed.to === 'up' ? 'healthy' : 'unhealthy', detail: step.changed.reason });
      void router.assert(state.verdict === 'up');
    }
  };

  const control = new ControlServer(cfg.name);
  control.handle('hello', () => ({ node: cfg.name, kind: 'anycast-health', pid: process.pid, version: CONTROL_PROTOCOL_VERSION }));
  control.handle('anycast.status', () => ({
    verdict: state.verdict,
    drained: state.drained,
    okInARow: state.okInARow,
    failInARow: state.failInARow,
    probes: state.probes,
    failures: state.failures,
    since: state.since,
    verdictAt,
    routerAnnounced: router.confirmed ?? null,
    intervalMs: cfg.intervalMs,
    rise: cfg.rise,
    fall: cfg.fall,
    timeoutMs,
  }));
  control.handle('anycast.control', async (p) => {
    if (p.action === 'drain') {
      if (draining) throw new Error('a drain is in progress');
      draining = true;
      try {
        apply(drain(state, Date.now()));
        await router.assert(false);
        logLine('info', `drain: withdrawn, waiting ${cfg.drainMs} ms before stopping the service`);
        await new Promise((r) => setTimeout(r, cfg.drainMs));
        await serviceControl(cfg.serviceSocket, 'stop');
        logLine('info', 'drain: service stopped');
      } finally {
        draining = false;
      }
      return { verdict: state.verdict, drained: true };
    }
    if (p.action === 'undrain') {
      await serviceControl(cfg.serviceSocket, 'start');
      state = undrain(state);
      logLine('info', 'undrained: the service must rise again');
      return { verdict: state.verdict, drained: false };
    }
    throw new Error(`unknown action '${p.action}' (drain|undrain)`);
  });

  let running = true;
  const tick = async () => {
    while (running) {
      const wait = msUntilProbe(cfg, state, Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!running) break;
      const started = Date.now();
      const seq = sock.send();
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        sock.onReply = (r) => {
          if (r.seq !== seq) return;
          clearTimeout(t);
          resolve(true);
        };
        // The service's port is closed: no need to wait for the timeout.
        sock.onRefused = () => {
          clearTimeout(t);
          resolve(false);
        };
      });
      sock.forget(seq);
      apply(recordProbe(cfg, state, ok, started));
      void router.assert(state.verdict === 'up');
    }
  };

  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    running = false;
    logLine('info', `shutting down: ${why}`);
    sock.close();
    router.close();
    await control.close();
    process.exit(0);
  };
  control.onShutdown(shutdown);

  if (cfg.controlSocket) await control.listen(cfg.controlSocket);
  logLine('info', `health checker ${cfg.name} ready: whoami ${cfg.address}:${cfg.whoamiPort} every ${cfg.intervalMs} ms, rise ${cfg.rise}, fall ${cfg.fall}, timeout ${timeoutMs} ms`);
  void tick();
}

main().catch((err) => {
  logLine('error', err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
