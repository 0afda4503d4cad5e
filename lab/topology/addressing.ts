/**
 * Automatic addressing of a lab: segments, subnets and interface addresses.
 *
 * Owns: splitting links into segments (a point-to-point link, or a LAN = a
 * connected component of switches with every link touching them); one IPv4
 * subnet per segment from the pool (/31 on point-to-point links, RFC 3021; a
 * /24 per LAN, or shorter when the LAN needs more addresses); one IPv6 /64
 * per segment from the ULA /48 (RFC 4193; the default global ID is fixed so a
 * lab gets the same addresses every time); per-endpoint overrides. First fit,
 * in link order: the same file always gets the same addresses.
 *
 * Not here: interface naming and cross-checks (build.ts).
 */
import {
  formatAddress, formatPrefix, ipv4ToNumber, numberToIpv4, parsePrefix, prefixCovers, type IpAddress, type IpPrefix,
} from '../../src/lib/prefix.js';

export interface SegmentEndpoint {
  readonly node: string;
  readonly iface: string;
  readonly link: number;
  /** Routers get the lowest addresses of a LAN: the gateway is `.1`. */
  readonly routerLike: boolean;
}

export interface Segment {
  readonly index: number;
  readonly kind: 'p2p' | 'lan';
  readonly links: readonly number[];
  /** Non-switch endpoints, routers first on a LAN, otherwise in link order. */
  readonly endpoints: readonly SegmentEndpoint[];
}

/** Group links into segments. `ends[i]` is link i's endpoints with interface names. */
export function findSegments(
  ends: readonly { a: SegmentEndpoint; b: SegmentEndpoint }[],
  isSwitch: (node: string) => boolean,
): Segment[] {
  // Union-find over switches joined by switch-switch links.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const { a, b } of ends) {
    for (const n of [a.node, b.node]) if (isSwitch(n) && !parent.has(n)) parent.set(n, n);
    if (isSwitch(a.node) && isSwitch(b.node)) {
      const ra = find(a.node), rb = find(b.node);
      if (ra !== rb) parent.set(rb, ra);
    }
  }
  const byKey = new Map<string, { index: number; kind: 'p2p' | 'lan'; links: number[]; endpoints: SegmentEndpoint[] }>();
  const order: string[] = [];
  ends.forEach(({ a, b }, i) => {
    const sw = isSwitch(a.node) ? a.node : isSwitch(b.node) ? b.node : undefined;
    const key = sw ? `lan:${find(sw)}` : `p2p:${i}`;
    let seg = byKey.get(key);
    if (!seg) {
      seg = { index: order.length, kind: sw ? 'lan' : 'p2p', links: [], endpoints: [] };
      byKey.set(key, seg);
      order.push(key);
    }
    seg.links.push(i);
    for (const e of [a, b]) if (!isSwitch(e.node)) seg.endpoints.push(e);
  });
  return order.map((k) => {
    const s = byKey.get(k)!;
    const endpoints = s.kind === 'lan'
      ? [...s.endpoints.filter((e) => e.routerLike), ...s.endpoints.filter((e) => !e.routerLike)]
      : s.endpoints;
    return { ...s, endpoints };
  });
}

/** Host addresses of a subnet in allocation order, skipping `used`. */
export function* hostAddresses(subnet: IpPrefix): Generator<IpAddress> {
  const bits = (subnet.family === 4 ? 32 : 128) - subnet.len;
  // /31 and /32 (RFC 3021), /127 and /128 (RFC 6164): every address is usable.
  const first = bits <= 1 ? 0 : 1;
  const count = bits >= 32 ? 0xffffffff : 2 ** bits;
  const last = bits <= 1 ? count - 1 : subnet.family === 4 ? count - 2 : count - 1;
  for (let off = first; off <= last; off++) yield addOffset(subnet, off);
}

function addOffset(subnet: IpPrefix, off: number): IpAddress {
  if (subnet.family === 4) return { family: 4, bytes: numberToIpv4((ipv4ToNumber(subnet.bytes) + off) >>> 0) };
  const bytes = Uint8Array.from(subnet.bytes);
  let carry = off;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = bytes[i] + (carry % 256);
    carry = Math.floor(carry / 256) + (v > 255 ? 1 : 0);
    bytes[i] = v & 0xff;
  }
  return { family: 6, bytes };
}

