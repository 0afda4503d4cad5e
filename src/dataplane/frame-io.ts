/**
 * Frame I/O: the data plane's view of its interfaces as ports that receive
 * Ethernet frames in batches and send frames queued and flushed in batches.
 *
 * Owns the FrameIo / FramePort contract and the constants both implementations
 * share: the packet types of packet(7) (`sll_pkttype`), the per-frame flags,
 * the counters. Implementations: `linux-frame-io.ts` (AF_PACKET through the
 * native addon) and `memory-frame-io.ts` (in-process wires for tests).
 *
 * Batch views are valid only during the `onFrames` handler: the next receive
 * overwrites the same slots. Copy what must outlive the call.
 *
 * Does NOT cover: interface state (link up/down), addresses, or neighbour
 * resolution — those belong to other modules.
 */

/** `sll_pkttype` values, <linux/if_packet.h>. */
export const PacketType = {
  host: 0,
  broadcast: 1,
  multicast: 2,
  otherHost: 3,
  outgoing: 4,
} as const;
export type PacketTypeName = keyof typeof PacketType;

/** Per-frame flag bits of `FrameBatch.flags` (same values as the addon's). */
export const FrameFlag = {
  /** TP_STATUS_CSUMNOTREADY: the L4 checksum is partial (offload left on at the sender). */
  csumNotReady: 1 << 0,
  /** TP_STATUS_CSUM_VALID: the device verified the checksum. */
  csumValid: 1 << 1,
  /** The frame was longer than its slot: only `lengths[i]` bytes were kept. */
  truncated: 1 << 2,
  /** An 802.1Q tag was stripped by the receive path; see `vlanTci`. */
  vlan: 1 << 3,
  /** The frame is a GSO super-frame (segmentation offload left on). */
  gso: 1 << 4,
} as const;

export interface FrameBatch {
  /** Number of frames in this batch: entries 0..count-1 of the arrays below. */
  readonly count: number;
  /** The slot area: frame i is buffer[offsets[i] .. offsets[i] + lengths[i]). */
  readonly buffer: Uint8Array;
  readonly offsets: Int32Array;
  /** Bytes stored for frame i (at most the slot size). */
  readonly lengths: Int32Array;
  /** Length of frame i on the wire (greater than lengths[i] when truncated). */
  readonly wireLengths: Int32Array;
  /** PacketType value of frame i. */
  readonly pktType: Int32Array;
  /** FrameFlag bits of frame i. */
  readonly flags: Int32Array;
  /** For csumNotReady frames: where checksumming starts, from the frame start; -1 if unknown. */
  readonly csumStart: Int32Array;
  /** For csumNotReady frames: offset of the checksum field from csumStart; -1 if unknown. */
  readonly csumOffset: Int32Array;
  /** Stripped VLAN tag control information when FrameFlag.vlan is set. */
  readonly vlanTci: Int32Array;
}

export interface FramePortCounters {
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly rxBatches: number;
  readonly rxTruncated: number;
  readonly rxErrors: number;
  readonly txFrames: number;
  readonly txBytes: number;
  readonly txBatches: number;
  readonly txErrors: number;
  /** Frames not sent because a queue was full or the port closed. */
  readonly txDropped: number;
  /** Frames the kernel handed to the socket, including those it dropped (PACKET_STATISTICS). */
  readonly kernelPackets: number;
  /** Frames the kernel dropped because the socket's receive buffer was full. */
  readonly kernelDrops: number;
  readonly wakeups: number;
  /** Socket errors reported by the wakeup (e.g. ENETDOWN when the link went down). */
  readonly pollErrors: number;
}

export const COUNTER_NAMES: readonly (keyof FramePortCounters)[] = [
  'rxFrames', 'rxBytes', 'rxBatches', 'rxTruncated', 'rxErrors',
  'txFrames', 'txBytes', 'txBatches', 'txErrors', 'txDropped',
  'kernelPackets', 'kernelDrops', 'wakeups', 'pollErrors',
];

export type FrameHandler = (batch: FrameBatch, port: FramePort) => void;

export interface FramePort {
  /** Interface name, e.g. `r1-eth0`. */
  readonly name: string;
  readonly ifindex: number;
  /** The interface's MAC address (6 bytes; do not modify). */
  readonly mac: Uint8Array;
  /** The interface's MTU (IP bytes, without the Ethernet header). */
  readonly mtu: number;
  /** Sets the handler for received batches (null stops receiving). */
  onFrames(handler: FrameHandler | null): void;
  /**
   * Queues a copy of frame[offset..offset+length) for sending (by default the
   * whole array; pass a batch's buffer, length and offset to forward a
   * received frame without slicing it). Queued frames leave in one sendmmsg
   * batch at the end of the current processing tick, or at once when the
   * queue is full. Returns false (and counts txDropped) when the frame cannot
   * be queued: port closed, empty, out of bounds, or larger than a slot.
   */
  send(frame: Uint8Array, length?: number, offset?: number): boolean;
  /** Sends every queued frame now. */
  flush(): void;
  counters(): FramePortCounters;
  close(): void;
}

export interface OpenOptions {
  /** Receive batch size (frames per recvmmsg). */
  readonly slots?: number;
  /** Send queue size (frames per sendmmsg). */
  readonly txSlots?: number;
  /** Socket-level promiscuous membership (PACKET_MR_PROMISC), released on close. */
  readonly promiscuous?: boolean;
}

export interface FrameIo {
  /** Opens (or returns the already open) port for an interface. */
  open(ifname: string, options?: OpenOptions): FramePort;
  /** The open port of that interface, if any. */
  port(ifname: string): FramePort | undefined;
  ports(): readonly FramePort[];
  /** Sends every queued frame on every port. */
  flushAll(): void;
  /** Closes every port. */
  close(): void;
}

/** The PacketType Linux assigns to a frame whose destination is `dst[off..off+6)` arriving on a port with `mac`. */
export function classifyDestination(frame: Uint8Array, mac: Uint8Array, off = 0): number {
  if (frame[off] & 1) {
    for (let i = 0; i < 6; i++) if (frame[off + i] !== 0xff) return PacketType.multicast;
    return PacketType.broadcast;
  }
  for (let i = 0; i < 6; i++) if (frame[off + i] !== mac[i]) return PacketType.otherHost;
  return PacketType.host;
}

export function zeroCounters(): FramePortCounters {
  return {
    rxFrames: 0, rxBytes: 0, rxBatches: 0, rxTruncated: 0, rxErrors: 0,
    txFrames: 0, txBytes: 0, txBatches: 0, txErrors: 0, txDropped: 0,
    kernelPackets: 0, kernelDrops: 0, wakeups: 0, pollErrors: 0,
  };
}
