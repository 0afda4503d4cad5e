/**
 * Rate-paced 64-byte UDP generator for the forwarding benchmark, run inside
 * a namespace (`ip netns exec NS node paced-generator.js JSON`): one
 * AF_PACKET port of our addon (src/dataplane/linux-frame-io.ts), frames
 * queued and sent in sendmmsg batches of up to 256.
 *
 * Pacing: a token bucket checked every timer tick (about 1 ms): what is owed
 * at `pps` since the start leaves at once, so frames go out in bursts of
 * pps/1000 (100 frames at 100k pps), not evenly spaced. When the process
 * falls behind (a loaded machine) it catches up in bursts of at most
 * `maxBurst` frames per tick and the run takes longer; the caller compares
 * `seconds` with what it asked for.
 *
 * The frame: Ethernet II to `dstMac`, IPv4 (DF, TTL 64, header checksum per
 * RFC 791 §3.1), UDP without checksum (allowed for IPv4, RFC 768), 18 bytes
 * of payload: 60 bytes, 64 on the wire with the FCS.
 *
 * Output: one JSON line {sent, dropped, errors, seconds, cpuSeconds} where
 * cpuSeconds is this process's user + system time during the sending
 * (including the softirq work the kernel runs inline in its send path).
 */
import { LinuxFrameIo } from '../../src/dataplane/linux-frame-io.js';

export interface GeneratorArgs {
  readonly dev: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
  readonly dstPort: number;
  readonly pps: number;
  readonly seconds: number;
  readonly maxBurst?: number;
}

/** The 60-byte frame (no FCS). */
export function udpFrame64(dstMac: Uint8Array, srcMac: Uint8Array, src: string, dst: string, dstPort: number): Uint8Array {
  const f = new Uint8Array(60);
  const v = new DataView(f.buffer);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 46); // total length: 20 + 8 + 18
  v.setUint16(20, 0x4000); // DF
  f[22] = 64;
  f[23] = 17;
  f.set(src.split('.').map(Number), 26);
  f.set(dst.split('.').map(Number), 30);
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += v.getUint16(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  v.setUint16(24, ~s & 0xffff);
  v.setUint16(34, 40000);
  v.setUint16(36, dstPort);
  v.setUint16(38, 26);
  f.fill(0x61, 42);
  return f;
}

function main(a: GeneratorArgs): void {
  const io = new LinuxFrameIo();
  const port = io.open(a.dev, { txSlots: 256 });
  const frame = udpFrame64(Uint8Array.from(a.dstMac.split(':').map((b) => parseInt(b, 16))), port.mac, a.src, a.dst, a.dstPort);
  const total = Math.max(1, Math.round(a.pps * a.seconds));
  const maxBurst = a.maxBurst ?? 4096;
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tick = (): void => {
    const owed = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * a.pps)) - sent;
    let k = Math.min(owed, maxBurst);
    while (k > 0) {
      const b = Math.min(k, 256);
      for (let i = 0; i < b; i++) port.send(frame);
      port.flush();
      k -= b;
      sent += b;
    }
    if (sent < total) {
      setTimeout(tick, 1);
      return;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const c = port.counters();
    io.close();
    process.stdout.write(JSON.stringify({ sent: c.txFrames, dropped: c.txDropped, errors: c.txErrors, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
  };
  tick();
}

main(JSON.parse(process.argv[2] ?? '{}') as GeneratorArgs);
