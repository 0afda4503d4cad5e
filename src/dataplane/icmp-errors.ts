/**
 * ICMP and ICMPv6 errors of the forwarding pipeline: which ones it sends, and
 * how fast.
 *
 * Owns: `IcmpRateLimit` (the configuration), `TokenBucket` (time passed in,
 * one bucket per address family, shared by every destination), and the
 * error specs the pipeline uses (time exceeded, net unreachable,
 * fragmentation needed with the next-hop MTU per RFC 1191, packet too big).
 * Building the packets is the codecs' job (`buildIcmpv4Error`,
 * `buildIcmpv6Error`, which also refuse the RFC 1812 §4.3.2.7 / RFC 4443
 * §2.4(e) cases); choosing the source address (RFC 1812 §4.3.2.4: the
 * interface the error leaves by) and routing it are forward.ts's.
 *
 * Rate limit: a token bucket of `burst` tokens refilled at `perSecond`
 * tokens a second, one per family (RFC 4443 §2.4(f) requires one for
 * ICMPv6; RFC 1812 §4.3.2.8 allows one for IPv4). The default, 100 a second
 * with a burst of 50, lets a traceroute through a lab of routers while a
 * flood is cut to 100 errors a second. `enabled: false` switches limiting off
 * (every permitted error is sent), for exercises that count errors.
 *
 * Not supported: per-destination buckets (Linux keeps one per peer besides
 * its global one), exempting fragmentation-needed from the limit (Linux
 * does; here a flood of oversized DF packets is limited like any other).
 */
import { Icmpv4Type, Icmpv4UnreachableCode, Icmpv4TimeExceededCode, type Icmpv4ErrorSpec } from '../packet/icmpv4.js';
import { Icmpv6UnreachableCode, Icmpv6TimeExceededCode, type Icmpv6ErrorSpec } from '../packet/icmpv6.js';

export interface IcmpRateLimit {
  readonly enabled: boolean;
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Bucket size: errors that may leave back to back. */
  readonly burst: number;
}

export const DEFAULT_ICMP_RATE_LIMIT: IcmpRateLimit = { enabled: true, perSecond: 100, burst: 50 };

/** A token bucket; `take(now)` with `now` in milliseconds. */
export class TokenBucket {
  private tokens: number;
  private last = Number.NaN;

  constructor(private limit: IcmpRateLimit = DEFAULT_ICMP_RATE_LIMIT) {
    this.tokens = limit.burst;
  }

  configure(limit: IcmpRateLimit): void {
    this.limit = limit;
    this.tokens = Math.min(this.tokens, limit.burst);
  }

  get config(): IcmpRateLimit {
    return this.limit;
  }

  /** True (and one token spent) when an error may be sent at `now`. */
  take(now: number): boolean {
    const l = this.limit;
    if (!l.enabled) return true;
    if (Number.isNaN(this.last)) this.last = now;
    if (now > this.last) {
      this.tokens = Math.min(l.burst, this.tokens + ((now - this.last) * l.perSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

export const ICMP4_TIME_EXCEEDED: Icmpv4ErrorSpec = { kind: 'time-exceeded', code: Icmpv4TimeExceededCode.TTL };
export const ICMP4_NET_UNREACHABLE: Icmpv4ErrorSpec = { kind: 'dest-unreachable', code: Icmpv4UnreachableCode.NET };
export function icmp4FragNeeded(mtu: number): Icmpv4ErrorSpec {
  return { kind: 'dest-unreachable', code: Icmpv4UnreachableCode.FRAGMENTATION_NEEDED, nextHopMtu: mtu };
}
export const ICMP6_TIME_EXCEEDED: Icmpv6ErrorSpec = { kind: 'time-exceeded', code: Icmpv6TimeExceededCode.HOP_LIMIT };
export const ICMP6_NO_ROUTE: Icmpv6ErrorSpec = { kind: 'dest-unreachable', code: Icmpv6UnreachableCode.NO_ROUTE };
export function icmp6PacketTooBig(mtu: number): Icmpv6ErrorSpec {
  return { kind: 'packet-too-big', mtu };
}

/** ICMP type numbers of the errors the pipeline sends (for tests and traces). */
export const Icmp4ErrorType = { TIME_EXCEEDED: Icmpv4Type.TIME_EXCEEDED, DEST_UNREACHABLE: Icmpv4Type.DEST_UNREACHABLE } as const;

/** Largest IPv4 error packet: RFC 1812 §4.3.2.3 allows quoting up to 576 bytes in all. */
export const ICMP4_MAX_ERROR_LENGTH = 576;
/** Largest ICMPv6 error packet: the minimum MTU (RFC 4443 §2.4(c)). */
export const ICMP6_MAX_ERROR_LENGTH = 1280;
