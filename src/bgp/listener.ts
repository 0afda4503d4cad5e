/**
 * The BGP listener of one router: TCP servers on port 179 (RFC 4271 §8.2.1,
 * passive side) that hand each accepted socket to the session of the
 * neighbour whose address it comes from. Sockets from any other address are
 * closed at once (no NOTIFICATION: we never read their OPEN).
 *
 * Default: one dual-stack server on '::' with ipv6Only false, so IPv4 peers
 * arrive as IPv4-mapped addresses (normalised to dotted quads before the
 * lookup). Tests and labs may instead give explicit addresses (e.g.
 * 127.0.0.2), one server each.
 * Not supported: per-VRF listeners, TCP MD5 / TCP-AO, GTSM.
 */
import net from 'node:net';
import { normalizeRemoteAddress } from './session.js';

/** Returns true when a session took the socket; false closes it. */
export type AcceptDispatch = (socket: net.Socket, remoteAddress: string) => boolean;

export class BgpListener {
  private servers: net.Server[] = [];

  constructor(
    private readonly addresses: readonly string[],
    private readonly port: number,
    private readonly dispatch: AcceptDispatch,
    private readonly log: (text: string) => void = () => undefined,
  ) {}

  /**
   * Bind every address; rejects when one cannot be bound (e.g. port in use).
   * '::' falls back to '0.0.0.0' where IPv6 is unavailable.
   */
  async start(): Promise<void> {
    for (const address of this.addresses.length > 0 ? this.addresses : ['::']) {
      try {
        this.servers.push(await this.listen(address));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (address !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
        this.log(`IPv6 unavailable (${code}): listening on 0.0.0.0 only`);
        this.servers.push(await this.listen('0.0.0.0'));
      }
    }
  }

  private listen(address: string): Promise<net.Server> {
    const server = net.createServer({ noDelay: true }, (sock) => this.onConnection(sock));
    return new Promise<net.Server>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      server.once('error', fail);
      const opts: net.ListenOptions = { host: address, port: this.port, exclusive: true };
      if (address === '::') opts.ipv6Only = false;
      server.listen(opts, () => {
        server.off('error', fail);
        server.on('error', (err) => this.log(`listener ${address}:${this.port}: ${err.message}`));
        resolve(server);
      });
    });
  }

  /** The bound port (useful when constructed with port 0). */
  get boundPort(): number {
    const a = this.servers[0]?.address();
    return a !== null && typeof a === 'object' ? a.port : this.port;
  }

  private onConnection(sock: net.Socket): void {
    const remote = normalizeRemoteAddress(sock.remoteAddress);
    sock.on('error', () => undefined);
    let taken = false;
    try {
      taken = this.dispatch(sock, remote);
    } catch (err) {
      this.log(`accept from ${remote}: ${(err as Error).message}`);
    }
    if (!taken) {
      this.log(`connection from ${remote || 'unknown address'} closed: not a configured neighbour`);
      sock.destroy();
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
