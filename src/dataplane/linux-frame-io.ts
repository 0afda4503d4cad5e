/**
 * LinuxFrameIo: FrameIo over AF_PACKET sockets through the native addon
 * (src/dataplane/native/frame_io.c, built by node-gyp into
 * build/Release/frameio.node).
 *
 * Owns loading the addon (resolved from the package root, so it works from
 * src/ under vitest and from dist/), the JS views over the addon's
 * preallocated buffers, draining on each readable wakeup, and the send queue
 * that leaves in one sendmmsg batch at the end of each processing tick.
 * Nothing on the receive or send path allocates per frame; errors there are
 * counted (see FramePortCounters), never thrown. `open` throws a clear Error
 * when the interface cannot be opened.
 *
 * Two receive modes (see LinuxOpenOptions.ringFrames): recvmmsg into the
 * port's slots, or a TPACKET_V2 receive ring read in place. In ring mode the
 * ring, not SO_RCVBUF, bounds what may wait unread.
 *
 * AF_XDP (LinuxOpenOptions.xdp): transit frames come from an XDP program
 * through an AF_XDP socket, read in place like the ring; frames for the
 * router itself, ARP, neighbour discovery and multicast still arrive on the
 * AF_PACKET socket; everything leaves by AF_PACKET (see xsk.c).
 *
 * Does NOT support: TPACKET_V3, TX rings, fanout, re-inserting stripped VLAN
 * tags (the receive path strips 802.1Q tags; FrameFlag.vlan reports them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COUNTER_NAMES,
  FrameFlag,
  type FrameBatch,
  type FrameHandler,
  type FrameIo,
  type FramePort,
  type FramePortCounters,
  type OpenOptions,
} from './frame-io.js';
import { ipv4ToNumber, numberToIpv4, parseAddress } from '../lib/prefix.js';

export interface LinuxFrameIoOptions {
  /**
   * Open every port inside this network namespace (e.g. `/run/netns/lab-r1`)
   * through setns(2) on the calling thread, switched back at once: the
   * process stays where it is and its sockets stay bound to that namespace.
   */
  readonly netns?: string;
}

export interface LinuxOpenOptions extends OpenOptions {
  /** Bytes per frame slot; default MTU + 14 + 4 + 64 rounded up to 64. */
  readonly slotSize?: number;
  /** Socket buffers in bytes (SO_RCVBUFFORCE/SO_SNDBUFFORCE as root); default 8 MiB. */
  readonly rcvbuf?: number;
  readonly sndbuf?: number;
  /** PACKET_QDISC_BYPASS: send straight to the driver. */
  readonly qdiscBypass?: boolean;
  /** PACKET_VNET_HDR: report csum_start/csum_offset of partial checksums (default true). */
  readonly vnetHeader?: boolean;
  /**
   * Receive through a TPACKET_V2 ring of this many frames (PACKET_RX_RING,
   * mmap) instead of recvmmsg: no system call and no copy per batch, frames
   * read in place. 0 (default): recvmmsg into the port's own slots.
   */
  readonly ringFrames?: number;
  /** Receive batches drained per wakeup before yielding to the event loop (default 16). */
  readonly maxBatchesPerWakeup?: number;
  /**
   * Receive transit frames through AF_XDP: an XDP program on the interface
   * redirects IPv4/IPv6 frames to this port's MAC whose destination is not
   * in `localAddresses` (nor multicast or link-local) into an AF_XDP
   * socket. 'auto': native mode where the driver has it, else generic.
   * Not with ringFrames.
   */
  readonly xdp?: 'auto' | 'native' | 'generic';
  /** With xdp: the router's own addresses, 16 bytes each (IPv4 as ::ffff:a.b.c.d); see ownAddressKeys. */
  readonly localAddresses?: Uint8Array;
}

/** What the addon's Port object exposes (see frame_io.c). */
interface NativePort {
  readonly name: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly mac: Uint8Array;
  readonly slots: number;
  readonly txSlots: number;
  readonly slotSize: number;
  readonly rcvbuf: number;
  readonly sndbuf: number;
  readonly vnetHeader: boolean;
  readonly ringFrames: number;
  /** '' (AF_PACKET only), 'native' or 'generic': how the XDP program is attached. */
  readonly xdp: string;
  /** The AF_PACKET socket's inode (as /proc/net/packet lists it). */
  readonly socketInode: number;
  readonly rxBuffer: ArrayBuffer;
  readonly meta: ArrayBuffer;
  readonly txBuffer: ArrayBuffer;
  readonly txLengths: ArrayBuffer;
  readonly counters: ArrayBuffer;
  recv(): number;
  release(): void;
  setLocalAddresses(addresses: Uint8Array): void;
  setXdpBypass(on: boolean): void;
  send(count: number): number;
  stats(): void;
  poll(callback: (() => void) | null): void;
  ref(on: boolean): void;
  close(): void;
}

