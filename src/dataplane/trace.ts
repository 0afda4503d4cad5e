/**
 * Packet trace: probes picked by a filter make the pipeline record what it
 * decided about each of them — ingress, matched prefix, next hop, egress,
 * TTL on arrival — or why it dropped one (no route, TTL expired, neighbour
 * unresolved, martian, MTU, …), as event records the router reports over
 * its event stream.
 *
 * Owns: `TraceFilter` (what the control channel sends: any of protocol,
 * source/destination prefix, source/destination port; all given fields must
 * match), its compilation into numbers (`compileTraceFilter`, which never
 * throws and reports what it could not read), the allocation-free match
 * (`CompiledTraceFilter.match4` / `match6`), and `TraceRecord`.
 *
 * Tracing costs nothing while no filter is set: the pipeline tests one
 * boolean. Records are only built for matching packets.
 *
 * Not supported: filters on fields other than the 5-tuple, sampling, a
 * record limit (the control channel clears the filter when done).
 */
import { parsePrefix, parseAddress, ipv4ToNumber, ipv6ToWords } from '../lib/prefix.js';

export interface TraceFilter {
  /** IP protocol number (17 UDP, 6 TCP, 1 ICMP, 58 ICMPv6). */
  readonly protocol?: number;
  /** Source prefix or address ("192.0.2.0/24", "2001:db8::1"). */
  readonly src?: string;
  readonly dst?: string;
  /** TCP/UDP ports (packets of other protocols never match a port filter). */
  readonly srcPort?: number;
  readonly dstPort?: number;
}

export type TraceAction = 'forward' | 'queued' | 'drop' | 'kernel';

export interface TraceRecord {
  /** The `now` of the pipeline (ms). */
  readonly t: number;
  readonly ingress: string;
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** TTL / hop limit as the packet arrived. */
  readonly ttl: number;
  readonly action: TraceAction;
  /** Drop reason name (counters.ts) when `action` is 'drop'. */
  readonly reason?: string;
  /** The matched FIB prefix. */
  readonly prefix?: string;
  /** The next hop's address (the destination itself when directly connected). */
  readonly nextHop?: string;
  readonly egress?: string;
  /** The ICMP error sent back, if one was ("time-exceeded", "net-unreachable", …). */
  readonly icmp?: string;
  /** Number of fragments when the packet was fragmented. */
  readonly fragments?: number;
}

interface PrefixMatch {
  readonly family: 4 | 6;
  readonly words: readonly number[];
  readonly len: number;
}

export type CompileResult = { readonly ok: true; readonly filter: CompiledTraceFilter } | { readonly ok: false; readonly error: string };

function prefixOf(text: string): PrefixMatch | string {
  let bytes: Uint8Array, len: number;
  if (text.includes('/')) {
    const p = parsePrefix(text, { allowHostBits: true });
    if (!p.ok) return p.error;
    bytes = p.value.bytes;
    len = p.value.len;
  } else {
    const p = parseAddress(text);
    if (!p.ok) return p.error;
    bytes = p.value.bytes;
    len = bytes.length * 8;
  }
  return bytes.length === 4
    ? { family: 4, words: [ipv4ToNumber(bytes)], len }
    : { family: 6, words: ipv6ToWords(bytes), len };
}

function isPort(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
}

export function compileTraceFilter(f: TraceFilter): CompileResult {
  if (f.protocol !== undefined && !(Number.isInteger(f.protocol) && f.protocol >= 0 && f.protocol <= 255)) {
    return { ok: false, error: `protocol ${String(f.protocol)} is not 0-255` };
  }
  if (f.srcPort !== undefined && !isPort(f.srcPort)) return { ok: false, error: `srcPort ${String(f.srcPort)} is not 0-65535` };
  if (f.dstPort !== undefined && !isPort(f.dstPort)) return { ok: false, error: `dstPort ${String(f.dstPort)} is not 0-65535` };
  let src: PrefixMatch | undefined;
  let dst: PrefixMatch | undefined;
  if (f.src !== undefined) {
    const p = prefixOf(f.src);
    if (typeof p === 'string') return { ok: false, error: `src: ${p}` };
    src = p;
  }
  if (f.dst !== undefined) {
    const p = prefixOf(f.dst);
    if (typeof p === 'string') return { ok: false, error: `dst: ${p}` };
    dst = p;
  }
  if (src && dst && src.family !== dst.family) return { ok: false, error: 'src and dst are of different address families' };
  return { ok: true, filter: new CompiledTraceFilter(f, src, dst) };
}

function in4(p: PrefixMatch | undefined, a: number): boolean {
  if (p === undefined) return true;
  if (p.family !== 4) return false;
  return p.len === 0 || ((p.words[0] ^ a) >>> (32 - p.len)) === 0;
}

function in6(p: PrefixMatch | undefined, w0: number, w1: number, w2: number, w3: number): boolean {
  if (p === undefined) return true;
  if (p.family !== 6) return false;
  let len = p.len;
  const w = p.words;
  for (let i = 0; i < 4 && len > 0; i++, len -= 32) {
    const a = i === 0 ? w0 : i === 1 ? w1 : i === 2 ? w2 : w3;
    const bits = len >= 32 ? 32 : len;
    if (((w[i] ^ a) >>> (32 - bits)) !== 0) return false;
  }
  return true;
}

export class CompiledTraceFilter {
  readonly protocol: number;
  readonly srcPort: number;
  readonly dstPort: number;

  constructor(readonly spec: TraceFilter, private readonly src: PrefixMatch | undefined, private readonly dst: PrefixMatch | undefined) {
    this.protocol = spec.protocol ?? -1;
    this.srcPort = spec.srcPort ?? -1;
    this.dstPort = spec.dstPort ?? -1;
  }

  /** `sport`/`dport` are -1 when the packet has no ports (not TCP/UDP, or a non-first fragment). */
  private common(protocol: number, sport: number, dport: number): boolean {
    if (this.protocol >= 0 && protocol !== this.protocol) return false;
    if (this.srcPort >= 0 && sport !== this.srcPort) return false;
    if (this.dstPort >= 0 && dport !== this.dstPort) return false;
    return true;
  }

  match4(src: number, dst: number, protocol: number, sport: number, dport: number): boolean {
    return this.common(protocol, sport, dport) && in4(this.src, src) && in4(this.dst, dst);
  }

  /** Only called when the filter names IPv6 prefixes or none (the address words come from the view). */
  match6(s: readonly number[], d: readonly number[], protocol: number, sport: number, dport: number): boolean {
    return this.common(protocol, sport, dport) && in6(this.src, s[0], s[1], s[2], s[3]) && in6(this.dst, d[0], d[1], d[2], d[3]);
  }

  /** True when an IPv6 packet can match at all (no IPv4 prefix in the filter). */
  get allows6(): boolean {
    return this.src?.family !== 4 && this.dst?.family !== 4;
  }
}
