/**
 * The anycast site's TCP service: a line echo on every anycast address
 * itself (never the wildcard), port 7778 by default. Each line a client
 * sends comes back prefixed with the site's name: "b hello\n". It is what
 * shows the stateful side of anycast: a TCP connection lives in one site's
 * kernel, so when the route moves to another site that site has no socket
 * for it and answers the next segment with a RST (RFC 9293 §3.10.7.1, a
 * segment to a LISTEN socket carrying an ACK), while UDP request/response
 * just carries on.
 *
 * `stop()` closes the listeners and destroys the open connections (a
 * crashed daemon); `start()` listens again. Lines longer than
 * MAX_LINE bytes are cut there. Socket errors are counted and logged, never
 * thrown out of an event handler. Not supported: TLS, half-close semantics
 * beyond ending the reply stream when the client ends.
 */
import { createServer, type Server, type Socket } from 'node:net';

export const TCP_ECHO_PORT = 7778;
const MAX_LINE = 4096;

export interface TcpEchoStatus {
  readonly up: boolean;
  readonly port: number;
  readonly accepted: number;
  readonly open: number;
  readonly lines: number;
  readonly errors: number;
}

/** The reply to one received line (pure). */
export function echoLine(site: string, line: string): string {
  return `${site} ${line.replace(/\r$/, '')}\n`;
}

export class TcpEcho {
  private servers: Server[] = [];
  private readonly conns = new Set<Socket>();
  private accepted = 0;
  private lines = 0;
  private errors = 0;

  constructor(
    private readonly site: string,
    private readonly addresses: readonly string[],
    private readonly port: number = TCP_ECHO_PORT,
    private readonly log: (m: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    if (this.servers.length) return;
    const opened: Server[] = [];
    try {
      for (const host of this.addresses) opened.push(await this.listen(host));
    } catch (err) {
      await Promise.all(opened.map((s) => new Promise<void>((r) => s.close(() => r()))));
      throw err;
    }
    this.servers = opened;
    this.log(`tcp echo up: ${this.port} on ${this.addresses.join(' ')}`);
  }

  async stop(): Promise<void> {
    if (!this.servers.length) return;
    const servers = this.servers;
    this.servers = [];
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.log('tcp echo stopped');
  }

  status(): TcpEchoStatus {
    return { up: this.servers.length > 0, port: this.port, accepted: this.accepted, open: this.conns.size, lines: this.lines, errors: this.errors };
  }

  private listen(host: string): Promise<Server> {
    const server = createServer((sock) => this.onConnection(sock));
    server.on('error', (err) => {
      this.errors++;
      this.log(`tcp echo listener error: ${err.message}`);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: this.port, exclusive: true, ipv6Only: host.includes(':') }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private onConnection(sock: Socket): void {
    this.accepted++;
    this.conns.add(sock);
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    this.log(`tcp echo: connection from ${peer}`);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0 || buf.length > MAX_LINE) {
        const cut = nl >= 0 ? nl : MAX_LINE;
        const line = buf.slice(0, cut);
        buf = buf.slice(nl >= 0 ? cut + 1 : cut);
        this.lines++;
        sock.write(echoLine(this.site, line));
      }
    });
    sock.on('end', () => sock.end());
    sock.on('error', (err) => {
      this.errors++;
      this.log(`tcp echo: ${peer}: ${err.message}`);
    });
    sock.on('close', () => this.conns.delete(sock));
  }
}
