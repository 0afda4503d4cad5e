/**
 * MemoryFrameIo: FrameIo over in-process wires, for tests without root.
 *
 * Owns MemoryNetwork (interfaces and the point-to-point links between them,
 * wired like a veth pair: what one end sends, the other end receives) and
 * MemoryFrameIo (the ports one process opens on that network). It mirrors
 * what the Linux implementation reports: each received frame's packet type
 * is computed from its destination MAC against the receiving interface's MAC
 * as eth_type_trans() does (host, broadcast, multicast, other host — a veth
 * delivers foreign unicast too); frames longer than the sender's MTU + 14
 * are refused (EMSGSIZE: txErrors); frames longer than the receiver's
 * MTU + 18 are lost on the wire (veth's check); a receive queue holds at most
 * `queueFrames` frames (beyond that kernelDrops, like a full SO_RCVBUF).
 * Delivery is asynchronous (setImmediate), batched like recvmmsg; `settle()`
 * waits until nothing is in flight. `inject()` puts a frame on an interface
 * as if it came from the wire, with the offload flags of a real capture.
 *
 * Does NOT model: link state, queueing delay, bandwidth, VLAN stripping,
 * frames seen by more than two ends (no bridges).
 */
import {
  FrameFlag,
  classifyDestination,
  zeroCounters,
  type FrameBatch,
  type FrameHandler,
  type FrameIo,
  type FramePort,
  type FramePortCounters,
  type OpenOptions,
} from './frame-io.js';

const ETH_HLEN = 14;
const VLAN_HLEN = 4;
const HEADROOM = 64;

export interface MemoryInterfaceSpec {
  readonly name: string;
  /** `02:00:00:00:00:01` or 6 bytes. */
  readonly mac: string | Uint8Array;
  readonly mtu?: number;
}

/** Per-frame receive metadata a test may set on an injected frame. */
export interface InjectMeta {
  readonly flags?: number;
  readonly csumStart?: number;
  readonly csumOffset?: number;
  /** Override the computed packet type. */
  readonly pktType?: number;
  readonly vlanTci?: number;
}

interface QueuedFrame {
  readonly bytes: Uint8Array;
  readonly meta: InjectMeta | undefined;
}

interface Iface {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  peer: Iface | undefined;
  port: MemoryFramePort | undefined;
}

