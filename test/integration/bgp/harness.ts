/**
 * Helpers of the live-session BGP tests (loopback TCP, no root): neighbour
 * configs, a speaker factory on its own 127.0.0.x address, polling waits, and
 * `RawPeer`, a hand-driven TCP peer that sends exact bytes and reads back
 * every message the speaker sends.
 */
import net from 'node:net';
import { BgpSpeaker, type BgpSpeakerHooks, type SpeakerNeighbor } from '../../../src/bgp/speaker.js';
import { buildOpen, DEFAULT_FAMILIES } from '../../../src/bgp/wire/open-checks.js';
import { encodeOpen } from '../../../src/bgp/wire/open.js';
import type { BestPathChange } from '../../../src/bgp/rib/types.js';
import type { BgpStateName } from '../../../src/bgp/fsm.js';

/** A port per test file run, away from the usual ranges. */
export function testPort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

/**
 * A neighbour on loopback. 127/8 is not a valid NEXT_HOP (RFC 7606 §7.3), so
 * each speaker advertises 10.255.0.N for its own 127.0.0.N.
 */
export function neighbor(address: string, localAddress: string, remoteAs: number, extra: Partial<SpeakerNeighbor> = {}): SpeakerNeighbor {
  return {
    address, localAddress, remoteAs, advertiseNextHop: nextHopOf(localAddress), interface: 'lo', kind: 'ebgp', holdTime: 9, keepalive: 3,
    import: { terms: [], default: 'accept' }, export: { terms: [], default: 'accept' }, ...extra,
  };
}

export interface SpeakerLog {
  sessions: { peer: string; from: BgpStateName; to: BgpStateName; reason?: string }[];
  changes: BestPathChange[];
  logs: string[];
}

/** A speaker listening on `address`:`port` with recording hooks. */
export function makeSpeaker(
  address: string, asn: number, port: number, neighbors: SpeakerNeighbor[], extra: Partial<ConstructorParameters<typeof BgpSpeaker>[0]> = {},
): { speaker: BgpSpeaker; rec: SpeakerLog } {
  const rec: SpeakerLog = { sessions: [], changes: [], logs: [] };
  const hooks: BgpSpeakerHooks = {
    onSessionChange: (peer, from, to, reason) => rec.sessions.push({ peer, from, to, ...(reason !== undefined ? { reason } : {}) }),
    onBestPathChanges: (c) => rec.changes.push(...c),
    log: (level, m) => rec.logs.push(`${level}: ${m}`),
  };
  const speaker = new BgpSpeaker({
    asn, routerId: address, neighbors, multipath: false, port, listenAddresses: [address],
    fsm: { connectRetryMinMs: 100, connectRetryMaxMs: 300, idleHoldBaseMs: 200, idleHoldMaxMs: 1000 },
    ...extra,
  }, hooks);
  return { speaker, rec };
}

export async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RawMessage {
  readonly type: number;
  /** The whole message, header included. */
  readonly bytes: Buffer;
}

/**
 * A TCP peer driven by hand. Frames what the speaker sends by the length
 * field only (it does not use the project's codec to read, so a framing bug
 * in the speaker cannot hide).
 */
export class RawPeer {
  readonly received: RawMessage[] = [];
  private buf = Buffer.alloc(0);
  closed = false;
  private cursor = 0;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 19) {
        const len = this.buf.readUInt16BE(16);
        if (len < 19 || this.buf.length < len) break;
        this.received.push({ type: this.buf[18], bytes: this.buf.subarray(0, len) });
        this.buf = this.buf.subarray(len);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => { this.closed = true; });
  }

  /** Connect from `localAddress` to the speaker at `host`:`port`. */
  static connect(host: string, port: number, localAddress: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Uint8Array): void {
    this.sock.write(bytes);
  }

  /** The next message of `type` received after the previous call (waits for it; rejects once the connection is closed without it). */
  async next(type: number, timeoutMs = 5000): Promise<RawMessage> {
    return waitFor(`message type ${type}`, () => {
      for (let i = this.cursor; i < this.received.length; i++) {
        if (this.received[i].type === type) {
          this.cursor = i + 1;
          return this.received[i];
        }
      }
      if (this.closed) throw new Error(`connection closed before a message of type ${type}`);
      return undefined;
    }, timeoutMs);
  }

  /** The NOTIFICATION's code, subcode and data hex. */
  async notification(timeoutMs = 5000): Promise<[number, number, string]> {
    const m = await this.next(3, timeoutMs);
    return [m.bytes[19], m.bytes[20], m.bytes.subarray(21).toString('hex')];
  }

  waitClosed(timeoutMs = 5000): Promise<true> {
    return waitFor('peer socket closed', () => this.closed || undefined, timeoutMs);
  }

  /** OPEN as AS `asn` with identifier `bgpId`, then KEEPALIVE after the speaker's OPEN: Established. */
  async establish(asn: number, bgpId: number, holdTime = 9): Promise<void> {
    this.send(ourOpen(asn, bgpId, holdTime));
    await this.next(1);
    this.send(KEEPALIVE_BYTES);
    await this.next(4);
  }

  close(): void {
    this.sock.destroy();
  }
}

export function ourOpen(asn: number, bgpId: number, holdTime = 9): Uint8Array {
  return encodeOpen(buildOpen({ localAsn: asn, bgpId, holdTime, peerAsn: 0, families: DEFAULT_FAMILIES }));
}

export const KEEPALIVE_BYTES = Uint8Array.from([...new Array(16).fill(0xff), 0, 19, 4]);

/** The NEXT_HOP a test speaker on 127.0.0.N advertises. */
export function nextHopOf(loopback: string): string {
  return `10.255.0.${loopback.split('.')[3]}`;
}

export function ipv4Id(text: string): number {
  return text.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}
