/**
 * The anycast service of one site: a UDP whoami (whoami.ts) and a DNS
 * server (dns-answer.ts), each bound to every anycast address itself (never
 * the wildcard), so replies leave from the anycast address. Every request is
 * counted per client address; the counters are what tests ask a site about.
 *
 * `stop()` closes the sockets (a crashed daemon: requests meet ICMP port
 * unreachable, the health check fails); `start()` binds them again.
 * Malformed datagrams are counted and dropped. Socket errors are logged,
 * never thrown out of an event handler.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { answerDns, demoZone, type DnsIdentity } from './dns-answer.js';
import { emitWhoamiReply, parseWhoamiRequest } from './whoami.js';
import type { ServiceConfig } from './config.js';

export interface ClientCounts {
  whoami: number;
  flood: number;
  dns: number;
}

export interface ServiceStatus {
  readonly name: string;
  readonly up: boolean;
  readonly addresses: readonly string[];
  readonly whoamiPort: number;
  readonly dnsPort: number;
  /** Requests of every kind since the process started. */
  readonly total: number;
  /** Requests of every kind since the last reset. */
  readonly sinceReset: number;
  readonly resetAt: number;
  /** Since the last reset, per client address. */
  readonly byClient: Record<string, ClientCounts>;
  readonly malformed: number;
  readonly replies: number;
  readonly sendErrors: number;
}

export type ServiceLog = (message: string) => void;

/** At most this many per-probe log lines a second; the rest are summarised. */
const PROBE_LOG_PER_SECOND = 50;

export class AnycastService {
  private sockets: Socket[] = [];
  private up = false;
  private total = 0;
  private sinceReset = 0;
  private resetAt = Date.now();
  private byClient = new Map<string, ClientCounts>();
  private malformed = 0;
  private replies = 0;
  private sendErrors = 0;
  private logWindow = { start: 0, lines: 0, suppressed: 0 };
  private readonly dnsId: DnsIdentity;

  constructor(private readonly cfg: ServiceConfig, private readonly log: ServiceLog = () => {}) {
    this.dnsId = { name: cfg.name, zone: demoZone(cfg.addresses, cfg.zoneOrigin) };
  }

  get isUp(): boolean {
    return this.up;
  }

  async start(): Promise<void> {
    if (this.up) return;
    const opened: Socket[] = [];
    try {
      for (const address of this.cfg.addresses) {
        opened.push(await this.bind(address, this.cfg.whoamiPort, (msg, rinfo, s) => this.onWhoami(msg, rinfo, s)));
        opened.push(await this.bind(address, this.cfg.dnsPort, (msg, rinfo, s) => this.onDns(msg, rinfo, s)));
      }
    } catch (err) {
      for (const s of opened) s.close();
      throw err;
    }
    this.sockets = opened;
    this.up = true;
    this.log(`service up: whoami ${this.cfg.whoamiPort}, dns ${this.cfg.dnsPort} on ${this.cfg.addresses.join(' ')}`);
  }

  async stop(): Promise<void> {
    if (!this.up) return;
    const socks = this.sockets;
    this.sockets = [];
    this.up = false;
    await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.log('service stopped: sockets closed');
  }

  resetCounters(): void {
    this.sinceReset = 0;
    this.byClient = new Map();
    this.resetAt = Date.now();
    this.log('counters reset');
  }

  status(): ServiceStatus {
    return {
      name: this.cfg.name,
      up: this.up,
      addresses: this.cfg.addresses,
      whoamiPort: this.cfg.whoamiPort,
      dnsPort: this.cfg.dnsPort,
      total: this.total,
      sinceReset: this.sinceReset,
      resetAt: this.resetAt,
      byClient: Object.fromEntries([...this.byClient].map(([k, v]) => [k, { ...v }])),
      malformed: this.malformed,
      replies: this.replies,
      sendErrors: this.sendErrors,
    };
  }

  /** The actual ports bound (tests bind port 0). */
  boundPorts(): { whoami: number; dns: number } {
    const [w, d] = this.sockets;
    return { whoami: w?.address().port ?? 0, dns: d?.address().port ?? 0 };
  }

  private bind(address: string, port: number, onMessage: (msg: Buffer, rinfo: RemoteInfo, s: Socket) => void): Promise<Socket> {
    const s = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', ipv6Only: isIPv6(address) });
    s.on('message', (msg, rinfo) => onMessage(msg, rinfo, s));
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address, port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', (err) => this.log(`socket ${address}:${port}: ${err.message}`));
        resolve(s);
      });
    });
  }

  private count(client: string, kind: keyof ClientCounts): void {
    this.total++;
    this.sinceReset++;
    let c = this.byClient.get(client);
    if (!c) this.byClient.set(client, (c = { whoami: 0, flood: 0, dns: 0 }));
    c[kind]++;
  }

  private send(s: Socket, data: Buffer, rinfo: RemoteInfo): void {
    s.send(data, rinfo.port, rinfo.address, (err) => {
      if (err) this.sendErrors++;
      else this.replies++;
    });
  }

  private probeLog(line: string): void {
    const now = Date.now();
    if (now - this.logWindow.start >= 1000) {
      if (this.logWindow.suppressed) this.log(`(${this.logWindow.suppressed} more requests in that second not logged)`);
      this.logWindow = { start: now, lines: 0, suppressed: 0 };
    }
    if (this.logWindow.lines++ < PROBE_LOG_PER_SECOND) this.log(line);
    else this.logWindow.suppressed++;
  }

  private onWhoami(msg: Buffer, rinfo: RemoteInfo, s: Socket): void {
    const req = parseWhoamiRequest(msg);
    if (!req) {
      this.malformed++;
      return;
    }
    this.count(rinfo.address, req.t);
    if (req.t === 'flood') return;
    this.probeLog(`whoami seq=${req.seq} id=${req.id || '-'} from ${rinfo.address}:${rinfo.port}`);
    this.send(s, emitWhoamiReply({ t: 'whoami', seq: req.seq, id: req.id, server: this.cfg.name, seen: rinfo.address, port: rinfo.port }), rinfo);
  }

  private onDns(msg: Buffer, rinfo: RemoteInfo, s: Socket): void {
    const r = answerDns(msg, this.dnsId);
    if (r.kind === 'malformed') {
      this.malformed++;
      this.probeLog(`dns malformed from ${rinfo.address}:${rinfo.port}: ${r.reason}`);
      return;
    }
    this.count(rinfo.address, 'dns');
    this.probeLog(`dns ${r.question} from ${rinfo.address}:${rinfo.port}: ${r.rcode}`);
    this.send(s, r.reply, rinfo);
  }
}