export function prefixesOverlap(x: IpPrefix, y: IpPrefix): boolean {
  return prefixCovers(x, y) || prefixCovers(y, x);
}

/**
 * Pairs of overlapping prefixes, each prefix paired with its nearest
 * container: sort by address then length, keep a stack of open containers.
 * O(n log n) instead of comparing every pair. Prefixes must be masked.
 */
export function overlappingPairs<T extends { prefix: IpPrefix }>(items: readonly T[]): [T, T][] {
  const sorted = [...items].sort((x, y) => x.prefix.family - y.prefix.family || compareBytes(x.prefix.bytes, y.prefix.bytes) || x.prefix.len - y.prefix.len);
  const out: [T, T][] = [];
  const stack: T[] = [];
  for (const cur of sorted) {
    while (stack.length > 0 && !prefixCovers(stack[stack.length - 1].prefix, cur.prefix)) stack.pop();
    if (stack.length > 0) out.push([stack[stack.length - 1], cur]);
    stack.push(cur);
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The prefix length a LAN of `hosts` addressed endpoints needs: /24 or shorter. */
export function lanPrefixLength(hosts: number): number {
  let len = 24;
  while (len > 8 && 2 ** (32 - len) - 2 < hosts) len--;
  return len;
}

/**
 * First-fit allocation of aligned IPv4 blocks from a pool, avoiding reserved
 * prefixes. One cursor per block size: earlier blocks never become free, so
 * each allocation starts where the last one of its size ended.
 */
export class Ipv4Allocator {
  private readonly start: number;
  private readonly end: number;
  private readonly cursors = new Map<number, number>();
  private readonly taken: { lo: number; hi: number }[] = [];

  constructor(pool: IpPrefix, reserved: readonly IpPrefix[]) {
    this.start = ipv4ToNumber(pool.bytes);
    this.end = this.start + 2 ** (32 - pool.len);
    for (const r of reserved) if (r.family === 4) this.taken.push(range4(r));
  }

  allocate(len: number): IpPrefix | undefined {
    const size = 2 ** (32 - len);
    let c = this.cursors.get(len) ?? this.start;
    c = Math.ceil((c - this.start) / size) * size + this.start;
    for (;;) {
      if (c + size > this.end) return undefined;
      const clash = this.taken.find((t) => t.lo < c + size && c < t.hi);
      if (!clash) break;
      c = Math.ceil((clash.hi - this.start) / size) * size + this.start;
    }
    this.taken.push({ lo: c, hi: c + size });
    this.cursors.set(len, c + size);
    return { family: 4, bytes: numberToIpv4(c), len };
  }
}

function range4(p: IpPrefix): { lo: number; hi: number } {
  const lo = ipv4ToNumber(p.bytes);
  return { lo, hi: lo + 2 ** (32 - p.len) };
}

/** /64s from an IPv6 pool, subnet IDs 1, 2, 3 …, avoiding reserved prefixes. */
export class Ipv6Allocator {
  private next = 1;
  private readonly max: number;
  constructor(private readonly pool: IpPrefix, private readonly reserved: readonly IpPrefix[]) {
    this.max = 2 ** Math.min(32, 64 - pool.len) - 1;
  }

  allocate(): IpPrefix | undefined {
    while (this.next <= this.max) {
      const id = this.next++;
      const bytes = Uint8Array.from(this.pool.bytes);
      // Subnet ID goes into bits pool.len..63: add it to the upper 64 bits.
      let carry = id;
      for (let i = 7; i >= 0 && carry > 0; i--) {
        const v = bytes[i] + (carry % 256);
        carry = Math.floor(carry / 256) + (v > 255 ? 1 : 0);
        bytes[i] = v & 0xff;
      }
      const p: IpPrefix = { family: 6, bytes, len: 64 };
      if (!this.reserved.some((r) => r.family === 6 && prefixesOverlap(r, p))) return p;
    }
    return undefined;
  }
}

export function withLength(a: IpAddress, len: number): string {
  return `${formatAddress(a)}/${len}`;
}

export function subnetOf(text: string): IpPrefix | undefined {
  const p = parsePrefix(text, { allowHostBits: true });
  return p.ok ? p.value : undefined;
}

export { formatPrefix };