interface NativeAddon {
  Port: new (ifname: string | number, options?: object) => NativePort;
  constants: {
    meta: Record<string, number>;
    flags: Record<string, number>;
    counters: Record<string, number>;
  };
}

const TX_DROPPED = COUNTER_NAMES.indexOf('txDropped');
const META_FIELDS = ['length', 'wireLength', 'pktType', 'flags', 'csumStart', 'csumOffset', 'vlanTci', 'vlanTpid', 'offset'] as const;

/** The directory holding package.json above this module (src/dataplane or dist/src/dataplane). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`frame-io: no package.json above ${from}`);
    dir = up;
  }
}

export function addonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'frameio.node');
}

let addon: NativeAddon | undefined;

/** Loads the addon once and checks that its layout matches this module's. */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(`frame-io: native addon not built (${path} missing): run \`npm ci\` or \`npx node-gyp rebuild\``);
  }
  const loaded = createRequire(import.meta.url)(path) as NativeAddon;
  const c = loaded.constants;
  META_FIELDS.forEach((f, i) => {
    if (c.meta[f] !== i) throw new Error(`frame-io: addon meta layout mismatch at ${f}`);
  });
  for (const [name, bit] of Object.entries(FrameFlag)) {
    if (c.flags[name] !== bit) throw new Error(`frame-io: addon flag mismatch at ${name}`);
  }
  COUNTER_NAMES.forEach((name, i) => {
    if (c.counters[name] !== i) throw new Error(`frame-io: addon counter layout mismatch at ${name}`);
  });
  addon = loaded;
  return addon;
}

class LinuxFramePort implements FramePort {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  /** Bytes per slot; frames longer than this are truncated on receive and refused on send. */
  readonly slotSize: number;
  readonly rcvbuf: number;
  readonly sndbuf: number;
  private readonly batch: { count: number } & Omit<FrameBatch, 'count'>;
  private readonly tx: Uint8Array;
  private readonly txLengths: Int32Array;
  private readonly txSlots: number;
  private readonly counterView: Float64Array;
  private readonly maxBatches: number;
  /** Receiving in place (TPACKET_V2 ring or AF_XDP): frames go back at the next receive or release. */
  readonly ring: boolean;
  /** '' or how the XDP program is attached ('native', 'generic'). */
  readonly xdp: string;
  /** The AF_PACKET socket's inode, to tell it from others in /proc/net/packet. */
  readonly socketInode: number;
  /** Why AF_XDP was asked for and not set up (the port then receives by AF_PACKET alone). */
  xdpError: string | undefined;
  private pending = 0;
  private flushScheduled = false;
  private handler: FrameHandler | null = null;
  private closed = false;

  constructor(
    private readonly native: NativePort,
    private readonly owner: LinuxFrameIo,
    maxBatches: number,
  ) {
    this.name = native.name;
    this.ifindex = native.ifindex;
    this.mac = native.mac;
    this.mtu = native.mtu;
    this.slotSize = native.slotSize;
    this.rcvbuf = native.rcvbuf;
    this.sndbuf = native.sndbuf;
    this.maxBatches = maxBatches;
    const slots = native.slots;
    const meta = new Int32Array(native.meta);
    const field = (name: (typeof META_FIELDS)[number]) => {
      const i = META_FIELDS.indexOf(name);
      return meta.subarray(i * slots, (i + 1) * slots);
    };
    this.xdp = native.xdp;
    this.socketInode = native.socketInode;
    this.ring = native.ringFrames > 0 || native.xdp !== '';
    this.batch = {
      count: 0,
      buffer: new Uint8Array(native.rxBuffer),
      offsets: field('offset'),
      lengths: field('length'),
      wireLengths: field('wireLength'),
      pktType: field('pktType'),
      flags: field('flags'),
      csumStart: field('csumStart'),
      csumOffset: field('csumOffset'),
      vlanTci: field('vlanTci'),
    };
    this.tx = new Uint8Array(native.txBuffer);
    this.txLengths = new Int32Array(native.txLengths);
    this.txSlots = native.txSlots;
    this.counterView = new Float64Array(native.counters);
  }

  onFrames(handler: FrameHandler | null): void {
    if (this.closed) throw new Error(`frame-io: port ${this.name} is closed`);
    this.handler = handler;
    this.native.poll(handler ? this.onReadable : null);
  }

  /** With xdp: replaces the addresses the XDP program leaves to the kernel. */
  setLocalAddresses(addresses: Uint8Array): void {
    if (!this.closed) this.native.setLocalAddresses(addresses);
  }

  /**
   * With xdp: takes the XDP program off the interface (true: every frame
   * arrives by the AF_PACKET socket, as without xdp) or puts it back.
   */
  setXdpBypass(on: boolean): void {
    if (!this.closed) this.native.setXdpBypass(on);
  }

  /** Whether an active port keeps the process alive (default true). */
  ref(on: boolean): void {
    this.native.ref(on);
  }