export function parseMac(mac: string | Uint8Array): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new Error(`bad MAC length ${mac.length}`);
    return Uint8Array.from(mac);
  }
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`bad MAC ${mac}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export class MemoryNetwork {
  private readonly ifaces = new Map<string, Iface>();
  private nextIndex = 2;
  /** Frames lost on the wire: no open port at the far end, or too long for its MTU. */
  lost = 0;
  /** @internal ports with frames waiting to be delivered. */
  readonly busy = new Set<MemoryFramePort>();
  private readonly queueFrames: number;

  constructor(options: { queueFrames?: number } = {}) {
    this.queueFrames = options.queueFrames ?? 4096;
  }

  /** Creates two interfaces joined by a wire, like `ip link add A type veth peer name B`. */
  link(a: MemoryInterfaceSpec, b: MemoryInterfaceSpec): void {
    const ia = this.create(a);
    const ib = this.create(b);
    ia.peer = ib;
    ib.peer = ia;
  }

  /** Creates an interface with nothing at the far end (frames sent on it are lost). */
  addInterface(spec: MemoryInterfaceSpec): void {
    this.create(spec);
  }

  private create(spec: MemoryInterfaceSpec): Iface {
    if (this.ifaces.has(spec.name)) throw new Error(`interface ${spec.name} exists`);
    const iface: Iface = {
      name: spec.name,
      ifindex: this.nextIndex++,
      mac: parseMac(spec.mac),
      mtu: spec.mtu ?? 1500,
      peer: undefined,
      port: undefined,
    };
    this.ifaces.set(spec.name, iface);
    return iface;
  }

  /** @internal */
  iface(name: string): Iface {
    const i = this.ifaces.get(name);
    if (!i) throw new Error(`frame-io: open ${name}: no such interface`);
    return i;
  }

  /** Delivers a frame to the port on `ifname` as if it arrived from the wire. */
  inject(ifname: string, frame: Uint8Array, meta?: InjectMeta): void {
    this.arrive(this.iface(ifname), frame, meta);
  }

  /** @internal a frame reaching `to` from the wire. */
  arrive(to: Iface, frame: Uint8Array, meta: InjectMeta | undefined): void {
    const port = to.port;
    if (!port) {
      this.lost++;
      return;
    }
    port.enqueue({ bytes: Uint8Array.from(frame), meta }, this.queueFrames);
  }

  /** @internal a frame sent by the port on `from`. */
  transmit(from: Iface, frame: Uint8Array): void {
    const to = from.peer;
    if (!to || frame.length > to.mtu + ETH_HLEN + VLAN_HLEN) {
      this.lost++;
      return;
    }
    this.arrive(to, frame, undefined);
  }

  /** Resolves once no frame is queued or in flight anywhere (bounded: throws after `maxRounds`). */
  async settle(maxRounds = 10_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.busy.size === 0) return;
    }
    throw new Error(`memory network did not settle after ${maxRounds} rounds (a forwarding loop?)`);
  }
}

class MemoryFramePort implements FramePort {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly slotSize: number;
  private readonly slots: number;
  private readonly txSlots: number;
  private readonly batch: { count: number } & Omit<FrameBatch, 'count'>;
  private readonly tx: Uint8Array;
  private readonly txLengths: Int32Array;
  private pending = 0;
  private flushScheduled = false;
  private readonly rxQueue: QueuedFrame[] = [];
  private drainScheduled = false;
  private handler: FrameHandler | null = null;
  private closed = false;
  private readonly c: { -readonly [K in keyof FramePortCounters]: number } = { ...zeroCounters() };

  constructor(
    private readonly iface: Iface,
    private readonly net: MemoryNetwork,
    private readonly owner: MemoryFrameIo,
    options: OpenOptions,
  ) {
    this.name = iface.name;
    this.ifindex = iface.ifindex;
    this.mac = iface.mac;
    this.mtu = iface.mtu;
    this.slots = options.slots ?? 64;
    this.txSlots = options.txSlots ?? 64;
    this.slotSize = (iface.mtu + ETH_HLEN + VLAN_HLEN + HEADROOM + 63) & ~63;
    const offsets = new Int32Array(this.slots);
    for (let i = 0; i < this.slots; i++) offsets[i] = i * this.slotSize;
    const field = () => new Int32Array(this.slots);
    this.batch = {
      count: 0,
      buffer: new Uint8Array(this.slots * this.slotSize),
      offsets,
      lengths: field(),
      wireLengths: field(),
      pktType: field(),
      flags: field(),
      csumStart: field(),
      csumOffset: field(),
      vlanTci: field(),
    };
    this.tx = new Uint8Array(this.txSlots * this.slotSize);
    this.txLengths = new Int32Array(this.txSlots);
  }

  onFrames(handler: FrameHandler | null): void {
    if (this.closed) throw new Error(`frame-io: port ${this.name} is closed`);
    this.handler = handler;
    if (handler) this.scheduleDrain();
  }

  /** @internal */
  enqueue(frame: QueuedFrame, limit: number): void {
    this.c.kernelPackets++;
    if (this.rxQueue.length >= limit) {
      this.c.kernelDrops++;
      return;
    }
    this.rxQueue.push(frame);
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || !this.handler || this.rxQueue.length === 0) return;
    this.drainScheduled = true;
    this.net.busy.add(this);
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    this.net.busy.delete(this);
    if (this.closed || !this.handler) return;
    this.c.wakeups++;
    for (let b = 0; b < 16 && this.rxQueue.length > 0 && this.handler; b++) {
      const n = Math.min(this.slots, this.rxQueue.length);
      const batch = this.batch;
      for (let i = 0; i < n; i++) {
        const { bytes, meta } = this.rxQueue[i];
        const stored = Math.min(bytes.length, this.slotSize);
        batch.buffer.set(stored === bytes.length ? bytes : bytes.subarray(0, stored), batch.offsets[i]);
        batch.lengths[i] = stored;
        batch.wireLengths[i] = bytes.length;
        batch.pktType[i] = meta?.pktType ?? classifyDestination(bytes, this.mac);
        let flags = meta?.flags ?? 0;
        if (stored < bytes.length) {
          flags |= FrameFlag.truncated;
          this.c.rxTruncated++;
        }
        batch.flags[i] = flags;
        batch.csumStart[i] = meta?.csumStart ?? -1;
        batch.csumOffset[i] = meta?.csumOffset ?? -1;
        batch.vlanTci[i] = meta?.vlanTci ?? 0;
        this.c.rxBytes += stored;
      }
      this.rxQueue.splice(0, n);
      batch.count = n;
      this.c.rxFrames += n;
      this.c.rxBatches++;
      this.handler(batch, this);
      this.owner.flushAll();
    }
    this.scheduleDrain();
  };

  send(frame: Uint8Array, length: number = frame.length, offset = 0): boolean {
    if (this.closed || length <= 0 || length > this.slotSize || offset < 0 || offset + length > frame.length) {
      this.c.txDropped++;
      return false;
    }
    if (this.pending === this.txSlots) this.flush();
    const slot = this.pending++;
    this.tx.set(length === frame.length ? frame : frame.subarray(offset, offset + length), slot * this.slotSize);
    this.txLengths[slot] = length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.net.busy.add(this);
      queueMicrotask(this.scheduledFlush);
    }
    return true;
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
    if (!this.drainScheduled) this.net.busy.delete(this);
  };

  flush(): void {
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.c.txBatches++;
    for (let i = 0; i < n; i++) {
      const len = this.txLengths[i];
      if (len > this.mtu + ETH_HLEN) {
        this.c.txErrors++; // EMSGSIZE
        continue;
      }
      const off = i * this.slotSize;
      this.net.transmit(this.iface, this.tx.subarray(off, off + len));
      this.c.txFrames++;
      this.c.txBytes += len;
    }
  }

  counters(): FramePortCounters {
    return { ...this.c };
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.handler = null;
    this.rxQueue.length = 0;
    this.net.busy.delete(this);
    if (this.iface.port === this) this.iface.port = undefined;
    this.owner.forget(this);
  }
}

export class MemoryFrameIo implements FrameIo {
  private readonly open_ = new Map<string, MemoryFramePort>();

  constructor(private readonly net: MemoryNetwork) {}

  open(ifname: string, options: OpenOptions = {}): MemoryFramePort {
    const existing = this.open_.get(ifname);
    if (existing) return existing;
    const iface = this.net.iface(ifname);
    if (iface.port) throw new Error(`frame-io: open ${ifname}: already open in another FrameIo`);
    const port = new MemoryFramePort(iface, this.net, this, options);
    iface.port = port;
    this.open_.set(ifname, port);
    return port;
  }

  port(ifname: string): MemoryFramePort | undefined {
    return this.open_.get(ifname);
  }

  ports(): readonly MemoryFramePort[] {
    return [...this.open_.values()];
  }

  flushAll(): void {
    for (const p of this.open_.values()) p.flush();
  }

  close(): void {
    for (const p of [...this.open_.values()]) p.close();
  }

  /** @internal */
  forget(port: MemoryFramePort): void {
    if (this.open_.get(port.name) === port) this.open_.delete(port.name);
  }
}

export type { MemoryFramePort };
