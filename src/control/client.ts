/**
 * Control client: what the lab and the CLI use to talk to router and server
 * processes (protocol.ts). One connection, requests matched to responses by
 * id, event lines delivered to a listener.
 */
import { connect, type Socket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION, type ControlEvent, type ControlEventLine, type ControlMethod, type ControlMethods, type ControlResponse,
} from './protocol.js';

export class ControlError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

export class ControlClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private eventListener?: (e: ControlEvent) => void;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new ControlError('closed', 'control connection closed')));
  }

  static async connect(path: string, timeoutMs = 2000): Promise<ControlClient> {
    const sock = connect(path);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        sock.destroy();
        reject(new ControlError('timeout', `no answer from ${path}`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(new ControlError('unreachable', `cannot connect to ${path}: ${e.message}`));
      });
    });
    return new ControlClient(sock);
  }

  request<M extends ControlMethod>(method: M, params?: ControlMethods[M]['params'], timeoutMs = 10_000): Promise<ControlMethods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError('timeout', `${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as ControlMethods[M]['result']);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, method, params: params ?? {} }) + '\n');
    });
  }

  /** Subscribes this connection to events (optionally replaying those after `since`). */
  async subscribe(listener: (e: ControlEvent) => void, since?: number): Promise<number> {
    this.eventListener = listener;
    const r = await this.request('events.subscribe', since === undefined ? {} : { since });
    return r.seq;
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: ControlResponse | ControlEventLine;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if ('event' in msg) {
        this.eventListener?.(msg.event);
        continue;
      }
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new ControlError(msg.error.code, msg.error.message));
    }
  }
}
