/**
 * Keeps tcpdump working on AF_XDP ports: while another packet socket (a
 * tcpdump, a `lab capture`) listens on an interface, or on every interface
 * (`tcpdump -i any`), that port's XDP program is taken off the interface, so
 * transit frames take the kernel's path again, where both the capture and
 * the port's own AF_PACKET socket see them (the data plane keeps forwarding
 * them, through that socket). When the capture ends the program goes back.
 *
 * Owns: parsing /proc/net/packet (net/packet/af_packet.c, packet_seq_show:
 * `sk RefCnt Type Proto Iface R Rmem User Inode`), telling the port's own
 * sockets from others by inode, and the periodic check.
 *
 * Does NOT cover: frames that arrive between a capture's start and the next
 * check (every 250 ms by default): a capture may miss the first transit
 * frames of its first quarter second. Only packet sockets of the namespace
 * the reading thread is in are seen: the watcher runs in a router process
 * that lives in its namespace (not with ports opened through setns).
 */
import { readFileSync } from 'node:fs';

/** Interface indexes that a packet socket other than `own` listens on; 0 in the set: some socket listens on every interface. */
export function tappedInterfaces(procNetPacket: string, own: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const line of procNetPacket.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const ifindex = Number(f[4]), inode = Number(f[8]);
    if (!Number.isInteger(ifindex) || !Number.isInteger(inode) || own.has(inode)) continue;
    out.add(ifindex);
  }
  return out;
}

/** A port the watcher can switch: LinuxFramePort with AF_XDP. */
export interface BypassablePort {
  readonly ifindex: number;
  readonly socketInode: number;
  readonly xdp: string;
  setXdpBypass(on: boolean): void;
}

export class TapWatch {
  private readonly bypassed = new Set<BypassablePort>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ports: () => readonly BypassablePort[],
    private readonly read: () => string = () => readFileSync('/proc/thread-self/net/packet', 'utf8'),
  ) {}

  /** One check: bypass the tapped XDP ports, restore the others. Returns the ports bypassed now. */
  check(): readonly BypassablePort[] {
    const ports = this.ports().filter((p) => p.xdp !== '');
    if (!ports.length) return [];
    let text: string;
    try {
      text = this.read();
    } catch {
      return [...this.bypassed];
    }
    const tapped = tappedInterfaces(text, new Set(this.ports().map((p) => p.socketInode)));
    for (const p of ports) {
      const want = tapped.has(0) || tapped.has(p.ifindex);
      if (want === this.bypassed.has(p)) continue;
      try {
        p.setXdpBypass(want);
        if (want) this.bypassed.add(p);
        else this.bypassed.delete(p);
      } catch {
        // Could not attach again: the port keeps receiving through AF_PACKET; try at the next check.
      }
    }
    return [...this.bypassed];
  }

  start(intervalMs = 250): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
