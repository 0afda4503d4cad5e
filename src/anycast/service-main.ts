/**
 * The anycast service process: `node dist/src/anycast/service-main.js CONFIG.json`,
 * started by the lab inside a server node's namespace (config.ts).
 *
 * Control socket (ControlServer, when configured):
 *   anycast.status   → ServiceStatus (counters by client since reset, totals, up)
 *   anycast.control  {action: 'reset-counters' | 'stop' | 'start'} → ServiceStatus
 *   hello, shutdown
 * The TCP line echo (tcp-echo.ts) starts and stops with the service.
 * Exits on SIGTERM/SIGINT or `shutdown`.
 */
import { readFileSync } from 'node:fs';
import { ControlServer } from '../control/server.js';
import { CONTROL_PROTOCOL_VERSION } from '../control/protocol.js';
import { parseConfigJson, type ServiceConfig } from './config.js';
import { logLine } from './log.js';
import { AnycastService } from './service.js';
import { TCP_ECHO_PORT, TcpEcho } from './tcp-echo.js';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: service-main.js CONFIG.json');
  const cfg = parseConfigJson<ServiceConfig>(readFileSync(file, 'utf8'), file);
  const service = new AnycastService(cfg, (m) => logLine('info', m));
  const tcp = new TcpEcho(cfg.name, cfg.addresses, TCP_ECHO_PORT, (m) => logLine('info', m));
  const control = new ControlServer(cfg.name);
  control.handle('hello', () => ({ node: cfg.name, kind: 'anycast-service', pid: process.pid, version: CONTROL_PROTOCOL_VERSION }));
  control.handle('anycast.status', () => ({ ...service.status(), tcp: tcp.status() }));
  control.handle('anycast.control', async (p) => {
    switch (p.action) {
      case 'reset-counters': service.resetCounters(); break;
      case 'stop': await service.stop(); await tcp.stop(); break;
      case 'start': await service.start(); await tcp.start(); break;
      default: throw new Error(`unknown action '${p.action}' (reset-counters|stop|start)`);
    }
    control.emit({ type: 'anycast', action: `service ${p.action}` });
    return { ...service.status() };
  });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logLine('info', `shutting down: ${why}`);
    await service.stop();
    await tcp.stop();
    await control.close();
    process.exit(0);
  };
  control.onShutdown(shutdown);

  await service.start();
  await tcp.start();
  if (cfg.controlSocket) await control.listen(cfg.controlSocket);
  logLine('info', `service ${cfg.name} ready`);
}

main().catch((err) => {
  logLine('error', err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
