/**
 * Control server: serves the control protocol (protocol.ts) on a unix
 * socket, mode 0600. Handlers are registered per method; a handler's throw
 * becomes an error response, never a crash. Events are buffered (bounded)
 * and pushed to subscribed connections.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION, ControlErrorCode, type ControlEvent, type ControlMethod, type ControlMethods,
  type ControlRequest, type ControlResponse, type EventBody,
} from './protocol.js';

type Handler<M extends ControlMethod> = (params: ControlMethods[M]['params']) => ControlMethods[M]['result'] | Promise<ControlMethods[M]['result']>;

const MAX_LINE = 1 << 20;

export class ControlServer {
  private readonly handlers = new Map<string, (params: unknown) => unknown>();
  private readonly subscribers = new Set<Socket>();
  /** Recent events in a ring of `maxEvents` (O(1) per event, however many arrive). */
  private readonly ring: (ControlEvent | undefined)[];
  private ringNext = 0;
  private seq = 0;
  private server?: Server;

  constructor(readonly node: string, private readonly maxEvents = 10_000) {
    this.ring = new Array(maxEvents);
    this.handle('events.subscribe', () => ({ seq: this.seq }));
    this.handle('events.list', (p) => this.recentEvents().filter((e) => e.seq > (p.since ?? 0)));
  }

  /** Buffered events, oldest first. */
  recentEvents(): ControlEvent[] {
    const out: ControlEvent[] = [];
    for (let i = 0; i < this.maxEvents; i++) {
      const e = this.ring[(this.ringNext + i) % this.maxEvents];
      if (e) out.push(e);
    }
    return out;
  }

  handle<M extends ControlMethod>(method: M, fn: Handler<M>): void {
    this.handlers.set(method, fn as (params: unknown) => unknown);
  }

  /**
   * The process's ways out, all to `stop`: the `shutdown` request (answered
   * first; its reason, else `requestReason`), SIGTERM and SIGINT (the signal's
   * name, else `signalReason`).
   */
  onShutdown(stop: (reason: string) => unknown, requestReason = 'shutdown requested', signalReason?: string): void {
    this.handle('shutdown', (p) => {
      setImmediate(() => void stop(p.reason ?? requestReason));
      return { stopping: true };
    });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void stop(signalReason ?? sig));
  }

  /** Records an event, stamps it, and pushes it to subscribers. */
  emit(body: EventBody, now = Date.now()): ControlEvent {
    const event = Object.assign(body, { seq: ++this.seq, t: now, node: this.node }) as unknown as ControlEvent;
    this.ring[this.ringNext] = event;
    this.ringNext = (this.ringNext + 1) % this.maxEvents;
    if (this.subscribers.size) {
      const line = JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, event }) + '\n';
      for (const s of this.subscribers) if (!s.destroyed) s.write(line);
    }
    return event;
  }

  async listen(path: string): Promise<void> {
    if (existsSync(path)) unlinkSync(path);
    this.server = createServer((sock) => this.onConnection(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
  }

  async close(): Promise<void> {
    for (const s of this.subscribers) s.destroy();
    this.subscribers.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private onConnection(sock: Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        sock.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.onLine(sock, line);
      }
    });
    sock.on('error', () => this.subscribers.delete(sock));
    sock.on('close', () => this.subscribers.delete(sock));
  }

  private async onLine(sock: Socket, line: string): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      this.reply(sock, { v: CONTROL_PROTOCOL_VERSION, id: -1, ok: false, error: { code: ControlErrorCode.BAD_REQUEST, message: 'not JSON' } });
      return;
    }
    const id = typeof req.id === 'number' ? req.id : -1;
    if (req.v !== CONTROL_PROTOCOL_VERSION) {
      this.reply(sock, { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code: ControlErrorCode.UNSUPPORTED_VERSION, message: `this server speaks version ${CONTROL_PROTOCOL_VERSION}` } });
      return;
    }
    const handler = this.handlers.get(req.method);
    if (!handler) {
      this.reply(sock, { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code: ControlErrorCode.UNKNOWN_METHOD, message: `unknown method '${req.method}'` } });
      return;
    }
    try {
      const result = await handler(req.params ?? {});
      this.reply(sock, { v: CONTROL_PROTOCOL_VERSION, id, ok: true, result });
      if (req.method === 'events.subscribe') {
        const since = (req.params as { since?: number } | undefined)?.since;
        if (since !== undefined) {
          for (const e of this.recentEvents()) if (e.seq > since) sock.write(JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, event: e }) + '\n');
        }
        this.subscribers.add(sock);
      }
    } catch (err) {
      this.reply(sock, { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code: ControlErrorCode.FAILED, message: err instanceof Error ? err.message : String(err) } });
    }
  }

  private reply(sock: Socket, r: ControlResponse): void {
    if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
  }
}