  /**
   * Receives one batch now without waiting for a wakeup (for busy-polling
   * generators and tests); returns the batch (count 0 when none). In ring
   * mode its frames go back to the kernel on the next receive().
   */
  receive(): FrameBatch {
    this.batch.count = this.closed ? 0 : this.native.recv();
    return this.batch;
  }

  private readonly onReadable = (): void => {
    // Copy mode: a short batch means the socket is empty (saves a recvmmsg).
    // Ring mode: reading is free, so read until empty, then give the last
    // batch back (a frame kept by us would keep the socket readable).
    const stopShort = this.ring ? 0 : this.native.slots;
    for (let b = 0; b < this.maxBatches && !this.closed; b++) {
      const n = this.native.recv();
      if (n === 0) break;
      this.batch.count = n;
      const h = this.handler;
      if (h) h(this.batch, this);
      this.owner.flushAll();
      if (n < stopShort) break;
    }
    if (this.ring && !this.closed) this.native.release();
  };

  send(frame: Uint8Array, length: number = frame.length, offset = 0): boolean {
    if (this.closed || length <= 0 || length > this.slotSize || offset < 0 || offset + length > frame.length) {
      this.counterView[TX_DROPPED] += 1;
      return false;
    }
    if (this.pending === this.txSlots) this.flush();
    const slot = this.pending++;
    const off = slot * this.slotSize;
    this.tx.set(length === frame.length ? frame : frame.subarray(offset, offset + length), off);
    this.txLengths[slot] = length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.scheduledFlush);
    }
    return true;
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  flush(): void {
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.native.send(n);
  }

  counters(): FramePortCounters {
    if (!this.closed) this.native.stats();
    const c = this.counterView;
    const out: Record<string, number> = {};
    COUNTER_NAMES.forEach((name, i) => {
      out[name] = c[i];
    });
    return out as unknown as FramePortCounters;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.handler = null;
    this.native.close();
    this.owner.forget(this);
  }
}

/**
 * The XDP program's own-address keys for a router: every address of its
 * interfaces and each IPv4 subnet's broadcast address, 16 bytes each, IPv4
 * as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
 */
export function ownAddressKeys(interfaces: readonly { readonly ipv4?: readonly string[]; readonly ipv6?: readonly string[] }[]): Uint8Array {
  const keys: Uint8Array[] = [];
  const mapped = (b: Uint8Array) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]);
  for (const text of interfaces.flatMap((i) => [...(i.ipv4 ?? []), ...(i.ipv6 ?? [])])) {
    const [addrText, lenText] = text.split('/');
    const a = parseAddress(addrText);
    if (!a.ok) throw new Error(`frame-io: ${a.error}`);
    if (a.value.family === 6) {
      keys.push(a.value.bytes);
      continue;
    }
    keys.push(mapped(a.value.bytes));
    const len = lenText === undefined ? 32 : Number(lenText);
    // The subnet's broadcast address is the kernel's too (RFC 919/922); /31 and /32 have none.
    if (len <= 30) keys.push(mapped(numberToIpv4((ipv4ToNumber(a.value.bytes) | (0xffffffff >>> len)) >>> 0)));
  }
  const out = new Uint8Array(keys.length * 16);
  keys.forEach((k, j) => out.set(k, j * 16));
  return out;
}

export class LinuxFrameIo implements FrameIo {
  private readonly open_ = new Map<string, LinuxFramePort>();

  constructor(private readonly options: LinuxFrameIoOptions = {}) {}

  /**
   * Opens an AF_PACKET port; throws an Error naming the interface and the
   * failing step. With `xdp`, a port whose AF_XDP part cannot be set up (an
   * MTU above 4078, a kernel without AF_XDP) opens without it, the reason in
   * its `xdpError`: transit still arrives, by AF_PACKET.
   */
  open(ifname: string, options: LinuxOpenOptions = {}): LinuxFramePort {
    const existing = this.open_.get(ifname);
    if (existing) return existing;
    const { Port } = loadAddon();
    let native: NativePort;
    let xdpError: string | undefined;
    try {
      native = new Port(ifname, { ...options, netns: this.options.netns });
    } catch (e) {
      if (!options.xdp) throw e;
      xdpError = e instanceof Error ? e.message : String(e);
      native = new Port(ifname, { ...options, xdp: undefined, localAddresses: undefined, netns: this.options.netns });
    }
    const port = new LinuxFramePort(native, this, Math.max(1, options.maxBatchesPerWakeup ?? 16));
    port.xdpError = xdpError;
    this.open_.set(ifname, port);
    return port;
  }

  port(ifname: string): LinuxFramePort | undefined {
    return this.open_.get(ifname);
  }

  ports(): readonly LinuxFramePort[] {
    return [...this.open_.values()];
  }

  flushAll(): void {
    for (const p of this.open_.values()) p.flush();
  }

  close(): void {
    for (const p of [...this.open_.values()]) p.close();
  }

  /** @internal called by a port when it closes. */
  forget(port: LinuxFramePort): void {
    if (this.open_.get(port.name) === port) this.open_.delete(port.name);
  }
}

export type { LinuxFramePort };
